"""``humas init`` and ``humas db``: the schema, backups and restores."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from humas.cli.common import JSON_OPTION, emit_json, get_app, ok
from humas.errors import InvalidInput
from humas.store import migrate

db_app = typer.Typer(help="The database: schema, backup, restore.", no_args_is_help=True)


def init(ctx: typer.Context) -> None:
    """Create the data directory and bring the database schema up to date."""
    app = get_app(ctx, schema=False)
    app.settings.data_dir.mkdir(parents=True, exist_ok=True)
    app.settings.media_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(app.db)
    sealed = app.secret_store.prepare()  # creates the key file (0600) when the key is not configured
    ok(f"humas initialised: database at revision {migrate.current_revision(app.db)}, data in {app.settings.data_dir}"
       + (f"; {sealed} account secret(s) encrypted" if sealed else ""))


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply pending migrations."""
    app = get_app(ctx, schema=False)
    migrate.upgrade(app.db)
    sealed = app.secret_store.prepare()
    ok(f"database at revision {migrate.current_revision(app.db)}"
       + (f"; {sealed} account secret(s) encrypted" if sealed else ""))


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Show the schema revision."""
    app = get_app(ctx, schema=False)
    ok(str(migrate.current_revision(app.db)))


@db_app.command("backup")
def db_backup(ctx: typer.Context, path: Path = typer.Argument(..., metavar="PATH", help="The backup file to write."),
              as_json: bool = JSON_OPTION) -> None:
    """A consistent copy of the database, also while the daemon runs (SQLite: the online backup API; PostgreSQL:
    pg_dump, which must be on PATH). Media files under the data dir are not in it: copy them as files."""
    app = get_app(ctx)
    entries = app.backup(path)
    if as_json:
        emit_json({"path": str(path), "register_entries": entries})
        return
    ok(f"backup written to {path} (register: {entries} entries)")


@db_app.command("restore")
def db_restore(
    ctx: typer.Context,
    path: Path = typer.Argument(..., metavar="PATH", help="A file written by 'humas db backup'."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Replace the database with a backup. Refused while a daemon runs; the backup's register must verify; jobs
    that were due when the backup was taken are checked on the platform before anything is posted again."""
    app = get_app(ctx, schema=False)
    if not path.is_file():
        raise InvalidInput(f"backup file not found: {path}")
    if not yes:
        if not sys.stdin.isatty():
            raise InvalidInput("restoring replaces everything in the database: add --yes to confirm")
        typer.confirm(f"Replace everything in the database with {path}?", abort=True)
    report = app.restore(path)
    if as_json:
        emit_json({"path": str(path), "register_head": report.register_head, "jobs_in_doubt": report.jobs_in_doubt})
        return
    ok(f"restored from {path}: register intact up to entry {report.register_head}; "
       f"{report.jobs_in_doubt} job(s) will be checked on the platform before anything is posted")
