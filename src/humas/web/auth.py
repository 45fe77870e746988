"""Signing in to the web interface: session lifetimes, the cookie's signing key and the login rate limit
(passwords, server-side sessions and tokens: :mod:`humas.users`)."""

from __future__ import annotations

import os
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from humas.config import Settings
from humas.errors import InvalidInput
from humas.users import SessionPolicy

SECRET_FILE = "web-secret.key"


def session_policy(settings: Settings) -> SessionPolicy:
    """Server-side session lifetimes from ``[web] session_idle_minutes`` and ``session_max_hours``."""
    return SessionPolicy(idle=timedelta(minutes=settings.web.session_idle_minutes),
                         max_age=timedelta(hours=settings.web.session_max_hours))


# --- the session key --------------------------------------------------------------------------------------------


def secret_key(settings: Settings) -> str:
    """``web.secret_key`` from the config, else a random key generated once under ``data_dir`` (mode 0600)."""
    configured = settings.web.secret_key
    if configured is not None:
        return configured.reveal()
    path = Path(settings.data_dir) / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise InvalidInput(f"{path}: the session key is too short; delete the file to generate a new one") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


# --- login rate limit -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LimitPolicy:
    per_user_ip: int = 5  # failures per user name and address
    per_ip: int = 30  # failures per address, any user name (credential stuffing)
    window: timedelta = timedelta(minutes=15)


class LoginLimiter:
    """Failed logins in the last ``window``, kept in this process's memory.

    With several instances behind a load balancer each instance counts on its own: the limit is per instance
    (documented in docs/web.md; a shared ``login_failures`` table would make it global).
    """

    def __init__(self, clock: Callable[[], datetime], policy: LimitPolicy | None = None) -> None:
        self.clock = clock
        self.policy = policy or LimitPolicy()
        self._by_key: dict[tuple[str, str], deque[datetime]] = {}
        self._by_ip: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _prune(self, q: deque[datetime], now: datetime) -> int:
        while q and q[0] <= now - self.policy.window:
            q.popleft()
        return len(q)

    def blocked_for(self, user: str, ip: str) -> timedelta | None:
        """How long this user name from this address must wait, or ``None`` when it may try."""
        now = self.clock()
        with self._lock:
            waits: list[timedelta] = []
            for q, limit in ((self._by_key.get((user.lower(), ip)), self.policy.per_user_ip),
                             (self._by_ip.get(ip), self.policy.per_ip)):
                if q is not None and self._prune(q, now) >= limit:
                    waits.append(q[-limit] + self.policy.window - now)
            return max(waits) if waits else None

    def failed(self, user: str, ip: str) -> None:
        now = self.clock()
        with self._lock:
            self._by_key.setdefault((user.lower(), ip), deque()).append(now)
            self._by_ip.setdefault(ip, deque()).append(now)

    def succeeded(self, user: str, ip: str) -> None:
        with self._lock:
            self._by_key.pop((user.lower(), ip), None)
