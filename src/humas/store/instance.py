"""Which daemons run on a database: one per SQLite file (an exclusive file lock), any number on PostgreSQL (each
holds a shared advisory lock), and a name for each daemon instance (it names its leases). ``humas db restore``
takes the exclusive side of both, so it refuses while any daemon runs."""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, text

from humas.errors import AnotherInstanceRunning
from humas.store.engine import Database, sqlite_path


class InstanceLock:
    """An exclusive ``flock`` on ``<database>.daemon.lock``, released when the process dies however it dies."""

    def __init__(self, db_file: Path) -> None:
        self.db_file = db_file
        self.path = db_file.with_name(db_file.name + ".daemon.lock")
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise AnotherInstanceRunning(
                f"another humas daemon ({holder}) already runs on {self.db_file}; stop it first, "
                "or use PostgreSQL (HUMAS_DATABASE_URL) to run several"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()}")
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


PG_DAEMON_LOCK = 0x68756D61  # "huma"; with the schema's hash as the second key, one lock per installation
#: The lock's two keys: installations in other schemas of the same database are other installations.
_KEYS = "CAST(:k AS integer), hashtext(current_schema())"


class PgDaemonLock:
    """A daemon's shared advisory lock on a PostgreSQL database, held on its own connection while it runs."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: Connection | None = None

    def acquire(self) -> None:
        conn = self.db.engine.connect()
        conn.execute(text(f"SELECT pg_advisory_lock_shared({_KEYS})"), {"k": PG_DAEMON_LOCK})
        conn.commit()
        self._conn = conn

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a dead connection released the lock already
                self._conn.execute(text(f"SELECT pg_advisory_unlock_shared({_KEYS})"), {"k": PG_DAEMON_LOCK})
                self._conn.commit()
            self._conn.close()
            self._conn = None


@contextlib.contextmanager
def no_daemon_running(db: Database) -> Iterator[None]:
    """Hold the exclusive side of the daemons' locks; ``AnotherInstanceRunning`` when a daemon runs."""
    path = sqlite_path(db.url)
    if path is not None:
        lock = InstanceLock(path)
        lock.acquire()
        try:
            yield
        finally:
            lock.release()
        return
    with db.engine.connect() as conn:
        got = conn.execute(text(f"SELECT pg_try_advisory_lock({_KEYS})"), {"k": PG_DAEMON_LOCK}).scalar()
        conn.commit()
        if not got:
            raise AnotherInstanceRunning("a humas daemon runs on this database; stop every daemon first")
        try:
            yield
        finally:
            conn.execute(text(f"SELECT pg_advisory_unlock({_KEYS})"), {"k": PG_DAEMON_LOCK})
            conn.commit()


def instance_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
