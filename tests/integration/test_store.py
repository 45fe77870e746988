"""Sessions: a read session never stalls a writer (SQLite's single write lock is taken only by writing sessions)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, func, select, text

from humas.app import App
from humas.store import audit
from humas.store import engine as engine_module
from humas.store.models import AuditEntry


def test_a_writer_commits_while_a_read_session_is_open(make_app: Callable[..., App], db_url: str) -> None:
    app = make_app(db_url)
    with app.db.read() as r:
        before = r.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        # a page doing slow work here (rendering, diffing) must not keep the daemon from writing: this commit
        # would wait out the busy timeout and fail with "database is locked" if the read held the write lock
        with app.db.session() as w:
            audit.append(w, actor="daemon", action="job.published", at=app.clock())
    with app.db.read() as r:
        assert r.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == before + 1


def test_nothing_done_in_a_read_session_is_kept(make_app: Callable[..., App], db_url: str) -> None:
    app = make_app(db_url)
    with app.db.read() as r:
        audit.append(r, actor="t", action="never.kept", at=app.clock())
    with app.db.read() as r:
        assert r.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == 0


def test_a_connection_cut_while_idle_is_replaced_before_use(make_app: Callable[..., App], db_url: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: a pooled connection that has been idle is pinged when it is handed out; one the server cut
    meanwhile (a restart, a proxy's idle timeout) is replaced, and the caller never sees it. A connection in
    steady use is not pinged: that was a round trip per checkout."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to lose")
    app = make_app(db_url)
    with app.db.session() as s:
        victim = s.execute(text("SELECT pg_backend_pid()")).scalar_one()
    pings: list[object] = []
    real_ping = app.db.engine.dialect.do_ping
    monkeypatch.setattr(app.db.engine.dialect, "do_ping", lambda conn: pings.append(conn) or real_ping(conn))
    with app.db.session() as s:  # in steady use: not pinged
        assert s.execute(text("SELECT pg_backend_pid()")).scalar_one() == victim
    assert pings == []
    killer = create_engine(db_url, isolation_level="AUTOCOMMIT")  # the server side: another connection
    with killer.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim}).scalar_one()
    killer.dispose()
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)  # as if it had been idle long enough
    with app.db.session() as s:
        fresh = s.execute(text("SELECT pg_backend_pid()")).scalar_one()
    assert fresh != victim and len(pings) == 1
