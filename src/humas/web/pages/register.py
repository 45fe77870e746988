"""Register: the audit register, filterable, exportable as CSV or PDF, with its hash chain verified on demand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from humas import authz
from humas.reports.printable import ExportRefused, RegisterQuery
from humas.store import audit
from humas.store.models import AuditEntry
from humas.web.deps import Viewer, humas, page_router, page_viewer, render
from humas.web.i18n import document_words, said

router = page_router()
PAGE = 200
ViewerDep = Annotated[Viewer, Depends(page_viewer)]


def _filters(action: str, subject: str, actor: str) -> dict[str, str]:
    stype, _, sid = subject.partition(":")
    return {"action": action, "subject_type": stype, "subject_id": sid, "actor": actor}


def _page(request: Request, viewer: Viewer, *, action: str = "", subject: str = "", actor: str = "", dari: str = "",
          sampai: str = "", page: int = 1, verified: Any = None, error: str | None = None,
          status: int = 200) -> Response:
    app = humas(request)
    since = until = None
    try:
        since, until = RegisterQuery.parse(dari, sampai).bounds(app.tz)
    except ExportRefused as exc:  # the list shows every date then, and says why
        error = error or said(exc, viewer.language)
        status = 400
    with app.db.read() as s:
        actions = list(s.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).scalars())
        rows: list[dict[str, Any]] = []
        if verified is None:
            q = select(AuditEntry).order_by(AuditEntry.seq.desc())
            for key, value in _filters(action, subject, actor).items():
                if value:
                    q = q.where(getattr(AuditEntry, key) == value)
            if since is not None:
                q = q.where(AuditEntry.at >= since)
            if until is not None:
                q = q.where(AuditEntry.at < until)
            page = max(page, 1)
            rows = [audit.row(e, app.tz) for e in s.execute(q.offset((page - 1) * PAGE).limit(PAGE + 1)).scalars()]
    return render(request, "register.html", {
        "rows": rows[:PAGE], "more": len(rows) > PAGE, "page": page, "action": action, "subject": subject,
        "actor": actor, "dari": dari, "sampai": sampai, "actions": actions, "verified": verified, "error": error,
        "can_print": authz.may_print_records(viewer.actor),
    }, viewer=viewer, status=status)


@router.get("/register")
def register(request: Request, viewer: ViewerDep, action: str = "", subject: str = "", actor: str = "",
             dari: str = "", sampai: str = "", page: int = 1) -> Response:
    return _page(request, viewer, action=action, subject=subject, actor=actor, dari=dari, sampai=sampai, page=page)


@router.get("/register/verifikasi")
def verify(request: Request, viewer: ViewerDep) -> Response:
    r = humas(request).verify_register()
    return _page(request, viewer, verified=r, status=200 if r.ok else 409)


def _export(request: Request, viewer: Viewer, fmt: str, action: str, subject: str, actor: str, dari: str,
            sampai: str) -> Response:
    """The register as ``fmt`` (recorded as ``record.printed``); a refused period or size is said on the page."""
    app = humas(request)
    try:
        query = RegisterQuery.parse(dari, sampai, action=action, subject=subject, actor=actor)
        issued = app.records().register(viewer.actor, query, fmt, document_words(viewer.language))
    except ExportRefused as exc:
        return _page(request, viewer, action=action, subject=subject, actor=actor, dari=dari, sampai=sampai,
                     error=said(exc, viewer.language), status=400)
    return Response(issued.data, media_type=issued.media_type, headers=issued.headers)


@router.get("/register.csv")
def export(request: Request, viewer: ViewerDep, action: str = "", subject: str = "", actor: str = "",
           dari: str = "", sampai: str = "") -> Response:
    return _export(request, viewer, "csv", action, subject, actor, dari, sampai)


@router.get("/register.pdf")
def export_pdf(request: Request, viewer: ViewerDep, action: str = "", subject: str = "", actor: str = "",
               dari: str = "", sampai: str = "") -> Response:
    return _export(request, viewer, "pdf", action, subject, actor, dari, sampai)
