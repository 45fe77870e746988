"""Classify what is pending: public comments (not the account's own, not deleted) without ``classified_at``.

Each comment gets its label, probabilities and triage tier (:mod:`humas.sentiment.base`): ``case`` comments are
flagged (``escalate``) for the escalation stage, ``review`` ones wait on the review list, ``question`` ones on the
response role's list of questions.

Each batch is one transaction that takes its rows with ``FOR UPDATE SKIP LOCKED`` (SQLite: the database write
lock), so several daemons (or a webhook next to a daemon) never classify one comment twice, and a daemon killed
mid-batch leaves the rows pending for the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, select, update

from humas.env import Env
from humas.sentiment.base import Classifier
from humas.store.models import Comment


@dataclass
class ClassifyReport:
    classified: int = 0
    by_label: dict[str, int] = field(default_factory=dict)
    by_tier: dict[str, int] = field(default_factory=dict)


def pending(limit: int) -> Select[int]:
    """The statement that takes up to ``limit`` pending comments (ids, oldest first) under a row lock."""
    return (
        select(Comment.id)
        .where(Comment.classified_at.is_(None), Comment.is_own.is_(False), Comment.deleted.is_(False))
        .order_by(Comment.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


class Classification:
    """Labels pending comments. ``classifier``: built on first use (loading a model takes a moment)."""

    def __init__(self, env: Env, classifier: Callable[[], Classifier], batch_size: int) -> None:
        self.env = env
        self._classifier = classifier
        self.batch_size = batch_size

    def run(self, now: datetime | None = None, *, limit: int | None = None) -> ClassifyReport:
        """Classify pending comments in batches until none is left (or ``limit`` were done)."""
        report = ClassifyReport()
        while limit is None or report.classified < limit:
            take = self.batch_size if limit is None else min(self.batch_size, limit - report.classified)
            if not self._batch(now or self.env.clock(), take, report):
                break
        return report

    def _batch(self, now: datetime, take: int, report: ClassifyReport) -> bool:
        with self.env.db.session() as s:
            ids = list(s.execute(pending(take)).scalars())
            if not ids:
                return False
            rows = s.execute(select(Comment.id, Comment.text).where(Comment.id.in_(ids)).order_by(Comment.id)).all()
            predictions = self._classifier().classify([text for _, text in rows])
            labelled: list[dict[str, object]] = []
            for (comment_id, _), p in zip(rows, predictions, strict=True):
                labelled.append({
                    "id": comment_id, "label": p.label, "p_negative": p.probabilities.get("negative"),
                    "p_neutral": p.probabilities.get("neutral"), "p_positive": p.probabilities.get("positive"),
                    "tier": p.tier, "p_question": p.p_question, "escalate": p.needs_escalation,
                    "abusive": p.abusive, "classified_at": now,
                })
                report.classified += 1
                report.by_label[p.label] = report.by_label.get(p.label, 0) + 1
                report.by_tier[p.tier] = report.by_tier.get(p.tier, 0) + 1
            s.execute(update(Comment), labelled)  # by primary key: one executemany for the batch
        return True
