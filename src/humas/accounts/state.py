"""Each account's own state: paused after expired credentials, and its pacing (minimum gap, daily cap)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from humas.config import Settings
from humas.store.models import AccountState, table


@dataclass(frozen=True)
class Pace:
    """What an account's pacing looks at: its last post and its count on its (local) ``day``."""

    last_published_at: datetime | None = None
    day: str = ""
    published_today: int = 0

    @classmethod
    def of(cls, row: Any) -> Pace:
        """From an ``account_states`` row: the ORM object or a row of :data:`_PACES`."""
        return cls(row.last_published_at, row.day, row.published_today)

    def after_post(self, now: datetime, day: str) -> Pace:
        return Pace(now, day, (self.published_today if self.day == day else 0) + 1)


class AccountStates:
    """Reads and writes ``account_states`` rows in the caller's transaction (a row is created on first use)."""

    def __init__(self, settings: Settings, tz: tzinfo) -> None:
        self.settings = settings
        self.tz = tz

    def get(self, session: Session, name: str) -> AccountState:
        row = session.get(AccountState, name)
        if row is None:
            acc = self.settings.account(name)
            row = AccountState(name=name, platform=acc.platform.value, status="active")
            session.add(row)
            session.flush()
        return row

    def pause(self, session: Session, name: str, reason: str, now: datetime) -> bool:
        """Pause an account; True when it was active (so callers notify only once)."""
        row = self.get(session, name)
        was_active = row.status != "paused"
        row.status, row.paused_reason, row.paused_at = "paused", reason, now
        return was_active

    def resume(self, session: Session, name: str) -> None:
        row = self.get(session, name)
        row.status, row.paused_reason, row.paused_at = "active", "", None

    def local_day(self, now: datetime) -> str:
        return now.astimezone(self.tz).date().isoformat()

    def paces(self, session: Session, names: Iterable[str]) -> dict[str, Pace]:
        """The pacing state of ``names`` in one read (an account without a row has published nothing yet)."""
        wanted = set(names)
        found = _read_paces(session, wanted) if wanted else {}
        return {n: found.get(n, Pace()) for n in wanted}

    def next_allowed(self, name: str, pace: Pace, now: datetime) -> datetime | None:
        """When the account may post next under its pacing; None when it may post now."""
        pacing = self.settings.account(name).pacing
        later: list[datetime] = []
        if pacing.min_gap_seconds and pace.last_published_at is not None:
            free_at = pace.last_published_at + timedelta(seconds=pacing.min_gap_seconds)
            if free_at > now:
                later.append(free_at)
        capped = pacing.daily_cap is not None and pace.published_today >= pacing.daily_cap
        if capped and pace.day == self.local_day(now):
            tomorrow = now.astimezone(self.tz).date() + timedelta(days=1)
            later.append(datetime.combine(tomorrow, time(0, 0), tzinfo=self.tz))
        return max(later) if later else None

    def record_published(self, session: Session, names: Sequence[str], now: datetime) -> None:
        """Count one post of each of ``names`` (an account named twice posted twice): one read, one executemany."""
        rows = _read_paces(session, set(names))
        day = self.local_day(now)
        for name in names:
            if name not in rows:  # no row yet: created
                rows[name] = Pace.of(self.get(session, name))
            rows[name] = rows[name].after_post(now, day)
        session.execute(_RECORD_PACE, [{"b_name": n, "b_last": p.last_published_at, "b_day": p.day,
                                        "b_count": p.published_today} for n, p in rows.items()])


_STATES = table(AccountState)
_PACES = (select(_STATES.c.name, _STATES.c.last_published_at, _STATES.c.day, _STATES.c.published_today)
          .where(_STATES.c.name.in_(bindparam("b_names", expanding=True))))
_RECORD_PACE = (update(_STATES).where(_STATES.c.name == bindparam("b_name"))
                .values(last_published_at=bindparam("b_last"), day=bindparam("b_day"),
                        published_today=bindparam("b_count")))


def _read_paces(session: Session, names: set[str]) -> dict[str, Pace]:
    """The pacing rows of ``names`` that exist, in one statement built once (the send cycle reads them per batch)."""
    return {r.name: Pace.of(r) for r in session.execute(_PACES, {"b_names": list(names)})}
