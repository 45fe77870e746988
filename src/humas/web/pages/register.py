"""Register: the audit register, filterable, exportable as CSV, with its hash chain verified on demand."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import select

from humas.store import audit
from humas.store.models import AuditEntry
from humas.web.deps import Viewer, humas, page_router, page_viewer, render

router = page_router()
PAGE = 200


def _filters(action: str, subject: str, actor: str) -> dict[str, str]:
    stype, _, sid = subject.partition(":")
    return {"action": action, "subject_type": stype, "subject_id": sid, "actor": actor}


@router.get("/register")
def register(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)], action: str = "", subject: str = "",
             actor: str = "", page: int = 1) -> Response:
    app = humas(request)
    with app.db.read() as s:
        q = select(AuditEntry).order_by(AuditEntry.seq.desc())
        for key, value in _filters(action, subject, actor).items():
            if value:
                q = q.where(getattr(AuditEntry, key) == value)
        page = max(page, 1)
        rows = [audit.row(e, app.tz) for e in s.execute(q.offset((page - 1) * PAGE).limit(PAGE + 1)).scalars()]
        actions = list(s.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).scalars())
        return render(request, "register.html", {
            "rows": rows[:PAGE], "more": len(rows) > PAGE, "page": page, "action": action, "subject": subject,
            "actor": actor, "actions": actions, "verified": None,
        }, viewer=viewer)


@router.get("/register/verifikasi")
def verify(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)]) -> Response:
    app = humas(request)
    r = app.verify_register()
    with app.db.read() as s:
        actions = list(s.execute(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).scalars())
    return render(request, "register.html", {"rows": [], "more": False, "page": 1, "action": "", "subject": "",
                                             "actor": "", "actions": actions, "verified": r}, viewer=viewer,
                  status=200 if r.ok else 409)


@router.get("/register.csv")
def export(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)], action: str = "",
           subject: str = "") -> Response:
    app = humas(request)
    stype, _, sid = subject.partition(":")
    buf = io.StringIO()
    with app.db.read() as s:
        audit.export_csv(s, buf, app.tz, action=action, subject_type=stype, subject_id=sid)
    stamp = datetime.now(app.tz).strftime("%Y%m%d-%H%M")
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="register-{stamp}.csv"'})
