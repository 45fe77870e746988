from __future__ import annotations

import time as wallclock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from humas.sop.calendar import TIMEZONES, WorkingCalendar, resolve_timezone
from humas.sop.duration import parse_duration

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")


def wib(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=WIB)


@pytest.fixture
def office() -> WorkingCalendar:
    return WorkingCalendar(working_time=True)


# --- time zones ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("alias", "iana"), list(TIMEZONES.items()))
def test_resolve_aliases(alias: str, iana: str) -> None:
    assert resolve_timezone(alias) == ZoneInfo(iana)
    assert resolve_timezone(alias.lower()) == ZoneInfo(iana)


def test_resolve_iana_name() -> None:
    assert resolve_timezone("Asia/Makassar") == WITA
    assert resolve_timezone(" Asia/Jayapura ") == WIT


@pytest.mark.parametrize("name", ["", "  ", "Mars/Olympus", "WIBB", "../etc/passwd"])
def test_resolve_unknown(name: str) -> None:
    with pytest.raises(ValueError, match="time zone"):
        resolve_timezone(name)


# --- construction and input checks -----------------------------------------------------------------------------


def test_defaults() -> None:
    cal = WorkingCalendar()
    assert cal.tz == WIB
    assert not cal.working_time
    assert cal.work_days == frozenset(range(5))
    assert (cal.day_start, cal.day_end) == (time(7, 30), time(16, 0))
    assert cal.day_length == timedelta(hours=8, minutes=30)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"day_start": time(16), "day_end": time(8)},
        {"day_start": time(8), "day_end": time(8)},
        {"work_days": frozenset()},
        {"work_days": frozenset({7})},
        {"tz": "Asia/Jakarta"},
    ],
)
def test_invalid_calendar(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        WorkingCalendar(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("working_time", [False, True])
def test_naive_datetimes_rejected(working_time: bool) -> None:
    cal = WorkingCalendar(working_time=working_time)
    naive = datetime(2026, 8, 18, 9)
    with pytest.raises(ValueError, match="no time zone"):
        cal.add(naive, timedelta(hours=1))
    with pytest.raises(ValueError, match="no time zone"):
        cal.elapsed(naive, wib(2026, 8, 18, 10))
    with pytest.raises(ValueError, match="no time zone"):
        cal.elapsed(wib(2026, 8, 18, 10), naive)
    with pytest.raises(ValueError, match="no time zone"):
        cal.is_working(naive)


def test_negative_duration_rejected(office: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        office.add(wib(2026, 8, 18, 9), timedelta(minutes=-1))


# --- plain time ------------------------------------------------------------------------------------------------


def test_plain_add_and_elapsed() -> None:
    cal = WorkingCalendar()
    start = wib(2026, 8, 15, 22)  # Saturday night, before Independence Day
    due = cal.add(start, parse_duration("10m"))
    assert due == wib(2026, 8, 15, 22, 10)
    assert due.tzinfo == WIB
    assert cal.add(start, parse_duration("1d")) == wib(2026, 8, 16, 22)
    assert cal.elapsed(start, due) == timedelta(minutes=10)
    assert cal.elapsed(due, start) == -timedelta(minutes=10)


def test_plain_arithmetic_is_absolute_across_dst() -> None:
    cal = WorkingCalendar(tz=ZoneInfo("Europe/Berlin"))
    start = datetime(2026, 3, 28, 12, tzinfo=ZoneInfo("Europe/Berlin"))  # DST starts 2026-03-29 02:00
    due = cal.add(start, timedelta(hours=24))
    assert due.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=24)
    assert due.hour == 13
    assert cal.elapsed(start, due) == timedelta(hours=24)


def test_plain_mixed_zones() -> None:
    cal = WorkingCalendar()
    start = datetime(2026, 8, 18, 8, tzinfo=WITA)  # 07:00 WIB
    due = cal.add(start, timedelta(minutes=30))
    assert due == wib(2026, 8, 18, 7, 30)
    assert due.tzinfo == WIB
    assert cal.elapsed(start, datetime(2026, 8, 18, 9, tzinfo=WIT)) == timedelta(0)  # 07:00 WIB both


# --- working time ----------------------------------------------------------------------------------------------


def test_within_one_day(office: WorkingCalendar) -> None:
    assert office.add(wib(2026, 8, 18, 9), parse_duration("15m")) == wib(2026, 8, 18, 9, 15)


def test_night_is_skipped(office: WorkingCalendar) -> None:
    assert office.add(wib(2026, 8, 18, 15, 30), parse_duration("1h")) == wib(2026, 8, 19, 8)
    assert office.add(wib(2026, 8, 18, 20), parse_duration("30m")) == wib(2026, 8, 19, 8)
    assert office.add(wib(2026, 8, 19, 6), parse_duration("30m")) == wib(2026, 8, 19, 8)


def test_weekend_and_independence_day_are_skipped(office: WorkingCalendar) -> None:
    # Friday 15:00 + 2h: one hour on Friday, then Saturday, Sunday and Monday 17 August (Hari Kemerdekaan).
    assert office.is_holiday(date(2026, 8, 17))
    assert office.add(wib(2026, 8, 14, 15), parse_duration("2h")) == wib(2026, 8, 18, 8, 30)


def test_holidays_can_be_switched_off() -> None:
    cal = WorkingCalendar(working_time=True, holidays=False)
    assert not cal.is_holiday(date(2026, 8, 17))
    assert cal.add(wib(2026, 8, 14, 15), parse_duration("2h")) == wib(2026, 8, 17, 8, 30)


def test_joint_leave_day() -> None:
    eid_joint = date(2026, 3, 20)  # cuti bersama Idulfitri, a Friday
    assert WorkingCalendar(working_time=True).is_holiday(eid_joint)
    assert not WorkingCalendar(working_time=True, joint_holidays=False).is_holiday(eid_joint)


def test_extra_holidays() -> None:
    cal = WorkingCalendar(working_time=True, extra_holidays=frozenset({date(2026, 8, 18)}))
    assert cal.add(wib(2026, 8, 14, 15), parse_duration("2h")) == wib(2026, 8, 19, 8, 30)


def test_one_day_is_one_office_day(office: WorkingCalendar) -> None:
    assert office.add(wib(2026, 8, 18, 10), parse_duration("1d")) == wib(2026, 8, 19, 10)
    assert office.add(wib(2026, 8, 14, 10), parse_duration("1d")) == wib(2026, 8, 18, 10)
    assert office.working_length(parse_duration("1d2h")) == timedelta(hours=10, minutes=30)


def test_filling_a_day_ends_at_closing(office: WorkingCalendar) -> None:
    assert office.add(wib(2026, 8, 18, 7, 30), parse_duration("8h30m")) == wib(2026, 8, 18, 16)
    assert office.add(wib(2026, 8, 18, 3), parse_duration("1d")) == wib(2026, 8, 18, 16)


def test_zero_duration(office: WorkingCalendar) -> None:
    start = wib(2026, 8, 16, 23)
    assert office.add(start, timedelta(0)) == start
    assert office.elapsed(start, start) == timedelta(0)


def test_custom_hours_and_days() -> None:
    cal = WorkingCalendar(
        working_time=True,
        work_days=frozenset({0, 1, 2, 3, 4, 5}),
        day_start=time(8),
        day_end=time(14),
        holidays=False,
    )
    assert cal.day_length == timedelta(hours=6)
    assert cal.add(wib(2026, 8, 14, 13), parse_duration("2h")) == wib(2026, 8, 15, 9)  # Saturday counts


@pytest.mark.parametrize(("tz", "utc_hour"), [(WITA, 23), (WIT, 22)])
def test_other_indonesian_zones(tz: ZoneInfo, utc_hour: int) -> None:
    cal = WorkingCalendar(tz=tz, working_time=True)
    opening_utc = datetime(2026, 8, 17, utc_hour, 30, tzinfo=UTC)  # 07:30 local on Tuesday 18 August
    assert not cal.is_working(opening_utc - timedelta(minutes=1))
    assert cal.is_working(opening_utc)
    due = cal.add(opening_utc - timedelta(hours=3), parse_duration("30m"))
    assert due == datetime(2026, 8, 18, 8, tzinfo=tz)
    assert due.tzinfo == tz


def test_is_working(office: WorkingCalendar) -> None:
    assert office.is_working(wib(2026, 8, 18, 7, 30))
    assert office.is_working(wib(2026, 8, 18, 15, 59))
    assert not office.is_working(wib(2026, 8, 18, 16))
    assert not office.is_working(wib(2026, 8, 18, 7, 29))
    assert not office.is_working(wib(2026, 8, 15, 10))  # Saturday
    assert not office.is_working(wib(2026, 8, 17, 10))  # Independence Day
    assert WorkingCalendar().is_working(wib(2026, 8, 18, 10))
    assert not WorkingCalendar().is_working(wib(2026, 8, 18, 22))


def test_elapsed_counts_only_office_hours(office: WorkingCalendar) -> None:
    assert office.elapsed(wib(2026, 8, 14, 15), wib(2026, 8, 18, 8, 30)) == timedelta(hours=2)
    assert office.elapsed(wib(2026, 8, 15, 9), wib(2026, 8, 17, 18)) == timedelta(0)
    assert office.elapsed(wib(2026, 8, 18, 8, 30), wib(2026, 8, 14, 15)) == -timedelta(hours=2)


def _brute_force_elapsed(cal: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    minutes = 0
    t = start
    while t < end:
        minutes += cal.is_working(t)
        t += timedelta(minutes=1)
    return timedelta(minutes=minutes)


@pytest.mark.parametrize(
    "start",
    [wib(2026, 8, 13, 9, 17), wib(2026, 8, 14, 15), wib(2026, 8, 15, 12), wib(2026, 12, 23, 6), wib(2026, 3, 17, 16)],
)
@pytest.mark.parametrize("duration", ["1m", "15m", "2h", "8h30m", "1d", "1d4h", "3d"])
def test_elapsed_is_inverse_of_add(start: datetime, duration: str) -> None:
    cal = WorkingCalendar(working_time=True)
    td = parse_duration(duration)
    due = cal.add(start, td)
    assert cal.elapsed(start, due) == cal.working_length(td)
    assert cal.is_working(due - timedelta(minutes=1))
    assert _brute_force_elapsed(cal, start, due) == cal.working_length(td)


@pytest.mark.parametrize("duration", ["10m", "1d", "1w", "30d"])
def test_plain_elapsed_is_inverse_of_add(duration: str) -> None:
    cal = WorkingCalendar()
    start = wib(2026, 8, 14, 15)
    td = parse_duration(duration)
    assert cal.elapsed(start, cal.add(start, td)) == td


def test_long_standards_are_fast(office: WorkingCalendar) -> None:
    start = wib(2026, 1, 5, 8)
    began = wallclock.perf_counter()
    due = office.add(start, parse_duration("30d"))
    year = office.add(start, parse_duration("52w"))
    spent = wallclock.perf_counter() - began
    assert spent < 0.5
    assert office.elapsed(start, due) == 30 * office.day_length
    assert office.elapsed(start, year) == 364 * office.day_length
    assert office.is_work_day(due.date())
