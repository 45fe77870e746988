"""API: who am I, SOPs, the audit register, SLA, accounts, weekly reports."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy import select

from humas.accounts.overview import overview_json
from humas.errors import InvalidInput
from humas.reports.weekly import parse_range, report_dict, week_report
from humas.sop.describe import sop_dict, sop_summary
from humas.sop.timing import overdue
from humas.store import audit
from humas.store.models import AuditEntry
from humas.web.api.schemas import (
    MAX_ID,
    AccountOut,
    ApiUser,
    AuditOut,
    Me,
    OverdueOut,
    QueryText,
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


@router.get("/sops", response_model=list[SopSummary], tags=["sops"], responses=errors(), summary="The SOPs",
            name="list_sops")
def sops(request: Request, viewer: ApiUser) -> list[dict[str, Any]]:
    app = humas(request)
    return [sop_summary(s) for s in sorted(app.sops.sops.values(), key=lambda s: s.id)]


@router.get("/sops/{sop_id}", response_model=SopOut, tags=["sops"], responses=errors(404),
            summary="One SOP: steps, roles, time standards", name="show_sop")
def sop(request: Request, viewer: ApiUser, sop_id: Annotated[str, Path(max_length=200)]) -> dict[str, Any]:
    return sop_dict(humas(request).sops.get(sop_id))


@router.get("/audit", response_model=list[AuditOut], tags=["audit"], responses=errors(),
            summary="The audit register, newest first")
def audit_list(request: Request, viewer: ApiUser, action: QueryText = None,
               subject: QueryText = None, actor: QueryText = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
               offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> list[dict[str, Any]]:
    """``subject``: ``TYPE:ID``, e.g. ``content:12``."""
    app = humas(request)
    with app.db.read() as s:
        q = select(AuditEntry).order_by(AuditEntry.seq.desc()).offset(offset).limit(limit)
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
            summary="Platform accounts (credentials only as their source, e.g. env:NAME)", name="list_accounts")
def accounts(request: Request, viewer: ApiUser) -> list[dict[str, Any]]:
    app = humas(request)
    return overview_json(app.settings, app.db, app.tz)


WEEK = r"^[0-9]{4}-W[0-9]{2}$"
FIRST_YEAR, LAST_YEAR = 1970, 9998  # a week's times must convert to UTC and back on every database
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # as a date input sends it; a day that does not exist is a 400 too


def week_start(week: str | None, today: date) -> date:
    """The Monday of ISO week ``YYYY-Www`` (default: this week); a week that does not exist is invalid input."""
    if not week:
        return today - timedelta(days=today.weekday())
    year, number = int(week[:4]), int(week[6:])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"invalid week '{week}' (years {FIRST_YEAR}-{LAST_YEAR})")
    try:
        return date.fromisocalendar(year, number, 1)
    except ValueError:
        weeks = date(year, 12, 28).isocalendar().week
        raise InvalidInput(f"invalid week '{week}' ({year} has ISO weeks 01-{weeks})") from None


@router.get("/reports/weekly", response_model=ReportOut, tags=["reports"], responses=errors(),
            summary="Per account: posts, comments, sentiment, cases; response times against the SOP",
            name="weekly_report")
def weekly(request: Request, viewer: ApiUser,
           week: Annotated[str | None, Query(pattern=WEEK, description=f"ISO week YYYY-Www, {FIRST_YEAR}-W01 to "
                                                                       f"{LAST_YEAR}-W52 (default: this week)")] = None,
           account: QueryText = None) -> dict[str, Any]:
    app = humas(request)
    start = week_start(week, app.local(app.clock()).date())
    with app.db.read() as s:
        return report_dict(week_report(app.env, s, start, account or ""), app.tz)


@router.get("/reports/range", response_model=ReportOut, tags=["reports"], responses=errors(),
            summary="The same report over any range of days (at most 366), both ends included",
            name="range_report")
def range_report(request: Request, viewer: ApiUser,
                 since: Annotated[str | None, Query(pattern=DAY, description="first day, YYYY-MM-DD, office time "
                                                                           "zone (default: six days before until)")]
                 = None,
                 until: Annotated[str | None, Query(pattern=DAY, description="last day, included, YYYY-MM-DD "
                                                                           "(default: today)")] = None,
                 account: QueryText = None) -> dict[str, Any]:
    app = humas(request)
    start, end = parse_range(since or "", until or "", app.local(app.clock()).date())
    if not all(FIRST_YEAR <= d.year <= LAST_YEAR for d in (start, end - timedelta(days=1))):
        raise InvalidInput(f"dates from {FIRST_YEAR} to {LAST_YEAR}")
    with app.db.read() as s:
        return report_dict(week_report(app.env, s, start, account or "", end), app.tz)
