"""``humas schedule``, ``humas queue``, ``humas accounts`` and ``humas sandbox``."""

from __future__ import annotations

from typing import Any

import typer

from humas.accounts import overview as account_overview
from humas.cli import accounts as accounts_cli
from humas.cli.common import AS_OPTION, JSON_OPTION, acting, console, emit_json, get_app, ok
from humas.errors import InvalidInput, NotFound
from humas.platforms import Platform
from humas.queue import service

queue_app = typer.Typer(help="The publication queue.", no_args_is_help=True)
accounts_app = typer.Typer(help="Platform accounts.", no_args_is_help=True)
sandbox_app = typer.Typer(help="The sandbox platform (no credentials needed).", no_args_is_help=True)


def schedule(
    ctx: typer.Context,
    content_id: int = typer.Argument(..., metavar="ID"),
    at: str = typer.Option(..., "--at", help="'now' or 'YYYY-MM-DD HH:MM' in the configured time zone."),
    account: list[str] = typer.Option([], "--account", help="Target account (default: the content's); repeatable."),
    user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Queue approved content: one publication job per target account."""
    with acting(ctx, user) as (app, s, actor):
        when = service.parse_when(app.env, at)
        created = service.schedule(app.env, s, actor, content_id, when, list(account) or None,
                                   platform_check=app.platform_check)
        rows = [service.job_dict(app.env, j) for j in created]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        ok(f"job {r['id']}: content {r['content_id']} → {r['account']} at {r['run_at']}")


@queue_app.command("list")
def queue_list(ctx: typer.Context, status: str | None = typer.Option(None, "--status"),
               content: int | None = typer.Option(None, "--content"), as_json: bool = JSON_OPTION) -> None:
    """Jobs with status, attempts, remote id and the platform's last error."""
    app = get_app(ctx)
    with app.db.session() as s:
        rows = [service.job_dict(app.env, j) for j in service.list_jobs(s, status, content)]
    if as_json:
        emit_json(rows)
        return
    from rich.table import Table

    t = Table()
    for col in ("id", "content", "account", "status", "run_at", "attempts", "remote", "last error"):
        t.add_column(col)
    for r in rows:
        t.add_row(str(r["id"]), str(r["content_id"] or f"case {r['case_id']}"), r["account"], r["status"],
                  r["run_at"], str(r["attempts"]), r["remote_url"] or r["remote_id"] or "", r["last_error"][:80])
    console.print(t)


@queue_app.command("run")
def queue_run(ctx: typer.Context, once: bool = typer.Option(False, "--once", help="Dispatch what is due, then exit."),
              as_json: bool = JSON_OPTION) -> None:
    """Dispatch what is due now, then exit (the daemon, `humas run`, does this continuously)."""
    if not once:
        raise InvalidInput("use 'humas queue run --once', or 'humas run' for the daemon")
    from humas.store.instance import instance_id

    app = get_app(ctx)
    report = app.dispatcher(instance_id()).run_due()
    if as_json:
        emit_json({"claimed": report.claimed, "reaped": report.reaped, "outcomes": report.outcomes})
        return
    ok(f"dispatched {report.claimed} job(s): " + (", ".join(f"{k} {v}" for k, v in report.outcomes.items())
                                                   or "nothing due"))


@queue_app.command("retry")
def queue_retry(ctx: typer.Context, job: int = typer.Argument(..., metavar="JOB"), user: str = AS_OPTION) -> None:
    """Send a failed, waiting or in-doubt job again now."""
    with acting(ctx, user) as (app, s, actor):
        j = service.retry(app.env, s, actor, job)
        msg = f"job {j.id}: {j.state}, due now"
    ok(msg)


@queue_app.command("cancel")
def queue_cancel(ctx: typer.Context, job: int = typer.Argument(..., metavar="JOB"), user: str = AS_OPTION) -> None:
    """Cancel a job that has not been published."""
    with acting(ctx, user) as (app, s, actor):
        service.cancel(app.env, s, actor, job)
    ok(f"job {job} cancelled")


@accounts_app.command("list")
def accounts_list(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Configured accounts and their status (credentials shown only as their source, e.g. env:NAME)."""
    app = get_app(ctx)
    rows = account_overview.overview_json(app.settings, app.db, app.tz)
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        like = f" (imitates {r['imitates']})" if r["imitates"] else ""
        ok(f"{r['name']:<22} {r['platform']}{like:<24} {r['status']}"
           + (f": {r['paused_reason']}" if r["paused_reason"] else ""))


@accounts_app.command("check")
def accounts_check(ctx: typer.Context, name: str | None = typer.Argument(None), as_json: bool = JSON_OPTION) -> None:
    """A cheap authenticated call per account; warns about expiring credentials."""
    app = get_app(ctx)
    names = [name] if name else [a.name for a in app.settings.accounts if a.enabled]
    results: list[dict[str, Any]] = []
    for n in names:
        app.settings.account(n)
        with app.db.session() as s:
            checked = account_overview.check(s, app.account_states, app.adapters.get, n, app.clock())
        results.append({"name": n, "ok": checked.ok, "detail": checked.detail, "warning": checked.warning,
                        "expires_at": checked.expires_at.isoformat() if checked.expires_at else None})
    failed = not all(row["ok"] for row in results)
    if as_json:
        emit_json(results)
    else:
        for row in results:
            ok(f"{row['name']:<22} {'ok' if row['ok'] else 'FAILED'}  {row['detail']}"
               + (f"  ⚠ {row['warning']}" if row["warning"] else ""))
    if failed:
        raise typer.Exit(1)


accounts_app.command("connect")(accounts_cli.connect)
accounts_app.command("disconnect")(accounts_cli.disconnect)
accounts_app.command("connections")(accounts_cli.connections)


@accounts_app.command("resume")
def accounts_resume(ctx: typer.Context, name: str, user: str = AS_OPTION) -> None:
    """Resume a paused account (after re-authorising it); its waiting jobs continue."""
    from humas import authz
    from humas.store import audit

    with acting(ctx, user) as (app, s, actor):
        authz.require_admin(actor, f"resume account {name}")
        app.settings.account(name)
        app.account_states.resume(s, name)
        audit.append(s, actor=actor.name, action="account.resumed", subject_type="account", subject_id=name,
                     at=app.clock())
    ok(f"account {name} resumed")


def _sandbox(ctx: typer.Context) -> Any:
    from humas.publisher.sandbox import SandboxPlatform

    app = get_app(ctx, schema=False)
    return app, SandboxPlatform(app.settings.sandbox_db)


@sandbox_app.command("posts")
def sandbox_posts(ctx: typer.Context, account: str | None = typer.Option(None, "--account"),
                  as_json: bool = JSON_OPTION) -> None:
    """What the sandbox platform holds: remote_id, account, text, created_at."""
    app, platform = _sandbox(ctx)
    if account is not None and app.settings.account(account).platform != Platform.SANDBOX:
        raise InvalidInput(f"account {account} is not a sandbox account")
    rows = [{"remote_id": p.remote_id, "account": p.account, "imitates": p.imitates.value
             if hasattr(p.imitates, "value") else p.imitates, "text": p.text, "title": p.title,
             "url": p.url, "created_at": app.local(p.created_at).isoformat(timespec="seconds")}
            for p in platform.list_posts(account)]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        ok("the sandbox holds no posts yet")
    for r in rows:
        console.print(f"{r['created_at']}  {r['account']:<20} {r['remote_id']}  {r['text'][:70]}", markup=False)


@sandbox_app.command("comment")
def sandbox_comment(
    ctx: typer.Context,
    remote_post_id: str = typer.Argument(..., metavar="REMOTE_POST_ID"),
    text: str = typer.Option(..., "--text"),
    author: str = typer.Option("warga", "--author"),
    reply_to: str | None = typer.Option(None, "--reply-to", metavar="REMOTE_COMMENT_ID"),
    as_json: bool = JSON_OPTION,
) -> None:
    """A member of the public comments on a sandbox post."""
    _, platform = _sandbox(ctx)
    if not text.strip():
        raise InvalidInput("the comment text is empty")
    try:
        c = platform.add_comment(remote_post_id, text, author=author, reply_to=reply_to)
    except NotFound as exc:
        raise NotFound(exc.message) from None
    if as_json:
        emit_json({"remote_id": c.remote_id, "post_remote_id": c.post_remote_id, "author": c.author})
        return
    ok(f"comment {c.remote_id} added to {remote_post_id}")
