"""The SLA clock: time at each step against its time standard, and what is overdue now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from humas.app import App
from humas.store.models import Case, Content, StepPeriod, User, UserRole
from humas.workflow.duration import format_duration


@dataclass(frozen=True)
class Overdue:
    period: StepPeriod
    title: str
    step_label: str
    overdue_by: timedelta
    must_act: list[str]

    def as_dict(self, app: App) -> dict[str, Any]:
        p = self.period
        return {
            "subject_type": p.subject_type, "subject_id": p.subject_id, "title": self.title, "sop": p.sop_id,
            "step": p.step_id, "step_label": self.step_label, "role": p.role,
            "role_label": app.sops.role_label(p.role),
            "entered_at": app.local(p.entered_at).isoformat(timespec="seconds"),
            "due_at": app.local(p.due_at).isoformat(timespec="seconds") if p.due_at else None,
            "overdue_by": format_duration(self.overdue_by), "overdue_seconds": int(self.overdue_by.total_seconds()),
            "must_act": self.must_act,
        }


def holders(session: Session, role: str) -> list[str]:
    return list(session.execute(
        select(User.name).join(UserRole).where(UserRole.role == role, User.active.is_(True)).order_by(User.name)
    ).scalars())


def open_periods(session: Session) -> list[StepPeriod]:
    return list(session.execute(
        select(StepPeriod).where(StepPeriod.completed_at.is_(None), StepPeriod.due_at.is_not(None))
        .order_by(StepPeriod.due_at)
    ).scalars())


def time_left(app: App, period: StepPeriod, now: datetime) -> timedelta | None:
    """Working time left before the step's standard runs out (negative when overdue); None when untimed."""
    if period.due_at is None:
        return None
    if now >= period.due_at:
        return -app.calendar.elapsed(period.due_at, now)
    return app.calendar.elapsed(now, period.due_at)


def overdue(app: App, session: Session, now: datetime | None = None) -> list[Overdue]:
    now = now or app.clock()
    out: list[Overdue] = []
    for p in open_periods(session):
        if p.due_at is None or p.due_at > now:
            continue
        title = ""
        if p.subject_type == "content":
            c = session.get(Content, p.subject_id)
            title = c.title if c else ""
        elif p.subject_type == "case":
            case = session.get(Case, p.subject_id)
            title = (case.comment.text[:80] if case else "")
        try:
            sop = app.sops.get(p.sop_id)
            label = sop.step(p.step_id).label
        except Exception:
            label = p.step_id
        out.append(Overdue(p, title, label, app.calendar.elapsed(p.due_at, now), holders(session, p.role)))
    return out
