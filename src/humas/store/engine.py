"""Engine and sessions: one code path for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from humas.errors import ConfigError

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "humas_read_only"
#: a pooled PostgreSQL connection unused this long is pinged before it is handed out (one round trip)
PING_AFTER_IDLE_SECONDS = 10.0
_IDLE_SINCE = "humas_idle_since"


def sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def make_engine(url: str, **kw: Any) -> Engine:
    """An engine for ``url``. SQLite gets WAL, a busy timeout, foreign keys and ``BEGIN IMMEDIATE``.

    ``BEGIN IMMEDIATE`` because a deferred SQLite transaction that reads and then writes cannot wait for a
    competing writer (SQLITE_BUSY without retry); taking the write lock up front lets busy_timeout do its job.
    """
    try:
        backend = make_url(url).get_backend_name()
    except Exception as exc:
        raise ConfigError(f"database_url: cannot parse {url!r}: {exc}") from None
    if backend == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kw)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # a read session (Database.read) takes no lock up front: under WAL, readers never block writers
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

        return engine
    if backend == "postgresql":
        engine = create_engine(url, **kw)
        _ping_after_idle(engine)
        return engine
    raise ConfigError(f"database_url: unsupported database {backend!r} (use sqlite or postgresql+psycopg)")


class Database:
    """An engine and its session factory; ``session()`` commits on success and rolls back on any error."""

    def __init__(self, url: str, **kw: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **kw)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        self._read_factory = sessionmaker(self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
        self._statements = self.engine.execution_options(isolation_level="AUTOCOMMIT") \
            if self.dialect == "postgresql" else self.engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def on_commit(self, fn: Callable[[Session], None], *, before: Callable[[Session], None] | None = None) -> None:
        """Call ``fn(session)`` after every commit of a session from this database (it cannot use the database and
        must not raise), and ``before(session)`` just before the commit, inside the transaction."""
        event.listen(self._factory, "after_commit", fn)
        if before is not None:
            event.listen(self._factory, "before_commit", before)

    @contextmanager
    def session(self) -> Iterator[Session]:
        s = self._factory()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A Core connection for single-statement writes (a lease's claim or fence), where an ORM session's own
        bookkeeping cost more than the statement. Each statement is its own transaction: on PostgreSQL in
        autocommit (no ``BEGIN``/``COMMIT`` round trips; one statement is atomic and durable when it returns), on
        SQLite in ``BEGIN IMMEDIATE`` … ``COMMIT`` as usual, rolled back on an error. No session hooks run on it,
        so nothing written through it may append to the register."""
        with self._statements.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading only (pages, lists, reports): on SQLite it never takes the database's write lock,
        so slow work while it is open does not stall the daemon. Nothing it did is committed (closing it returns the
        connection with a rollback); what it loaded stays readable afterwards."""
        s = self._read_factory()
        try:
            yield s
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it has been idle (a restarted server or a proxy's idle cut
    shows there), not on every checkout as ``pool_pre_ping`` does: a busy worker checks a connection out several
    times per job, and each ping was a round trip. A dead connection is replaced before anyone uses it."""

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception:
            alive = False
        if not alive:
            raise DisconnectionError("the pooled connection did not answer a ping")
