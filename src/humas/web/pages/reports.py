"""Laporan: per week and account; SVG charts rendered here, and the same numbers as CSV."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import Response

from humas.errors import InvalidInput
from humas.reports.weekly import (
    LABELS,
    WeekReport,
    parse_range,
    parse_week,
    report_csv,
    week_name,
    week_report,
)
from humas.web.deps import Viewer, humas, page_router, page_viewer, render
from humas.web.i18n import said, status_text, translator
from humas.web.svg import stacked_bars

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


@router.get("/laporan")
def reports(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)], minggu: str = "",
            account: str = "", dari: str = "", sampai: str = "") -> Response:
    app = humas(request)
    _ = translator(viewer.language)
    r, problem = _report(request, minggu, dari, sampai, account, viewer.language)
    start = r.start
    legend = {k: _(status_text(k)) for k in LABELS}
    legend.update({"posts": _("Unggahan"), "comments": _("Komentar"), "within": _("Sesuai standar"),
                   "late": _("Terlambat")})
    charts = {
        "activity": stacked_bars([(a.account, [("posts", a.posts)]) for a in r.accounts],
                                 title=_("Unggahan per akun"), legend=legend),
        "sentiment": stacked_bars([(a.account, [(k, a.labels[k]) for k in LABELS]) for a in r.accounts],
                                  title=_("Komentar per sentimen"), legend=legend),
        "times": stacked_bars([(st.step, [("within", st.within), ("late", st.late)])
                               for st in r.steps], title=_("Waktu tanggap"), legend=legend),
        "engagement": stacked_bars([(e.account, [(k, getattr(e, k) or 0) for k in ("likes", "comments", "shares")])
                                    for e in r.engagement if e.measured], title=_("Interaksi per akun"),
                                   legend={"likes": _("Suka"), "comments": _("Komentar"), "shares": _("Dibagikan")}),
    }
    return render(request, "reports.html", {
        "r": r, "charts": charts, "account": account, "accounts": [a.name for a in app.settings.accounts],
        "prev": week_name(start - timedelta(days=7)), "next": week_name(start + timedelta(days=7)),
        "dari": dari, "sampai": sampai, "range_problem": problem,
        "csv": "/laporan.csv?" + urlencode({"minggu": r.week if r.is_week and not r.end else "", "dari": dari,
                                            "sampai": sampai, "account": account}),
    }, viewer=viewer, status=400 if problem else 200)


@router.get("/laporan.csv")
def reports_csv(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)], minggu: str = "",
                account: str = "", dari: str = "", sampai: str = "") -> Response:
    r, problem = _report(request, minggu, dari, sampai, account, viewer.language)
    if problem:
        raise InvalidInput(problem)
    name = r.week if not r.end else f"{r.start.isoformat()}_{(r.until - timedelta(days=1)).isoformat()}"
    return Response(report_csv(r), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="laporan-{name}.csv"'})
