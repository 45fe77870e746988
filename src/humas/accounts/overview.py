"""The accounts as people see them (CLI, pages, API): configuration, status, and a credentials check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from humas.accounts.state import AccountStates
from humas.config import AccountConfig, Settings
from humas.errors import HumasError
from humas.publisher.base import AdapterFor
from humas.store.engine import Database
from humas.store.models import AccountState

EXPIRY_WARNING = timedelta(days=7)


def describe(acc: AccountConfig) -> dict[str, Any]:
    """An account's configuration, credentials only as their source (``env:NAME``)."""
    return {"name": acc.name, "platform": acc.platform.value, "label": acc.label,
            "imitates": acc.imitates.value if acc.imitates else None, "enabled": acc.enabled,
            "credentials": {k: v.source for k, v in acc.credentials.items()}}


def overview(settings: Settings, session: Session) -> list[dict[str, Any]]:
    """Every configured account with its status (times as aware datetimes)."""
    states = {r.name: r for r in session.execute(select(AccountState)).scalars()}
    rows = []
    for acc in settings.accounts:
        st = states.get(acc.name)
        rows.append({
            **describe(acc),
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


def overview_json(settings: Settings, db: Database, tz: tzinfo) -> list[dict[str, Any]]:
    """:func:`overview` with times in the configured zone as ISO 8601 text."""
    with db.session() as s:
        rows = overview(settings, s)
    return [{k: v.astimezone(tz).isoformat(timespec="seconds") if isinstance(v, datetime) else v
             for k, v in r.items()} for r in rows]


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str
    expires_at: datetime | None
    warning: str = ""


def check(session: Session, states: AccountStates, adapter_for: AdapterFor, name: str, now: datetime) -> CheckResult:
    """``adapter.check()`` now (a cheap authenticated call); the answer is stored on the account's state."""
    try:
        result = adapter_for(name).check()
        ok, detail, expires = result.ok, result.detail, result.expires_at
    except HumasError as exc:
        ok, detail, expires = False, exc.message, None
    row = states.get(session, name)
    row.last_check_at, row.last_check_ok, row.last_check_detail = now, ok, detail[:1000]
    if expires is not None:
        row.token_expires_at = expires
    warning = ""
    if expires is not None and expires - now < EXPIRY_WARNING:
        warning = f"credentials expire {expires.astimezone(states.tz):%Y-%m-%d %H:%M}"
    return CheckResult(ok, detail, expires, warning)
