"""Agenda Pimpinan: the leaders' activities to document (list, add), each with its staff, the equipment checked out
and returned, and the content it opens under the media SOP (its first step starts from the leaders' agenda).

Every action goes through :class:`humas.documentation.agenda.Agenda` (the same rules as the CLI and the API). A
refused form is shown again with why, in the viewer's language; a permission refusal is the error page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import Response

from humas.documentation.agenda import Agenda, Returned
from humas.documentation.common import CONDITIONS, LEADERS, holders, parse_time
from humas.errors import HumasError, PermissionDenied
from humas.web.deps import Viewer, flash, humas, page_router, page_viewer, redirect, render
from humas.web.i18n import translator
from humas.web.pages.equipment import said, status_of

router = page_router()
ViewerDep = Annotated[Viewer, Depends(page_viewer)]
Text = Annotated[str, Form()]
#: the list starts this long before now unless the viewer picks a day
LOOK_BACK = timedelta(days=7)


@router.get("/agenda")
def agenda_page(request: Request, viewer: ViewerDep, dari: str = "", semua: str = "") -> Response:
    return _list(request, viewer, since_text=dari, all_entries=bool(semua))


def _list(request: Request, viewer: Viewer, *, since_text: str = "", all_entries: bool = False,
          error: str | None = None, values: dict[str, str] | None = None, status: int = 200) -> Response:
    app = humas(request)
    since: datetime = app.clock() - LOOK_BACK
    shown = app.local(since).strftime("%Y-%m-%d")
    if since_text:
        try:
            since = parse_time(app.env, f"{since_text.strip()} 00:00")
            shown = since_text.strip()
        except HumasError:
            pass  # an unreadable day: the default span, as the field shows
    with app.db.read() as s:
        ag = app.agenda(s)
        ag.roles.require_view(viewer.actor)
        rows = [ag.describe(e) for e in ag.entries(start=since, include_cancelled=all_entries)]
        now = app.local(app.clock()).replace(minute=0, second=0, microsecond=0)
        return render(request, "agenda.html", {
            "rows": rows, "dari": shown, "all_entries": all_entries, "leaders": LEADERS,
            "may_manage": ag.roles.may_manage_agenda(viewer.actor), "error": error,
            "v": {"leader": "bupati", "leader_name": "", "activity": "", "place": "", "note": "",
                  "starts_at": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                  "ends_at": (now + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"), **(values or {})},
            "timezone": app.settings.time.timezone,
        }, viewer=viewer, status=status)


@router.post("/agenda")
def add_entry(request: Request, viewer: ViewerDep, leader: Text = "", leader_name: Text = "", activity: Text = "",
              place: Text = "", starts_at: Text = "", ends_at: Text = "", note: Text = "") -> Response:
    app = humas(request)
    values = {"leader": leader, "leader_name": leader_name, "activity": activity, "place": place,
              "starts_at": starts_at, "ends_at": ends_at, "note": note}
    try:
        with app.db.session() as s:
            e = app.agenda(s).add(viewer.actor, leader=leader, leader_name=leader_name, activity=activity,
                                  place=place, starts_at=starts_at, ends_at=ends_at, note=note)
            entry_id = e.id
    except PermissionDenied:
        raise
    except HumasError as exc:
        return _list(request, viewer, error=said(exc, viewer), values=values, status=status_of(exc))
    flash(request, translator(viewer.language)("Agenda ditambahkan."))
    return redirect(f"/agenda/{entry_id}")


@router.get("/agenda/{entry_id}")
def entry_page(request: Request, entry_id: int, viewer: ViewerDep) -> Response:
    return _entry(request, viewer, entry_id)


def _entry(request: Request, viewer: Viewer, entry_id: int, *, error: str | None = None,
           status: int = 200) -> Response:
    app = humas(request)
    with app.db.read() as s:
        ag = app.agenda(s)
        roles = ag.roles
        roles.require_view(viewer.actor)
        e = ag.get(entry_id)
        d = ag.describe(e)
        staff_ids = ag.staff(e)
        planned = e.status == "planned"
        crew = (viewer.id in staff_ids and viewer.actor.has(roles.staff)) or viewer.actor.has(roles.coordinator)
        first = roles.sop.steps[0]
        staff_users = holders(s, roles.staff)
        return render(request, "agenda_entry.html", {
            "d": d, "conditions": CONDITIONS, "error": error,
            "may_manage": planned and roles.may_manage_agenda(viewer.actor),
            "may_lend": planned and crew and bool(staff_ids), "may_return": crew,
            "may_open": planned and e.content_id is None and viewer.actor.has(first.role),
            "first_step": first, "sop_name": roles.sop.name,
            "staff_choices": [u for u in staff_users if u.id not in staff_ids],
            "holders": [u for u in staff_users if u.id in staff_ids],
            "available": [ag.equipment.describe(i) for i in ag.available(e)] if planned else [],
        }, viewer=viewer, status=status)


def _act(request: Request, viewer: Viewer, entry_id: int, message: str, fn: Callable[[Agenda], Any],
         to: str | None = None) -> Response:
    app = humas(request)
    try:
        with app.db.session() as s:
            result = fn(app.agenda(s))
            target = to.format(result=result) if to else f"/agenda/{entry_id}"
    except PermissionDenied:
        raise
    except HumasError as exc:
        return _entry(request, viewer, entry_id, error=said(exc, viewer), status=status_of(exc))
    flash(request, translator(viewer.language)(message))
    return redirect(target)


@router.post("/agenda/{entry_id}/tugaskan")
def assign(request: Request, entry_id: int, viewer: ViewerDep,
           staff: Annotated[list[str] | None, Form()] = None) -> Response:
    return _act(request, viewer, entry_id, "Staf ditugaskan.",
                lambda ag: ag.assign(viewer.actor, entry_id, staff or []))


@router.post("/agenda/{entry_id}/pinjam")
def checkout(request: Request, entry_id: int, viewer: ViewerDep, items: Annotated[list[int] | None, Form()] = None,
             holder: Text = "") -> Response:
    return _act(request, viewer, entry_id, "Alat dipinjam.",
                lambda ag: ag.checkout(viewer.actor, entry_id, items or [], holder or None))


@router.post("/agenda/{entry_id}/kembali")
def give_back(request: Request, entry_id: int, viewer: ViewerDep, item_id: Annotated[int, Form()] = 0,
              condition: Text = "baik", note: Text = "") -> Response:
    return _act(request, viewer, entry_id, "Alat dikembalikan.",
                lambda ag: ag.return_items(viewer.actor, entry_id, [Returned(item_id, condition, note)]))


@router.post("/agenda/{entry_id}/konten")
def to_content(request: Request, entry_id: int, viewer: ViewerDep, title: Text = "") -> Response:
    return _act(request, viewer, entry_id, "Konten dibuka dari agenda.",
                lambda ag: ag.to_content(viewer.actor, entry_id, title or None).id, to="/konten/{result}")


@router.post("/agenda/{entry_id}/batal")
def cancel(request: Request, entry_id: int, viewer: ViewerDep, note: Text = "") -> Response:
    return _act(request, viewer, entry_id, "Agenda dibatalkan.", lambda ag: ag.cancel(viewer.actor, entry_id, note))
