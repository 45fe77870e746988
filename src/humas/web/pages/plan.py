"""Rencana: the monthly content plan (the meeting and its invitation, the proposed items, the approval) and the
monthly rencana vs realisasi. Every action goes through :class:`humas.planning.service.Planning`, which holds the
role rules; a refusal shows the form again with the reason in the viewer's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from humas.app import App
from humas.authz import Actor
from humas.errors import HumasError, NotFound
from humas.planning.model import ItemChanges, ItemInput, list_step, parse_local
from humas.planning.report import month_report, report_csv, report_dict
from humas.planning.service import Planning
from humas.store.models import User, UserRole
from humas.web.deps import Viewer, flash, humas, page_router, page_viewer, redirect, render
from humas.web.i18n import said, translator

router = page_router()
ViewerDep = Annotated[Viewer, Depends(page_viewer)]
Text = Annotated[str, Form()]
Many = Annotated[list[str] | None, Form()]


def _said(exc: HumasError, viewer: Viewer) -> str:
    return said(exc, viewer.language)


def _status(exc: HumasError) -> int:
    from humas.web.app import status_for

    return status_for(exc)


def _next_month(app: App) -> str:
    today = app.local(app.clock()).date()
    return f"{today.year + (today.month == 12)}-{today.month % 12 + 1:02d}"


# --- list and create --------------------------------------------------------------------------------------------


def _list_page(request: Request, viewer: Viewer, *, sop: str = "", values: dict[str, str] | None = None,
               error: str | None = None, status: int = 200) -> Response:
    app = humas(request)
    with app.db.read() as s:
        p = app.planning(s)
        plans = p.plans(sop_id=sop or None)
        rows = [{"p": x, "items": len(x.items), "step": p.current_step(x)} for x in plans]
        creatable = [x for x in p.planning_sops() if x.plan_steps[0].role in viewer.roles]
        return render(request, "plan_list.html", {
            "rows": rows, "sop": sop, "sops": [x.id for x in p.planning_sops()], "creatable": creatable,
            "v": {"month": _next_month(app), "meeting_at": "", "place": "", **(values or {})}, "error": error,
            "report_month": _next_month(app),
        }, viewer=viewer, status=status)


@router.get("/rencana")
def plan_list(request: Request, viewer: ViewerDep, sop: str = "") -> Response:
    return _list_page(request, viewer, sop=sop)


@router.post("/rencana")
def plan_create(request: Request, viewer: ViewerDep, sop: Text = "", month: Text = "", meeting_at: Text = "",
                place: Text = "") -> Response:
    app = humas(request)
    try:
        with app.db.session() as s:
            p = app.planning(s)
            at = parse_local(app.env, meeting_at) if meeting_at.strip() else None
            plan, notices = p.create(viewer.actor, sop_id=sop or None, month=month, meeting_at=at, place=place)
            pid = plan.id
    except HumasError as exc:
        return _list_page(request, viewer, values={"month": month, "meeting_at": meeting_at, "place": place},
                          error=_said(exc, viewer), status=_status(exc))
    _ = translator(viewer.language)
    flash(request, _("Rencana dibuat."))
    for n in notices:
        flash(request, n.id if viewer.language == "id" else n.en, "warn")
    return redirect(f"/rencana/{pid}")


# --- rencana vs realisasi ---------------------------------------------------------------------------------------


@router.get("/rencana/laporan")
def plan_report(request: Request, viewer: ViewerDep, bulan: str = "", sop: str = "") -> Response:
    app = humas(request)
    with app.db.read() as s:
        r = month_report(app.env, s, bulan or _next_month(app), sop or None)
        d = report_dict(app.env, r)
        sops = [x.id for x in app.planning(s).planning_sops()]
    return render(request, "plan_report.html", {"d": d, "sop": sop, "sops": sops}, viewer=viewer)


@router.get("/rencana/laporan.csv")
def plan_report_csv(request: Request, viewer: ViewerDep, bulan: str = "", sop: str = "") -> Response:
    app = humas(request)
    with app.db.read() as s:
        r = month_report(app.env, s, bulan or _next_month(app), sop or None)
    return Response(report_csv(app.env, r), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="rencana-realisasi-{r.month}.csv"'})


# --- one plan ---------------------------------------------------------------------------------------------------


def _owners(s: Any, role: str) -> list[str]:
    return list(s.execute(select(User.name).join(UserRole).where(UserRole.role == role, User.active.is_(True))
                          .order_by(User.name)).scalars())


def _detail(request: Request, viewer: Viewer, plan_id: int, *, error: str | None = None, status: int = 200,
            item_values: dict[str, Any] | None = None) -> Response:
    app = humas(request)
    with app.db.read() as s:
        p = app.planning(s)
        plan = p.get(plan_id)
        sop = p.sop_of(plan)
        d = p.describe(plan)
        step = p.current_step(plan)
        roles = viewer.roles
        listing = list_step(sop)
        ctx = {
            "d": d, "sop": sop, "step": step, "error": error, "history": p.history(plan),
            "can_meeting": plan.step_id == sop.plan_steps[0].id and sop.plan_steps[0].role in roles,
            "can_edit_list": d["list_editable"] and listing.role in roles,
            "can_submit": step is not None and step.action == "submit" and step.role in roles,
            "can_review": plan.status == "in_review" and step is not None and step.action == "review"
            and step.role in roles,
            "can_reject": step is not None and step.can_reject,
            "listing": listing, "owners": _owners(s, d["owner_role"]),
            "accounts": [a.name for a in app.settings.accounts if a.enabled],
            "units": sorted(sop.roles.items()),
            "meeting_value": app.local(plan.meeting_at).strftime("%Y-%m-%dT%H:%M") if plan.meeting_at else "",
            "iv": {"activity": "", "date": "", "unit": "", "channels": [], "owner": "", "note": "",
                   **(item_values or {})},
            "first_day": d["month_starts"],
        }
        return render(request, "plan_detail.html", ctx, viewer=viewer, status=status)


@router.get("/rencana/{plan_id}")
def plan_detail(request: Request, plan_id: int, viewer: ViewerDep) -> Response:
    return _detail(request, viewer, plan_id)


def _act(request: Request, viewer: Viewer, plan_id: int, done: str, action: Callable[[Planning, Actor], object],
         item_values: dict[str, Any] | None = None, anchor: str = "") -> Response:
    """Run ``action(planning, actor)`` in one transaction (a list it returns holds warnings); on a refusal show the
    plan again with the reason."""
    app = humas(request)
    try:
        with app.db.session() as s:
            result = action(app.planning(s), viewer.actor)
    except HumasError as exc:
        return _detail(request, viewer, plan_id, error=_said(exc, viewer), status=_status(exc),
                       item_values=item_values)
    flash(request, done)
    for n in result if isinstance(result, list) else []:
        flash(request, n.id if viewer.language == "id" else n.en, "warn")
    return redirect(f"/rencana/{plan_id}{anchor}")


@router.post("/rencana/{plan_id}/rapat")
def plan_meeting(request: Request, plan_id: int, viewer: ViewerDep, meeting_at: Text = "",
                 place: Text = "") -> Response:
    app = humas(request)
    _ = translator(viewer.language)

    def do(p: Planning, actor: Actor) -> object:
        return p.set_meeting(actor, plan_id, parse_local(app.env, meeting_at), place)[1]

    return _act(request, viewer, plan_id, _("Rapat disimpan."), do)


@router.post("/rencana/{plan_id}/butir")
def plan_item_add(request: Request, plan_id: int, viewer: ViewerDep, activity: Text = "", date: Text = "",
                  unit: Text = "", owner: Text = "", note: Text = "", channels: Many = None) -> Response:
    _ = translator(viewer.language)
    values = {"activity": activity, "date": date, "unit": unit, "owner": owner, "note": note,
              "channels": channels or []}

    def do(p: Planning, actor: Actor) -> None:
        p.add_item(actor, plan_id, ItemInput(activity=activity, activity_date=date, owner=owner, unit=unit,
                                             channels=channels or [], note=note))

    return _act(request, viewer, plan_id, _("Kegiatan ditambahkan."), do, values, "#daftar")


@router.get("/rencana/{plan_id}/butir/{item_id}/ubah")
def plan_item_form(request: Request, plan_id: int, item_id: int, viewer: ViewerDep) -> Response:
    return _item_form(request, viewer, plan_id, item_id)


def _item_form(request: Request, viewer: Viewer, plan_id: int, item_id: int, values: dict[str, Any] | None = None,
               error: str | None = None, status: int = 200) -> Response:
    app = humas(request)
    with app.db.read() as s:
        p = app.planning(s)
        plan = p.get(plan_id)
        row = next((i for i in plan.items if i.id == item_id), None)
        if row is None:
            raise NotFound(f"plan {plan_id} has no item {item_id}")
        sop = p.sop_of(plan)
        v = {"activity": row.activity, "date": row.activity_date.isoformat(), "unit": row.unit,
             "channels": list(row.channels), "owner": row.owner.name, "note": row.note, **(values or {})}
        d = p.describe(plan)
        return render(request, "plan_item_form.html", {
            "d": d, "item_id": item_id, "iv": v, "error": error,
            "owners": _owners(s, p.owner_role(sop)), "accounts": [a.name for a in app.settings.accounts if a.enabled],
            "units": sorted(sop.roles.items()), "first_day": d["month_starts"],
        }, viewer=viewer, status=status)


@router.post("/rencana/{plan_id}/butir/{item_id}/ubah")
def plan_item_edit(request: Request, plan_id: int, item_id: int, viewer: ViewerDep, activity: Text = "",
                   date: Text = "", unit: Text = "", owner: Text = "", note: Text = "",
                   channels: Many = None) -> Response:
    app = humas(request)
    _ = translator(viewer.language)
    try:
        with app.db.session() as s:
            app.planning(s).edit_item(viewer.actor, plan_id, item_id, ItemChanges(
                activity=activity, activity_date=date, owner=owner, unit=unit, channels=channels or [], note=note))
    except HumasError as exc:
        values = {"activity": activity, "date": date, "unit": unit, "owner": owner, "note": note,
                  "channels": channels or []}
        return _item_form(request, viewer, plan_id, item_id, values, _said(exc, viewer), _status(exc))
    flash(request, _("Kegiatan disimpan."))
    return redirect(f"/rencana/{plan_id}#daftar")


@router.post("/rencana/{plan_id}/butir/{item_id}/hapus")
def plan_item_remove(request: Request, plan_id: int, item_id: int, viewer: ViewerDep) -> Response:
    _ = translator(viewer.language)
    return _act(request, viewer, plan_id, _("Kegiatan dihapus."),
                lambda p, actor: p.remove_item(actor, plan_id, item_id), anchor="#daftar")


@router.post("/rencana/{plan_id}/kirim")
def plan_submit(request: Request, plan_id: int, viewer: ViewerDep, note: Text = "") -> Response:
    _ = translator(viewer.language)
    return _act(request, viewer, plan_id, _("Rencana dikirim."), lambda p, actor: p.submit(actor, plan_id, note)
               )


@router.post("/rencana/{plan_id}/setujui")
def plan_approve(request: Request, plan_id: int, viewer: ViewerDep, note: Text = "",
                 list_hash: Text = "") -> Response:
    _ = translator(viewer.language)
    return _act(request, viewer, plan_id, _("Rencana disetujui; draf konten dibuat."),
                lambda p, actor: p.approve(actor, plan_id, note, expected_hash=list_hash or None))


@router.post("/rencana/{plan_id}/tolak")
def plan_reject(request: Request, plan_id: int, viewer: ViewerDep, note: Text = "") -> Response:
    _ = translator(viewer.language)
    return _act(request, viewer, plan_id, _("Rencana dikembalikan."),
                lambda p, actor: p.reject(actor, plan_id, note))
