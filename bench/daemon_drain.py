"""The real daemon with the shipped queue settings: how fast does ``humas run`` drain due jobs, and how late are
jobs that fall due while it runs? (issue 12's targets: 200 due jobs at >= 20 jobs/s on SQLite; lateness p99 <= 1 s
while the due rate stays below the drain rate.)

    .venv/bin/python bench/daemon_drain.py --burst 200 --spread 300 --over 60

Two phases against one ``humas run --no-web`` process on a fresh SQLite data dir (the defaults of
``config.example.toml`` except the accounts: ``--accounts`` sandbox accounts with ``--latency-ms`` per call and
the queue settings as shipped):

1. burst: ``--burst`` jobs all due at once before the daemon starts; drain rate = jobs / (last published_at -
   first published_at), and the time from the daemon's start to the last post;
2. spread: ``--spread`` jobs inserted while it runs, due evenly over ``--over`` seconds from a few seconds ahead;
   lateness = published_at - run_at, p50/p99/max.

Jobs are seeded straight into the database (as the bench of the queue does): content rows are ``scheduled`` and
the dispatcher does the real work, posts on the sandbox platform included; duplicates are counted there.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from queue_bench import _aware

from humas.publisher.sandbox import SandboxPlatform
from humas.store.models import Content, PublicationJob, User


def write_config(tmp: Path, accounts: int, latency_ms: int) -> Path:
    lines = [f'data_dir = "{tmp / "data"}"', "", "[web]", "port = 18766", ""]
    for i in range(accounts):
        lines += ["[[accounts]]", f'name = "b{i}"', 'platform = "sandbox"', 'imitates = "facebook"',
                  f"latency_ms = {latency_ms}", ""]
    lines += ["[monitor]", "sandbox_simulation = false", ""]
    cfg = tmp / "humas.toml"
    cfg.write_text("\n".join(lines), encoding="utf-8")
    return cfg


def seed(url: str, first_id: int, n: int, accounts: int, due: list[datetime]) -> None:
    engine = create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        if first_id == 1:
            conn.execute(insert(User), [{"name": "bench", "display_name": "bench"}])
        conn.execute(insert(Content), [
            {"id": first_id + i, "sop_id": "mojokerto-acc", "title": f"Bench {first_id + i}",
             "text": f"Kabar bench nomor {first_id + i}", "caption": "", "platform_captions": {},
             "accounts": [f"b{i % accounts}"], "activity": "", "location": "", "flags": [], "status": "scheduled",
             "version": 1, "version_hash": "h", "created_by_id": 1, "created_at": now, "updated_at": now}
            for i in range(n)])
        conn.execute(insert(PublicationJob), [
            {"kind": "post", "dedupe_key": f"post:{first_id + i}:b{i % accounts}", "content_id": first_id + i,
             "account": f"b{i % accounts}", "platform": "sandbox", "version_hash": "h", "run_at": due[i],
             "state": "scheduled", "claimed_from": "", "attempts": 0, "checkpoint": {}, "last_error": "",
             "created_at": now, "updated_at": now}
            for i in range(n)])
    engine.dispose()


def published(url: str, ids: range) -> list[tuple[datetime, datetime]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT run_at, published_at FROM publication_jobs WHERE state = 'published' "
                                 "AND content_id BETWEEN :a AND :b"), {"a": ids.start, "b": ids.stop - 1}).all()
    engine.dispose()
    return [(_aware(r[0]), _aware(r[1])) for r in rows]


def wait_for(url: str, ids: range, deadline: float) -> list[tuple[datetime, datetime]]:
    rows: list[tuple[datetime, datetime]] = []
    while time.monotonic() < deadline:
        rows = published(url, ids)
        if len(rows) == len(ids):
            break
        time.sleep(0.2)
    return rows


def pct(values: list[float], q: float) -> float:
    return round(sorted(values)[max(0, int(len(values) * q) - 1)], 3)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--burst", type=int, default=200)
    p.add_argument("--spread", type=int, default=300)
    p.add_argument("--over", type=float, default=60.0, help="seconds the spread jobs fall due over")
    p.add_argument("--accounts", type=int, default=4)
    p.add_argument("--latency-ms", type=int, default=5)
    args = p.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="humas-drain-"))
    cfg = write_config(tmp, args.accounts, args.latency_ms)
    env = {**os.environ, "HUMAS_CONFIG": str(cfg)}
    cli = [sys.executable, "-m", "humas.cli.main"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    url = f"sqlite:///{tmp / 'data' / 'humas.sqlite3'}"
    now = datetime.now(UTC)
    seed(url, 1, args.burst, args.accounts, [now - timedelta(seconds=1)] * args.burst)
    burst = range(1, args.burst + 1)

    started_wall = datetime.now(UTC)
    daemon = subprocess.Popen([*cli, "run", "--no-web"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        rows = wait_for(url, burst, time.monotonic() + 120)
        result: dict[str, Any] = {"accounts": args.accounts, "latency_ms": args.latency_ms,
                                  "burst_jobs": args.burst, "burst_published": len(rows)}
        if rows:
            times = sorted(r[1] for r in rows)
            span = (times[-1] - times[0]).total_seconds()
            result["burst_jobs_per_s"] = round((len(rows) - 1) / span, 1) if span > 0 else None
            result["burst_start_to_last_s"] = round((times[-1] - started_wall).total_seconds(), 2)
        if args.spread:
            first = args.burst + 1
            ahead = datetime.now(UTC) + timedelta(seconds=3)
            step = args.over / args.spread
            seed(url, first, args.spread, args.accounts,
                 [ahead + timedelta(seconds=i * step) for i in range(args.spread)])
            spread = range(first, first + args.spread)
            rows = wait_for(url, spread, time.monotonic() + args.over + 60)
            late = [(pub - due).total_seconds() for due, pub in rows]
            result.update({"spread_jobs": args.spread, "spread_over_s": args.over,
                           "due_rate_per_s": round(args.spread / args.over, 1), "spread_published": len(rows)})
            if late:
                result.update({"lateness_p50_s": round(statistics.median(late), 3), "lateness_p99_s": pct(late, 0.99),
                               "lateness_max_s": round(max(late), 3)})
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
    posts = SandboxPlatform(tmp / "data" / "sandbox.sqlite3").list_posts()
    result["platform_posts"] = len(posts)
    result["duplicate_posts"] = len(posts) - len({p.text for p in posts})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
