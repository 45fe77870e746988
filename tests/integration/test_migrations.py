"""Migrations: the schema they build is the one the models declare, and upgrading keeps the data's meaning."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from humas.app import App
from humas.escalation.triage import untriaged
from humas.store import migrate
from humas.store.engine import Database
from humas.store.models import Base


def test_the_migrated_schema_matches_the_models(make_app: Callable[..., App], db_url: str) -> None:
    app = make_app(db_url)  # upgraded to head
    with app.db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_comments_classified_before_0002_count_as_triaged(db_url: str) -> None:
    db = Database(db_url)
    try:
        migrate.upgrade(db, "0001")
        now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO publication_jobs (id, kind, dedupe_key, account, platform, version_hash, run_at, state, "
                "claimed_from, attempts, checkpoint, last_error, created_at, updated_at) "
                "VALUES (1, 'post', 'post:1:a', 'a', 'sandbox', 'h', :now, 'published', '', 1, '{}', '', :now, :now)"),
                {"now": now})
            conn.execute(text("INSERT INTO posts (id, job_id, account, platform, remote_id, published_at) "
                              "VALUES (1, 1, 'a', 'sandbox', 'p1', :now)"), {"now": now})
            for cid, classified, flagged in ((1, now, True), (2, now, False), (3, None, False)):
                conn.execute(text(
                    "INSERT INTO comments (id, post_id, platform, account, remote_id, author_handle, text, "
                    "created_at, fetched_at, source, is_own, hidden, deleted, escalate, abusive, classified_at) "
                    "VALUES (:id, 1, 'sandbox', 'a', :rid, 'w', 'halo', :now, :now, 'poll', false, false, false, "
                    ":flagged, false, :classified)"),
                    {"id": cid, "rid": f"c{cid}", "now": now, "classified": classified, "flagged": flagged})
        migrate.upgrade(db)
        with db.engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT id, triaged_at IS NOT NULL FROM comments ORDER BY id")).all())
        assert rows == {1: True, 2: False, 3: False}  # 0001 opened the flagged one's case in its single step
    finally:
        db.dispose()



def test_escalation_reads_its_hand_over_through_the_partial_index(make_app: Callable[..., App], db_url: str) -> None:
    app = make_app(db_url)
    with app.db.engine.connect() as conn:
        sql = str(untriaged(500).compile(conn, compile_kwargs={"literal_binds": True}))
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL enable_seqscan = off"))  # an empty table: would the index serve at all?
            plan = " ".join(str(r[0]) for r in conn.execute(text("EXPLAIN " + sql)))
        else:
            plan = " ".join(str(r[-1]) for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
    assert "ix_comments_untriaged" in plan, sql
