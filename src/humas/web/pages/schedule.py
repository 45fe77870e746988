"""Antrian (the publication queue: status, platform errors, retry, cancel), Kalender (month and week views of
scheduled and published posts per account) and scheduling approved content. Actions go through
:mod:`humas.queue.service`, which authorises them (``authz.may_operate_queue``)."""

from __future__ import annotations

import calendar as pycal
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from humas.app import App
from humas.errors import InvalidInput
from humas.planning.report import calendar_items
from humas.queue import service as queue
from humas.reports.weekly import parse_week
from humas.store.models import Content, JobState, PublicationJob
from humas.web.deps import Viewer, flash, humas, page_router, page_viewer, redirect, render
from humas.web.i18n import status_text, translator

router = page_router()
ViewerDep = Annotated[Viewer, Depends(page_viewer)]
CALENDAR_STATES = (JobState.SCHEDULED, JobState.CLAIMED, JobState.SENDING, JobState.RETRY_WAIT, JobState.IN_DOUBT,
                   JobState.PUBLISHED, JobState.FAILED)


@router.post("/konten/{content_id}/jadwal")
def schedule(request: Request, content_id: int, viewer: ViewerDep, at: Annotated[str, Form()] = "",
             accounts: Annotated[list[str] | None, Form()] = None, now: Annotated[str, Form()] = "") -> Response:
    """``at`` from the date-time field (office time zone), or the "Sekarang" button (``now``)."""
    app = humas(request)
    when = queue.parse_when(app.env, "now" if now else at)
    with app.db.session() as s:
        created = queue.schedule(app.env, s, viewer.actor, content_id, when, accounts or None,
                                 platform_check=app.platform_check)
        n = len(created)
    flash(request, translator(viewer.language)("Dijadwalkan: {n} unggahan.", n=n))
    return redirect(f"/konten/{content_id}")


@router.get("/antrian")
def queue_page(request: Request, viewer: ViewerDep, status: str = "", account: str = "") -> Response:
    app = humas(request)
    with app.db.read() as s:
        jobs = queue.list_jobs(s, status or None)
        if account:
            jobs = [j for j in jobs if j.account == account]
        jobs = sorted(jobs, key=lambda j: (j.run_at, j.id), reverse=True)[:500]
        titles = _titles(s, jobs)
        rows = [{**queue.job_dict(app.env, j), "title": titles.get(j.content_id or 0, ""), "run_at_dt": j.run_at}
                for j in jobs]
        may_operate = (viewer.is_admin or bool(viewer.roles & app.sops.publish_roles())
                       or "tim_sosial_media" in viewer.roles)
        return render(request, "queue.html", {
            "rows": rows, "status": status, "account": account, "statuses": [x.value for x in JobState],
            "accounts": [a.name for a in app.settings.accounts], "may_operate": may_operate,
            "retryable": {JobState.FAILED.value, JobState.RETRY_WAIT.value, JobState.IN_DOUBT.value},
            "cancellable": {JobState.SCHEDULED.value, JobState.RETRY_WAIT.value, JobState.IN_DOUBT.value,
                            JobState.FAILED.value},
        }, viewer=viewer)


def _titles(s: Any, jobs: list[PublicationJob]) -> dict[int, str]:
    ids = sorted({j.content_id for j in jobs if j.content_id is not None})
    if not ids:
        return {}
    return {cid: title for cid, title in s.execute(select(Content.id, Content.title).where(Content.id.in_(ids)))}


@router.post("/antrian/{job_id}/ulang")
def retry(request: Request, job_id: int, viewer: ViewerDep) -> Response:
    app = humas(request)
    with app.db.session() as s:
        queue.retry(app.env, s, viewer.actor, job_id)
    flash(request, translator(viewer.language)("Pekerjaan diulang."))
    return redirect("/antrian")


@router.post("/antrian/{job_id}/batal")
def cancel(request: Request, job_id: int, viewer: ViewerDep) -> Response:
    app = humas(request)
    with app.db.session() as s:
        queue.cancel(app.env, s, viewer.actor, job_id)
    flash(request, translator(viewer.language)("Pekerjaan dibatalkan."))
    return redirect("/antrian")


@router.post("/antrian/{job_id}/jadwal")
def move(request: Request, job_id: int, viewer: ViewerDep, at: Annotated[str, Form()] = "",
         back: Annotated[str, Form()] = "") -> Response:
    """A scheduled job to another time: the calendar's drag and drop (and its form without the script); ``at`` as the
    date-time field sends it or as the UI shows it, in the office's time zone."""
    app = humas(request)
    when = queue.parse_when(app.env, at)
    with app.db.session() as s:
        job = queue.move(app.env, s, viewer.actor, job_id, when)
        shown = app.local(job.run_at).strftime("%d-%m-%Y %H:%M")
    flash(request, translator(viewer.language)("Unggahan #{id} dipindah ke {when}.", id=job_id, when=shown))
    return redirect(back if back.startswith("/kalender") else "/kalender")


# --- Kalender ---------------------------------------------------------------------------------------------------


def _parse_month(value: str, today: date) -> date:
    if not value:
        return today.replace(day=1)
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise InvalidInput(f"invalid month '{value}' (expected YYYY-MM)") from None


def _events(app: App, s: Any, start: date, end: date, account: str) -> dict[date, list[dict[str, Any]]]:
    """Jobs per local day in [start, end): published ones at their publication time, others at ``run_at``."""
    lo = datetime.combine(start, time(0), tzinfo=app.tz)
    hi = datetime.combine(end, time(0), tzinfo=app.tz)
    q = select(PublicationJob).where(PublicationJob.kind == "post",
                                     PublicationJob.state.in_([x.value for x in CALENDAR_STATES]))
    if account:
        q = q.where(PublicationJob.account == account)
    jobs = [j for j in s.execute(q).scalars() if lo <= (j.published_at or j.run_at) < hi]
    titles = _titles(s, jobs)
    out: dict[date, list[dict[str, Any]]] = {}
    for j in sorted(jobs, key=lambda j: (j.published_at or j.run_at, j.id)):
        when = app.local(j.published_at or j.run_at)
        out.setdefault(when.date(), []).append({
            "id": j.id, "time": when.strftime("%H:%M"), "hour": when.hour, "account": j.account, "state": j.state,
            "title": titles.get(j.content_id or 0, ""), "content_id": j.content_id, "url": j.remote_url,
        })
    return out


@router.get("/kalender")
def calendar_page(request: Request, viewer: ViewerDep, view: str = "month", bulan: str = "", minggu: str = "",
                  account: str = "") -> Response:
    app = humas(request)
    today = app.local(app.clock()).date()
    with app.db.read() as s:
        if view == "week":
            start = parse_week(minggu, today)
            days = [start + timedelta(days=i) for i in range(7)]
            events = _events(app, s, start, start + timedelta(days=7), account)
            plans = calendar_items(app.env, s, start, start + timedelta(days=7))
            iso = start.isocalendar()
            ctx: dict[str, Any] = {
                "view": "week", "weeks": [days], "events": events, "title": f"{iso.year}-W{iso.week:02d}",
                "prev": "?" + urlencode({"view": "week", "minggu": _iso(start - timedelta(days=7)),
                                         "account": account}),
                "next": "?" + urlencode({"view": "week", "minggu": _iso(start + timedelta(days=7)),
                                         "account": account}),
                "month": None,
            }
        else:
            first = _parse_month(bulan, today)
            weeks = pycal.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
            events = _events(app, s, weeks[0][0], weeks[-1][-1] + timedelta(days=1), account)
            plans = calendar_items(app.env, s, weeks[0][0], weeks[-1][-1] + timedelta(days=1))
            prev_month = (first - timedelta(days=1)).replace(day=1)
            next_month = (first + timedelta(days=32)).replace(day=1)
            ctx = {"view": "month", "weeks": weeks, "events": events, "title": first.strftime("%Y-%m"),
                   "prev": "?" + urlencode({"view": "month", "bulan": f"{prev_month:%Y-%m}", "account": account}),
                   "next": "?" + urlencode({"view": "month", "bulan": f"{next_month:%Y-%m}", "account": account}),
                   "month": first.month}
    ctx["plans"] = plans  # the monthly plans' items on their activity's day (humas.planning)
    # the week's time axis: office hours, widened to the earliest and latest post of the week
    hours = [e["hour"] for day in events.values() for e in day]
    ctx["hours"] = list(range(min([7, *hours]), max([20, *hours]) + 1))
    ctx["movable"] = viewer.is_admin or bool(viewer.roles & app.sops.publish_roles()) \
        or "tim_sosial_media" in viewer.roles  # who may drag a scheduled post to another time (queue.move checks)
    ctx["here"] = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    ctx["legend"] = [(x.value, status_text(x.value)) for x in CALENDAR_STATES]
    ctx.update({"today": today, "account": account, "accounts": [a.name for a in app.settings.accounts],
                "weekdays": ["Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"]})
    return render(request, "calendar.html", ctx, viewer=viewer)


def _iso(d: date) -> str:
    iso = d.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"
