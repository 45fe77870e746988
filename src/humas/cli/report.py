"""``humas report``: the weekly report and the publication cadence, as on the Laporan page."""

from __future__ import annotations

import sys

import typer
from rich.table import Table
from rich.text import Text

from humas.cli.common import JSON_OPTION, console, emit_json, get_app

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
    as_json: bool = JSON_OPTION,
) -> None:
    """Posts, comments, sentiment and cases per account; response times against the SOP; missed cadence periods."""
    from humas.reports.weekly import parse_range, parse_week, report_csv, report_dict, week_report

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
    title = r.week if r.end else f"week {r.week}"
    table = Table("account", "posts", "comments", "negative", "neutral", "positive", "cases", title=title)
    for a in r.accounts:
        table.add_row(Text(a.account), str(a.posts), str(a.comments), *(str(a.labels[k]) for k in
                                                                          ("negative", "neutral", "positive")),
                      str(a.cases))
    console.print(table)
    for c in r.missed:
        console.print(Text(f"missed: {c.sop_id} {c.period.label} (nothing published in {c.period.title()})"))


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
