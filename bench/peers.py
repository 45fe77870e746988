"""The send cycle side by side on PostgreSQL: humas, procrastinate and the round-trip floor, in one run.

    HUMAS_BENCH_PG=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/peers.py [--jobs 2000] [--rounds 3] [--json]

Each side works off ``--jobs`` due jobs with one worker in this process and does nothing in the job itself, so what
is timed is the queue's own cost per job: wall time and this process's CPU time (the database server's CPU is not
counted). The sides alternate within each round (humas, procrastinate, floor), each on a fresh schema:

- **humas**: the real :class:`~humas.queue.dispatcher.Dispatcher` ticking until the queue is empty, every account's
  adapter replaced by one whose ``publish`` returns at once: claim, the durable ``sending`` fence, the call, the
  ``published`` mark with its post row and register entries.
- **procrastinate** (a bench-only dependency, ``pip install -e '.[bench]'``): a synchronous no-op task, the jobs
  deferred in one batch, ``run_worker(wait=False, concurrency=1)``.
- **floor**: one ``SELECT … FOR UPDATE SKIP LOCKED LIMIT 1``, one ``UPDATE`` and a commit per job over psycopg: the
  fewest round trips a durable, claim-safe queue can take.

Printed: per side the median (min–max) over the rounds of ms per job (wall, CPU), and the ratios of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, text

from humas.app import App
from humas.config import parse_settings
from humas.publisher.base import Checkpoint, PublishRequest, PublishResult
from humas.store import migrate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from queue_bench import seed, settings_data

ACCOUNTS = 10


@contextmanager
def schema(base: str) -> Iterator[tuple[str, str]]:
    """A fresh schema: (SQLAlchemy URL, libpq conninfo) with it first on the search path; dropped afterwards."""
    name = f"peers_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {name}"))
    libpq = base.replace("postgresql+psycopg://", "postgresql://")
    try:
        yield f"{base}?options=-csearch_path%3D{name}", f"{libpq}?options=-csearch_path%3D{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()


class Instant:
    """An adapter whose publish returns at once (the platform's share of a job is zero)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.n = 0

    def publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        self.n += 1
        return PublishResult(remote_id=f"r{self.n}-{uuid.uuid4().hex[:8]}", published_at=datetime.now(UTC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def timed(work: Callable[[], int]) -> tuple[int, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    done = work()
    return done, time.perf_counter() - wall, time.process_time() - cpu


def humas_side(base: str, jobs: int) -> tuple[int, float, float]:
    with schema(base) as (url, _libpq):
        data = settings_data(Path(tempfile.mkdtemp(prefix="humas-peers-")), url, ACCOUNTS, 0)
        app = App(parse_settings(data, "bench"))
        migrate.upgrade(app.db)
        seed(app, jobs, ACCOUNTS, datetime.now(UTC))
        with app.db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        for account in app.settings.accounts:
            app.adapters.override(account.name, Instant(app.adapters.get(account.name)))  # type: ignore[arg-type]
        dispatcher = app.dispatcher("peers")

        def work() -> int:
            done = 0
            while True:
                r = dispatcher.tick()
                done += r.outcomes.get("published", 0)
                if r.claimed == 0:
                    return done

        try:
            return timed(work)
        finally:
            app.db.dispose()


def procrastinate_side(base: str, jobs: int) -> tuple[int, float, float]:
    import procrastinate

    with schema(base) as (_url, libpq):
        app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=libpq))
        seen: list[int] = []

        @app.task(name="noop")
        def noop(i: int) -> None:
            seen.append(i)

        with app.open():
            app.schema_manager.apply_schema()
            deferred: list[dict[str, Any]] = [{"i": i} for i in range(jobs)]
            noop.batch_defer(*deferred)
            with psycopg.connect(libpq, autocommit=True) as conn:
                conn.execute("ANALYZE")

        def work() -> int:
            app.run_worker(wait=False, concurrency=1, install_signal_handlers=False, listen_notify=False,
                           delete_jobs="never")
            return len(seen)

        return timed(work)


def floor_side(base: str, jobs: int) -> tuple[int, float, float]:
    with schema(base) as (_url, libpq), psycopg.connect(libpq) as conn:
        conn.execute("CREATE TABLE jobs (id bigserial PRIMARY KEY, state text NOT NULL)")
        conn.execute("CREATE INDEX jobs_todo ON jobs (id) WHERE state = 'todo'")
        conn.execute("INSERT INTO jobs (state) SELECT 'todo' FROM generate_series(1, %s)", (jobs,))
        conn.commit()
        conn.execute("ANALYZE jobs")
        conn.commit()

        def work() -> int:
            done = 0
            while True:
                row = conn.execute("SELECT id FROM jobs WHERE state = 'todo' ORDER BY id "
                                   "FOR UPDATE SKIP LOCKED LIMIT 1").fetchone()
                if row is None:
                    conn.commit()
                    return done
                conn.execute("UPDATE jobs SET state = 'done' WHERE id = %s", row)
                conn.commit()
                done += 1

        return timed(work)


SIDES: dict[str, Callable[[str, int], tuple[int, float, float]]] = {
    "humas": humas_side, "procrastinate": procrastinate_side, "floor": floor_side,
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", action="store_true", help="one JSON object on the last line")
    args = p.parse_args()
    base = os.environ.get("HUMAS_BENCH_PG")
    if not base:
        sys.exit("error: set HUMAS_BENCH_PG to a PostgreSQL URL (postgresql+psycopg://…)")
    per: dict[str, dict[str, list[float]]] = {s: {"wall_ms": [], "cpu_ms": []} for s in SIDES}
    for r in range(args.rounds):
        for side, run in SIDES.items():
            done, wall, cpu = run(base, args.jobs)
            if done != args.jobs:
                sys.exit(f"error: {side} did {done} of {args.jobs} jobs")
            per[side]["wall_ms"].append(wall / done * 1000)
            per[side]["cpu_ms"].append(cpu / done * 1000)
            print(f"round {r + 1} {side:13} wall {wall / done * 1000:6.2f} ms/job  cpu {cpu / done * 1000:6.2f} "
                  "ms/job", file=sys.stderr)
    out: dict[str, Any] = {"jobs": args.jobs, "rounds": args.rounds}
    for side, figures in per.items():
        for k, values in figures.items():
            out[f"{side}_{k}"] = round(statistics.median(values), 2)
            out[f"{side}_{k}_range"] = [round(min(values), 2), round(max(values), 2)]
    for k in ("wall_ms", "cpu_ms"):
        out[f"humas_over_procrastinate_{k}"] = round(out[f"humas_{k}"] / out[f"procrastinate_{k}"], 2)
        out[f"humas_over_floor_{k}"] = round(out[f"humas_{k}"] / out[f"floor_{k}"], 2)
    if args.json:
        print(json.dumps(out))
        return
    for side in SIDES:
        print(f"{side:13} wall {out[side + '_wall_ms']:6.2f} ms/job {out[side + '_wall_ms_range']}  "
              f"cpu {out[side + '_cpu_ms']:6.2f} ms/job {out[side + '_cpu_ms_range']}")
    print(f"humas / procrastinate: wall {out['humas_over_procrastinate_wall_ms']}x, "
          f"cpu {out['humas_over_procrastinate_cpu_ms']}x; humas / floor: wall {out['humas_over_floor_wall_ms']}x, "
          f"cpu {out['humas_over_floor_cpu_ms']}x")


if __name__ == "__main__":
    main()
