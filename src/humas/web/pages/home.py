"""Beranda: what needs me now."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from humas.reports import cadence
from humas.sop.duration import format_duration
from humas.sop.timing import overdue
from humas.store.models import AccountState, Case, CaseStatus, Content, JobState, PublicationJob, StepPeriod
from humas.web.deps import Viewer, humas, page_router, page_viewer, render
from humas.web.nav import may_see_responses

router = page_router()
OPEN_CASES = (CaseStatus.OPEN, CaseStatus.REPLY_DRAFTED, CaseStatus.REJECTED, CaseStatus.APPROVED)


@router.get("/")
def home(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)]) -> Response:
    app = humas(request)
    now = app.clock()
    with app.db.read() as s:
        mine: list[dict[str, Any]] = []
        periods = s.execute(
            select(StepPeriod).where(StepPeriod.completed_at.is_(None), StepPeriod.subject_type == "content",
                                     StepPeriod.role.in_(sorted(viewer.roles)))
            .order_by(StepPeriod.due_at.is_(None), StepPeriod.due_at, StepPeriod.id)
        ).scalars()
        for p in periods:
            c = s.get(Content, p.subject_id)
            if c is None or c.step_id != p.step_id:
                continue
            left = app.env.timer.time_left(p, now)
            try:
                label = app.sops.get(p.sop_id).step(p.step_id).label
            except (KeyError, Exception):
                label = p.step_id
            mine.append({"content": c, "step": label, "role": p.role, "due_at": p.due_at,
                         "left": None if left is None else format_duration(abs(left)),
                         "overdue": left is not None and left.total_seconds() < 0})
        late = [o.as_dict(app.sops, app.tz) for o in overdue(s, app.sops, app.calendar, now)
                if viewer.is_admin or o.period.role in viewer.roles]
        cases: list[Case] = []
        show_cases = may_see_responses(app.sops, viewer)
        if show_cases:
            cases = list(s.execute(select(Case).where(Case.status.in_(list(OPEN_CASES)))
                                   .order_by(Case.opened_at).limit(20)).scalars())
        failed = list(s.execute(select(PublicationJob)
                                .where(PublicationJob.state.in_([JobState.FAILED, JobState.IN_DOUBT]))
                                .order_by(PublicationJob.updated_at.desc()).limit(20)).scalars())
        paused = list(s.execute(select(AccountState).where(AccountState.status == "paused")).scalars())
        own = None if viewer.is_admin else {sop.id for sop in app.sops.sops.values() if viewer.roles & set(sop.roles)}
        rhythm = cadence.current(app.env, s, now, own)
        return render(request, "home.html", {"mine": mine, "late": late, "cases": cases, "failed": failed,
                                             "paused": paused, "show_cases": show_cases, "rhythm": rhythm},
                      viewer=viewer)
