"""Konten (list, create, edit with media upload, previews, requirement checks) and Persetujuan (approve or
reject with a note, the diff against the last approved version)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import or_, select

from humas import authz
from humas.app import App
from humas.documentation.agenda import entry_for_content
from humas.errors import AnotherApproverNeeded, HumasError, InvalidInput, PermissionDenied, RuleBroken
from humas.monitor.engagement import latest_figures
from humas.planning.report import item_for_content
from humas.store.dialect import contains
from humas.store.models import Content, ContentStatus, Post, PublicationJob
from humas.web import library
from humas.web.deps import Viewer, flash, humas, page_router, page_viewer, redirect, render
from humas.web.i18n import document_words, said, translator
from humas.web.paging import day_range, fetch, page_number, search_text
from humas.web.views import (
    account_limits,
    approval_diff,
    platform_caption_values,
    previews,
    saved_uploads,
    workflow,
)
from humas.workflow.engine import ContentChanges

router = page_router()
ViewerDep = Annotated[Viewer, Depends(page_viewer)]


def _uploads(files: list[UploadFile] | None) -> list[tuple[str, Any]]:
    return [(f.filename or "file", f.file) for f in files or [] if f.filename]


def _form_ctx(request: Request, viewer: Viewer, c: Content | None, values: dict[str, Any],
              problem: HumasError | None = None) -> Response:
    """The form again, with what was typed and what was wrong (a limit: in the viewer's language, with its rule)."""
    app = humas(request)
    error = None if problem is None else said(problem, viewer.language)
    defaults: dict[str, Any] = {"sop": "", "title": "", "text": "", "caption": "", "activity": "", "location": "",
                                "accounts": [], "flags": [], "pc": {}, "library": []}
    with app.db.read() as s:
        recent = library.recent(s)
        for blob in recent:
            s.expunge(blob)
    return render(request, "content_form.html", {
        "library_recent": recent,
        "c": c, "v": {**defaults, **values}, "error": error, "sops": sorted(app.sops.sops.values(), key=lambda x: x.id),
        "flags": app.sops.flags(), "accounts": account_limits(app), "default_sop": app.settings.default_sop,
    }, viewer=viewer, status=200 if problem is None else 422 if isinstance(problem, RuleBroken) else 400)


@router.get("/konten")
def content_list(request: Request, viewer: ViewerDep, status: str = "", sop: str = "", q: str = "", dari: str = "",
                 sampai: str = "", halaman: str = "1") -> Response:
    app = humas(request)
    search = search_text(q)
    days = day_range(dari, sampai, app.tz)
    with app.db.read() as s:
        query = select(Content).order_by(Content.updated_at.desc(), Content.id.desc())
        if status:
            query = query.where(Content.status == status)
        if sop:
            query = query.where(Content.sop_id == sop)
        if search:
            query = query.where(or_(contains(Content.title, search), contains(Content.text, search),
                                    contains(Content.caption, search)))
        if days.since is not None:
            query = query.where(Content.updated_at >= days.since)
        if days.until is not None:
            query = query.where(Content.updated_at < days.until)
        page = fetch(s, query, page_number(halaman), params={"status": status, "sop": sop, "q": search, "dari": dari,
                                                             "sampai": sampai})
        rows = []
        for c in page.rows:
            step = None
            if c.step_id:
                try:
                    step = app.sops.get(c.sop_id).step(c.step_id)
                except (KeyError, Exception):
                    step = None
            rows.append({"c": c, "step": step})
        return render(request, "content_list.html", {
            "rows": rows, "page": page, "status": status, "sop": sop, "q": search, "dari": dari, "sampai": sampai,
            "date_problem": days.problem, "statuses": [s.value for s in ContentStatus], "sops": sorted(app.sops.sops),
        }, viewer=viewer)


@router.get("/konten/baru")
def new_form(request: Request, viewer: ViewerDep) -> Response:
    return _form_ctx(request, viewer, None, {})


@router.post("/konten/baru")
def create(request: Request, viewer: ViewerDep,
           sop: Annotated[str, Form()] = "", title: Annotated[str, Form()] = "",
           text: Annotated[str, Form()] = "", caption: Annotated[str, Form()] = "",
           activity: Annotated[str, Form()] = "", location: Annotated[str, Form()] = "",
           accounts: Annotated[list[str] | None, Form()] = None, flags: Annotated[list[str] | None, Form()] = None,
           pc_x: Annotated[str, Form()] = "", pc_facebook: Annotated[str, Form()] = "",
           pc_instagram: Annotated[str, Form()] = "", pc_youtube: Annotated[str, Form()] = "",
           media: Annotated[list[UploadFile] | None, File()] = None,
           library_media: Annotated[list[str] | None, Form(alias="library")] = None) -> Response:
    app = humas(request)
    _ = translator(viewer.language)
    values: dict[str, Any] = {"sop": sop, "title": title, "text": text, "caption": caption, "activity": activity,
              "location": location, "accounts": accounts or [], "flags": flags or [], "library": library_media or [],
              "pc": {"x": pc_x, "facebook": pc_facebook, "instagram": pc_instagram, "youtube": pc_youtube}}
    captions = platform_caption_values(values["pc"])
    try:
        with saved_uploads(_uploads(media)) as paths, app.db.session() as s:
            c = workflow(app, s).create(
                viewer.actor, sop_id=sop or app.settings.default_sop, title=title, text=text, caption=caption,
                media=library.chosen_paths(app, s, library_media) + paths,
                accounts=accounts or [], activity=activity, location=location, flags=flags or [],
                platform_captions=captions)
            cid = c.id
    except PermissionDenied:
        raise
    except HumasError as exc:
        return _form_ctx(request, viewer, None, values, exc)
    flash(request, _("Konten dibuat."))
    return redirect(f"/konten/{cid}")


@router.get("/konten/{content_id}")
def detail(request: Request, content_id: int, viewer: ViewerDep) -> Response:
    app = humas(request)
    with app.db.read() as s:
        wf = workflow(app, s)
        c = wf.get(content_id)
        d = wf.describe(c)
        step = wf.current_step(c)
        requirements = wf.requirement_problems(c, step) if step is not None else []
        jobs = list(s.execute(select(PublicationJob).where(PublicationJob.content_id == c.id)
                              .order_by(PublicationJob.id)).scalars())
        posts = {pid: jid for pid, jid in s.execute(select(Post.id, Post.job_id)
                                                       .where(Post.job_id.in_([j.id for j in jobs])))}
        figures = {posts[pid]: f for pid, f in latest_figures(s, list(posts)).items()}  # job id -> figures
        roles = viewer.roles
        ctx = {
            "c": c, "d": d, "step": step, "requirements": requirements, "previews": previews(app, c),
            "history": wf.history(c), "jobs": jobs, "figures": figures, "diff": approval_diff(s, c),
            "can_submit": c.status == ContentStatus.DRAFT and step is not None and step.action == "submit"
            and step.role in roles,
            "can_review": c.status == ContentStatus.IN_REVIEW and step is not None and step.action == "review"
            and step.role in roles,
            "can_reject": step is not None and step.can_reject,
            "can_edit": c.status in (ContentStatus.DRAFT, ContentStatus.IN_REVIEW, ContentStatus.APPROVED),
            "can_cancel": c.status in (ContentStatus.DRAFT, ContentStatus.IN_REVIEW, ContentStatus.APPROVED)
            and (viewer.is_admin or c.created_by_id == viewer.id),
            "can_schedule": c.status == ContentStatus.APPROVED
            and (viewer.is_admin or bool(roles & app.sops.publish_roles())),
            "now_local": app.local(app.clock()).strftime("%Y-%m-%dT%H:%M"),  # the datetime-local input's format
            "timezone": app.settings.time.timezone,
            "plan_item": item_for_content(s, c.id),  # made from a monthly plan: its activity's day is the due date
            "agenda_entry": entry_for_content(s, c.id),  # opened from the leaders' agenda (humas.documentation)
            "can_print": authz.may_print_records(viewer.actor),
        }
        return render(request, "content_detail.html", ctx, viewer=viewer)


@router.get("/konten/{content_id}/lembar.pdf")
def approval_sheet(request: Request, content_id: int, viewer: ViewerDep) -> Response:
    """The approval sheet as PDF to print, sign and file; each copy is recorded in the register."""
    issued = humas(request).records().sheet(viewer.actor, content_id, document_words(viewer.language))
    return Response(issued.data, media_type=issued.media_type, headers=issued.headers)


@router.get("/konten/{content_id}/ubah")
def edit_form(request: Request, content_id: int, viewer: ViewerDep) -> Response:
    app = humas(request)
    with app.db.read() as s:
        c = workflow(app, s).get(content_id)
        values = {"sop": c.sop_id, "title": c.title, "text": c.text, "caption": c.caption,
                  "activity": c.activity, "location": c.location, "accounts": list(c.accounts),
                  "flags": list(c.flags), "pc": dict(c.platform_captions)}
        return _form_ctx(request, viewer, c, values)


@router.post("/konten/{content_id}/ubah")
def edit(request: Request, content_id: int, viewer: ViewerDep,
         title: Annotated[str, Form()] = "", text: Annotated[str, Form()] = "",
         caption: Annotated[str, Form()] = "", activity: Annotated[str, Form()] = "",
         location: Annotated[str, Form()] = "", accounts: Annotated[list[str] | None, Form()] = None,
         flags: Annotated[list[str] | None, Form()] = None, keep: Annotated[list[str] | None, Form()] = None,
         pc_x: Annotated[str, Form()] = "", pc_facebook: Annotated[str, Form()] = "",
         pc_instagram: Annotated[str, Form()] = "", pc_youtube: Annotated[str, Form()] = "",
         media: Annotated[list[UploadFile] | None, File()] = None,
         library_media: Annotated[list[str] | None, Form(alias="library")] = None) -> Response:
    app = humas(request)
    _ = translator(viewer.language)
    uploads = _uploads(media)
    try:
        _edit(app, viewer, content_id, uploads, keep, library_media, flags, accounts,
              {"title": title, "text": text, "caption": caption, "activity": activity, "location": location},
              {"x": pc_x, "facebook": pc_facebook, "instagram": pc_instagram, "youtube": pc_youtube})
    except PermissionDenied:
        raise
    except HumasError as exc:
        values = {"title": title, "text": text, "caption": caption, "activity": activity, "location": location,
                  "accounts": accounts or [], "flags": flags or [], "library": library_media or [],
                  "pc": {"x": pc_x, "facebook": pc_facebook, "instagram": pc_instagram, "youtube": pc_youtube}}
        with app.db.session() as s:
            c = workflow(app, s).get(content_id)
            values["sop"] = c.sop_id
            return _form_ctx(request, viewer, c, values, exc)
    flash(request, _("Konten disimpan."))
    return redirect(f"/konten/{content_id}")


def _edit(app: App, viewer: Viewer, content_id: int, uploads: list[tuple[str, Any]], keep: list[str] | None,
          chosen: list[str] | None, flags: list[str] | None, accounts: list[str] | None, fields: dict[str, str],
          pc: dict[str, str]) -> None:
    with saved_uploads(uploads) as paths, app.db.session() as s:
        wf = workflow(app, s)
        c = wf.get(content_id)
        current = [m.sha256 for m in c.media]
        kept = [sha for sha in current if sha in set(keep or [])]
        picked = library.chosen_paths(app, s, [sha for sha in chosen or [] if sha not in kept])
        new_media: list[Path] | None = None
        if kept != current or paths or picked:
            new_media = [app.media.path_for(sha) for sha in kept] + picked + paths
        wanted_flags = set(flags or [])
        captions = platform_caption_values(pc) or {}
        changed = {k: v for k, v in fields.items() if v != getattr(c, k)}
        changes = ContentChanges(
            **changed,
            accounts=list(accounts or []) if list(accounts or []) != list(c.accounts) else None,
            platform_captions=captions if captions != dict(c.platform_captions) else None, media=new_media,
            set_flags=sorted(wanted_flags - set(c.flags)), clear_flags=sorted(set(c.flags) - wanted_flags),
        )
        wf.edit(viewer.actor, content_id, changes)


@router.post("/konten/{content_id}/kirim")
def submit(request: Request, content_id: int, viewer: ViewerDep, note: Annotated[str, Form()] = "") -> Response:
    app = humas(request)
    with app.db.session() as s:
        workflow(app, s).submit(viewer.actor, content_id, note)
    flash(request, translator(viewer.language)("Konten dikirim."))
    return redirect(f"/konten/{content_id}")


@router.post("/konten/{content_id}/batal")
def cancel(request: Request, content_id: int, viewer: ViewerDep, note: Annotated[str, Form()] = "") -> Response:
    app = humas(request)
    with app.db.session() as s:
        workflow(app, s).cancel(viewer.actor, content_id, note)
    flash(request, translator(viewer.language)("Konten dibatalkan."))
    return redirect(f"/konten/{content_id}")


# --- Persetujuan ----------------------------------------------------------------------------------------------


@router.get("/persetujuan")
def approvals(request: Request, viewer: ViewerDep) -> Response:
    app = humas(request)
    with app.db.read() as s:
        wf = workflow(app, s)
        rows = []
        for c in s.execute(select(Content).where(Content.status == ContentStatus.IN_REVIEW)
                           .order_by(Content.updated_at)).scalars():
            step = wf.current_step(c)
            if step is None or step.role not in viewer.roles:
                continue
            rows.append({"c": c, "step": step, "d": wf.describe(c)})
        return render(request, "approvals.html", {"rows": rows}, viewer=viewer)


@router.get("/persetujuan/{content_id}")
def review(request: Request, content_id: int, viewer: ViewerDep) -> Response:
    return redirect(f"/konten/{content_id}#persetujuan")


@router.post("/konten/{content_id}/setujui")
def approve(request: Request, content_id: int, viewer: ViewerDep, note: Annotated[str, Form()] = "") -> Response:
    app = humas(request)
    _ = translator(viewer.language)
    try:
        with app.db.session() as s:
            workflow(app, s).approve(viewer.actor, content_id, note)
    except AnotherApproverNeeded as exc:
        flash(request, _(_SEPARATION[exc.reason], step=exc.step, earlier=exc.earlier_step), "error")
        return redirect(f"/konten/{content_id}")
    flash(request, _("Konten disetujui."))
    return redirect("/persetujuan")


#: What the approval page says when the SOP's separation of duties refuses the approver (by ``reason``).
_SEPARATION = {
    "author": "Anda menulis versi ini, jadi orang lain yang harus menyetujui langkah \u201c{step}\u201d "
              "(SOP ini memisahkan penulis dan penyetuju).",
    "approved": "Anda sudah menyetujui langkah \u201c{earlier}\u201d untuk versi ini, jadi orang lain yang harus "
                "menyetujui langkah \u201c{step}\u201d (SOP ini memisahkan penyetuju).",
}


@router.post("/konten/{content_id}/tolak")
def reject(request: Request, content_id: int, viewer: ViewerDep, note: Annotated[str, Form()] = "") -> Response:
    app = humas(request)
    _ = translator(viewer.language)
    if not note.strip():
        raise InvalidInput(_("Catatan wajib saat menolak."))
    with app.db.session() as s:
        workflow(app, s).reject(viewer.actor, content_id, note)
    flash(request, _("Konten ditolak."))
    return redirect("/persetujuan")
