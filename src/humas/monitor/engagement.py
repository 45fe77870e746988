"""Engagement figures of published posts: stored by the monitor (``post_metrics``), read by reports and pages.

The latest row of a post is its current figure. History keeps at most one row per post and hour: a second fetch in
the same hour updates that hour's row (the unique ``(post_id, hour)`` key makes it so on both databases). A figure
the platform did not give this time (an insights call that failed) keeps the post's last known value, so totals do
not drop and come back with each poll.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from humas.publisher.base import Engagement
from humas.store.models import PostMetric

FIGURES = ("likes", "comments", "shares", "views", "reach")


@dataclass(frozen=True)
class Figures:
    """A post's current figures as stored (``None``: not given by its platform)."""

    fetched_at: datetime
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    views: int | None = None
    reach: int | None = None

    @property
    def interactions(self) -> int:
        """Likes + comments + shares (missing ones count 0): how posts are ranked."""
        return sum(v for v in (self.likes, self.comments, self.shares) if v is not None)

    @classmethod
    def of(cls, row: PostMetric) -> Figures:
        return cls(row.fetched_at, row.likes, row.comments, row.shares, row.views, row.reach)


def hour_of(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def store_figures(s: Session, post_id: int, eng: Engagement, now: datetime) -> PostMetric:
    """Record ``eng`` for the post in the caller's transaction: this hour's row is created or updated."""
    hour = hour_of(now)
    latest = s.execute(select(PostMetric).where(PostMetric.post_id == post_id)
                       .order_by(PostMetric.hour.desc()).limit(1)).scalar_one_or_none()
    row = latest if latest is not None and latest.hour == hour else None
    if row is None:
        row = PostMetric(post_id=post_id, hour=hour)
        s.add(row)
    row.fetched_at = eng.fetched_at
    for name in FIGURES:
        value = getattr(eng, name)
        if value is None and latest is not None:
            value = getattr(latest, name)  # not given this time: the last known value stands
        setattr(row, name, value)
    s.flush()
    return row


def last_fetched(s: Session, post_ids: Collection[int]) -> dict[int, datetime]:
    """When each post's figures were last fetched (posts never fetched are absent)."""
    if not post_ids:
        return {}
    rows = s.execute(select(PostMetric.post_id, func.max(PostMetric.fetched_at))
                     .where(PostMetric.post_id.in_(list(post_ids))).group_by(PostMetric.post_id)).all()
    return {pid: at for pid, at in rows if at is not None}


def due_for_figures(s: Session, post_ids: Collection[int], now: datetime, every: timedelta) -> list[int]:
    """Those of ``post_ids`` whose figures are older than ``every`` (or were never fetched), in the given order."""
    if every <= timedelta(0):
        return []
    fetched = last_fetched(s, post_ids)
    return [pid for pid in post_ids if pid not in fetched or fetched[pid] <= now - every]


def latest_figures(s: Session, post_ids: Collection[int]) -> dict[int, Figures]:
    """Each post's current figures (its latest row); posts without any are absent."""
    out: dict[int, Figures] = {}
    ids = list(post_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        newest = (select(PostMetric.post_id, func.max(PostMetric.hour).label("hour"))
                  .where(PostMetric.post_id.in_(chunk)).group_by(PostMetric.post_id).subquery())
        rows = s.execute(select(PostMetric).join(newest, (PostMetric.post_id == newest.c.post_id)
                                                 & (PostMetric.hour == newest.c.hour))).scalars()
        out.update((r.post_id, Figures.of(r)) for r in rows)
    return out


def totals(figures: Mapping[int, Figures]) -> dict[str, int | None]:
    """Sums per figure over posts; ``None`` where no post has that figure."""
    out: dict[str, int | None] = {}
    for name in FIGURES:
        values = [v for f in figures.values() if (v := getattr(f, name)) is not None]
        out[name] = sum(values) if values else None
    return out
