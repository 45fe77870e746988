"""Queue benchmark: N due jobs on the sandbox with fixed simulated latency, W worker processes, SQLite or PostgreSQL.

Reports jobs/s, p50/p99 lateness (published_at - run_at) and the queue's overhead per job (worker time not spent
inside the platform call). The clock runs from the moment every worker process is set up (a barrier) to the end of
the last tick that claimed something: process start-up and the idle ticks that find the queue empty are not the
queue's throughput (counting them cost the 4-worker run about a quarter of its figure). Lateness still counts from
the jobs' due time, start-up included. Not a test: run it by hand, e.g.

    .venv/bin/python bench/queue_bench.py --db sqlite --workers 1 2 4
    HUMAS_BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/queue_bench.py --db postgresql [--platform independent]

``--platform sandbox`` (the default) posts to the sandbox platform, one SQLite file that every worker process
writes: its own lock serialises the workers' calls, so it measures the sandbox as much as the queue.
``--platform independent`` replaces each account's adapter by one that waits ``--latency-ms`` and writes the
post's idempotency key to its worker's own file, as independent real platforms would: what scales or not is
humas. Duplicates are counted by idempotency key across the workers' files.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from humas.app import App
from humas.config import parse_settings
from humas.publisher.base import Checkpoint, PublishRequest, PublishResult
from humas.publisher.sandbox import SandboxPlatform
from humas.store import migrate
from humas.store.models import Content, PublicationJob, User


def settings_data(data_dir: Path, url: str, accounts: int, latency_ms: int) -> dict[str, Any]:
    return {
        "data_dir": str(data_dir),
        "database_url": url,
        "queue": {"batch": 10, "lease_seconds": 60},
        "accounts": [{"name": f"b{i}", "platform": "sandbox", "imitates": "facebook", "latency_ms": latency_ms}
                     for i in range(accounts)],
    }


class Timed:
    """Wraps an adapter and adds up the seconds spent inside ``publish`` (the platform's share)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seconds = 0.0

    def publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        t = time.perf_counter()
        try:
            return self.inner.publish(req, ckpt)  # type: ignore[no-any-return]
        finally:
            self.seconds += time.perf_counter() - t

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class Independent:
    """A platform of its own per worker: waits the latency, keeps the post's key in this worker's file."""

    def __init__(self, inner: Any, latency_s: float, log: Any) -> None:
        self.inner, self.latency_s, self.log = inner, latency_s, log

    def publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        time.sleep(self.latency_s)
        self.log.write(req.idempotency_key + "\n")
        self.log.flush()
        return PublishResult(remote_id=uuid.uuid4().hex, published_at=datetime.now(UTC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def worker(data: dict[str, Any], owner: str, independent: bool, ready: Any) -> tuple[int, float, float, float, float]:
    """One worker process: (published, its busy seconds, platform seconds, when it started, when its last claim
    ended), times from ``time.time()``. It starts when every worker is set up (``ready``, a barrier), so process
    start-up is not counted, and its busy time ends with its last tick that claimed something (not the idle ticks
    that tell it the queue is empty)."""
    app = App(parse_settings(data, "bench"))
    log = (Path(data["data_dir"]) / f"posts-{owner}.txt").open("a", encoding="utf-8")
    latency_s = app.settings.accounts[0].latency_ms / 1000
    timed = {a.name: Timed(Independent(app.adapters.get(a.name), latency_s, log) if independent
                           else app.adapters.get(a.name)) for a in app.settings.accounts}
    for name, t in timed.items():
        app.adapters.override(name, t)  # type: ignore[arg-type]
    d = app.dispatcher(owner)
    ready.wait()
    start = last = time.time()
    done = 0
    idle = 0
    while idle < 3:
        r = d.tick()
        done += r.outcomes.get("published", 0)
        idle = idle + 1 if r.claimed == 0 else 0
        if r.claimed == 0:
            time.sleep(0.05)
        else:
            last = time.time()
    app.db.dispose()
    log.close()
    return done, last - start, sum(t.seconds for t in timed.values()), start, last


def seed(app: App, n: int, accounts: int, run_at: datetime) -> None:
    with app.db.session() as s:
        s.add(User(name="bench", display_name="bench"))
        s.flush()
        s.execute(insert(Content), [
            {"id": i + 1, "sop_id": "mojokerto-acc", "title": f"Bench {i}", "text": f"Kabar bench nomor {i}",
             "caption": "", "platform_captions": {}, "accounts": [f"b{i % accounts}"], "activity": "",
             "location": "", "flags": [], "status": "scheduled", "version": 1, "version_hash": "h",
             "created_by_id": 1, "created_at": run_at, "updated_at": run_at}
            for i in range(n)])
        s.execute(insert(PublicationJob), [
            {"kind": "post", "dedupe_key": f"post:{i + 1}:b{i % accounts}", "content_id": i + 1,
             "account": f"b{i % accounts}", "platform": "sandbox", "version_hash": "h", "run_at": run_at,
             "state": "scheduled", "claimed_from": "", "attempts": 0, "checkpoint": {}, "last_error": "",
             "created_at": run_at - timedelta(minutes=1), "updated_at": run_at}
            for i in range(n)])


def run_once(db: str, workers: int, jobs: int, accounts: int, latency_ms: int, platform: str) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="humas-bench-"))
    schema = None
    if db == "sqlite":
        url = f"sqlite:///{tmp / 'humas.sqlite3'}"
    else:
        base = os.environ["HUMAS_BENCH_PG"]
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with create_engine(base, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{base}?options=-csearch_path%3D{schema}"
    data = settings_data(tmp, url, accounts, latency_ms)
    app = App(parse_settings(data, "bench"))
    migrate.upgrade(app.db)
    t0 = datetime.now(UTC)
    seed(app, jobs, accounts, t0)
    if db == "postgresql":
        with app.db.engine.connect() as conn:  # what autovacuum would do for a table that grew this much
            conn.execute(text("ANALYZE"))
            conn.commit()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ctx.Pool(workers) as pool:
        ready = manager.Barrier(workers)
        results = pool.starmap(worker, [(data, f"bench-{i}", platform == "independent", ready)
                                        for i in range(workers)])
    wall = max(r[4] for r in results) - min(r[3] for r in results)  # first start to last claim's end
    with app.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT run_at, published_at, state FROM publication_jobs")).all()
    published = [r for r in rows if r[2] == "published"]
    if platform == "independent":
        keys = [k for f in tmp.glob("posts-*.txt") for k in f.read_text(encoding="utf-8").split()]
    else:
        keys = [p.text for p in SandboxPlatform(tmp / "sandbox.sqlite3").list_posts()]
    lateness = sorted((_aware(r[1]) - _aware(r[0])).total_seconds() for r in published)
    worker_time = sum(r[1] for r in results)
    platform_time = sum(r[2] for r in results)
    app.db.dispose()
    if schema:
        with create_engine(os.environ["HUMAS_BENCH_PG"], isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    return {
        "db": db, "platform": platform, "workers": workers, "jobs": jobs, "published": len(published),
        "platform_posts": len(keys), "duplicate_posts": len(keys) - len(set(keys)),
        "jobs_per_s": round(len(published) / wall, 1),
        "lateness_p50_s": round(statistics.median(lateness), 2) if lateness else None,
        "lateness_p99_s": round(lateness[int(len(lateness) * 0.99) - 1], 2) if lateness else None,
        "overhead_ms_per_job": round((worker_time - platform_time) / max(len(published), 1) * 1000, 2),
        "platform_ms_per_job": round(platform_time / max(len(published), 1) * 1000, 2),
        "wall_s": round(wall, 1),
    }


def _aware(dt: Any) -> datetime:
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--jobs", type=int, default=10_000)
    p.add_argument("--accounts", type=int, default=50)
    p.add_argument("--latency-ms", type=int, default=5)
    p.add_argument("--platform", choices=["sandbox", "independent"], default="sandbox")
    a = p.parse_args()
    if a.db == "postgresql" and "HUMAS_BENCH_PG" not in os.environ:
        sys.exit("set HUMAS_BENCH_PG=postgresql+psycopg://… for the PostgreSQL run")
    for w in a.workers:
        print(json.dumps(run_once(a.db, w, a.jobs, a.accounts, a.latency_ms, a.platform)), flush=True)


if __name__ == "__main__":
    main()
