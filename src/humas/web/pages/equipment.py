"""Peralatan: the documentation equipment (list, add, edit, retire), its inventory rounds walked step by step (the
dispositions, a check form per item, the record), and the buku inventarisasi (printable, CSV).

Every action goes through :mod:`humas.documentation` (the same rules as the CLI and the API). A refused form is
shown again with what was typed and why, in the viewer's language; a permission refusal is the error page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import Response

from humas.documentation.common import (
    CONDITIONS,
    KINDS,
    READINESS,
    STORAGE_PLACES,
    Invalid,
    holders,
)
from humas.documentation.inventory import CheckInput, Inventory
from humas.errors import HumasError, PermissionDenied
from humas.web.deps import Viewer, flash, humas, page_router, page_viewer, redirect, render
from humas.web.i18n import said as i18n_said
from humas.web.i18n import translator

router = page_router()
ViewerDep = Annotated[Viewer, Depends(page_viewer)]
Text = Annotated[str, Form()]


def said(exc: HumasError, viewer: Viewer) -> str:
    return i18n_said(exc, viewer.language)


def status_of(exc: HumasError) -> int:
    from humas.web.app import status_for

    return status_for(exc)


def _words() -> dict[str, Any]:
    return {"kinds": KINDS, "conditions": CONDITIONS, "readiness": READINESS, "places": STORAGE_PLACES}


# --- the list ----------------------------------------------------------------------------------------------------


@router.get("/peralatan")
def equipment_page(request: Request, viewer: ViewerDep, jenis: str = "", kesiapan: str = "",
                   semua: str = "") -> Response:
    return _list(request, viewer, kind=jenis, readiness=kesiapan, all_items=bool(semua))


def _list(request: Request, viewer: Viewer, *, kind: str = "", readiness: str = "", all_items: bool = False,
          error: str | None = None, values: dict[str, str] | None = None, status: int = 200) -> Response:
    app = humas(request)
    with app.db.read() as s:
        eq = app.equipment(s)
        eq.roles.require_view(viewer.actor)
        if kind not in KINDS:
            kind = ""
        if readiness not in (*READINESS, "belum"):
            readiness = ""
        found = eq.items(include_retired=all_items, kind=kind or None, readiness=readiness or None)
        loans = eq.open_loans([i.id for i in found])
        rows = [eq.describe(i, loans.get(i.id)) for i in found]
        inv = app.inventory(s)
        running = inv.open_round()
        counts = {state: 0 for state in (*READINESS, "belum")}
        for item in eq.items():
            counts[item.readiness or "belum"] += 1
        first = eq.roles.chain[0]
        nxt = eq.roles.sop.next_step(first.id)
        return render(request, "equipment.html", {
            **_words(), "rows": rows, "kind": kind, "readiness_filter": readiness, "all_items": all_items,
            "counts": counts, "running": inv.report(running) if running else None,
            "rounds": [inv.report(r) for r in inv.rounds(10)], "due_at": inv.due_at(),
            "may_manage": eq.roles.may_manage_items(viewer.actor),
            "may_start": running is None and viewer.actor.has(first.role) and any(counts.values()),
            "assign_choices": holders(s, nxt.role) if nxt is not None and eq.roles.is_disposition(first.id) else [],
            "error": error, "v": {"kind": "kamera", "name": "", "serial": "", "storage": STORAGE_PLACES[0],
                                  "condition": "baik", "note": "", **(values or {})},
        }, viewer=viewer, status=status)


@router.post("/peralatan")
def add_item(request: Request, viewer: ViewerDep, kind: Text = "", name: Text = "", serial: Text = "",
             storage: Text = "", condition: Text = "baik", note: Text = "") -> Response:
    app = humas(request)
    values = {"kind": kind, "name": name, "serial": serial, "storage": storage, "condition": condition, "note": note}
    try:
        with app.db.session() as s:
            item = app.equipment(s).add(viewer.actor, kind=kind, name=name, serial=serial or None, storage=storage,
                                        condition=condition, note=note)
            item_id = item.id
    except PermissionDenied:
        raise
    except HumasError as exc:
        return _list(request, viewer, error=said(exc, viewer), values=values, status=status_of(exc))
    flash(request, translator(viewer.language)("Alat ditambahkan."))
    return redirect(f"/peralatan/{item_id}")


# --- one item ------------------------------------------------------------------------------------------------------


@router.get("/peralatan/{item_id}")
def item_page(request: Request, item_id: int, viewer: ViewerDep) -> Response:
    return _item(request, viewer, item_id)


def _item(request: Request, viewer: Viewer, item_id: int, *, error: str | None = None,
          values: dict[str, str] | None = None, status: int = 200) -> Response:
    app = humas(request)
    with app.db.read() as s:
        eq = app.equipment(s)
        eq.roles.require_view(viewer.actor)
        item = eq.get(item_id)
        d = eq.describe(item, eq.open_loans([item.id]).get(item.id))
        return render(request, "equipment_item.html", {
            **_words(), "d": d, "h": eq.history(item), "may_manage": eq.roles.may_manage_items(viewer.actor),
            "error": error, "v": {"kind": item.kind, "name": item.name, "serial": item.serial or "",
                                  "storage": item.storage, "condition": item.condition, "note": item.note,
                                  **(values or {})},
        }, viewer=viewer, status=status)


@router.post("/peralatan/{item_id}/ubah")
def edit_item(request: Request, item_id: int, viewer: ViewerDep, kind: Text = "", name: Text = "",
              serial: Text = "", storage: Text = "", condition: Text = "", note: Text = "") -> Response:
    app = humas(request)
    values = {"kind": kind, "name": name, "serial": serial, "storage": storage, "condition": condition, "note": note}
    try:
        with app.db.session() as s:
            app.equipment(s).edit(viewer.actor, item_id, kind=kind or None, name=name, serial=serial,
                                  storage=storage, condition=condition or None, note=note)
    except PermissionDenied:
        raise
    except HumasError as exc:
        return _item(request, viewer, item_id, error=said(exc, viewer), values=values, status=status_of(exc))
    flash(request, translator(viewer.language)("Alat disimpan."))
    return redirect(f"/peralatan/{item_id}")


@router.post("/peralatan/{item_id}/pensiun")
def retire_item(request: Request, item_id: int, viewer: ViewerDep, note: Text = "") -> Response:
    app = humas(request)
    try:
        with app.db.session() as s:
            app.equipment(s).retire(viewer.actor, item_id, note)
    except PermissionDenied:
        raise
    except HumasError as exc:
        return _item(request, viewer, item_id, error=said(exc, viewer), status=status_of(exc))
    flash(request, translator(viewer.language)("Alat tidak dipakai lagi."))
    return redirect(f"/peralatan/{item_id}")


# --- inventory rounds --------------------------------------------------------------------------------------------


@router.post("/peralatan/inventarisasi")
def start_round(request: Request, viewer: ViewerDep, user: Text = "", note: Text = "") -> Response:
    app = humas(request)
    try:
        with app.db.session() as s:
            r = app.inventory(s).start(viewer.actor, assign_to=user or None, note=note)
            round_id = r.id
    except PermissionDenied:
        raise
    except HumasError as exc:
        return _list(request, viewer, error=said(exc, viewer), status=status_of(exc))
    flash(request, translator(viewer.language)("Inventarisasi dimulai."))
    return redirect(f"/peralatan/inventarisasi/{round_id}")


@router.get("/peralatan/inventarisasi/{round_id}")
def round_page(request: Request, round_id: int, viewer: ViewerDep) -> Response:
    return _round(request, viewer, round_id)


def _round(request: Request, viewer: Viewer, round_id: int, *, error: str | None = None,
           status: int = 200) -> Response:
    app = humas(request)
    with app.db.read() as s:
        inv = app.inventory(s)
        roles = inv.roles
        roles.require_view(viewer.actor)
        r = inv.get(round_id)
        report = inv.report(r)
        step = inv.current_step(r)
        nxt = roles.sop.next_step(step.id) if step is not None else None
        at_check = step is not None and step.id in (roles.check_step.id, roles.record_step.id)
        return render(request, "equipment_round.html", {
            **_words(), "r": report, "step": step,
            "can_assign": step is not None and roles.is_disposition(step.id) and viewer.actor.has(step.role),
            "assign_choices": holders(s, nxt.role) if nxt is not None else [],
            "next_step": nxt,
            "can_check": at_check and viewer.actor.has(roles.check_step.role),
            "can_finish": at_check and viewer.actor.has(roles.record_step.role),
            "can_cancel": r.status == "open" and (viewer.is_admin or viewer.actor.has(roles.head)),
            "limits": inv.limits, "error": error,
        }, viewer=viewer, status=status)


def _round_action(request: Request, viewer: Viewer, round_id: int, message: str, fn: Any) -> Response:
    app = humas(request)
    try:
        with app.db.session() as s:
            fn(app.inventory(s))
    except PermissionDenied:
        raise
    except HumasError as exc:
        return _round(request, viewer, round_id, error=said(exc, viewer), status=status_of(exc))
    flash(request, translator(viewer.language)(message))
    return redirect(f"/peralatan/inventarisasi/{round_id}")


@router.post("/peralatan/inventarisasi/{round_id}/tugaskan")
def assign_round(request: Request, round_id: int, viewer: ViewerDep, user: Text = "", note: Text = "") -> Response:
    return _round_action(request, viewer, round_id, "Penugasan tersimpan.",
                         lambda inv: inv.assign(viewer.actor, round_id, user, note))


@router.post("/peralatan/inventarisasi/{round_id}/periksa/{item_id}")
def check_item(request: Request, round_id: int, item_id: int, viewer: ViewerDep, present: Text = "ya",
               condition: Text = "", battery: Text = "", memory: Text = "", memory_unit: Text = "gb",
               note: Text = "") -> Response:
    def act(inv: Inventory) -> None:
        inv.check(viewer.actor, round_id, item_id, _check_input(present, condition, battery, memory, memory_unit,
                                                                 note))

    return _round_action(request, viewer, round_id, "Pemeriksaan tersimpan.", act)


def _check_input(present: str, condition: str, battery: str, memory: str, unit: str, note: str) -> CheckInput:
    level = _number(battery, "baterai", "battery")
    amount = _number(memory, "memori kosong", "free memory", decimal=True)
    if unit not in ("gb", "persen"):
        raise Invalid(f"unknown memory unit '{unit}' (gb or persen)", f"satuan memori '{unit}' tidak dikenal")
    if unit == "persen" and amount is not None and amount != int(amount):
        raise Invalid("free memory in percent is a whole number", "memori kosong dalam persen harus bilangan bulat")
    return CheckInput(present=present != "tidak", condition=condition or None,
                      battery_percent=None if level is None else int(level),
                      memory_free_gb=amount if unit == "gb" else None,
                      memory_free_percent=int(amount) if unit == "persen" and amount is not None else None, note=note)


def _number(text: str, nama: str, name: str, *, decimal: bool = False) -> float | None:
    t = text.strip().replace(",", ".")
    if not t:
        return None
    try:
        value = float(t) if decimal else float(int(t))
    except ValueError:
        raise Invalid(f"{name}: '{text}' is not a number", f"{nama}: '{text}' bukan angka") from None
    return value


@router.post("/peralatan/inventarisasi/{round_id}/selesai")
def finish_round(request: Request, round_id: int, viewer: ViewerDep, note: Text = "") -> Response:
    return _round_action(request, viewer, round_id, "Inventarisasi selesai dan tercatat.",
                         lambda inv: inv.finish(viewer.actor, round_id, note))


@router.post("/peralatan/inventarisasi/{round_id}/batal")
def cancel_round(request: Request, round_id: int, viewer: ViewerDep, note: Text = "") -> Response:
    return _round_action(request, viewer, round_id, "Inventarisasi dibatalkan.",
                         lambda inv: inv.cancel(viewer.actor, round_id, note))


# --- the buku inventarisasi ------------------------------------------------------------------------------------------


@router.get("/peralatan/inventarisasi/{round_id}/buku")
def book(request: Request, round_id: int, viewer: ViewerDep) -> Response:
    app = humas(request)
    with app.db.read() as s:
        inv = app.inventory(s)
        inv.roles.require_view(viewer.actor)
        return render(request, "equipment_book.html", {"r": inv.report(inv.get(round_id)),
                                                        "office": inv.roles.sop.office}, viewer=viewer)


@router.get("/peralatan/inventarisasi/{round_id}/buku.csv")
def book_csv(request: Request, round_id: int, viewer: ViewerDep) -> Response:
    app = humas(request)
    with app.db.read() as s:
        inv = app.inventory(s)
        inv.roles.require_view(viewer.actor)
        report = inv.report(inv.get(round_id))
    return Response(Inventory.report_csv(report), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="buku-inventarisasi-{round_id}.csv"'})
