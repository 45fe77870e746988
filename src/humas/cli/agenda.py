"""``humas agenda``: the leaders' agenda (SOP Pelayanan Dokumentasi Tugas Pimpinan): entries, the staff assigned,
equipment checked out and returned, and the content an entry opens under the media SOP.

Activities, places and names are people's text: printed through rich ``Text`` (never parsed as markup).
"""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from humas.cli.common import AS_OPTION, JSON_OPTION, acting, console, emit_json, get_app
from humas.documentation.agenda import Returned
from humas.documentation.common import CONDITIONS, LEADERS, parse_time

agenda_app = typer.Typer(help="The leaders' agenda: activities to document, staff, equipment, content.",
                         no_args_is_help=True)
ENTRY_ARG = typer.Argument(..., metavar="ENTRY", help="The agenda entry's id (see 'humas agenda list').")
TIME_HELP = "'YYYY-MM-DD HH:MM' or 'DD-MM-YYYY HH:MM' in the configured time zone."


def say(text: str) -> None:
    console.print(Text(text))


def _line(d: dict[str, Any]) -> str:
    when = f"{d['starts_at'][:16].replace('T', ' ')}–{d['ends_at'][11:16]}"
    extra = f"; content {d['content_id']}" if d["content_id"] else ""
    staff = f"; staff {', '.join(d['staff'])}" if d["staff"] else ""
    out = sum(1 for x in d["loans"] if x["returned_at"] is None)
    lent = f"; {out} item(s) out" if out else ""
    return f"[{d['id']}] {when} {d['title']} @ {d['place']} ({d['status']}){staff}{lent}{extra}"


@agenda_app.command("list")
def agenda_list(
    ctx: typer.Context,
    start: str | None = typer.Option(None, "--from", help="From this time. " + TIME_HELP),
    end: str | None = typer.Option(None, "--to", help="Until this time. " + TIME_HELP),
    all_entries: bool = typer.Option(False, "--all", help="Cancelled entries too."),
    content: int | None = typer.Option(None, "--content", help="The entry that opened this content."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Agenda entries, earliest first."""
    app = get_app(ctx)
    since = parse_time(app.env, start, "--from") if start else None
    until = parse_time(app.env, end, "--to") if end else None
    with app.db.read() as s:
        ag = app.agenda(s)
        rows = [ag.describe(e) for e in ag.entries(start=since, end=until, include_cancelled=all_entries,
                                                     content_id=content)]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        say("no agenda entries")
    for d in rows:
        say(_line(d))


@agenda_app.command("show")
def agenda_show(ctx: typer.Context, entry_id: int = ENTRY_ARG, as_json: bool = JSON_OPTION) -> None:
    """One entry with its staff, the equipment lent and the content it opened."""
    app = get_app(ctx)
    with app.db.read() as s:
        ag = app.agenda(s)
        d = ag.describe(ag.get(entry_id))
    if as_json:
        emit_json(d)
        return
    say(_line(d))
    say(f"activity: {d['activity']}")
    if d["content_id"]:
        say(f"content {d['content_id']}: {d['content_title']} ({d['content_status']}, step {d['content_step']})")
    if d["loans"]:
        t = Table("item", "name", "holder", "out", "returned", "condition", "note")
        for x in d["loans"]:
            t.add_row(str(x["item_id"]), Text(x["name"]), Text(x["holder"]), x["checked_out_at"],
                      x["returned_at"] or "", x["return_condition"] or "", Text(x["return_note"]))
        console.print(t)


@agenda_app.command("add")
def agenda_add(
    ctx: typer.Context,
    leader: str = typer.Option(..., "--leader", help="One of: " + ", ".join(LEADERS) + "."),
    activity: str = typer.Option(..., "--activity", help="What the leader does."),
    place: str = typer.Option(..., "--place"),
    start: str = typer.Option(..., "--start", help=TIME_HELP),
    end: str = typer.Option(..., "--end", help=TIME_HELP),
    leader_name: str = typer.Option("", "--leader-name", help="The leader's name (required for 'lainnya')."),
    note: str = typer.Option("", "--note"),
    user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a leader's activity to document (the Kabag or the Sub Koordinator)."""
    with acting(ctx, user) as (app, s, actor):
        ag = app.agenda(s)
        d = ag.describe(ag.add(actor, leader=leader, activity=activity, place=place, starts_at=start, ends_at=end,
                               leader_name=leader_name, note=note))
    if as_json:
        emit_json(d)
        return
    say(f"agenda entry {d['id']} added: {_line(d)}")


@agenda_app.command("assign")
def agenda_assign(
    ctx: typer.Context,
    entry_id: int = ENTRY_ARG,
    staff: list[str] = typer.Option(..., "--staff", help="A staff member (Staf Sub Dokpim); repeatable."),
    user: str = AS_OPTION,
) -> None:
    """Assign staff to document the entry."""
    with acting(ctx, user) as (app, s, actor):
        added = app.agenda(s).assign(actor, entry_id, staff)
    say(f"agenda entry {entry_id}: assigned {', '.join(added)}")


@agenda_app.command("checkout")
def agenda_checkout(
    ctx: typer.Context,
    entry_id: int = ENTRY_ARG,
    item: list[int] = typer.Option(..., "--item", help="An equipment item's id; repeatable."),
    holder: str | None = typer.Option(None, "--holder", help="The assigned staff member who holds it (default: "
                                                             "you, or the only one assigned)."),
    user: str = AS_OPTION,
) -> None:
    """Check ready equipment out for the entry (the assigned staff or the Sub Koordinator; all or none)."""
    with acting(ctx, user) as (app, s, actor):
        loans = app.agenda(s).checkout(actor, entry_id, item, holder)
        ids = [x.item_id for x in loans]
    say(f"agenda entry {entry_id}: checked out item(s) {', '.join(map(str, ids))}")


@agenda_app.command("return")
def agenda_return(
    ctx: typer.Context,
    entry_id: int = ENTRY_ARG,
    item: list[int] = typer.Option(..., "--item", help="An item handed back; repeatable."),
    condition: str = typer.Option("baik", "--condition", help="Condition: " + ", ".join(CONDITIONS) + "."),
    note: str = typer.Option("", "--note"),
    user: str = AS_OPTION,
) -> None:
    """Hand equipment back in a condition (a damaged item's readiness drops until its next check)."""
    with acting(ctx, user) as (app, s, actor):
        app.agenda(s).return_items(actor, entry_id, [Returned(i, condition, note) for i in item])
    say(f"agenda entry {entry_id}: returned item(s) {', '.join(map(str, item))} ({condition})")


@agenda_app.command("to-content")
def agenda_to_content(
    ctx: typer.Context,
    entry_id: int = ENTRY_ARG,
    title: str | None = typer.Option(None, "--title", help="Default: the leader and the activity."),
    user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Open the media SOP's content from the entry, at its first step (the leaders' agenda)."""
    with acting(ctx, user) as (app, s, actor):
        c = app.agenda(s).to_content(actor, entry_id, title)
        row = {"entry": entry_id, "content": c.id, "sop": c.sop_id, "step": c.step_id, "title": c.title}
    if as_json:
        emit_json(row)
        return
    say(f"agenda entry {entry_id} → content {row['content']} ({row['sop']}, step {row['step']}): {row['title']}")


@agenda_app.command("cancel")
def agenda_cancel(ctx: typer.Context, entry_id: int = ENTRY_ARG,
                  note: str = typer.Option(..., "--note", help="Why."), user: str = AS_OPTION) -> None:
    """The activity will not take place (nothing may be checked out for it)."""
    with acting(ctx, user) as (app, s, actor):
        app.agenda(s).cancel(actor, entry_id, note)
    say(f"agenda entry {entry_id} cancelled")
