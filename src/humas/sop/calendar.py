"""The SLA clock: when a step's time standard runs out, and how much of it has been used.

An office either counts plain elapsed time (the default) or working time only: office hours on work days,
skipping nights, weekends, Indonesian public holidays and, by default, *cuti bersama* (the government's joint
leave days). In working time a day of a standard (``"1d"``) is one office day, ``day_end - day_start``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

__all__ = ["TIMEZONES", "WorkingCalendar", "resolve_timezone"]

TIMEZONES: dict[str, str] = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
"""Indonesia's three time zones by their usual abbreviations."""

_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)


def resolve_timezone(name: str) -> ZoneInfo:
    """Return the zone for ``WIB``/``WITA``/``WIT`` (any case) or an IANA name such as ``Asia/Makassar``.

    Raises :class:`ValueError` for an empty or unknown name.
    """
    key = name.strip()
    if not key:
        raise ValueError("empty time zone name (use WIB, WITA, WIT or an IANA name like Asia/Jakarta)")
    iana = TIMEZONES.get(key.upper(), key)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f'unknown time zone "{name}" (use WIB, WITA, WIT or an IANA name like Asia/Jakarta)') from None


def _jakarta() -> ZoneInfo:
    return ZoneInfo("Asia/Jakarta")


@dataclass(frozen=True)
class WorkingCalendar:
    """An office's clock for time standards.

    ``working_time=False``: due times are plain additions and elapsed time is wall time.
    ``working_time=True``: only the minutes between ``day_start`` and ``day_end`` (local time in ``tz``) on
    ``work_days`` (0 = Monday) count, except public holidays (``holidays``), joint leave days
    (``joint_holidays``, needs ``holidays``) and ``extra_holidays``.

    All datetimes passed in must be timezone-aware; naive ones raise :class:`ValueError`. Results are in ``tz``.
    """

    tz: ZoneInfo = field(default_factory=_jakarta)
    working_time: bool = False
    work_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    day_start: time = time(7, 30)
    day_end: time = time(16, 0)
    holidays: bool = True
    extra_holidays: frozenset[date] = frozenset()
    joint_holidays: bool = True
    _holiday_years: dict[int, frozenset[date]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.tz, ZoneInfo):
            raise ValueError(f"tz must be a ZoneInfo, not {self.tz!r} (see resolve_timezone)")
        if not self.work_days or not set(self.work_days) <= set(range(7)):
            raise ValueError(f"work_days must be a non-empty set of weekdays 0..6 (0 = Monday), got {self.work_days}")
        if self.day_start.tzinfo is not None or self.day_end.tzinfo is not None:
            raise ValueError("day_start and day_end are local times and must not carry a tzinfo")
        if self.day_start >= self.day_end:
            raise ValueError(f"day_start {self.day_start} must be before day_end {self.day_end}")

    @property
    def day_length(self) -> timedelta:
        """The working time in one office day (``day_end - day_start``)."""
        return datetime.combine(date.min, self.day_end) - datetime.combine(date.min, self.day_start)

    def working_length(self, duration: timedelta) -> timedelta:
        """How much clock time ``duration`` stands for: itself in plain time; in working time each whole day
        counts as :attr:`day_length`. ``elapsed(start, add(start, d)) == working_length(d)``."""
        if not self.working_time:
            return duration
        return duration.days * self.day_length + timedelta(seconds=duration.seconds, microseconds=duration.microseconds)

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is a public holiday, joint leave day or extra holiday under this calendar's settings."""
        if day in self.extra_holidays:
            return True
        if not self.holidays:
            return False
        year = self._holiday_years.get(day.year)
        if year is None:
            categories = ("public", "government") if self.joint_holidays else ("public",)
            year = frozenset(holidays_lib.country_holidays("ID", years=day.year, categories=categories))
            self._holiday_years[day.year] = year
        return day in year

    def is_work_day(self, day: date) -> bool:
        """Whether ``day`` is one of ``work_days`` and not a holiday."""
        return day.weekday() in self.work_days and not self.is_holiday(day)

    def is_working(self, dt: datetime) -> bool:
        """Whether ``dt`` falls in office hours: a work day, at or after ``day_start`` and before ``day_end``.

        Answers from the office hours whatever ``working_time`` says (it only decides how time standards count).
        """
        local = self._local(dt)
        return self.is_work_day(local.date()) and self.day_start <= local.time() < self.day_end

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The due time of a standard of ``duration`` that starts at ``start``.

        In working time a start outside office hours begins counting at the next office hour, and a standard
        that fills a day exactly is due at that day's ``day_end``. Negative durations raise :class:`ValueError`.
        """
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        if not self.working_time:
            return (self._local(start).astimezone(UTC) + duration).astimezone(self.tz)
        remaining = self.working_length(duration)
        current = self._local(start)
        if not remaining:
            return current
        day = current.date()
        while True:
            if self.is_work_day(day):
                opens, closes = self._hours(day)
                current = max(current, opens)
                if current < closes:
                    available = closes - current
                    if remaining <= available:
                        return current + remaining
                    remaining -= available
            day += _ONE_DAY
            current = datetime.combine(day, time(0), tzinfo=self.tz)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Time counted between ``start`` and ``end``: wall time, or working time when ``working_time`` is set.

        Negative when ``end`` is before ``start``.
        """
        begin, finish = self._local(start), self._local(end)
        if not self.working_time:
            return finish.astimezone(UTC) - begin.astimezone(UTC)
        if finish < begin:
            return -self.elapsed(end, start)
        total = _ZERO
        day = begin.date()
        while day <= finish.date():
            if self.is_work_day(day):
                opens, closes = self._hours(day)
                low, high = max(begin, opens), min(finish, closes)
                if high > low:
                    total += high - low
            day += _ONE_DAY
        return total

    def _hours(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.day_start, tzinfo=self.tz),
            datetime.combine(day, self.day_end, tzinfo=self.tz),
        )

    def _local(self, dt: datetime) -> datetime:
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError(f"datetime {dt.isoformat()} has no time zone; pass an aware datetime")
        return dt.astimezone(self.tz)
