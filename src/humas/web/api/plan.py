"""API: monthly content plans (the meeting, the proposed items, the approval) and rencana vs realisasi. The same
service and role rules as ``humas plan`` and the Rencana page."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import Field

from humas.planning.model import ItemChanges, ItemInput, parse_local
from humas.planning.report import month_report, report_csv, report_dict
from humas.planning.service import Planning
from humas.web.api.schemas import ApiUser, HistoryOut, NoteIn, PathId, QueryText, _In, _Out, errors
from humas.web.deps import humas

router = APIRouter()
Month = Annotated[str, Field(max_length=7, description="YYYY-MM")]
Day = Annotated[str, Field(max_length=10, description="YYYY-MM-DD, within the plan's month")]


# --- request and response models --------------------------------------------------------------------------------


class PlanCreate(_In):
    month: Month
    sop: str | None = Field(None, max_length=64, description="SOP id (default: the one SOP with a monthly plan)")
    meeting_at: str | None = Field(None, max_length=40, description="'YYYY-MM-DD HH:MM' (office time) or ISO 8601 "
                                                                    "with offset; before the month")
    place: str = Field("", max_length=300)


class PlanMeetingIn(_In):
    meeting_at: str = Field(max_length=40, description="'YYYY-MM-DD HH:MM' (office time) or ISO 8601 with offset; "
                                                       "before the month")
    place: str = Field("", max_length=300)


class PlanItemIn(_In):
    activity: str = Field(description="becomes the content's title (at most 300 characters)")
    date: Day
    owner: str = Field(max_length=64, description="a user holding the content chain's first role")
    unit: str = ""
    channels: list[str] = Field(default_factory=list, description="configured account names")
    note: str = ""


class PlanItemEdit(_In):
    activity: str | None = None
    date: Day | None = None
    owner: str | None = Field(None, max_length=64)
    unit: str | None = None
    channels: list[str] | None = None
    note: str | None = None


class PlanApproveIn(_In):
    note: str = ""
    list_hash: str | None = Field(None, max_length=64, description="refuse unless the list still has this hash")


class PlanRejectIn(_In):
    note: str = Field(description="what must be fixed (required)")


class PlanSummary(_Out):
    id: int
    sop: str
    month: str
    status: str
    step: str | None
    items: int
    meeting_at: str | None


class PlanItemOut(_Out):
    id: int
    activity: str
    date: str
    unit: str
    unit_label: str
    channels: list[str]
    owner: str
    note: str
    content_id: int | None
    due_on: str
    content_status: str | None
    state: str


class PlanDecisionOut(_Out):
    step: str
    role: str
    user: str
    outcome: str
    note: str
    at: str
    valid: bool
    current_list: bool


class PlanPeriodOut(_Out):
    step: str
    label: str
    role: str
    time_standard: str
    entered_at: str
    due_at: str | None
    completed_at: str | None
    outcome: str | None
    took_minutes: float
    within_standard: bool


class PlanWindowOut(_Out):
    start: str
    end: str


class PlanSopWindowsOut(_Out):
    meeting: PlanWindowOut
    approval: PlanWindowOut


class PlanOut(_Out):
    id: int
    sop: str
    sop_name: str
    office: str
    month: str
    month_name: str
    status: str = Field(description="draft (the meeting step) | proposing | in_review | returned | approved")
    step: str | None
    step_label: str | None
    step_role: str | None
    step_action: str | None
    due_at: str | None
    meeting_at: str | None
    meeting_place: str
    list_step: str
    list_editable: bool
    list_version: int
    list_hash: str
    owner_role: str
    sop_windows: PlanSopWindowsOut
    month_starts: str
    created_by: str
    created_at: str
    updated_at: str
    approved_at: str | None
    items: list[PlanItemOut]
    decisions: list[PlanDecisionOut]
    periods: list[PlanPeriodOut]
    warnings: list[str]
    warnings_id: list[str]


class PlanReportItemOut(_Out):
    plan: int
    sop: str
    item: int
    activity: str
    date: str
    unit: str
    owner: str
    channels: list[str]
    plan_status: str
    content_id: int | None
    content_status: str | None
    state: str = Field(description="planned | in_production | approved | published | cancelled")
    produced: bool
    published_at: str | None
    late: bool


class PlanReportPlanOut(_Out):
    id: int
    sop: str
    status: str
    meeting_at: str | None
    approved_at: str | None
    items: int


class PlanPercentOut(_Out):
    produced: float
    published: float
    on_time: float
    late: float


class PlanReportOut(_Out):
    month: str
    month_name: str
    sop: str | None
    starts: str
    planned: int
    produced: int
    published: int
    on_time: int
    late: int
    percent: PlanPercentOut
    plans: list[PlanReportPlanOut]
    items: list[PlanReportItemOut]


# --- operations -------------------------------------------------------------------------------------------------


def _show(p: Planning, plan_id: int) -> dict[str, Any]:
    return p.describe(p.get(plan_id))


@router.get("/plans", response_model=list[PlanSummary], tags=["plans"], responses=errors(),
            summary="Monthly content plans, latest month first")
def list_plans(request: Request, viewer: ApiUser, sop: QueryText = None,
               month: Annotated[str | None, Query(max_length=7, description="YYYY-MM")] = None
               ) -> list[dict[str, Any]]:
    app = humas(request)
    with app.db.read() as s:
        return [{"id": x.id, "sop": x.sop_id, "month": x.month, "status": x.status, "step": x.step_id,
                 "items": len(x.items), "meeting_at": app.env.local_iso(x.meeting_at)}
                for x in app.planning(s).plans(sop_id=sop, month=month)]


@router.post("/plans", response_model=PlanOut, status_code=201, tags=["plans"], responses=errors(403, 404, 409, 422),
             summary="Create a month's plan at its first step (the meeting)")
def create_plan(request: Request, viewer: ApiUser, body: PlanCreate) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        p = app.planning(s)
        at = parse_local(app.env, body.meeting_at) if body.meeting_at else None
        plan, _notices = p.create(viewer.actor, sop_id=body.sop, month=body.month, meeting_at=at, place=body.place)
        return p.describe(plan)


@router.get("/plans/report", tags=["plans"], response_model=PlanReportOut, responses={
    **errors(404), 200: {"description": "The report (JSON), or CSV with format=csv",
                         "content": {"text/csv": {"schema": {"type": "string"}}}}},
    summary="Rencana vs realisasi of a month: planned, produced, published, late")
def plan_report(request: Request, viewer: ApiUser,
                month: Annotated[str | None, Query(max_length=7, description="YYYY-MM (default: next month)")] = None,
                sop: QueryText = None, format: Literal["json", "csv"] = "json") -> Any:
    app = humas(request)
    if not month:
        today = app.local(app.clock()).date()
        month = f"{today.year + (today.month == 12)}-{today.month % 12 + 1:02d}"
    with app.db.read() as s:
        r = month_report(app.env, s, month, sop)
    if format == "csv":
        return Response(report_csv(app.env, r), media_type="text/csv; charset=utf-8")
    return report_dict(app.env, r)


@router.get("/plans/{plan_id}", response_model=PlanOut, tags=["plans"], responses=errors(404),
            summary="A plan: its step, meeting, items (with their content), decisions and step times")
def show_plan(request: Request, viewer: ApiUser, plan_id: PathId) -> dict[str, Any]:
    app = humas(request)
    with app.db.read() as s:
        return _show(app.planning(s), plan_id)


@router.get("/plans/{plan_id}/history", response_model=list[HistoryOut], tags=["plans"], responses=errors(404),
            summary="The plan's register entries")
def plan_history(request: Request, viewer: ApiUser, plan_id: PathId) -> list[dict[str, Any]]:
    app = humas(request)
    with app.db.read() as s:
        p = app.planning(s)
        return p.history(p.get(plan_id))


@router.post("/plans/{plan_id}/meeting", response_model=PlanOut, tags=["plans"],
            responses=errors(403, 404, 409, 422), summary="Set the coordination meeting (first plan step)")
def set_plan_meeting(request: Request, viewer: ApiUser, plan_id: PathId, body: PlanMeetingIn) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        p = app.planning(s)
        p.set_meeting(viewer.actor, plan_id, parse_local(app.env, body.meeting_at), body.place)
        return _show(p, plan_id)


@router.post("/plans/{plan_id}/items", response_model=PlanOut, status_code=201, tags=["plans"],
             responses=errors(403, 404, 409, 422), summary="Add a proposed item (at the list step, by its role)")
def add_plan_item(request: Request, viewer: ApiUser, plan_id: PathId, body: PlanItemIn) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        p = app.planning(s)
        p.add_item(viewer.actor, plan_id, ItemInput(activity=body.activity, activity_date=body.date, owner=body.owner,
                                                    unit=body.unit, channels=body.channels, note=body.note))
        return _show(p, plan_id)


@router.patch("/plan-items/{item_id}", response_model=PlanOut, tags=["plans"],
              responses=errors(403, 404, 409, 422), summary="Change a proposed item (at the list step, by its role)")
def edit_plan_item(request: Request, viewer: ApiUser, item_id: PathId, body: PlanItemEdit) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        p = app.planning(s)
        plan_id = p.plan_of_item(item_id).id
        p.edit_item(viewer.actor, plan_id, item_id, ItemChanges(
            activity=body.activity, activity_date=body.date, owner=body.owner, unit=body.unit,
            channels=body.channels, note=body.note))
        return _show(p, plan_id)


@router.post("/plan-items/{item_id}/remove", response_model=PlanOut, tags=["plans"],
             responses=errors(403, 404, 409), summary="Remove a proposed item (at the list step, by its role)")
def remove_plan_item(request: Request, viewer: ApiUser, item_id: PathId) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        p = app.planning(s)
        plan_id = p.plan_of_item(item_id).id
        p.remove_item(viewer.actor, plan_id, item_id)
        return _show(p, plan_id)


@router.post("/plans/{plan_id}/submit", response_model=PlanOut, tags=["plans"], responses=errors(403, 404, 409, 422),
             summary="Finish the current submit step: the meeting (the invitation goes out) or the list")
def submit_plan(request: Request, viewer: ApiUser, plan_id: PathId, body: NoteIn | None = None) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        p = app.planning(s)
        p.submit(viewer.actor, plan_id, body.note if body else "")
        return _show(p, plan_id)


@router.post("/plans/{plan_id}/approve", response_model=PlanOut, tags=["plans"],
             responses=errors(403, 404, 409, 422, 503),
             summary="Approve the list; after the last step every item becomes a content draft (all or none)")
def approve_plan(request: Request, viewer: ApiUser, plan_id: PathId, body: PlanApproveIn | None = None
                 ) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        p = app.planning(s)
        p.approve(viewer.actor, plan_id, body.note if body else "", expected_hash=body.list_hash if body else None)
        return _show(p, plan_id)


@router.post("/plans/{plan_id}/reject", response_model=PlanOut, tags=["plans"], responses=errors(403, 404, 409, 422),
             summary="Reject the list with a note: back to the step the SOP names")
def reject_plan(request: Request, viewer: ApiUser, plan_id: PathId, body: PlanRejectIn) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        p = app.planning(s)
        p.reject(viewer.actor, plan_id, body.note)
        return _show(p, plan_id)
