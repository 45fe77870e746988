"""API: the leaders' agenda: entries, staff assigned, equipment checked out and returned, the content an entry opens
(the same services and rules as the CLI and pages).

Bodies of the actions on an entry default every field, so that an unknown id is answered 404 before anything about
the body is judged (the service then refuses a missing value with 400).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field

from humas.documentation.agenda import Returned
from humas.documentation.common import parse_time
from humas.web.api.content import summary as content_summary
from humas.web.api.equipment import Condition, ItemOut, NoteBody
from humas.web.api.schemas import MAX_ID, ApiUser, BodyId, ContentSummary, PathId, QueryText, _In, _Out, errors
from humas.web.deps import Viewer, humas

router = APIRouter()

Leader = Literal["bupati", "wakil_bupati", "sekda", "lainnya"]


class LoanOut(_Out):
    item_id: int
    name: str
    kind: str
    holder: str
    checked_out_at: str | None
    returned_at: str | None
    return_condition: str | None
    return_note: str


class EntryOut(_Out):
    id: int
    leader: str
    leader_label: str
    leader_name: str
    title: str
    activity: str
    place: str
    starts_at: str | None
    ends_at: str | None
    status: str = Field(description="planned | cancelled")
    status_label: str
    note: str
    staff: list[str]
    loans: list[LoanOut]
    content_id: int | None = Field(description="the media SOP's content this entry opened")
    content_title: str | None
    content_status: str | None
    content_step: str | None
    created_by: str
    created_at: str | None
    updated_at: str | None


class EntryIn(_In):
    leader: Leader
    activity: str
    place: str
    starts_at: str = Field(description="'YYYY-MM-DD HH:MM' in the configured time zone, or ISO 8601 with offset")
    ends_at: str = Field(description="as starts_at; after it, at most 31 days later")
    leader_name: str = Field("", description="the leader's name (required for 'lainnya')")
    note: str = ""


class StaffIn(_In):
    staff: list[str] = Field(default_factory=list, description="user names holding the staff role")


class CheckoutIn(_In):
    items: list[BodyId] = Field(default_factory=list, description="ids of ready items")
    holder: str | None = Field(None, description="the assigned staff member who holds them (default: the caller, "
                                                 "or the only one assigned)")


class ReturnItem(_In):
    item_id: BodyId
    condition: Condition = "baik"
    note: str = ""


class ReturnIn(_In):
    items: list[ReturnItem] = Field(default_factory=list)


class ContentIn(_In):
    title: str | None = Field(None, description="default: the leader and the activity")


def _view(request: Request, viewer: Viewer) -> None:
    from humas.documentation.common import doc_roles

    doc_roles(humas(request).env).require_view(viewer.actor)


@router.get("/agenda", response_model=list[EntryOut], tags=["agenda"], responses=errors(403),
            summary="The leaders' agenda, earliest first", name="list_agenda")
def list_agenda(request: Request, viewer: ApiUser, start: QueryText = None, end: QueryText = None,
                include_cancelled: bool = False,
                content_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> list[dict[str, Any]]:
    """``start``/``end``: entries overlapping that time span ('YYYY-MM-DD HH:MM' in the configured zone);
    ``content_id``: the entry that opened that content."""
    _view(request, viewer)
    app = humas(request)
    since = parse_time(app.env, start, "start") if start else None
    until = parse_time(app.env, end, "end") if end else None
    with app.db.read() as s:
        ag = app.agenda(s)
        return [ag.describe(e) for e in ag.entries(start=since, end=until, include_cancelled=include_cancelled,
                                                     content_id=content_id)]


@router.post("/agenda", response_model=EntryOut, status_code=201, tags=["agenda"], responses=errors(403, 422),
             summary="Add a leader's activity to document (Kabag or Sub Koordinator)", name="add_agenda_entry")
def add_entry(request: Request, viewer: ApiUser, body: EntryIn) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        ag = app.agenda(s)
        return ag.describe(ag.add(viewer.actor, leader=body.leader, activity=body.activity, place=body.place,
                                  starts_at=body.starts_at, ends_at=body.ends_at, leader_name=body.leader_name,
                                  note=body.note))


@router.get("/agenda/{entry_id}", response_model=EntryOut, tags=["agenda"], responses=errors(403, 404),
            summary="One entry with its staff, loans and content", name="show_agenda_entry")
def show_entry(request: Request, viewer: ApiUser, entry_id: PathId) -> dict[str, Any]:
    _view(request, viewer)
    app = humas(request)
    with app.db.read() as s:
        ag = app.agenda(s)
        return ag.describe(ag.get(entry_id))


@router.get("/agenda/{entry_id}/available-equipment", response_model=list[ItemOut], tags=["agenda"],
            responses=errors(403, 404), summary="Items that may be checked out for the entry",
            name="available_equipment")
def available(request: Request, viewer: ApiUser, entry_id: PathId) -> list[dict[str, Any]]:
    _view(request, viewer)
    app = humas(request)
    with app.db.read() as s:
        ag = app.agenda(s)
        return [ag.equipment.describe(i) for i in ag.available(ag.get(entry_id))]


@router.post("/agenda/{entry_id}/assign", response_model=EntryOut, tags=["agenda"],
             responses=errors(403, 404, 409, 422), summary="Assign staff to document the entry",
             name="assign_agenda_staff")
def assign(request: Request, viewer: ApiUser, entry_id: PathId, body: StaffIn | None = None) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        ag = app.agenda(s)
        ag.assign(viewer.actor, entry_id, (body or StaffIn()).staff)
        return ag.describe(ag.get(entry_id))


@router.post("/agenda/{entry_id}/checkout", response_model=EntryOut, tags=["agenda"],
             responses=errors(403, 404, 409, 422), summary="Check ready equipment out (all or none)",
             name="checkout_equipment")
def checkout(request: Request, viewer: ApiUser, entry_id: PathId, body: CheckoutIn | None = None) -> dict[str, Any]:
    app = humas(request)
    given = body or CheckoutIn()
    with app.db.session() as s:
        ag = app.agenda(s)
        ag.checkout(viewer.actor, entry_id, given.items, given.holder)
        return ag.describe(ag.get(entry_id))


@router.post("/agenda/{entry_id}/return", response_model=EntryOut, tags=["agenda"],
             responses=errors(403, 404, 409, 422), summary="Hand equipment back, each in its condition (all or none)",
             name="return_equipment")
def return_items(request: Request, viewer: ApiUser, entry_id: PathId, body: ReturnIn | None = None
                 ) -> dict[str, Any]:
    app = humas(request)
    given = body or ReturnIn()
    with app.db.session() as s:
        ag = app.agenda(s)
        ag.return_items(viewer.actor, entry_id, [Returned(x.item_id, x.condition, x.note) for x in given.items])
        return ag.describe(ag.get(entry_id))


@router.post("/agenda/{entry_id}/content", response_model=ContentSummary, status_code=201, tags=["agenda"],
             responses=errors(403, 404, 409, 422), summary="Open the media SOP's content from the entry",
             name="agenda_to_content")
def to_content(request: Request, viewer: ApiUser, entry_id: PathId, body: ContentIn | None = None
               ) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        c = app.agenda(s).to_content(viewer.actor, entry_id, (body or ContentIn()).title)
        return content_summary(app, c)


@router.post("/agenda/{entry_id}/cancel", response_model=EntryOut, tags=["agenda"],
             responses=errors(403, 404, 409, 422), summary="Cancel the entry (a note is required)",
             name="cancel_agenda_entry")
def cancel(request: Request, viewer: ApiUser, entry_id: PathId, body: NoteBody | None = None) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        ag = app.agenda(s)
        return ag.describe(ag.cancel(viewer.actor, entry_id, body.note if body else ""))
