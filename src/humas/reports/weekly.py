"""Laporan: per ISO week and account, posts, comments, the sentiment distribution and the response times of cases
against the SOP's time standards (``StepPeriod`` rows of ``subject_type="case"``)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from humas.env import Env
from humas.errors import InvalidInput
from humas.store.models import Case, Comment, Post, StepPeriod

LABELS = ("negative", "neutral", "positive")


@dataclass
class AccountWeek:
    account: str
    posts: int = 0
    comments: int = 0
    labels: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))
    cases: int = 0


@dataclass
class StepTimes:
    sop: str
    step: str
    label: str
    standard_minutes: float | None
    count: int = 0
    within: int = 0
    total_minutes: float = 0.0

    @property
    def average_minutes(self) -> float:
        return self.total_minutes / self.count if self.count else 0.0


@dataclass
class WeekReport:
    week: str
    start: date
    accounts: list[AccountWeek]
    steps: list[StepTimes]


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


def week_report(env: Env, s: Session, start: date, account: str = "") -> WeekReport:
    lo = datetime.combine(start, time(0), tzinfo=env.tz)
    hi = lo + timedelta(days=7)
    names = [a.name for a in env.settings.accounts if not account or a.name == account]
    rows = {n: AccountWeek(n) for n in names}
    for p in s.execute(select(Post).where(Post.published_at >= lo, Post.published_at < hi)).scalars():
        if p.account in rows:
            rows[p.account].posts += 1
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
    for period, acc in periods:
        if (account and acc != account) or period.completed_at is None:
            continue
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
        st.count += 1
        st.total_minutes += env.calendar.elapsed(period.entered_at, period.completed_at).total_seconds() / 60
        if period.due_at is None or period.completed_at <= period.due_at:
            st.within += 1
    return WeekReport(week_name(start), start, list(rows.values()), sorted(steps.values(), key=lambda x: x.step))


def report_csv(r: WeekReport) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["week", "account", "posts", "comments", *LABELS, "cases"])
    for a in r.accounts:
        w.writerow([r.week, a.account, a.posts, a.comments, *(a.labels[k] for k in LABELS), a.cases])
    w.writerow([])
    w.writerow(["week", "sop", "step", "count", "within_standard", "average_minutes", "standard_minutes"])
    for st in r.steps:
        w.writerow([r.week, st.sop, st.step, st.count, st.within, f"{st.average_minutes:.1f}",
                    "" if st.standard_minutes is None else f"{st.standard_minutes:g}"])
    return buf.getvalue()


def report_dict(r: WeekReport) -> dict[str, Any]:
    return {
        "week": r.week, "start": r.start.isoformat(),
        "accounts": [{"account": a.account, "posts": a.posts, "comments": a.comments, "labels": dict(a.labels),
                      "cases": a.cases} for a in r.accounts],
        "response_times": [{"sop": st.sop, "step": st.step, "label": st.label, "count": st.count,
                            "within_standard": st.within, "average_minutes": round(st.average_minutes, 1),
                            "standard_minutes": st.standard_minutes} for st in r.steps],
    }
