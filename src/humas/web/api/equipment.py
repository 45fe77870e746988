"""API: the documentation equipment and its inventory rounds (the same services and rules as the CLI and pages).

Bodies of the actions on an item or a round default every field, so that an unknown id is answered 404 before
anything about the body is judged (the service then refuses a missing value with 400).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import Field

from humas.documentation.inventory import CheckInput
from humas.web.api.schemas import ApiUser, BodyId, PathId, _In, _Out, errors
from humas.web.deps import Viewer, humas

router = APIRouter()

Kind = Literal["kamera", "drone", "lensa", "baterai", "kartu_memori", "studio_audio", "komputer_grafis", "lainnya"]
Condition = Literal["baik", "rusak_ringan", "rusak_berat"]
Readiness = Literal["siap", "perlu_perhatian", "tidak_siap"]


# --- models ---------------------------------------------------------------------------------------------------------


class ItemOut(_Out):
    id: int
    kind: str
    kind_label: str
    name: str
    serial: str | None
    storage: str
    condition: str
    condition_label: str
    readiness: str | None = Field(description="siap | perlu_perhatian | tidak_siap; null until the first check")
    readiness_label: str
    checked_at: str | None
    note: str
    active: bool
    retired_at: str | None
    on_loan_for: int | None = Field(description="the agenda entry the item is checked out for, unreturned")
    created_at: str
    updated_at: str


class CheckOut(_Out):
    round_id: int
    item_id: int
    present: bool
    condition: str
    condition_label: str
    battery_percent: int | None
    memory_free_gb: float | None
    memory_free_percent: int | None
    readiness: str
    readiness_label: str
    note: str
    checked_by: str
    checked_at: str | None
    checked_at_text: str


class LoanHistoryOut(_Out):
    entry_id: int
    activity: str
    starts_at: str | None
    holder: str
    checked_out_at: str | None
    returned_at: str | None
    return_condition: str | None
    return_note: str


class ItemDetailOut(ItemOut):
    checks: list[CheckOut]
    loans: list[LoanHistoryOut]


class ItemIn(_In):
    kind: Kind
    name: str
    serial: str | None = Field(None, description="unique when given")
    storage: str | None = Field(None, description="where it is kept (default: Lemari terkunci)")
    condition: Condition = "baik"
    note: str = ""


class ItemEdit(_In):
    kind: Kind | None = None
    name: str | None = None
    serial: str | None = Field(None, description='"" removes the serial')
    storage: str | None = None
    condition: Condition | None = None
    note: str | None = None


class NoteBody(_In):
    note: str = ""


class RoundStepOut(_Out):
    id: str
    label: str
    role: str
    role_label: str
    time_standard: str
    output: str
    assignee: str | None = Field(description="the person a disposition named for this step")
    state: str = Field(description="done | current | waiting")
    entered_at: str | None
    due_at: str | None
    completed_at: str | None
    completed_by: str | None
    outcome: str | None
    within_standard: bool | None


class RowOut(_Out):
    """A row of the buku inventarisasi: an item and its check in the round (``present`` null: not checked yet)."""

    item_id: int
    kind: str
    kind_label: str
    name: str
    serial: str | None
    storage: str
    active: bool
    present: bool | None
    readiness: str | None
    condition: str | None = None
    condition_label: str | None = None
    battery_percent: int | None = None
    memory_free_gb: float | None = None
    memory_free_percent: int | None = None
    readiness_label: str | None = None
    reasons: list[str] = Field(default_factory=list, description="why the item is not siap (Indonesian)")
    note: str | None = None
    checked_by: str | None = None
    checked_at: str | None = None
    checked_at_text: str | None = None
    round_id: int | None = None


class TotalsOut(_Out):
    items: int
    checked: int
    present: int
    missing: int
    siap: int
    perlu_perhatian: int
    tidak_siap: int


class RoundOut(_Out):
    """An inventory round as its buku inventarisasi."""

    id: int
    sop: str
    sop_name: str
    status: str = Field(description="open | finished | cancelled")
    status_label: str
    step: str | None
    step_label: str | None
    step_role: str | None
    started_by: str
    started_at: str | None
    finished_by: str | None
    finished_at: str | None
    report_note: str
    steps: list[RoundStepOut]
    items: list[RowOut]
    totals: TotalsOut


class RoundsOut(_Out):
    due_at: str | None = Field(description="when the next round is due; null: due now (none finished yet)")
    rounds: list[RoundOut]


class StartIn(_In):
    assign_to: str | None = Field(None, description="also take the first step: the person for the next one")
    note: str = ""


class AssignIn(_In):
    user: str = Field("", description="the person for the next step (holding its role)")
    note: str = ""


class CheckIn(_In):
    item_id: BodyId | None = Field(None, description="the item checked")
    present: bool = True
    condition: Condition | None = Field(None, description="default: baik (a missing item keeps its last)")
    battery_percent: Annotated[int, Field(ge=0, le=100)] | None = None
    memory_free_gb: Annotated[float, Field(ge=0, le=100_000, allow_inf_nan=False)] | None = None
    memory_free_percent: Annotated[int, Field(ge=0, le=100)] | None = None
    note: str = ""


# --- equipment ----------------------------------------------------------------------------------------------------


def _view(request: Request, viewer: Viewer) -> None:
    from humas.documentation.common import doc_roles

    doc_roles(humas(request).env).require_view(viewer.actor)


@router.get("/equipment", response_model=list[ItemOut], tags=["equipment"], responses=errors(403),
            summary="The documentation equipment", name="list_equipment")
def list_equipment(request: Request, viewer: ApiUser, kind: Kind | None = None, readiness: Readiness | None = None,
                   include_retired: bool = False) -> list[dict[str, Any]]:
    _view(request, viewer)
    app = humas(request)
    with app.db.read() as s:
        eq = app.equipment(s)
        found = eq.items(include_retired=include_retired, kind=kind, readiness=readiness)
        loans = eq.open_loans([i.id for i in found])
        return [eq.describe(i, loans.get(i.id)) for i in found]


@router.post("/equipment", response_model=ItemOut, status_code=201, tags=["equipment"],
             responses=errors(403, 409, 422), summary="Add an item (Kabag, Sub Koordinator or admin)",
             name="add_equipment")
def add_equipment(request: Request, viewer: ApiUser, body: ItemIn) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        eq = app.equipment(s)
        return eq.describe(eq.add(viewer.actor, kind=body.kind, name=body.name, serial=body.serial,
                                  storage=body.storage, condition=body.condition, note=body.note))


@router.get("/equipment/{item_id}", response_model=ItemDetailOut, tags=["equipment"], responses=errors(403, 404),
            summary="One item with its checks and loans", name="show_equipment")
def show_equipment(request: Request, viewer: ApiUser, item_id: PathId) -> dict[str, Any]:
    _view(request, viewer)
    app = humas(request)
    with app.db.read() as s:
        eq = app.equipment(s)
        item = eq.get(item_id)
        return {**eq.describe(item, eq.open_loans([item.id]).get(item.id)), **eq.history(item)}


@router.patch("/equipment/{item_id}", response_model=ItemOut, tags=["equipment"],
              responses=errors(403, 404, 409, 422), summary="Edit an item", name="edit_equipment")
def edit_equipment(request: Request, viewer: ApiUser, item_id: PathId, body: ItemEdit) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        eq = app.equipment(s)
        return eq.describe(eq.edit(viewer.actor, item_id, kind=body.kind, name=body.name, serial=body.serial,
                                   storage=body.storage, condition=body.condition, note=body.note))


@router.post("/equipment/{item_id}/retire", response_model=ItemOut, tags=["equipment"],
             responses=errors(403, 404, 409, 422), summary="Take an item out of use (kept for history)",
             name="retire_equipment")
def retire_equipment(request: Request, viewer: ApiUser, item_id: PathId, body: NoteBody | None = None
                     ) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        eq = app.equipment(s)
        return eq.describe(eq.retire(viewer.actor, item_id, body.note if body else ""))


# --- inventory rounds ---------------------------------------------------------------------------------------------


@router.get("/inventory-rounds", response_model=RoundsOut, tags=["inventory"], responses=errors(403),
            summary="Inventory rounds, newest first, and when the next is due", name="list_inventory_rounds")
def list_rounds(request: Request, viewer: ApiUser) -> dict[str, Any]:
    _view(request, viewer)
    app = humas(request)
    with app.db.read() as s:
        inv = app.inventory(s)
        return {"due_at": app.env.local_iso(inv.due_at()), "rounds": [inv.report(r) for r in inv.rounds()]}


@router.post("/inventory-rounds", response_model=RoundOut, status_code=201, tags=["inventory"],
             responses=errors(403, 404, 409, 422), summary="Start a round (the first inventory step's role)",
             name="start_inventory_round")
def start_round(request: Request, viewer: ApiUser, body: StartIn | None = None) -> dict[str, Any]:
    app = humas(request)
    given = body or StartIn()
    with app.db.session() as s:
        inv = app.inventory(s)
        return inv.report(inv.start(viewer.actor, assign_to=given.assign_to, note=given.note))


@router.get("/inventory-rounds/{round_id}", response_model=RoundOut, tags=["inventory"], responses=errors(403, 404),
            summary="One round as its buku inventarisasi", name="show_inventory_round")
def show_round(request: Request, viewer: ApiUser, round_id: PathId) -> dict[str, Any]:
    _view(request, viewer)
    app = humas(request)
    with app.db.read() as s:
        inv = app.inventory(s)
        return inv.report(inv.get(round_id))


@router.post("/inventory-rounds/{round_id}/assign", response_model=RoundOut, tags=["inventory"],
             responses=errors(403, 404, 409, 422), summary="The disposition: name the person for the next step",
             name="assign_inventory_round")
def assign_round(request: Request, viewer: ApiUser, round_id: PathId, body: AssignIn | None = None
                 ) -> dict[str, Any]:
    app = humas(request)
    given = body or AssignIn()
    with app.db.session() as s:
        inv = app.inventory(s)
        return inv.report(inv.assign(viewer.actor, round_id, given.user, given.note))


@router.post("/inventory-rounds/{round_id}/checks", response_model=RoundOut, tags=["inventory"],
             responses=errors(403, 404, 409, 422), summary="Check one item (again to correct it)",
             name="check_inventory_item")
def check_item(request: Request, viewer: ApiUser, round_id: PathId, body: CheckIn | None = None) -> dict[str, Any]:
    from humas.documentation.common import Invalid

    app = humas(request)
    given = body or CheckIn()
    with app.db.session() as s:
        inv = app.inventory(s)
        r = inv.get(round_id)
        if given.item_id is None:
            raise Invalid("item_id is required", "alat wajib dipilih")
        inv.check(viewer.actor, r.id, given.item_id, CheckInput(
            present=given.present, condition=given.condition, battery_percent=given.battery_percent,
            memory_free_gb=given.memory_free_gb, memory_free_percent=given.memory_free_percent, note=given.note))
        return inv.report(r)


@router.post("/inventory-rounds/{round_id}/finish", response_model=RoundOut, tags=["inventory"],
             responses=errors(403, 404, 409, 422), summary="Record and report the round (every item checked)",
             name="finish_inventory_round")
def finish_round(request: Request, viewer: ApiUser, round_id: PathId, body: NoteBody | None = None
                 ) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        inv = app.inventory(s)
        return inv.report(inv.finish(viewer.actor, round_id, body.note if body else ""))


@router.post("/inventory-rounds/{round_id}/cancel", response_model=RoundOut, tags=["inventory"],
             responses=errors(403, 404, 409, 422), summary="Abandon an open round (a note is required)",
             name="cancel_inventory_round")
def cancel_round(request: Request, viewer: ApiUser, round_id: PathId, body: NoteBody | None = None
                 ) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        inv = app.inventory(s)
        return inv.report(inv.cancel(viewer.actor, round_id, body.note if body else ""))
