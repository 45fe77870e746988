"""Time as humas reads it: aware UTC, from a clock that callers pass down (tests pass a fake one)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

#: ``() -> now`` as an aware UTC datetime; :class:`humas.testing.FakeClock` is one.
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)
