"""Laporan: per ISO week and account, posts, comments, the sentiment distribution and the response times of cases
against the SOP's time standards (``StepPeriod`` rows of ``subject_type="case"``); the engagement of the posts
published in the period (their latest figures, :mod:`humas.monitor.engagement`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from humas.env import Env
from humas.errors import InvalidInput
from humas.monitor.engagement import FIGURES, Figures, latest_figures, totals
from humas.reports import cadence
from humas.reports.cadence import CadenceRow
from humas.sop.timing import overdue
from humas.store.models import Case, Comment, Content, Post, StepPeriod

LABELS = ("negative", "neutral", "positive")
CADENCE_PERIODS = 8  # how far back the report looks for missed cadence periods
TOP_POSTS = 10  # posts the page and the API show, by interactions


@dataclass
class AccountWeek:
    account: str
    posts: int = 0
    comments: int = 0
    labels: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    cases: int = 0


@dataclass
class AccountEngagement:
    """One account's engagement over the posts it published in the period (their latest figures). A figure is
    ``None`` when none of those posts has it (the platform does not give it, or nothing was fetched yet)."""

    account: str
    posts: int = 0  # posts published in the period
    measured: int = 0  # of those, posts with figures
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    views: int | None = None
    reach: int | None = None

    @property
    def interactions(self) -> int:
        return sum(v for v in (self.likes, self.comments, self.shares) if v is not None)


@dataclass
class PostEngagement:
    """One post published in the period and its latest figures."""

    post_id: int
    account: str
    platform: str
    remote_id: str
    remote_url: str | None
    content_id: int | None
    title: str
    published_at: datetime
    figures: Figures

    @property
    def interactions(self) -> int:
        return self.figures.interactions


@dataclass
class StepTimes:
    sop: str
    step: str
    label: str
    standard_minutes: float | None
    count: int = 0
    within: int = 0
    total_minutes: float = 0.0
    open_late: int = 0  # still open and past the standard now (the same periods `humas sla overdue` lists)

    @property
    def late(self) -> int:
        return self.count - self.within + self.open_late

    @property
    def average_minutes(self) -> float:
        return self.total_minutes / self.count if self.count else 0.0


@dataclass
class WeekReport:
    """A report over ``[start, end)`` local days: an ISO week (``week`` its name) or any range of days."""

    week: str
    start: date
    accounts: list[AccountWeek]
    steps: list[StepTimes]
    cadence: list[CadenceRow] = field(default_factory=list)  # the cadence SOPs' last periods up to the end
    overdue_now: int = 0  # responses past their standard now, as `humas sla overdue` counts them
    end: date | None = None  # exclusive; None: start + 7 days
    engagement: list[AccountEngagement] = field(default_factory=list)
    posts: list[PostEngagement] = field(default_factory=list)  # measured posts, most interactions first

    @property
    def top_posts(self) -> list[PostEngagement]:
        return self.posts[:TOP_POSTS]

    @property
    def until(self) -> date:
        return self.end or self.start + timedelta(days=7)

    @property
    def is_week(self) -> bool:
        return self.start.weekday() == 0 and self.until - self.start == timedelta(days=7)

    @property
    def missed(self) -> list[CadenceRow]:
        return cadence.missed(self.cadence)


def parse_week(value: str, today: date) -> date:
    """The Monday of ISO week ``YYYY-Www`` (default: this week)."""
    if not value:
        return today - timedelta(days=today.weekday())
    try:
        return datetime.strptime(value + "-1", "%G-W%V-%u").date()
    except ValueError:
        raise InvalidInput(f"invalid week '{value}' (expected YYYY-Www, e.g. 2026-W10)") from None


def week_name(d: date) -> str:
    iso = d.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


MAX_RANGE_DAYS = 366


def parse_range(since: str, until: str, today: date | None = None) -> tuple[date, date]:
    """``dari``/``sampai`` (``YYYY-MM-DD`` or ``DD-MM-YYYY``, both included) as ``[start, end)`` days. With
    ``today``, an empty ``sampai`` is today and an empty ``dari`` the week ending on ``sampai``."""
    if today is not None and not until.strip():
        until = today.isoformat()
    if today is not None and not since.strip():
        for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
            try:
                since = (datetime.strptime(until.strip(), fmt).date() - timedelta(days=6)).isoformat()
                break
            except (ValueError, OverflowError):
                continue
    days = []
    for name, value in (("dari", since), ("sampai", until)):
        for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
            try:
                days.append(datetime.strptime(value.strip(), fmt).date())
                break
            except ValueError:
                continue
        else:
            raise InvalidInput(f"invalid date '{value[:20]}' for {name} (expected YYYY-MM-DD or DD-MM-YYYY)")
    if any(d.year in (1, 9999) for d in days):  # a day from which one step leaves the calendar
        raise InvalidInput("dates from year 2 to 9998")
    lo, hi = days[0], days[1] + timedelta(days=1)
    if hi <= lo:
        raise InvalidInput("the range ends before it starts (sampai before dari)")
    if (hi - lo).days > MAX_RANGE_DAYS:
        raise InvalidInput(f"a report covers at most {MAX_RANGE_DAYS} days")
    return lo, hi


def range_name(start: date, end: date) -> str:
    return f"{start:%d-%m-%Y} s.d. {end - timedelta(days=1):%d-%m-%Y}"


def week_report(env: Env, s: Session, start: date, account: str = "", end: date | None = None) -> WeekReport:
    """The report of the ISO week starting ``start``, or of the days ``[start, end)`` when ``end`` is given."""
    lo = datetime.combine(start, time(0), tzinfo=env.tz)
    hi = datetime.combine(end, time(0), tzinfo=env.tz) if end else lo + timedelta(days=7)
    names = [a.name for a in env.settings.accounts if not account or a.name == account]
    rows = {n: AccountWeek(n) for n in names}
    published = [(p, title) for p, title in s.execute(
        select(Post, Content.title).outerjoin(Content, Content.id == Post.content_id)
        .where(Post.published_at >= lo, Post.published_at < hi)).all() if p.account in rows]
    for p, _title in published:
        rows[p.account].posts += 1
    engagement, posts = _engagement(s, names, published)
    comments = s.execute(select(Comment).where(Comment.created_at >= lo, Comment.created_at < hi,
                                               Comment.is_own.is_(False))).scalars()
    for c in comments:
        r = rows.get(c.account)
        if r is None:
            continue
        r.comments += 1
        if c.label in r.labels:
            r.labels[c.label] += 1
    cases = s.execute(select(Case, Comment.account).join(Comment, Comment.id == Case.comment_id)
                      .where(Case.opened_at >= lo, Case.opened_at < hi)).all()
    for _case, acc in cases:
        if acc in rows:
            rows[acc].cases += 1
    steps: dict[tuple[str, str], StepTimes] = {}
    periods = s.execute(select(StepPeriod, Comment.account)
                        .join(Case, Case.id == StepPeriod.subject_id)
                        .join(Comment, Comment.id == Case.comment_id)
                        .where(StepPeriod.subject_type == "case", StepPeriod.completed_at.is_not(None),
                               StepPeriod.completed_at >= lo, StepPeriod.completed_at < hi)).all()
    def step_times(period: StepPeriod) -> StepTimes:
        key = (period.sop_id, period.step_id)
        st = steps.get(key)
        if st is None:
            label, standard = period.step_id, None
            try:
                step = env.sops.get(period.sop_id).step(period.step_id)
                label, standard = step.label, (step.standard.total_seconds() / 60 if step.timed else None)
            except (KeyError, Exception):
                pass
            st = steps[key] = StepTimes(period.sop_id, period.step_id, label, standard)
        return st

    for period, acc in periods:
        if (account and acc != account) or period.completed_at is None:
            continue
        st = step_times(period)
        st.count += 1
        st.total_minutes += env.calendar.elapsed(period.entered_at, period.completed_at).total_seconds() / 60
        if period.due_at is None or period.completed_at <= period.due_at:
            st.within += 1
    late_now = [o.period for o in overdue(s, env.sops, env.calendar, env.clock()) if o.period.subject_type == "case"]
    if account:
        accounts = dict(s.execute(select(Case.id, Comment.account).join(Comment, Comment.id == Case.comment_id)
                                  .where(Case.id.in_([lp.subject_id for lp in late_now]))).all())
        late_now = [lp for lp in late_now if accounts.get(lp.subject_id) == account]
    for lp in late_now:
        if lo <= lp.entered_at < hi:  # counted in the week the step began, so the weeks add up to the whole
            step_times(lp).open_late += 1
    rhythm = cadence.history(env, s, hi - timedelta(microseconds=1), CADENCE_PERIODS)
    return WeekReport(range_name(start, end) if end else week_name(start), start, list(rows.values()),
                      sorted(steps.values(), key=lambda x: x.step), rhythm, len(late_now), end,
                      engagement=engagement, posts=posts)


def _engagement(s: Session, names: list[str], published: Sequence[tuple[Post, str | None]]
                ) -> tuple[list[AccountEngagement], list[PostEngagement]]:
    """Per-account totals and the measured posts (most interactions first) from the posts' latest figures."""
    figures = latest_figures(s, [p.id for p, _ in published])
    accounts = {n: AccountEngagement(n) for n in names}
    posts: list[PostEngagement] = []
    for p, title in published:
        acc = accounts[p.account]
        acc.posts += 1
        f = figures.get(p.id)
        if f is None:
            continue
        acc.measured += 1
        posts.append(PostEngagement(p.id, p.account, p.platform, p.remote_id, p.remote_url, p.content_id,
                                    title or "", p.published_at, f))
    for acc in accounts.values():
        mine = {pe.post_id: pe.figures for pe in posts if pe.account == acc.account}
        for name, total in totals(mine).items():
            setattr(acc, name, total)
    posts.sort(key=lambda pe: (-pe.interactions, -(pe.figures.views or 0), pe.published_at, pe.post_id))
    return list(accounts.values()), posts


def report_csv(r: WeekReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["week", "account", "posts", "comments", *LABELS, "cases"])
    for a in r.accounts:
        w.writerow([r.week, a.account, a.posts, a.comments, *(a.labels[k] for k in LABELS), a.cases])
    w.writerow([])
    w.writerow(["week", "sop", "step", "count", "within_standard", "late", "open_late", "average_minutes",
                "standard_minutes"])
    for st in r.steps:
        w.writerow([r.week, st.sop, st.step, st.count, st.within, st.late, st.open_late, f"{st.average_minutes:.1f}",
                    "" if st.standard_minutes is None else f"{st.standard_minutes:g}"])
    w.writerow([])
    w.writerow(["week", "sop", "cadence", "period", "published", "status"])
    for c in r.cadence:
        w.writerow([r.week, c.sop_id, c.cadence, c.period.label, c.published, c.status])
    # engagement: empty cells are figures the platform does not give
    w.writerow([])
    w.writerow(["week", "account", "posts", "posts_measured", *FIGURES])
    for e in r.engagement:
        w.writerow([r.week, e.account, e.posts, e.measured, *(_cell(getattr(e, k)) for k in FIGURES)])
    w.writerow([])
    w.writerow(["week", "account", "platform", "remote_id", "url", "content_id", "title", "published_at",
                "fetched_at", *FIGURES])
    for pe in r.posts:
        w.writerow([r.week, pe.account, pe.platform, pe.remote_id, pe.remote_url or "", pe.content_id or "",
                    pe.title, pe.published_at.isoformat(timespec="seconds"),
                    pe.figures.fetched_at.isoformat(timespec="seconds"),
                    *(_cell(getattr(pe.figures, k)) for k in FIGURES)])
    return buf.getvalue()


def _cell(value: int | None) -> str | int:
    return "" if value is None else value


def report_dict(r: WeekReport, tz: tzinfo) -> dict[str, Any]:
    return {
        "week": r.week, "start": r.start.isoformat(), "end": r.until.isoformat(),
        "accounts": [{"account": a.account, "posts": a.posts, "comments": a.comments, "labels": dict(a.labels),
                      "cases": a.cases} for a in r.accounts],
        "response_times": [{"sop": st.sop, "step": st.step, "label": st.label, "count": st.count,
                            "within_standard": st.within, "late": st.late, "open_late": st.open_late,
                            "average_minutes": round(st.average_minutes, 1),
                            "standard_minutes": st.standard_minutes} for st in r.steps],
        "cadence": [c.as_dict(tz) for c in r.cadence],
        "overdue_now": r.overdue_now,
        "engagement": [{"account": e.account, "posts": e.posts, "posts_measured": e.measured,
                        **{k: getattr(e, k) for k in FIGURES}} for e in r.engagement],
        "top_posts": [{"post_id": pe.post_id, "account": pe.account, "platform": pe.platform,
                       "remote_id": pe.remote_id, "url": pe.remote_url, "content_id": pe.content_id,
                       "title": pe.title, "published_at": pe.published_at.astimezone(tz).isoformat(),
                       "fetched_at": pe.figures.fetched_at.astimezone(tz).isoformat(),
                       **{k: getattr(pe.figures, k) for k in FIGURES}} for pe in r.top_posts],
    }
