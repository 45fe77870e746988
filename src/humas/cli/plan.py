"""``humas plan``: the monthly content plan (meeting, proposed items, approval) and its rencana vs realisasi."""

from __future__ import annotations

from typing import Any

import typer

from humas.cli.common import AS_OPTION, JSON_OPTION, acting, emit_json, get_app, ok
from humas.planning.model import ItemChanges, ItemInput, Notice, parse_local
from humas.planning.notices import month_name
from humas.planning.report import month_report, report_csv, report_dict

plan_app = typer.Typer(help="Monthly content plans: meeting, proposed items, approval; drafts from the items.",
                       no_args_is_help=True)
item_app = typer.Typer(help="The plan's proposed items (Daftar Usulan Materi).", no_args_is_help=True)
plan_app.add_typer(item_app, name="item")

PLAN_ARG = typer.Argument(..., metavar="PLAN", help="The plan's id, or its month (YYYY-MM) with --sop.")
SOP_OPTION = typer.Option(None, "--sop", help="The SOP (default: the one SOP with a monthly plan).")


def _warn(notices: list[Notice]) -> None:
    for n in notices:
        typer.echo(f"warning: {n.en}", err=True)


def _summary(d: dict[str, Any]) -> str:
    where = f"step {d['step']} ({d['step_label']})" if d["step"] else "no open step"
    return f"plan {d['id']} ({d['sop']}, {d['month']}): {d['status']} at {where}"


@plan_app.command("create")
def plan_create(
    ctx: typer.Context,
    month: str = typer.Argument(..., metavar="MONTH", help="The month planned, YYYY-MM."),
    sop: str | None = SOP_OPTION,
    meeting: str | None = typer.Option(None, "--meeting", help="The meeting, 'YYYY-MM-DD HH:MM' (office time)."),
    place: str = typer.Option("", "--place", help="Where the meeting is held."),
    user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create the plan of a month at its first step (the meeting)."""
    with acting(ctx, user) as (app, s, actor):
        p = app.planning(s)
        at = parse_local(app.env, meeting) if meeting else None
        plan, notices = p.create(actor, sop_id=sop, month=month, meeting_at=at, place=place)
        d = p.describe(plan)
    _warn(notices)
    if as_json:
        emit_json(d)
    else:
        ok(f"{_summary(d)} created")


@plan_app.command("meeting")
def plan_meeting(
    ctx: typer.Context,
    plan: str = PLAN_ARG,
    at: str = typer.Option(..., "--at", help="'YYYY-MM-DD HH:MM' (office time), before the month."),
    place: str = typer.Option("", "--place", help="Where the meeting is held."),
    sop: str | None = SOP_OPTION,
    user: str = AS_OPTION,
) -> None:
    """Set the coordination meeting (first plan step); submitting the step sends the invitation."""
    with acting(ctx, user) as (app, s, actor):
        p = app.planning(s)
        row, notices = p.set_meeting(actor, p.find(plan, sop).id, parse_local(app.env, at), place)
        when = app.local(row.meeting_at).strftime("%Y-%m-%d %H:%M") if row.meeting_at else "-"
        pid = row.id
    _warn(notices)
    ok(f"plan {pid}: meeting at {when}" + (f", {place}" if place else ""))


@plan_app.command("show")
def plan_show(ctx: typer.Context, plan: str = PLAN_ARG, sop: str | None = SOP_OPTION,
              as_json: bool = JSON_OPTION) -> None:
    """Show a plan: its step, the meeting, the items and what became of them, step times."""
    app = get_app(ctx)
    with app.db.read() as s:
        p = app.planning(s)
        d = p.describe(p.find(plan, sop))
    if as_json:
        emit_json(d)
        return
    ok(_summary(d) + (f" · due {d['due_at']}" if d["due_at"] else ""))
    ok(f"  meeting: {d['meeting_at'] or '-'} {d['meeting_place']}".rstrip())
    ok(f"  list version {d['list_version']} ({d['list_hash'][:12]})")
    for i in d["items"]:
        content = f"content {i['content_id']} ({i['content_status']})" if i["content_id"] else "-"
        ok(f"  [{i['id']}] {i['date']}  {i['activity']}  · {i['unit_label'] or '-'} · {i['owner']}"
           f" · {', '.join(i['channels']) or '-'} · {content}")
    for x in d["periods"]:
        mark = "ok" if x["within_standard"] else "LATE"
        ok(f"  {x['step']:<22} {x['time_standard']:>5}  took {x['took_minutes']:g} m  {mark}")
    _warn([Notice(w, w) for w in d["warnings"]])


@plan_app.command("list")
def plan_list(ctx: typer.Context, sop: str | None = typer.Option(None, "--sop"),
              month: str | None = typer.Option(None, "--month", help="YYYY-MM."),
              as_json: bool = JSON_OPTION) -> None:
    """List plans, latest month first."""
    app = get_app(ctx)
    with app.db.read() as s:
        p = app.planning(s)
        rows = [{"id": x.id, "sop": x.sop_id, "month": x.month, "status": x.status, "step": x.step_id,
                 "items": len(x.items), "meeting_at": app.env.local_iso(x.meeting_at)}
                for x in p.plans(sop_id=sop, month=month)]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        ok(f"{r['id']:>4}  {r['month']}  {r['sop']:<18} {r['status']:<10} {r['step'] or '-':<20} {r['items']} items")


@item_app.command("add")
def item_add(
    ctx: typer.Context,
    plan: str = PLAN_ARG,
    activity: str = typer.Option(..., "--activity", help="The activity (becomes the content's title)."),
    date: str = typer.Option(..., "--date", help="The activity's day, YYYY-MM-DD, within the month."),
    owner: str = typer.Option(..., "--owner", help="Who makes the content (holds the content chain's first role)."),
    unit: str = typer.Option("", "--unit", help="The work unit (free text or a role id)."),
    channel: list[str] = typer.Option([], "--channel", help="A target account; repeatable."),
    note: str = typer.Option("", "--note"),
    sop: str | None = SOP_OPTION,
    user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a proposed item (only at the list step, by its role)."""
    with acting(ctx, user) as (app, s, actor):
        p = app.planning(s)
        row = p.add_item(actor, p.find(plan, sop).id,
                         ItemInput(activity=activity, activity_date=date, owner=owner, unit=unit, channels=channel,
                                   note=note))
        iid, pid = row.id, row.plan_id
    if as_json:
        emit_json({"plan": pid, "item": iid})
    else:
        ok(f"plan {pid}: item {iid} added")


@item_app.command("edit")
def item_edit(
    ctx: typer.Context,
    plan: str = PLAN_ARG,
    item_id: int = typer.Argument(..., metavar="ITEM"),
    activity: str | None = typer.Option(None, "--activity"),
    date: str | None = typer.Option(None, "--date"),
    owner: str | None = typer.Option(None, "--owner"),
    unit: str | None = typer.Option(None, "--unit"),
    channel: list[str] = typer.Option([], "--channel", help="Replaces the channels; repeatable."),
    no_channels: bool = typer.Option(False, "--no-channels", help="Remove every channel."),
    note: str | None = typer.Option(None, "--note"),
    sop: str | None = SOP_OPTION,
    user: str = AS_OPTION,
) -> None:
    """Change a proposed item (only at the list step, by its role)."""
    channels: list[str] | None = [] if no_channels else (list(channel) or None)
    with acting(ctx, user) as (_app, s, actor):
        p = _app.planning(s)
        pid = p.find(plan, sop).id
        p.edit_item(actor, pid, item_id, ItemChanges(activity=activity, activity_date=date, owner=owner, unit=unit,
                                                     channels=channels, note=note))
    ok(f"plan {pid}: item {item_id} changed")


@item_app.command("remove")
def item_remove(ctx: typer.Context, plan: str = PLAN_ARG, item_id: int = typer.Argument(..., metavar="ITEM"),
                sop: str | None = SOP_OPTION, user: str = AS_OPTION) -> None:
    """Remove a proposed item (only at the list step, by its role)."""
    with acting(ctx, user) as (app, s, actor):
        p = app.planning(s)
        pid = p.find(plan, sop).id
        p.remove_item(actor, pid, item_id)
    ok(f"plan {pid}: item {item_id} removed")


def _decide(ctx: typer.Context, verb: str, plan: str, sop: str | None, user: str, note: str,
            expected: str | None = None) -> None:
    with acting(ctx, user) as (app, s, actor):
        p = app.planning(s)
        pid = p.find(plan, sop).id
        if verb == "approve":
            row = p.approve(actor, pid, note, expected_hash=expected)
        else:
            row = {"submit": p.submit, "reject": p.reject}[verb](actor, pid, note)
        d = p.describe(row)
    ok(_summary(d))
    if d["status"] == "approved":
        ok("  content drafts: " + ", ".join(f"{i['content_id']} ({i['activity']}, due {i['due_on']})"
                                            for i in d["items"]))


@plan_app.command("submit")
def plan_submit(ctx: typer.Context, plan: str = PLAN_ARG, sop: str | None = SOP_OPTION, user: str = AS_OPTION,
                note: str = typer.Option("", "--note")) -> None:
    """Finish the current step: the meeting (the invitation goes out) or the item list (to approval)."""
    _decide(ctx, "submit", plan, sop, user, note)


@plan_app.command("approve")
def plan_approve(ctx: typer.Context, plan: str = PLAN_ARG, sop: str | None = SOP_OPTION, user: str = AS_OPTION,
                 note: str = typer.Option("", "--note"),
                 list_hash: str | None = typer.Option(None, "--hash", help="Refuse unless the list still has this "
                                                                           "hash (from 'plan show --json').")) -> None:
    """Approve the list; after the last step every item becomes a content draft (all or none)."""
    _decide(ctx, "approve", plan, sop, user, note, list_hash)


@plan_app.command("reject")
def plan_reject(ctx: typer.Context, plan: str = PLAN_ARG, sop: str | None = SOP_OPTION, user: str = AS_OPTION,
                note: str = typer.Option(..., "--note", help="What must be fixed.")) -> None:
    """Reject the list with a note: back to the step the SOP names."""
    _decide(ctx, "reject", plan, sop, user, note)


@plan_app.command("history")
def plan_history(ctx: typer.Context, plan: str = PLAN_ARG, sop: str | None = SOP_OPTION,
                 as_json: bool = JSON_OPTION) -> None:
    """Every change of the plan with actor, role and note."""
    app = get_app(ctx)
    with app.db.read() as s:
        p = app.planning(s)
        rows = p.history(p.find(plan, sop))
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        ok(f"{r['at']}  {r['action']:<20} {r['actor']:<14} {r['role']:<18} {r['note']}")


@plan_app.command("report")
def plan_report(ctx: typer.Context, month: str = typer.Argument(..., metavar="MONTH", help="YYYY-MM."),
                sop: str | None = typer.Option(None, "--sop", help="One SOP's plan (default: all)."),
                as_json: bool = JSON_OPTION,
                as_csv: bool = typer.Option(False, "--csv", help="Print CSV (the items, then the totals).")) -> None:
    """Rencana vs realisasi: planned, produced, published and late items of a month."""
    app = get_app(ctx)
    with app.db.read() as s:
        r = month_report(app.env, s, month, sop)
    if as_csv:
        typer.echo(report_csv(app.env, r), nl=False)
        return
    d = report_dict(app.env, r)
    if as_json:
        emit_json(d)
        return
    pct = d["percent"]
    ok(f"Rencana vs realisasi {month_name(r.month)}" + (f" ({r.sop})" if r.sop else ""))
    ok(f"  planned {d['planned']} · produced {d['produced']} ({pct['produced']:g}%) · published {d['published']} "
       f"({pct['published']:g}%) · on time {d['on_time']} ({pct['on_time']:g}%) · late {d['late']} "
       f"({pct['late']:g}%)")
    for i in d["items"]:
        ok(f"  {i['date']}  {i['state']:<13} {'LATE' if i['late'] else '':<4}  {i['activity']}"
           + (f"  (content {i['content_id']})" if i["content_id"] else ""))
