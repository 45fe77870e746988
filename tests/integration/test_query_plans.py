"""The hot queries use their partial indexes as they are really executed (bound parameters and all): SQLite uses a
partial index only when the query holds the index's condition literally, so a query that binds the states as
parameters scans the whole table, and a claim slows down as history grows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, text

from humas.app import App
from humas.escalation.review import pending
from humas.queue.jobs import claim, reap


@contextmanager
def captured(app: App) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append((statement, parameters))

    event.listen(app.db.engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        event.remove(app.db.engine, "before_cursor_execute", grab)


def plan(app: App, statement: str, parameters: Any) -> str:
    with app.db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL enable_seqscan = off"))  # an empty table: would the index serve at all?
            rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
            return " ".join(str(r[0]) for r in rows)
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        return " ".join(str(r[-1]) for r in rows)


def executed(app: App, run: Callable[[], object], keyword: str) -> tuple[str, Any]:
    with captured(app) as seen:
        run()
    matches = [(sql, params) for sql, params in seen if keyword in sql]
    assert matches, [sql for sql, _ in seen]
    return matches[0]


def test_the_claim_reads_due_jobs_through_their_partial_index(make_app: Callable[..., App], db_url: str) -> None:
    app = make_app(db_url)
    now = app.clock()
    sql, params = executed(app, lambda: claim(app.db, "t", now=now, lease=timedelta(minutes=5), limit=5),
                           "UPDATE publication_jobs")
    assert "ix_publication_jobs_due" in plan(app, sql, params), sql


def test_the_reaper_reads_in_flight_jobs_through_their_partial_index(make_app: Callable[..., App],
                                                                   db_url: str) -> None:
    app = make_app(db_url)
    sql, params = executed(app, lambda: reap(app.db, now=app.clock()), "UPDATE publication_jobs")
    found = plan(app, sql, params)
    # PostgreSQL may as well take the (account, state) index; SQLite must not scan the table
    assert "ix_publication_jobs_in_flight" in found or (db_url.startswith("postgresql") and "Index" in found), found


def test_the_review_list_reads_through_its_partial_index(make_app: Callable[..., App], db_url: str) -> None:
    app = make_app(db_url)

    def read() -> None:
        with app.db.read() as s:
            pending(s)

    sql, params = executed(app, read, "FROM comments")
    assert "ix_comments_to_review" in plan(app, sql, params), sql
