"""Each account's own state: paused after expired credentials, and its pacing (minimum gap, daily cap)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from humas.config import Settings
from humas.store.models import AccountState


@dataclass(frozen=True)
class Pace:
    """What an account's pacing looks at: its last post and its count on its (local) ``day``."""

    last_published_at: datetime | None = None
    day: str = ""
    published_today: int = 0

    @classmethod
    def of(cls, row: AccountState) -> Pace:
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
        rows = session.scalars(select(AccountState).where(AccountState.name.in_(wanted))).all() if wanted else ()
        found = {r.name: Pace.of(r) for r in rows}
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
        """Count one post of each of ``names`` (an account named twice posted twice), their rows read at once."""
        rows = {r.name: r for r in session.scalars(select(AccountState).where(AccountState.name.in_(set(names))))}
        day = self.local_day(now)
        for name in names:
            if name not in rows:  # no row yet: created
                rows[name] = self.get(session, name)
            row = rows[name]
            pace = Pace.of(row).after_post(now, day)
            row.last_published_at, row.day, row.published_today = pace.last_published_at, pace.day, pace.published_today
