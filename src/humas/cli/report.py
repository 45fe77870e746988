"""``humas report``: the weekly report and the publication cadence, as on the Laporan page."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from humas.cli.audit import FORCE_OPTION, LANG_OPTION, Destination, printing_as
from humas.cli.common import JSON_OPTION, console, emit_json, get_app, ok
from humas.errors import InvalidInput
from humas.reports.charts import CHARTS

if TYPE_CHECKING:
    from humas.app import App
    from humas.reports.weekly import WeekReport

report_app = typer.Typer(help="Reports: the week per account, and the publication cadence.", no_args_is_help=True)
STATUS_ID = {"met": "terpenuhi", "pending": "berjalan", "missed": "terlewat"}


@report_app.command("week")
def report_week(
    ctx: typer.Context,
    week: str = typer.Option("", "--week", help="ISO week YYYY-Www (default: this week)."),
    account: str = typer.Option("", "--account", help="Only this account."),
    since: str = typer.Option("", "--since", help="A range of days instead of a week: the first (YYYY-MM-DD)."),
    until: str = typer.Option("", "--until", help="The last day of the range, included (default: today)."),
    as_csv: bool = typer.Option(False, "--csv", help="Print the report as CSV."),
    as_pdf: bool = typer.Option(False, "--pdf", help="Write the report as PDF (tables and charts) to --out."),
    chart: str = typer.Option("", "--chart", help="Write one chart as PNG to --out: activity, sentiment, times or "
                                                  "engagement."),
    out: Path | None = typer.Option(None, "--out", help="File for --pdf or --chart; '-' or none: standard output "
                                                         "(only into a pipe)."),
    force: bool = FORCE_OPTION,
    lang: str | None = LANG_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Posts, comments, sentiment and cases per account; response times against the SOP; missed cadence periods."""
    from humas.reports.weekly import parse_range, parse_week, report_csv, report_dict, week_report

    if sum((as_csv, as_pdf, bool(chart), as_json)) > 1:
        raise InvalidInput("choose one of --csv, --pdf, --chart and --json")
    if chart and chart not in CHARTS:
        raise InvalidInput(f"unknown chart '{chart}' ({', '.join(CHARTS)})")
    target = Destination(out, force=force, binary=True) if as_pdf or chart else None

    app = get_app(ctx)
    today = app.local(app.clock()).date()
    end = None
    if since or until:
        start, end = parse_range(since, until, today)
    else:
        start = parse_week(week, today)
    with app.db.read() as s:
        r = week_report(app.env, s, start, account, end)
    if as_json:
        emit_json(report_dict(r, app.tz))
        return
    if as_csv:
        sys.stdout.write(report_csv(r))
        return
    if target is not None:
        _write(app, target, r, account, chart, lang)
        return
    title = r.week if r.end else f"week {r.week}"
    table = Table("account", "posts", "comments", "negative", "neutral", "positive", "cases", title=title)
    for a in r.accounts:
        table.add_row(Text(a.account), str(a.posts), str(a.comments), *(str(a.labels[k]) for k in
                                                                          ("negative", "neutral", "positive")),
                      str(a.cases))
    console.print(table)
    for c in r.missed:
        console.print(Text(f"missed: {c.sop_id} {c.period.label} (nothing published in {c.period.title()})"))


def _write(app: App, target: Destination, r: WeekReport, account: str, chart: str, lang: str | None) -> None:
    """The report as PDF, or one of its charts as PNG, written whole or not at all."""
    from humas.reports.export import chart_png, file_stem, report_pdf
    from humas.reports.printable import Issued, office_name

    _who, words = printing_as(app, None, lang)
    if chart:
        issued = Issued(chart_png(r, chart, words), "image/png", f"{file_stem(r)}-{chart}.png", "")
    else:
        issued = Issued(report_pdf(r, words, office=office_name(app.env), account=account, tz=app.tz,
                                   now=app.clock(), printer="cli"), "application/pdf", f"{file_stem(r)}.pdf", "")

    def produce(stage: Callable[[Issued], None]) -> Issued:
        stage(issued)
        return issued

    target.write(produce)
    if target.path is not None:
        ok(f"{'chart ' + chart if chart else 'report'} written to {target.path} ({len(issued.data):,} bytes)")


@report_app.command("cadence")
def report_cadence(
    ctx: typer.Context,
    periods: int = typer.Option(8, "--periods", min=1, max=104, help="How many periods back, this one included."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Each SOP with a cadence (e.g. weekly): its last periods, met, in progress or missed."""
    from humas.reports import cadence

    app = get_app(ctx)
    now = app.clock()
    with app.db.read() as s:
        rows = cadence.history(app.env, s, now, periods)
    if as_json:
        emit_json({"periods": [r.as_dict(app.tz) for r in rows], "missed": len(cadence.missed(rows))})
        return
    if not rows:
        console.print(Text("no SOP declares a cadence"))
        return
    table = Table("sop", "cadence", "period", "published", "in progress", "status", title="publication cadence")
    for r in rows:
        table.add_row(Text(r.sop_id), r.cadence, Text(r.period.title()), str(r.published),
                      str(r.in_pipeline) if r.status == "pending" else "", STATUS_ID[r.status])
    console.print(table)
