"""Laporan: per week and account; SVG charts rendered here, and the same numbers as CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from humas.reports.weekly import LABELS, parse_week, report_csv, week_name, week_report
from humas.web.deps import Viewer, humas, page_router, page_viewer, render
from humas.web.i18n import status_text, translator
from humas.web.svg import stacked_bars

router = page_router()


@router.get("/laporan")
def reports(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)], minggu: str = "",
            account: str = "") -> Response:
    from datetime import timedelta

    app = humas(request)
    _ = translator(viewer.language)
    start = parse_week(minggu, app.local(app.clock()).date())
    with app.db.read() as s:
        r = week_report(app.env, s, start, account)
    legend = {k: _(status_text(k)) for k in LABELS}
    legend.update({"posts": _("Unggahan"), "comments": _("Komentar"), "within": _("Sesuai standar"),
                   "late": _("Terlambat")})
    charts = {
        "activity": stacked_bars([(a.account, [("posts", a.posts)]) for a in r.accounts],
                                 title=_("Unggahan per akun"), legend=legend),
        "sentiment": stacked_bars([(a.account, [(k, a.labels[k]) for k in LABELS]) for a in r.accounts],
                                  title=_("Komentar per sentimen"), legend=legend),
        "times": stacked_bars([(st.step, [("within", st.within), ("late", st.count - st.within)])
                               for st in r.steps], title=_("Waktu tanggap"), legend=legend),
    }
    return render(request, "reports.html", {
        "r": r, "charts": charts, "account": account, "accounts": [a.name for a in app.settings.accounts],
        "prev": week_name(start - timedelta(days=7)), "next": week_name(start + timedelta(days=7)),
    }, viewer=viewer)


@router.get("/laporan.csv")
def reports_csv(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)], minggu: str = "",
                account: str = "") -> Response:
    app = humas(request)
    start = parse_week(minggu, app.local(app.clock()).date())
    with app.db.read() as s:
        r = week_report(app.env, s, start, account)
    return Response(report_csv(r), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="laporan-{r.week}.csv"'})
