"""What one send costs the database: SQL statements and commits per published job, counted, not timed.

    .venv/bin/python bench/queue_statements.py [--jobs 300] [--db sqlite|postgresql]

One in-process dispatcher on the sandbox (no latency) publishes ``--jobs`` due jobs; a SQLAlchemy event counts
every statement and commit on the humas engine. Counts do not depend on the machine's load, so two revisions can
be compared exactly (``bench/ab.py --same-script BASE -- bench/queue_statements.py``). CPU time per job is
reported beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
import queue_bench

from humas.app import App
from humas.config import parse_settings
from humas.store import migrate


def dispatcher(app: App, owner: str) -> Any:
    if hasattr(app, "dispatcher"):
        return app.dispatcher(owner)
    from humas.queue.dispatcher import Dispatcher  # revisions before the composition root

    return Dispatcher(app, owner)  # type: ignore[arg-type]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--jobs", type=int, default=300)
    p.add_argument("--accounts", type=int, default=50)
    p.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    a = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="humas-stmts-"))
    schema = None
    url = f"sqlite:///{tmp / 'humas.sqlite3'}"
    if a.db == "postgresql":
        base = os.environ.get("HUMAS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
        schema = f"stmts_{uuid.uuid4().hex[:8]}"
        with create_engine(base, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{base}?options=-csearch_path%3D{schema}"
    app = App(parse_settings(queue_bench.settings_data(tmp, url, a.accounts, 0), "bench"))
    migrate.upgrade(app.db)
    queue_bench.seed(app, a.jobs, a.accounts, datetime.now(UTC))
    counts = {"statements": 0, "commits": 0}

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    def commit(*_: Any) -> None:
        counts["commits"] += 1

    d = dispatcher(app, "stmts")
    event.listen(app.db.engine, "before_cursor_execute", statement)
    event.listen(app.db.engine, "commit", commit)
    cpu = time.process_time()
    published = 0
    for _ in range(a.jobs * 2):
        r = d.tick()
        published += r.outcomes.get("published", 0)
        if r.claimed == 0:
            break
    cpu = time.process_time() - cpu
    app.db.dispose()
    if schema:
        with create_engine(base, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    print(json.dumps({"db": a.db, "published": published,
                      "statements_per_job": round(counts["statements"] / published, 2),
                      "commits_per_job": round(counts["commits"] / published, 2),
                      "cpu_ms_per_job": round(cpu / published * 1000, 2)}))


if __name__ == "__main__":
    main()
