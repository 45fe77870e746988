"""The notification interface every stage receives (never a concrete sender)."""

from __future__ import annotations

from typing import Protocol

EXCERPT = 280


class Notifier(Protocol):
    """Delivers a message to the people holding a role, or to the admins.

    Returns whether anything was delivered; never raises: a notification must not undo or stop the work it
    reports on.
    """

    def notify_role(self, role: str, title: str, body: str) -> bool: ...

    def notify_admins(self, title: str, body: str) -> bool: ...


def excerpt(text: str, n: int = EXCERPT) -> str:
    """``text`` on one line, cut to ``n`` characters (public text quoted in a message)."""
    one = " ".join(text.split())
    return one if len(one) <= n else one[: n - 1] + "…"
