"""Each account's own state: paused after expired credentials, and its pacing (minimum gap, daily cap)."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from sqlalchemy.orm import Session

from humas.config import Settings
from humas.store.models import AccountState


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

    def next_allowed(self, session: Session, name: str, now: datetime) -> datetime | None:
        """When the account may post next under its pacing; None when it may post now."""
        pacing = self.settings.account(name).pacing
        row = self.get(session, name)
        later: list[datetime] = []
        if pacing.min_gap_seconds and row.last_published_at is not None:
            free_at = row.last_published_at + timedelta(seconds=pacing.min_gap_seconds)
            if free_at > now:
                later.append(free_at)
        if pacing.daily_cap is not None and row.day == self.local_day(now) and row.published_today >= pacing.daily_cap:
            tomorrow = now.astimezone(self.tz).date() + timedelta(days=1)
            later.append(datetime.combine(tomorrow, time(0, 0), tzinfo=self.tz))
        return max(later) if later else None

    def record_published(self, session: Session, name: str, now: datetime) -> None:
        row = self.get(session, name)
        day = self.local_day(now)
        if row.day != day:
            row.day, row.published_today = day, 0
        row.published_today += 1
        row.last_published_at = now
