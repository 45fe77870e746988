"""The job store's contract, on SQLite always and on PostgreSQL when HUMAS_TEST_DATABASE_URL is set."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from humas.app import App
from humas.queue import jobs
from humas.store.models import AccountState, JobState, PublicationJob
from tests.contract.claimer import claim_until_empty

S = JobState
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def add(app: App, n: int, *, accounts: int | None = None, state: str = S.SCHEDULED, run_at: datetime = T0,
        prefix: str = "post") -> None:
    rows = [{"kind": "post", "dedupe_key": f"{prefix}:{i}:acc{i % (accounts or n)}",
             "account": f"acc{i % (accounts or n)}",
             "platform": "sandbox", "run_at": run_at, "state": state, "attempts": 0, "checkpoint": {},
             "last_error": "", "claimed_from": "", "version_hash": "", "created_at": T0, "updated_at": T0}
            for i in range(n)]
    with app.db.session() as s:
        s.execute(insert(PublicationJob), rows)


def states(app: App) -> Counter[str]:
    with app.db.session() as s:
        return Counter(s.execute(select(PublicationJob.state)).scalars())


def test_claims_only_due_jobs_in_run_at_order(app: App) -> None:
    add(app, 3)
    add(app, 2, run_at=T0 + timedelta(hours=1), prefix="later")
    claims = jobs.claim(app.db, "w1", now=T0, lease=LEASE, limit=10)
    assert len(claims) == 3 and all(c.state_before == S.SCHEDULED for c in claims)
    assert jobs.claim(app.db, "w2", now=T0, lease=LEASE, limit=10) == []


def test_expired_claim_is_taken_over_and_the_loser_is_fenced(app: App) -> None:
    add(app, 1)
    [a] = jobs.claim(app.db, "w1", now=T0, lease=LEASE, limit=1)
    assert jobs.claim(app.db, "w2", now=T0 + timedelta(seconds=30), lease=LEASE, limit=1) == []
    assert jobs.reap(app.db, now=T0 + timedelta(seconds=61)) == 0  # hands the dead claim back (not in doubt)
    [b] = jobs.claim(app.db, "w2", now=T0 + timedelta(seconds=61), lease=LEASE, limit=1)
    assert a.id == b.id and a.token != b.token
    now = T0 + timedelta(seconds=62)
    assert not jobs.start_sending(app.db, a, now=now, lease=LEASE)  # the fence that loses: rowcount 0
    assert jobs.start_sending(app.db, b, now=now, lease=LEASE)
    assert not jobs.fenced(app.db, a, states=[S.SENDING], now=now, state=S.PUBLISHED)
    assert states(app) == {S.SENDING: 1}


def test_sending_with_expired_lease_becomes_in_doubt_never_reclaimed_blindly(app: App) -> None:
    add(app, 1)
    [c] = jobs.claim(app.db, "w1", now=T0, lease=LEASE, limit=1)
    assert jobs.start_sending(app.db, c, now=T0, lease=LEASE)
    later = T0 + timedelta(minutes=5)
    assert jobs.claim(app.db, "w2", now=later, lease=LEASE, limit=1) == []  # sending is never claimed
    assert jobs.reap(app.db, now=later) == 1
    assert states(app) == {S.IN_DOUBT: 1}
    [again] = jobs.claim(app.db, "w2", now=later, lease=LEASE, limit=1)
    assert again.state_before == S.IN_DOUBT  # the worker must resolve it with find_published first


def test_one_job_in_flight_per_account(app: App) -> None:
    add(app, 4, accounts=2)
    first = jobs.claim(app.db, "w1", now=T0, lease=LEASE, limit=1)
    second = jobs.claim(app.db, "w2", now=T0, lease=LEASE, limit=10)
    with app.db.session() as s:
        acc = {c.id: s.get(PublicationJob, c.id).account for c in first + second}  # type: ignore[union-attr]
    # while acc0's job is in flight, the other worker gets only acc1's jobs (one statement may take both of them:
    # that worker sends them one after the other); a third worker gets nothing
    assert len(first) == 1 and second
    assert {acc[c.id] for c in second} == {"acc0", "acc1"} - {acc[first[0].id]}
    assert jobs.claim(app.db, "w3", now=T0, lease=LEASE, limit=10) == []


def test_paused_account_is_skipped(app: App) -> None:
    add(app, 2)
    with app.db.session() as s:
        s.add(AccountState(name="acc0", platform="sandbox", status="paused"))
    claims = jobs.claim(app.db, "w1", now=T0, lease=LEASE, limit=10)
    with app.db.session() as s:
        accounts = {s.get(PublicationJob, c.id).account for c in claims}  # type: ignore[union-attr]
    assert accounts == {"acc1"}


def test_release_hands_back_unsent_claims(app: App) -> None:
    add(app, 3)
    claims = jobs.claim(app.db, "host:1:abc", now=T0, lease=LEASE, limit=3)
    assert jobs.start_sending(app.db, claims[0], now=T0, lease=LEASE)
    assert jobs.release(app.db, "host:1:abc", now=T0) == 2
    assert states(app) == {S.SCHEDULED: 2, S.SENDING: 1}


def test_duplicate_queueing_refused(app: App) -> None:
    from humas.errors import InvalidInput

    with app.db.session() as s:
        jobs.add_post_job(s, content_id=None, account="a", platform="sandbox", version_hash="h",  # type: ignore[arg-type]
                          run_at=T0, created_by_id=None, now=T0)
    with pytest.raises(InvalidInput, match="already queued"), app.db.session() as s:
        jobs.add_post_job(s, content_id=None, account="a", platform="sandbox", version_hash="h",  # type: ignore[arg-type]
                          run_at=T0, created_by_id=None, now=T0)


@pytest.mark.slow
def test_eight_processes_claim_3000_jobs_without_a_double_claim(app: App) -> None:
    add(app, 3000, run_at=datetime.now(UTC) - timedelta(hours=1))
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(8) as pool:
        results = pool.starmap(claim_until_empty, [(app.db.url, f"w{i}", 3) for i in range(8)])
    claimed = [j for r in results for j in r]
    counts = Counter(claimed)
    assert len(claimed) == 3000 and len(counts) == 3000 and max(counts.values()) == 1
    assert sum(1 for r in results if r) >= 2  # the work really was shared
    assert states(app) == {S.CLAIMED: 3000}
