"""Each account's own status: paused after expired credentials, and its pacing (minimum gap, daily cap)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from humas.app import App
from humas.store.models import AccountState


def state(session: Session, app: App, name: str) -> AccountState:
    row = session.get(AccountState, name)
    if row is None:
        acc = app.settings.account(name)
        row = AccountState(name=name, platform=acc.platform.value, status="active")
        session.add(row)
        session.flush()
    return row


def pause(session: Session, app: App, name: str, reason: str, now: datetime) -> bool:
    """Pause an account; True when it was active (so callers notify only once)."""
    row = state(session, app, name)
    was_active = row.status != "paused"
    row.status, row.paused_reason, row.paused_at = "paused", reason, now
    return was_active


def resume(session: Session, app: App, name: str) -> None:
    row = state(session, app, name)
    row.status, row.paused_reason, row.paused_at = "active", "", None


def local_day(app: App, now: datetime) -> str:
    return app.local(now).date().isoformat()


def next_allowed(session: Session, app: App, name: str, now: datetime) -> datetime | None:
    """When the account may post next under its pacing; None when it may post now."""
    pacing = app.settings.account(name).pacing
    row = state(session, app, name)
    later: list[datetime] = []
    if pacing.min_gap_seconds and row.last_published_at is not None:
        free_at = row.last_published_at + timedelta(seconds=pacing.min_gap_seconds)
        if free_at > now:
            later.append(free_at)
    if pacing.daily_cap is not None and row.day == local_day(app, now) and row.published_today >= pacing.daily_cap:
        tomorrow = app.local(now).date() + timedelta(days=1)
        later.append(datetime.combine(tomorrow, time(0, 0), tzinfo=app.tz))
    return max(later) if later else None


def record_published(session: Session, app: App, name: str, now: datetime) -> None:
    row = state(session, app, name)
    day = local_day(app, now)
    if row.day != day:
        row.day, row.published_today = day, 0
    row.published_today += 1
    row.last_published_at = now
