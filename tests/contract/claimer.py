"""A worker process for the concurrent-claim test (importable, so multiprocessing can spawn it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from humas.queue import jobs
from humas.store.engine import Database


def claim_until_empty(url: str, owner: str, batch: int) -> list[int]:
    db = Database(url)
    got: list[int] = []
    try:
        while True:
            claims = jobs.claim(db, owner, now=datetime.now(UTC), lease=timedelta(minutes=30), limit=batch)
            if not claims:
                return got
            got += [c.id for c in claims]
    finally:
        db.dispose()
