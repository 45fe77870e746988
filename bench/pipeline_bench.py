"""The comment pipeline, end to end: sandbox fetch -> dedup -> classify -> store -> cases, in comments/s.

    .venv/bin/python bench/pipeline_bench.py [--comments 2000] [--posts 20] [--db sqlite|postgresql|both]
                                             [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

For each database: a fresh humas database (PostgreSQL: a schema of its own, dropped afterwards) and sandbox file,
sandbox accounts without simulated latency, ``--posts`` posts with ``--comments`` public comments in all (texts
from the sandbox's sample comments), then one comment cycle (:meth:`humas.cycle.CommentCycle.run_once`: poll and
store, classify, escalate) with the shipped default classifier, already loaded (its load time is reported apart).
Reported: the first run (everything new), re-reads of every comment that store none (dedup only: the first one
right after the big write, and the median of the next two, the steady state), classification alone, and the cases
opened.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from humas.app import App  # noqa: E402
from humas.config import parse_settings  # noqa: E402
from humas.publisher.base import DictCheckpoint, PostDraft, PublishRequest  # noqa: E402
from humas.publisher.sandbox import SandboxPlatform, load_sample_comments  # noqa: E402
from humas.store import migrate  # noqa: E402
from humas.store.models import Case, Comment, Post, PublicationJob  # noqa: E402

ACCOUNTS: list[dict[str, str | int]] = [
    {"name": "sandbox-facebook", "platform": "sandbox", "imitates": "facebook", "latency_ms": 0},
    {"name": "sandbox-x", "platform": "sandbox", "imitates": "x", "latency_ms": 0},
]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def build(url: str, data_dir: Path, clock: Clock) -> App:
    settings = parse_settings({
        "data_dir": str(data_dir), "database_url": url, "accounts": ACCOUNTS,
        "monitor": {"sandbox_simulation": False, "daily_budget": {}}, "notify": {"enabled": False},
    }, "bench")
    app = App(settings, clock=clock)
    migrate.upgrade(app.db)
    return app


def seed(app: App, posts: int, comments: int, rng: random.Random) -> None:
    samples, authors = load_sample_comments()
    sandbox = SandboxPlatform(app.settings.sandbox_db, app.clock)
    now = app.clock()
    names = [str(a["name"]) for a in ACCOUNTS]
    for i in range(posts):
        account = names[i % len(names)]
        res = app.adapters.get(account).publish(
            PublishRequest(f"post:{i}:{account}", account, PostDraft(text=f"Pengumuman layanan nomor {i}")),
            DictCheckpoint())
        with app.db.session() as s:
            job = PublicationJob(kind="post", dedupe_key=f"post:{i}:{account}", account=account, platform="sandbox",
                                 run_at=now, state="published", remote_id=res.remote_id, published_at=now)
            s.add(job)
            s.flush()
            s.add(Post(job_id=job.id, account=account, platform="sandbox", remote_id=res.remote_id,
                       published_at=now, next_poll_at=now))
        per_post = comments // posts + (1 if i < comments % posts else 0)
        for _ in range(per_post):
            sandbox.add_comment(res.remote_id, rng.choice(samples).text, author=rng.choice(authors))
    sandbox.close()


def configured_classifier(app: App) -> Any:
    if hasattr(app, "classifier"):
        return app.classifier
    from humas.escalation.classify import classifier_for  # revisions before the composition root (bench/ab.py)

    return classifier_for(app)  # type: ignore[arg-type]


def comment_cycle(app: App) -> Any:
    """Poll, store, classify and escalate, as the daemon's monitor timer does."""
    if hasattr(app, "comment_cycle"):
        return app.comment_cycle("bench", notify_case=lambda oc: None, max_pages=20)
    from humas.monitor import Monitor  # type: ignore[attr-defined]  # revisions before the composition root

    return Monitor(app, "bench", notify_case=lambda oc: None, max_pages=20)


def bench(kind: str, url: str, posts: int, comments: int) -> dict[str, Any]:
    clock = Clock()
    with tempfile.TemporaryDirectory(prefix="humas-bench-") as tmp:
        app = build(url, Path(tmp) / "data", clock)
        try:
            seed(app, posts, comments, random.Random(1))
            start = time.perf_counter()
            classifier = configured_classifier(app)
            classifier.classify(["pemanasan"])
            load_s = time.perf_counter() - start
            monitor = comment_cycle(app)
            start = time.perf_counter()
            first = monitor.run_once()
            first_s = time.perf_counter() - start
            rereads: list[float] = []
            for _ in range(3):  # every post is due again: re-read all, store nothing
                clock.now += timedelta(minutes=5)
                start = time.perf_counter()
                second = monitor.run_once()
                rereads.append(time.perf_counter() - start)
                assert second.new_comments == 0
            # the first re-read follows the big write of the first run (SQLite: pages still in the WAL); the
            # steady state of polling is the later ones
            first_reread_s, second_s = rereads[0], statistics.median(rereads[1:])
            with app.db.session() as s:
                stored = s.execute(select(func.count()).select_from(Comment)).scalar_one()
                cases = s.execute(select(func.count()).select_from(Case)).scalar_one()
                texts = list(s.execute(select(Comment.text)).scalars())
            start = time.perf_counter()
            classifier.classify(texts)
            classify_s = time.perf_counter() - start
            assert stored == comments, (stored, comments)
            assert second.new_comments == 0
            return {"db": kind, "comments": comments, "posts": posts, "stored": stored, "cases": cases,
                    "fetched_again": sum(a.fetched for a in second.accounts), "first_s": first_s,
                    "first_cps": comments / first_s, "dedup_s": second_s,
                    "dedup_cps": sum(a.fetched for a in second.accounts) / second_s,
                    "dedup_first_cps": sum(a.fetched for a in second.accounts) / first_reread_s,
                    "classify_cps": len(texts) / classify_s, "model_load_s": load_s,
                    "api_calls": sum(a.cost for a in first.accounts)}
        finally:
            app.db.dispose()


def pg_schema(base: str) -> tuple[str, Any]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--comments", type=int, default=2000)
    p.add_argument("--posts", type=int, default=20)
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--pg-url", default=os.environ.get("HUMAS_TEST_DATABASE_URL",
                                                      "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    p.add_argument("--json", action="store_true", help="one JSON object per database instead of the table")
    args = p.parse_args()
    rows = []
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="humas-bench-db-") as tmp:
            rows.append(bench("SQLite", f"sqlite:///{tmp}/humas.sqlite3", args.posts, args.comments))
    if args.db in ("postgresql", "both"):
        url, drop = pg_schema(args.pg_url)
        try:
            rows.append(bench("PostgreSQL", url, args.posts, args.comments))
        finally:
            drop()
    if args.json:
        for r in rows:
            print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}))
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; {args.comments} comments over {args.posts} posts")
    print("| database | first run: fetch+dedup+classify+store+cases | comments/s | re-read, nothing new | "
          "comments/s | classify only, comments/s | cases opened | API calls | model load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['db']} | {r['first_s']:.2f} s | {r['first_cps']:,.0f} | {r['dedup_s']:.2f} s | "
              f"{r['dedup_cps']:,.0f} | {r['classify_cps']:,.0f} | {r['cases']} | {r['api_calls']} | "
              f"{r['model_load_s']:.2f} s |")


if __name__ == "__main__":
    main()
