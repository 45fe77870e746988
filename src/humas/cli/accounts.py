"""``humas accounts connect|disconnect|connections`` (connecting accounts through OAuth) and ``humas secrets``."""

from __future__ import annotations

from typing import Any

import typer

from humas import authz
from humas.app import App
from humas.cli.common import AS_OPTION, JSON_OPTION, acting, console, emit_json, get_app, ok
from humas.errors import InvalidInput

secrets_app = typer.Typer(help="Account secrets encrypted in the database.", no_args_is_help=True)

CONNECTION_TEXT = {"connected": "terhubung", "configured": "kredensial dari konfigurasi",
                   "not_connected": "belum terhubung", "sandbox": "sandbox"}


def _actor(ctx: typer.Context, user: str) -> tuple[App, authz.Actor]:
    app = get_app(ctx)
    with app.db.read() as s:
        return app, app.actor(s, user)


def connect(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME"),
    redirected_url: str | None = typer.Option(
        None, "--redirected-url", metavar="URL",
        help="Finish: the address the browser landed on after allowing access (copied from its address bar)."),
    user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Connect account NAME through its platform's OAuth flow (admins only).

    Without --redirected-url: prints the address to open in a browser (valid 20 minutes, for you only). After
    allowing access the browser lands on web.public_base_url/admin/akun/callback; if that page cannot be reached,
    copy the address from the browser and run this command again with --redirected-url.
    """
    if redirected_url is None:
        with acting(ctx, user) as (app, s, actor):
            started = app.connector.start(s, actor, name, via="cli")
        if as_json:
            emit_json(started.as_json())
            return
        ok(f"open this address in a browser signed in to the {started.platform} account, and allow access:")
        console.print(started.authorize_url, markup=False)
        ok(f"then run: humas accounts connect {name} --redirected-url '<the address the browser landed on>'")
        return
    if not redirected_url.strip():
        raise InvalidInput("--redirected-url is empty")
    app, actor = _actor(ctx, user)  # complete() runs its own transactions: the state is used up first
    done = app.connector.complete(actor, redirected_url, account=name)
    if as_json:
        emit_json(done.as_json())
        return
    ok(f"account {name} connected as {done.identity}; scopes: {' '.join(done.scopes) or '(none)'}")
    if done.missing_scopes:
        ok(f"warning: missing scopes: {' '.join(done.missing_scopes)} (connect again and allow all of them)")


def disconnect(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME"), user: str = AS_OPTION) -> None:
    """Forget the tokens obtained by connecting NAME (its config credentials, if any, are used again)."""
    with acting(ctx, user) as (app, s, actor):
        dropped = app.connector.disconnect(s, actor, name)
    ok(f"account {name} disconnected ({dropped} stored secret(s) deleted)")


def connections(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Each account's connection: connected (as whom, granted and missing scopes), configured or not."""
    app = get_app(ctx)
    with app.db.read() as s:
        rows = app.connector.status(s)
    if as_json:
        emit_json([{k: app.local(v).isoformat(timespec="seconds") if hasattr(v, "astimezone") else v
                    for k, v in r.items()} for r in rows])
        return
    for r in rows:
        line = f"{r['name']:<22} {r['platform']:<10} {CONNECTION_TEXT[r['connection']]}"
        if r["identity"]:
            line += f" as {r['identity']}"
        if r["missing_scopes"]:
            line += f"; missing scopes: {' '.join(r['missing_scopes'])}"
        console.print(line, markup=False)


@secrets_app.command("rotate-key")
def rotate_key(ctx: typer.Context, user: str = AS_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Re-encrypt every account secret under a new key, in one transaction (admins only).

    With the key file (the default): a new key is generated, the rows re-encrypted, and the old key kept in
    secrets.key.old until the next rotation. With [secrets] key = "env:NAME": set the new key there and the old one
    in previous_keys, restart, run this, then remove previous_keys.
    """
    from humas.store import audit

    app, actor = _actor(ctx, user)
    authz.require_admin(actor, "rotate the secrets key")
    rotation = app.secret_store.rotate_key()
    with app.db.session() as s:
        audit.append(s, actor=actor.name, action="secrets.key_rotated", data={"rows": rotation.rows,
                                                                                "key_file": bool(rotation.key_file)},
                     at=app.clock())
    result: dict[str, Any] = {"rows": rotation.rows, "key_file": str(rotation.key_file) if rotation.key_file else None}
    if as_json:
        emit_json(result)
        return
    where = f"new key in {rotation.key_file}" if rotation.key_file else "under [secrets] key"
    ok(f"{rotation.rows} account secret(s) re-encrypted, {where}")
