"""Per-account monitoring work, claimed with leases like publication jobs (:mod:`humas.store.leases`).

One ``poll_leases`` row per account: two daemons never poll one account at once, and a monitor that lost its
lease changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from humas.store.engine import Database
from humas.store.leases import LeaseTable, new_token
from humas.store.models import AccountState, PollLease

LEASES = LeaseTable(PollLease.account, PollLease.lease_owner, PollLease.lease_until)


@dataclass(frozen=True)
class PollClaim:
    """An account this monitor holds; ``token`` fences its writes. Budget as it was at the claim."""

    account: str
    token: str
    budget_day: str
    budget_used: int


def ensure(db: Database, accounts: Sequence[str], now: datetime) -> None:
    """A lease row for every account that has none yet (due now)."""
    if not accounts:
        return
    with db.session() as s:
        have = set(s.execute(select(PollLease.account).where(PollLease.account.in_(list(accounts)))).scalars())
        for name in accounts:
            if name in have:
                continue
            try:
                with s.begin_nested():
                    s.add(PollLease(account=name, next_run_at=now))
                    s.flush()
            except IntegrityError:
                continue  # another monitor created it


def claim(db: Database, owner: str, accounts: Sequence[str], *, now: datetime, lease: timedelta,
          limit: int = 50) -> list[PollClaim]:
    """Claim up to ``limit`` of ``accounts`` that are due and not leased (or whose lease expired).

    Paused accounts (expired credentials) are skipped: an admin resumes them.
    """
    if not accounts:
        return []
    token = new_token(owner)
    paused = exists().where(AccountState.name == PollLease.account, AccountState.status == "paused")
    free = or_(PollLease.lease_owner.is_(None), PollLease.lease_until.is_(None), PollLease.lease_until < now)
    with db.session() as s:
        rows = LEASES.claim(
            s, token, where=[PollLease.account.in_(list(accounts)), PollLease.next_run_at <= now, free, ~paused],
            order_by=[PollLease.next_run_at, PollLease.account], limit=limit, until=now + lease,
            returning=[PollLease.account, PollLease.budget_day, PollLease.budget_used],
        )
    return [PollClaim(r[0], token, r[1], r[2]) for r in sorted(rows)]


def record(session: Session, c: PollClaim, *, budget_day: str, budget_used: int, lease_until: datetime) -> bool:
    """In the caller's transaction: the budget spent so far and a longer lease; False when the lease was lost."""
    return LEASES.fenced(session, c.account, c.token,
                         {"budget_day": budget_day, "budget_used": budget_used, "lease_until": lease_until})


def release(db: Database, c: PollClaim, *, next_run_at: datetime) -> bool:
    """Hand the account back, due again at ``next_run_at``; False when the lease had been lost."""
    with db.session() as s:
        return LEASES.fenced(s, c.account, c.token, {**LEASES.release_values(), "next_run_at": next_run_at})
