"""Time standards (*mutu baku waktu*) written as compact durations: ``10m``, ``2h``, ``1d``, ``1w``, ``1h30m``.

Units are ``w`` (week, 7 days), ``d`` (day, 24 hours), ``h`` (hour) and ``m`` (minute), largest first, each at
most once, with optional spaces (``"1h 30m"``, ``"90 m"``). ``"0m"`` is a valid, empty duration. How a day counts
when an office measures working time only is decided by :class:`humas.sop.calendar.WorkingCalendar`.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["format_duration", "parse_duration"]

_UNITS: dict[str, timedelta] = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}
_ORDER = "wdhm"
_SHAPE = re.compile(r"\s*(?:\d+\s*[a-zA-Z]+\s*)+")
_PART = re.compile(r"(\d+)\s*([a-zA-Z]+)")
_EXPECTED = "expected like 10m, 2h, 1d"


def parse_duration(s: str) -> timedelta:
    """Parse a duration such as ``"1h30m"`` into a :class:`~datetime.timedelta`.

    Raises :class:`ValueError` naming the offending text when ``s`` is empty, uses a unit other than
    ``w``/``d``/``h``/``m``, repeats a unit, puts a smaller unit before a larger one, or is too large.
    """
    if not isinstance(s, str):
        raise ValueError(f"invalid duration {s!r} (a text {_EXPECTED})")
    if not _SHAPE.fullmatch(s):
        raise ValueError(f'invalid duration "{s}" ({_EXPECTED})')
    total = timedelta(0)
    last = -1
    for amount, unit in _PART.findall(s):
        if unit not in _UNITS:
            raise ValueError(f'invalid duration "{s}" ({_EXPECTED})')
        position = _ORDER.index(unit)
        if position <= last:
            raise ValueError(f'invalid duration "{s}": write each unit once, largest first (w, d, h, m)')
        last = position
        try:
            total += int(amount) * _UNITS[unit]
        except OverflowError:
            raise ValueError(f'invalid duration "{s}": too long') from None
    return total


def format_duration(td: timedelta) -> str:
    """Render ``td`` in the compact form :func:`parse_duration` reads (``timedelta(minutes=90)`` -> ``"1h30m"``).

    Whole weeks are written as ``w``; seconds below a minute are dropped; zero is ``"0m"``. Negative durations
    raise :class:`ValueError`.
    """
    if td < timedelta(0):
        raise ValueError(f"cannot format a negative duration ({td})")
    minutes = td.days * 1440 + td.seconds // 60
    parts: list[str] = []
    for unit in _ORDER:
        size = int(_UNITS[unit].total_seconds() // 60)
        count, minutes = divmod(minutes, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0m"
