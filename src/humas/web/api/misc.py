"""API: who am I, SOPs, the audit register, SLA, accounts, weekly reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select

from humas.accounts.overview import overview_json
from humas.reports.weekly import parse_week, report_dict, week_report
from humas.sop.describe import sop_dict, sop_summary
from humas.sop.timing import overdue
from humas.store import audit
from humas.store.models import AuditEntry
from humas.web.api.schemas import (
    AccountOut,
    ApiUser,
    AuditOut,
    Me,
    OverdueOut,
    ReportOut,
    SopOut,
    SopSummary,
    VerifyOut,
    errors,
)
from humas.web.deps import humas

router = APIRouter()


@router.get("/me", response_model=Me, tags=["account"], responses=errors(), summary="The token's user")
def me(viewer: ApiUser) -> dict[str, Any]:
    return {"id": viewer.id, "name": viewer.name, "display_name": viewer.display_name, "roles": sorted(viewer.roles),
            "language": viewer.language}


@router.get("/sops", response_model=list[SopSummary], tags=["sops"], responses=errors(), summary="The SOPs")
def sops(request: Request, viewer: ApiUser) -> list[dict[str, Any]]:
    app = humas(request)
    return [sop_summary(s) for s in sorted(app.sops.sops.values(), key=lambda s: s.id)]


@router.get("/sops/{sop_id}", response_model=SopOut, tags=["sops"], responses=errors(404),
            summary="One SOP: steps, roles, time standards")
def sop(request: Request, viewer: ApiUser, sop_id: str) -> dict[str, Any]:
    return sop_dict(humas(request).sops.get(sop_id))


@router.get("/audit", response_model=list[AuditOut], tags=["audit"], responses=errors(),
            summary="The audit register, newest first")
def audit_list(request: Request, viewer: ApiUser, action: str | None = None, subject: str | None = None,
               actor: str | None = None, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
    app = humas(request)
    limit = max(1, min(limit, 1000))
    with app.db.read() as s:
        q = select(AuditEntry).order_by(AuditEntry.seq.desc()).offset(max(offset, 0)).limit(limit)
        stype, _, sid = (subject or "").partition(":")
        for key, value in (("action", action), ("subject_type", stype), ("subject_id", sid), ("actor", actor)):
            if value:
                q = q.where(getattr(AuditEntry, key) == value)
        return [audit.row(e, app.tz) for e in s.execute(q).scalars()]


@router.get("/audit/verify", response_model=VerifyOut, tags=["audit"], responses=errors(),
            summary="Check the register's hash chain")
def audit_verify(request: Request, viewer: ApiUser) -> dict[str, Any]:
    return humas(request).verify_register().as_dict()


@router.get("/sla/overdue", response_model=list[OverdueOut], tags=["sla"], responses=errors(),
            summary="SOP steps past their time standard, and who must act")
def sla_overdue(request: Request, viewer: ApiUser) -> list[dict[str, Any]]:
    app = humas(request)
    with app.db.read() as s:
        return [o.as_dict(app.sops, app.tz) for o in overdue(s, app.sops, app.calendar, app.clock())]


@router.get("/accounts", response_model=list[AccountOut], tags=["accounts"], responses=errors(),
            summary="Platform accounts (credentials only as their source, e.g. env:NAME)")
def accounts(request: Request, viewer: ApiUser) -> list[dict[str, Any]]:
    app = humas(request)
    return overview_json(app.settings, app.db, app.tz)


@router.get("/reports/weekly", response_model=ReportOut, tags=["reports"], responses=errors(400),
            summary="Per account: posts, comments, sentiment, cases; response times against the SOP")
def weekly(request: Request, viewer: ApiUser, week: str | None = None, account: str | None = None) -> dict[str, Any]:
    app = humas(request)
    start = parse_week(week or "", app.local(app.clock()).date())
    with app.db.read() as s:
        return report_dict(week_report(app.env, s, start, account or ""))
