"""``humas inventory``: the documentation equipment, inventory rounds along the SOP's inventory steps, and the buku
inventarisasi (table, JSON or CSV).

Names and notes are people's text: printed through rich ``Text`` (never parsed as markup).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from humas.cli.common import AS_OPTION, JSON_OPTION, acting, console, emit_json, get_app
from humas.documentation.common import CONDITIONS, KINDS
from humas.documentation.inventory import CheckInput, Inventory, parse_memory
from humas.errors import InvalidInput

inventory_app = typer.Typer(help="Documentation equipment and its inventory rounds (SOP Inventarisasi Peralatan "
                                 "Dokumentasi).", no_args_is_help=True)
round_app = typer.Typer(help="Inventory rounds: start, assign, check each item, finish.", no_args_is_help=True)
inventory_app.add_typer(round_app, name="round")

KIND_HELP = "Kind: " + ", ".join(KINDS) + "."
CONDITION_HELP = "Condition: " + ", ".join(CONDITIONS) + "."


def say(text: str) -> None:
    console.print(Text(text))


@inventory_app.command("items")
def items(
    ctx: typer.Context,
    all_items: bool = typer.Option(False, "--all", help="Retired items too."),
    kind: str | None = typer.Option(None, "--kind", help=KIND_HELP),
    readiness: str | None = typer.Option(None, "--readiness", help="siap, perlu_perhatian, tidak_siap or belum."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The equipment: kind, name, serial, storage, condition, readiness and where it is lent."""
    app = get_app(ctx)
    with app.db.read() as s:
        eq = app.equipment(s)
        found = eq.items(include_retired=all_items, kind=kind, readiness=readiness)
        loans = eq.open_loans([i.id for i in found])
        rows = [eq.describe(i, loans.get(i.id)) for i in found]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        say("no equipment")
        return
    t = Table("id", "kind", "name", "serial", "storage", "condition", "readiness", "checked", "lent for")
    for r in rows:
        name = r["name"] + ("" if r["active"] else " (retired)")
        t.add_row(str(r["id"]), r["kind_label"], Text(name), Text(r["serial"] or ""), Text(r["storage"]),
                  r["condition_label"], r["readiness_label"], r["checked_at"] or "",
                  f"agenda {r['on_loan_for']}" if r["on_loan_for"] else "")
    console.print(t)


@inventory_app.command("add")
def add(
    ctx: typer.Context,
    kind: str = typer.Option(..., "--kind", help=KIND_HELP),
    name: str = typer.Option(..., "--name"),
    serial: str | None = typer.Option(None, "--serial", help="Serial number (unique)."),
    storage: str | None = typer.Option(None, "--storage", help="Where it is kept (default: Lemari terkunci)."),
    condition: str = typer.Option("baik", "--condition", help=CONDITION_HELP),
    note: str = typer.Option("", "--note"),
    user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Add an item (the Kabag, the Sub Koordinator or an admin)."""
    with acting(ctx, user) as (app, s, actor):
        eq = app.equipment(s)
        row = eq.describe(eq.add(actor, kind=kind, name=name, serial=serial, storage=storage, condition=condition,
                                 note=note))
    if as_json:
        emit_json(row)
        return
    say(f"item {row['id']} added: {row['kind_label']} {row['name']} ({row['storage']})")


@inventory_app.command("edit")
def edit(
    ctx: typer.Context,
    item_id: int = typer.Argument(..., metavar="ITEM"),
    kind: str | None = typer.Option(None, "--kind", help=KIND_HELP),
    name: str | None = typer.Option(None, "--name"),
    serial: str | None = typer.Option(None, "--serial", help="'' removes it."),
    storage: str | None = typer.Option(None, "--storage"),
    condition: str | None = typer.Option(None, "--condition", help=CONDITION_HELP),
    note: str | None = typer.Option(None, "--note"),
    user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Change an item's fields (a worse condition lowers its readiness until its next check)."""
    with acting(ctx, user) as (app, s, actor):
        eq = app.equipment(s)
        row = eq.describe(eq.edit(actor, item_id, kind=kind, name=name, serial=serial, storage=storage,
                                  condition=condition, note=note))
    if as_json:
        emit_json(row)
        return
    say(f"item {row['id']} saved: {row['name']}, {row['condition_label']}, {row['readiness_label']}")


@inventory_app.command("retire")
def retire(ctx: typer.Context, item_id: int = typer.Argument(..., metavar="ITEM"),
           note: str = typer.Option("", "--note", help="Why (lost, written off)."), user: str = AS_OPTION) -> None:
    """Take an item out of use; it stays, with its checks and loans, for history."""
    with acting(ctx, user) as (app, s, actor):
        item = app.equipment(s).retire(actor, item_id, note)
        name = item.name
    say(f"item {item_id} retired: {name}")


# --- rounds -------------------------------------------------------------------------------------------------------


def _round_line(r: dict[str, Any]) -> str:
    where = f"at {r['step']} ({r['step_label']})" if r["step"] else r["status_label"].lower()
    t = r["totals"]
    return (f"inventory round {r['id']}: {r['status']} {where}; {t['checked']}/{t['items']} checked, "
            f"{t['siap']} siap, {t['perlu_perhatian']} perlu perhatian, {t['tidak_siap']} tidak siap")


@round_app.command("list")
def round_list(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """The rounds, newest first, and when the next one is due."""
    app = get_app(ctx)
    with app.db.read() as s:
        inv = app.inventory(s)
        rows = [inv.report(r) for r in inv.rounds()]
        due = app.env.local_iso(inv.due_at())
    if as_json:
        emit_json({"due_at": due, "rounds": [{k: v for k, v in r.items() if k != "items"} for r in rows]})
        return
    say(f"next round due: {due or 'now (none finished yet)'}")
    for r in rows:
        say(_round_line(r))


@round_app.command("start")
def round_start(
    ctx: typer.Context,
    to: str | None = typer.Option(None, "--to", help="Also assign the next step to this person."),
    note: str = typer.Option("", "--note"),
    user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Start an inventory round (the first inventory step's role, the Kabag)."""
    with acting(ctx, user) as (app, s, actor):
        inv = app.inventory(s)
        row = inv.report(inv.start(actor, assign_to=to, note=note))
    if as_json:
        emit_json(row)
        return
    say(_round_line(row))


@round_app.command("assign")
def round_assign(
    ctx: typer.Context,
    round_id: int = typer.Argument(..., metavar="ROUND"),
    to: str = typer.Option(..., "--to", help="The person for the next step (holding its role)."),
    note: str = typer.Option("", "--note"),
    user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """The disposition at the current step: name the person for the next step."""
    with acting(ctx, user) as (app, s, actor):
        inv = app.inventory(s)
        row = inv.report(inv.assign(actor, round_id, to, note))
    if as_json:
        emit_json(row)
        return
    say(_round_line(row))


@round_app.command("check")
def round_check(
    ctx: typer.Context,
    round_id: int = typer.Argument(..., metavar="ROUND"),
    item_id: int = typer.Argument(..., metavar="ITEM"),
    present: bool = typer.Option(True, "--present/--missing", help="Whether the item is there."),
    condition: str | None = typer.Option(None, "--condition", help=CONDITION_HELP + " Default: baik."),
    battery: int | None = typer.Option(None, "--battery", help="Battery charge in percent (0-100)."),
    memory: str = typer.Option("", "--memory", help="Free memory: like 12GB or 30%."),
    note: str = typer.Option("", "--note"),
    user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Check one item (count, condition, battery and memory); again to correct it."""
    gb, percent = parse_memory(memory)
    given = CheckInput(present=present, condition=condition, battery_percent=battery, memory_free_gb=gb,
                       memory_free_percent=percent, note=note)
    with acting(ctx, user) as (app, s, actor):
        inv = app.inventory(s)
        c = inv.check(actor, round_id, item_id, given)
        readiness = c.readiness
        row = inv.report(inv.get(round_id))
    if as_json:
        emit_json(row)
        return
    say(f"item {item_id}: {readiness}")
    say(_round_line(row))


@round_app.command("finish")
def round_finish(
    ctx: typer.Context,
    round_id: int = typer.Argument(..., metavar="ROUND"),
    note: str = typer.Option("", "--note", help="The report to the Sub Koordinator."),
    user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Record and report the round (every active item must be checked)."""
    with acting(ctx, user) as (app, s, actor):
        inv = app.inventory(s)
        row = inv.report(inv.finish(actor, round_id, note))
    if as_json:
        emit_json(row)
        return
    say(_round_line(row))


@round_app.command("cancel")
def round_cancel(ctx: typer.Context, round_id: int = typer.Argument(..., metavar="ROUND"),
                 note: str = typer.Option(..., "--note", help="Why."), user: str = AS_OPTION) -> None:
    """Abandon an open round (the Kabag or an admin)."""
    with acting(ctx, user) as (app, s, actor):
        app.inventory(s).cancel(actor, round_id, note)
    say(f"inventory round {round_id} cancelled")


@inventory_app.command("report")
def report(
    ctx: typer.Context,
    round_id: int | None = typer.Argument(None, metavar="[ROUND]", help="Default: the latest round."),
    as_csv: bool = typer.Option(False, "--csv", help="CSV (the buku inventarisasi's rows)."),
    out: Path | None = typer.Option(None, "--out", help="With --csv: the file to write."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The buku inventarisasi of a round: its steps, every item's check, the totals."""
    if as_csv and as_json:
        raise InvalidInput("choose one of --csv and --json")
    app = get_app(ctx)
    with app.db.read() as s:
        inv = app.inventory(s)
        if round_id is None:
            latest = inv.rounds(1)
            if not latest:
                raise InvalidInput("there is no inventory round yet ('humas inventory round start')")
            round_id = latest[0].id
        row = inv.report(inv.get(round_id))
    if as_json:
        emit_json(row)
        return
    if as_csv:
        text = Inventory.report_csv(row)
        if out is None:
            sys.stdout.write(text)
            return
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot write {out}: {exc.strerror}") from None
        say(f"{len(row['items'])} row(s) written to {out}")
        return
    _print_report(row)


def _print_report(r: dict[str, Any]) -> None:
    say(f"Buku inventarisasi #{r['id']} · {r['sop_name']} · {r['status_label']}")
    say(f"started {r['started_at']} by {r['started_by']}"
        + (f"; finished {r['finished_at']} by {r['finished_by']}" if r["finished_at"] else ""))
    steps = Table("step", "role", "assignee", "standard", "entered", "completed", "within")
    for st in r["steps"]:
        within = "" if st["within_standard"] is None else "yes" if st["within_standard"] else "no"
        steps.add_row(Text(st["label"]), st["role_label"], Text(st["assignee"] or ""), st["time_standard"],
                      st["entered_at"] or "", st["completed_at"] or "", within)
    console.print(steps)
    t = Table("id", "kind", "name", "serial", "storage", "present", "condition", "battery", "memory", "readiness",
              "note")
    for row in r["items"]:
        present = row.get("present")
        memory = (f"{row['memory_free_gb']:g} GB" if row.get("memory_free_gb") is not None else
                  f"{row['memory_free_percent']}%" if row.get("memory_free_percent") is not None else "")
        t.add_row(str(row["item_id"]), row["kind_label"], Text(row["name"]), Text(row.get("serial") or ""),
                  Text(row.get("storage", "")), "" if present is None else "yes" if present else "no",
                  row.get("condition_label", ""),
                  f"{row['battery_percent']}%" if row.get("battery_percent") is not None else "", memory,
                  row.get("readiness_label", "not checked"), Text(row.get("note", "")))
    console.print(t)
    tot = r["totals"]
    say(f"{tot['items']} item(s): {tot['checked']} checked, {tot['present']} present, {tot['missing']} missing; "
        f"{tot['siap']} siap, {tot['perlu_perhatian']} perlu perhatian, {tot['tidak_siap']} tidak siap")
    if r["report_note"]:
        say(f"report: {r['report_note']}")
