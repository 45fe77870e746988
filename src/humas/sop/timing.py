"""Step timing: how long content, a case (or anything else an SOP walks) stays at each step, against the step's
time standard, and what is overdue now.

One :class:`~humas.store.models.StepPeriod` per visit of a step: entered, due (from the working-time calendar,
none when the standard is ``0m``), completed with an outcome. Every stage that walks an SOP measures its steps
here, so reminders, reports and the SLA list see them all alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from humas.errors import HumasError
from humas.sop.calendar import WorkingCalendar
from humas.sop.duration import format_duration
from humas.sop.model import Step
from humas.sop.registry import SopRegistry
from humas.store.models import Case, Content, ContentPlan, StepPeriod, User, UserRole


class StepTimer:
    """Opens and closes a subject's step periods in the caller's transaction; due times from ``calendar``."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar

    def due_at(self, step: Step, entered: datetime) -> datetime | None:
        return self.calendar.add(entered, step.standard) if step.timed else None

    def period(self, subject_type: str, subject_id: int, sop_id: str, step: Step, now: datetime) -> StepPeriod:
        """The (not yet added) period that measures ``step`` for the subject from ``now``; for batches."""
        return StepPeriod(subject_type=subject_type, subject_id=subject_id, sop_id=sop_id, step_id=step.id,
                          role=step.role, entered_at=now, due_at=self.due_at(step, now))

    def enter(self, session: Session, subject_type: str, subject_id: int, sop_id: str, step: Step,
              now: datetime) -> StepPeriod:
        """Start measuring ``step`` for the subject from ``now``."""
        period = self.period(subject_type, subject_id, sop_id, step, now)
        session.add(period)
        session.flush()
        return period

    @staticmethod
    def current(session: Session, subject_type: str, subject_id: int) -> StepPeriod | None:
        """The subject's open period (the latest, should there ever be two)."""
        return session.execute(
            select(StepPeriod)
            .where(StepPeriod.subject_type == subject_type, StepPeriod.subject_id == subject_id,
                   StepPeriod.completed_at.is_(None))
            .order_by(StepPeriod.id.desc())
            .limit(1)
        ).scalar_one_or_none()

    def close(self, session: Session, subject_type: str, subject_id: int, now: datetime, outcome: str,
              by: int | None = None) -> StepPeriod | None:
        """Complete the subject's open period with ``outcome`` (nothing when none is open)."""
        period = self.current(session, subject_type, subject_id)
        if period is not None:
            period.completed_at, period.outcome, period.completed_by_id = now, outcome, by
        return period

    def time_left(self, period: StepPeriod, now: datetime) -> timedelta | None:
        """Working time left before the step's standard runs out (negative when overdue); None when untimed."""
        if period.due_at is None:
            return None
        if now >= period.due_at:
            return -self.calendar.elapsed(period.due_at, now)
        return self.calendar.elapsed(now, period.due_at)


@dataclass(frozen=True)
class Overdue:
    period: StepPeriod
    title: str
    step_label: str
    overdue_by: timedelta
    must_act: list[str]

    def as_dict(self, sops: SopRegistry, tz: tzinfo) -> dict[str, Any]:
        p = self.period
        return {
            "subject_type": p.subject_type, "subject_id": p.subject_id, "title": self.title, "sop": p.sop_id,
            "step": p.step_id, "step_label": self.step_label, "role": p.role,
            "role_label": sops.role_label(p.role),
            "entered_at": p.entered_at.astimezone(tz).isoformat(timespec="seconds"),
            "due_at": p.due_at.astimezone(tz).isoformat(timespec="seconds") if p.due_at else None,
            "overdue_by": format_duration(self.overdue_by), "overdue_seconds": int(self.overdue_by.total_seconds()),
            "must_act": self.must_act,
        }


def holders(session: Session, role: str) -> list[str]:
    """The active users holding ``role``, by name."""
    return list(session.execute(
        select(User.name).join(UserRole).where(UserRole.role == role, User.active.is_(True)).order_by(User.name)
    ).scalars())


def open_periods(session: Session) -> list[StepPeriod]:
    return list(session.execute(
        select(StepPeriod).where(StepPeriod.completed_at.is_(None), StepPeriod.due_at.is_not(None))
        .order_by(StepPeriod.due_at)
    ).scalars())


def _title(session: Session, p: StepPeriod) -> str:
    if p.subject_type == "content":
        c = session.get(Content, p.subject_id)
        return c.title if c else ""
    if p.subject_type == "case":
        case = session.get(Case, p.subject_id)
        return case.comment.text[:80] if case else ""
    if p.subject_type == "plan":
        plan = session.get(ContentPlan, p.subject_id)
        return f"Rencana konten {plan.month}" if plan else ""
    if p.subject_type == "inventory":  # a documentation equipment inventory round (humas.documentation)
        return f"Inventarisasi peralatan dokumentasi #{p.subject_id}"
    return ""


def overdue(session: Session, sops: SopRegistry, calendar: WorkingCalendar, now: datetime) -> list[Overdue]:
    """Every open step past its time standard at ``now``, earliest due first, with who must act."""
    out: list[Overdue] = []
    for p in open_periods(session):
        if p.due_at is None or p.due_at > now:
            continue
        try:
            label = sops.get(p.sop_id).step(p.step_id).label
        except (HumasError, KeyError):  # an SOP or step the office has since removed
            label = p.step_id
        out.append(Overdue(p, _title(session, p), label, calendar.elapsed(p.due_at, now), holders(session, p.role)))
    return out
