"""Laporan: per week or range of days and account, with its charts; as CSV and PDF, each chart as PNG."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import Response

from humas.errors import InvalidInput, NotFound
from humas.reports.charts import CHARTS, to_svg
from humas.reports.export import chart_png, charts, file_stem, report_pdf
from humas.reports.printable import office_name
from humas.reports.weekly import WeekReport, parse_range, parse_week, report_csv, week_name, week_report
from humas.web.deps import Viewer, humas, page_router, page_viewer, render
from humas.web.i18n import document_words, said

router = page_router()


def _report(request: Request, minggu: str, dari: str, sampai: str, account: str,
            lang: str) -> tuple[WeekReport, str | None]:
    """The week (``minggu``), or the days ``dari``..``sampai`` when both are given; a range that cannot be read
    is named and this week shown instead."""
    app = humas(request)
    today = app.local(app.clock()).date()
    problem = None
    end = None
    if dari or sampai:
        try:
            start, end = parse_range(dari, sampai, today)
        except InvalidInput as exc:
            problem, start = said(exc, lang), parse_week("", today)
    else:
        start = parse_week(minggu, today)
    with app.db.read() as s:
        return week_report(app.env, s, start, account, end), problem


def _query(r: WeekReport, account: str, dari: str, sampai: str) -> str:
    """The query string that asks for this same report again (for its downloads)."""
    return urlencode({"minggu": r.week if r.is_week and not r.end else "", "dari": dari, "sampai": sampai,
                      "account": account})


@router.get("/laporan")
def reports(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)], minggu: str = "",
            account: str = "", dari: str = "", sampai: str = "") -> Response:
    app = humas(request)
    r, problem = _report(request, minggu, dari, sampai, account, viewer.language)
    start = r.start
    query = _query(r, account, dari, sampai)
    return render(request, "reports.html", {
        "r": r, "charts": {k: to_svg(c) for k, c in charts(r, document_words(viewer.language)).items()},
        "account": account, "accounts": [a.name for a in app.settings.accounts],
        "prev": week_name(start - timedelta(days=7)), "next": week_name(start + timedelta(days=7)),
        "dari": dari, "sampai": sampai, "range_problem": problem,
        "csv": f"/laporan.csv?{query}", "pdf": f"/laporan.pdf?{query}",
        "png": {k: f"/laporan/grafik/{k}.png?{query}" for k in CHARTS},
    }, viewer=viewer, status=400 if problem else 200)


def _download(request: Request, viewer: Viewer, minggu: str, account: str, dari: str,
              sampai: str) -> WeekReport:
    r, problem = _report(request, minggu, dari, sampai, account, viewer.language)
    if problem:
        raise InvalidInput(problem)
    return r


def _person(viewer: Viewer) -> str:
    shown = viewer.display_name.strip()
    return f"{shown} ({viewer.name})" if shown and shown != viewer.name else viewer.name


def _attachment(name: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"}


@router.get("/laporan.csv")
def reports_csv(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)], minggu: str = "",
                account: str = "", dari: str = "", sampai: str = "") -> Response:
    r = _download(request, viewer, minggu, account, dari, sampai)
    return Response(report_csv(r), media_type="text/csv; charset=utf-8", headers=_attachment(f"{file_stem(r)}.csv"))


@router.get("/laporan.pdf")
def reports_pdf(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)], minggu: str = "",
                account: str = "", dari: str = "", sampai: str = "") -> Response:
    app = humas(request)
    r = _download(request, viewer, minggu, account, dari, sampai)
    data = report_pdf(r, document_words(viewer.language), office=office_name(app.env), account=account, tz=app.tz,
                      now=app.clock(), printer=_person(viewer))
    return Response(data, media_type="application/pdf", headers=_attachment(f"{file_stem(r)}.pdf"))


@router.get("/laporan/grafik/{name}.png")
def reports_png(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)], name: str, minggu: str = "",
                account: str = "", dari: str = "", sampai: str = "") -> Response:
    if name not in CHARTS:
        raise NotFound(f"no chart '{name[:30]}'")
    r = _download(request, viewer, minggu, account, dari, sampai)
    data = chart_png(r, name, document_words(viewer.language))
    return Response(data, media_type="image/png", headers=_attachment(f"{file_stem(r)}-{name}.png"))
