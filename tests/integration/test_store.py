"""Sessions: a read session never stalls a writer (SQLite's single write lock is taken only by writing sessions)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from humas.app import App
from humas.store import audit
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
