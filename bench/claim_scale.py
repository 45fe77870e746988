"""Claim and reap time against the size of the job history: does a claim stay flat as published jobs pile up?

    .venv/bin/python bench/claim_scale.py --db sqlite --history 1000 100000 1000000
    HUMAS_BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/claim_scale.py --db postgresql

For each history size: a fresh database with that many ``published`` jobs (bulk-inserted, then ``ANALYZE`` as
autovacuum would) and 50 due ones across 50 accounts; then the median of 30 rounds of ``claim(limit=5)`` +
``release`` (hand back), and of 30 ``reap`` calls (nothing expired: the reaper's scan alone). Prints a table and,
last, one JSON line (``bench/ab.py`` compares two revisions with it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import queue_bench
from sqlalchemy import create_engine, insert, text

from humas.app import App
from humas.config import parse_settings
from humas.queue.jobs import claim, reap, release
from humas.store import migrate
from humas.store.models import PublicationJob


def one(kind: str, history: int, rounds: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="humas-claim-"))
    url, schema = f"sqlite:///{tmp / 'humas.sqlite3'}", None
    base = os.environ.get("HUMAS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    if kind == "postgresql":
        schema = f"claim_{uuid.uuid4().hex[:8]}"
        with create_engine(base, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{base}?options=-csearch_path%3D{schema}"
    app = App(parse_settings(queue_bench.settings_data(tmp, url, 50, 0), "bench"))
    migrate.upgrade(app.db)
    now = datetime.now(UTC)
    try:
        with app.db.session() as s:
            for start in range(0, history, 20_000):
                s.execute(insert(PublicationJob), [
                    {"kind": "post", "dedupe_key": f"h{i}", "account": f"sandbox-{i % 50}", "platform": "sandbox",
                     "run_at": now - timedelta(days=1, seconds=i), "state": "published", "created_at": now,
                     "updated_at": now} for i in range(start, min(history, start + 20_000))])
            s.execute(insert(PublicationJob), [
                {"kind": "post", "dedupe_key": f"d{i}", "account": f"sandbox-{i}", "platform": "sandbox",
                 "run_at": now - timedelta(seconds=i), "state": "scheduled", "created_at": now, "updated_at": now}
                for i in range(50)])
        with app.db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        claims, reaps = [], []
        for _ in range(rounds):
            t = time.perf_counter()
            got = claim(app.db, "bench", now=now, lease=timedelta(minutes=5), limit=5)
            claims.append(time.perf_counter() - t)
            assert len(got) == 5
            release(app.db, "bench", now=now)
            t = time.perf_counter()
            reap(app.db, now=now)
            reaps.append(time.perf_counter() - t)
        return {"db": kind, "history": history, "claim_ms": round(statistics.median(claims) * 1000, 2),
                "reap_ms": round(statistics.median(reaps) * 1000, 2)}
    finally:
        app.db.dispose()
        if schema:
            with create_engine(base, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--history", type=int, nargs="+", default=[1_000, 100_000])
    p.add_argument("--rounds", type=int, default=30)
    a = p.parse_args()
    rows = [one(a.db, n, a.rounds) for n in a.history]
    print(f"{'db':<11}{'history':>10}{'claim ms':>10}{'reap ms':>10}")
    for r in rows:
        print(f"{r['db']:<11}{r['history']:>10}{r['claim_ms']:>10}{r['reap_ms']:>10}")
    flat: dict[str, Any] = {"db": a.db}
    for r in rows:
        flat[f"claim_ms_{r['history']}"] = r["claim_ms"]
        flat[f"reap_ms_{r['history']}"] = r["reap_ms"]
    print(json.dumps(flat))


if __name__ == "__main__":
    main()
