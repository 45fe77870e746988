"""Backing up and restoring humas's database, consistent while the daemon runs.

* SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent snapshot page by page while
  other connections keep writing; restoring copies the backup back the same way, into the live file (WAL and all).
* PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot) and ``pg_restore --clean --single-transaction``;
  both must be on ``PATH`` (Debian: ``postgresql-client``). A database in its own schema (``options=-csearch_path``
  in the URL) is dumped and restored as that schema only.

What the backup does not hold: media files (``<data_dir>/media``, content-addressed, copy them as files), the
sandbox platform's file, and the keys under the data dir. See docs/design.md ("Backup and restore").
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from humas.errors import InvalidInput, Unavailable
from humas.store.engine import Database, sqlite_path

PAGES_PER_STEP = 1024  # the online backup copies this many pages, then lets writers in


def backup(db: Database, target: Path) -> None:
    """Write a consistent copy of ``db`` to ``target`` (written beside it first, then renamed into place)."""
    target = target.expanduser()
    if target.exists() and target.is_dir():
        raise InvalidInput(f"{target} is a folder; give the backup file's name")
    if not target.parent.is_dir():
        raise InvalidInput(f"cannot write {target}: the folder {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.partial")
    try:
        path = sqlite_path(db.url)
        if path is not None:
            _sqlite_copy(path, partial)
        else:
            _pg(["pg_dump", "--format=custom", "--no-owner", f"--file={partial}", *_pg_target(db.url, "--schema")],
                db.url)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def restore(db: Database, source: Path) -> None:
    """Replace the contents of ``db`` with the backup ``source`` (the caller checks that no daemon runs)."""
    source = source.expanduser()
    if not source.is_file():
        raise InvalidInput(f"backup file not found: {source}")
    path = sqlite_path(db.url)
    db.dispose()  # no pooled connection may hold the old pages
    if path is not None:
        check_sqlite_backup(source)
        _sqlite_copy(source, path)
    else:
        _pg(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
             *_pg_target(db.url, "--schema", dbname=True), str(source)], db.url)


def check_sqlite_backup(source: Path) -> None:
    """Refuse a file that is not an intact SQLite database holding humas's tables."""
    if not source.is_file():
        raise InvalidInput(f"backup file not found: {source}")
    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        ok = conn.execute("PRAGMA quick_check").fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{source} is not a humas backup: {exc}") from None
    finally:
        conn.close()
    if not ok or ok[0] != "ok" or not {"alembic_version", "audit_entries", "contents"} <= tables:
        raise InvalidInput(f"{source} is not a humas backup (no humas tables, or damaged)")


def _sqlite_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst, pages=PAGES_PER_STEP)
    finally:
        dst.close()
        src.close()


def _pg_target(url: str, schema_flag: str, *, dbname: bool = False) -> list[str]:
    """libpq arguments for a SQLAlchemy PostgreSQL URL (the password goes through the environment, never argv)."""
    u = make_url(url)
    args = [f"--host={u.host or 'localhost'}", f"--port={u.port or 5432}"]
    if u.username:
        args.append(f"--username={u.username}")
    options = u.query.get("options", "")
    for part in " ".join([options] if isinstance(options, str) else options).split():
        if part.startswith("-csearch_path="):
            args.append(f"{schema_flag}={part.split('=', 1)[1]}")
    args.append(f"--dbname={u.database}" if dbname else str(u.database))
    return args


def _pg(argv: list[str], url: str) -> None:
    tool = argv[0]
    if shutil.which(tool) is None:
        raise Unavailable(f"{tool} is not on PATH: install the PostgreSQL client tools (Debian: postgresql-client)")
    password = make_url(url).password
    env = {**os.environ, **({"PGPASSWORD": str(password)} if password else {})}
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise Unavailable(f"{tool} failed: {detail}")
