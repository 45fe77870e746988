"""Each account's own status: paused after expired credentials, and its pacing (minimum gap, daily cap)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from humas.app import App
from humas.errors import HumasError
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


def overview(app: App, session: Session) -> list[dict[str, Any]]:
    """Every configured account with its status, for the CLI, the pages and the API (credentials only as their
    source, e.g. ``env:NAME``; times as aware datetimes)."""
    states = {r.name: r for r in session.execute(select(AccountState)).scalars()}
    rows = []
    for acc in app.settings.accounts:
        st = states.get(acc.name)
        rows.append({
            **app.adapters.describe(acc.name),
            "label": acc.label or acc.name,
            "status": st.status if st else "active",
            "paused_reason": st.paused_reason if st else "",
            "last_published_at": st.last_published_at if st else None,
            "token_expires_at": st.token_expires_at if st else None,
            "last_check_at": st.last_check_at if st else None,
            "last_check_ok": st.last_check_ok if st else None,
            "last_check_detail": st.last_check_detail if st else "",
        })
    return rows


def overview_json(app: App) -> list[dict[str, Any]]:
    """:func:`overview` with times in the configured zone as ISO 8601 text."""
    with app.db.session() as s:
        rows = overview(app, s)
    return [{k: app.local(v).isoformat(timespec="seconds") if isinstance(v, datetime) else v for k, v in r.items()}
            for r in rows]


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str
    expires_at: datetime | None
    warning: str = ""


EXPIRY_WARNING = timedelta(days=7)


def check(session: Session, app: App, name: str) -> CheckResult:
    """``adapter.check()`` now (a cheap authenticated call); the answer is stored on the account's state."""
    try:
        result = app.adapters.get(name).check()
        ok, detail, expires = result.ok, result.detail, result.expires_at
    except HumasError as exc:
        ok, detail, expires = False, exc.message, None
    now = app.clock()
    row = state(session, app, name)
    row.last_check_at, row.last_check_ok, row.last_check_detail = now, ok, detail[:1000]
    if expires is not None:
        row.token_expires_at = expires
    warning = ""
    if expires is not None and expires - now < EXPIRY_WARNING:
        warning = f"credentials expire {app.local(expires):%Y-%m-%d %H:%M}"
    return CheckResult(ok, detail, expires, warning)
