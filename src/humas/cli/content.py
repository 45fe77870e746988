"""``humas content``: drafts through the SOP."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from humas.app import App
from humas.cli.audit import FORCE_OPTION, LANG_OPTION, PRINTED_BY_OPTION, Destination, printing_as
from humas.cli.common import AS_OPTION, JSON_OPTION, acting, emit_json, get_app, ok
from humas.errors import InvalidInput
from humas.store.models import Content, ContentStatus
from humas.workflow.engine import ContentChanges, Workflow

content_app = typer.Typer(help="Content through the SOP approval chain.", no_args_is_help=True)


def _captions(values: list[str]) -> dict[str, str] | None:
    if not values:
        return None
    out: dict[str, str] = {}
    for v in values:
        platform, sep, text = v.partition("=")
        if not sep:
            raise InvalidInput(f"--platform-caption expects PLATFORM=TEXT, got '{v}'")
        out[platform.strip()] = text
    return out


def workflow(app: App, s: Session) -> Workflow:
    return app.workflow(s)


@content_app.command("new")
def content_new(
    ctx: typer.Context,
    sop: str = typer.Option(None, "--sop", help="SOP id (default: the config's default_sop)."),
    title: str = typer.Option(..., "--title"),
    text: str = typer.Option(..., "--text", help="The narrative (naskah)."),
    caption: str = typer.Option("", "--caption", help="The social-media caption."),
    media: list[Path] = typer.Option([], "--media", help="A photo or video; repeatable."),
    account: list[str] = typer.Option([], "--account", help="A target account; repeatable."),
    activity: str = typer.Option("", "--activity", help="Activity information (informasi kegiatan)."),
    location: str = typer.Option("", "--location", help="Activity location (lokasi kegiatan)."),
    flag: list[str] = typer.Option([], "--flag", help="A condition of the SOP, e.g. data_missing; repeatable."),
    platform_caption: list[str] = typer.Option([], "--platform-caption", help="PLATFORM=TEXT; repeatable."),
    user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a draft at the SOP's first step."""
    with acting(ctx, user) as (app, s, actor):
        c = workflow(app, s).create(
            actor, sop_id=sop or app.settings.default_sop, title=title, text=text, caption=caption, media=media,
            accounts=account, activity=activity, location=location, flags=flag,
            platform_captions=_captions(platform_caption),
        )
        cid, step = c.id, c.step_id
    if as_json:
        emit_json({"id": cid, "status": "draft", "step": step})
    else:
        ok(f"content {cid} created (draft, step {step})")


@content_app.command("edit")
def content_edit(
    ctx: typer.Context,
    content_id: int = typer.Argument(..., metavar="ID"),
    title: str | None = typer.Option(None, "--title"),
    text: str | None = typer.Option(None, "--text"),
    caption: str | None = typer.Option(None, "--caption"),
    media: list[Path] = typer.Option([], "--media", help="Replaces all media; repeatable."),
    account: list[str] = typer.Option([], "--account", help="Replaces the target accounts; repeatable."),
    activity: str | None = typer.Option(None, "--activity"),
    location: str | None = typer.Option(None, "--location"),
    flag: list[str] = typer.Option([], "--flag"),
    unflag: list[str] = typer.Option([], "--unflag"),
    platform_caption: list[str] = typer.Option([], "--platform-caption"),
    user: str = AS_OPTION,
) -> None:
    """Edit content; after an approval this sends it back to the step that owns editing."""
    changes = ContentChanges(
        title=title, text=text, caption=caption, media=list(media) or None, accounts=list(account) or None,
        activity=activity, location=location, platform_captions=_captions(platform_caption),
        set_flags=flag, clear_flags=unflag,
    )
    with acting(ctx, user) as (app, s, actor):
        c = workflow(app, s).edit(actor, content_id, changes)
        msg = f"content {c.id} edited: version {c.version}, {c.status} at step {c.step_id}"
    ok(msg)


def _transition(ctx: typer.Context, verb: str, content_id: int, user: str, note: str) -> None:
    with acting(ctx, user) as (app, s, actor):
        wf = workflow(app, s)
        c = {"submit": wf.submit, "approve": wf.approve, "reject": wf.reject}[verb](actor, content_id, note)
        where = f"step {c.step_id}" if c.step_id else "no open step"
        msg = f"content {c.id}: {c.status} ({where})"
    ok(msg)


@content_app.command("submit")
def content_submit(ctx: typer.Context, content_id: int = typer.Argument(..., metavar="ID"), user: str = AS_OPTION,
                   note: str = typer.Option("", "--note")) -> None:
    """Hand the draft to the next step (checks the step's requirements and the platforms' limits)."""
    _transition(ctx, "submit", content_id, user, note)


@content_app.command("approve")
def content_approve(ctx: typer.Context, content_id: int = typer.Argument(..., metavar="ID"), user: str = AS_OPTION,
                    note: str = typer.Option("", "--note")) -> None:
    """Approve the current step."""
    _transition(ctx, "approve", content_id, user, note)


@content_app.command("reject")
def content_reject(ctx: typer.Context, content_id: int = typer.Argument(..., metavar="ID"), user: str = AS_OPTION,
                   note: str = typer.Option(..., "--note", help="What must be fixed.")) -> None:
    """Reject: back to the step the SOP names, with the note."""
    _transition(ctx, "reject", content_id, user, note)


@content_app.command("cancel")
def content_cancel(ctx: typer.Context, content_id: int = typer.Argument(..., metavar="ID"), user: str = AS_OPTION,
                   note: str = typer.Option("", "--note")) -> None:
    """Withdraw content that has not been scheduled."""
    with acting(ctx, user) as (app, s, actor):
        workflow(app, s).cancel(actor, content_id, note)
    ok(f"content {content_id} cancelled")


@content_app.command("show")
def content_show(ctx: typer.Context, content_id: int = typer.Argument(..., metavar="ID"),
                 as_json: bool = JSON_OPTION) -> None:
    """Show content, its step and its approvals."""
    app = get_app(ctx)
    with app.db.session() as s:
        wf = workflow(app, s)
        d = wf.describe(wf.get(content_id))
    if as_json:
        emit_json(d)
        return
    ok(f"[{d['id']}] {d['title']}\n  SOP {d['sop']} · {d['status']} · step {d['step'] or '-'}"
       f" ({d['step_label'] or ''}) · version {d['version']}" + (f" · due {d['due_at']}" if d["due_at"] else ""))
    for a in d["approvals"]:
        ok(f"  {a['outcome']:<9} {a['step']:<20} {a['user']:<16} {a['at']}")


@content_app.command("history")
def content_history(ctx: typer.Context, content_id: int = typer.Argument(..., metavar="ID"),
                    as_json: bool = JSON_OPTION) -> None:
    """Every transition with actor, role and note."""
    app = get_app(ctx)
    with app.db.session() as s:
        wf = workflow(app, s)
        rows = wf.history(wf.get(content_id))
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        ok(f"{r['at']}  {r['action']:<20} {r['actor']:<14} {r['role']:<22} {r['note']}")


@content_app.command("sheet")
def content_sheet(
    ctx: typer.Context,
    content_id: int = typer.Argument(..., metavar="ID"),
    out: Path | None = typer.Option(None, "--out", help="File to write (default: lembar-persetujuan-ID.pdf here); "
                                                         "'-': standard output, into a pipe."),
    force: bool = FORCE_OPTION,
    user: str | None = PRINTED_BY_OPTION,
    lang: str | None = LANG_OPTION,
) -> None:
    """Print the approval sheet as PDF: steps, who, when, notes, time standards, the version hash and signature
    boxes for the approving roles; the copy is recorded in the register (record.printed)."""
    target = Destination(out or Path(f"lembar-persetujuan-{content_id}.pdf"), force=force, binary=True)
    app = get_app(ctx)
    who, words = printing_as(app, user, lang)
    issued = target.write(lambda stage: app.records().sheet(who, content_id, words, before_commit=stage))
    if target.path is not None:
        ok(f"approval sheet of content {content_id} written to {target.path} (register entry #{issued.seq}, "
           f"print code {issued.code})")


@content_app.command("list")
def content_list(ctx: typer.Context, status: str | None = typer.Option(None, "--status"),
                 as_json: bool = JSON_OPTION) -> None:
    """List content, newest first."""
    if status is not None and status not in {s.value for s in ContentStatus}:
        raise InvalidInput(f"unknown status '{status}' (one of: {', '.join(s.value for s in ContentStatus)})")
    app = get_app(ctx)
    with app.db.session() as s:
        q = select(Content).order_by(Content.id.desc())
        if status:
            q = q.where(Content.status == status)
        rows = [{"id": c.id, "title": c.title, "sop": c.sop_id, "status": c.status, "step": c.step_id,
                 "version": c.version, "accounts": list(c.accounts),
                 "updated_at": app.local(c.updated_at).isoformat(timespec="seconds")}
                for c in s.execute(q).scalars()]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        ok(f"{r['id']:>5}  {r['status']:<10} {r['step'] or '-':<18} {r['title']}")
