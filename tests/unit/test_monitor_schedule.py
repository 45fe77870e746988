"""The polling decay schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from humas.config import MonitorSettings, MonitorStage
from humas.errors import ConfigError
from humas.monitor.schedule import Stage, interval, next_poll, parse_schedule

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DEFAULT = parse_schedule(MonitorSettings().schedule)


def test_default_schedule_is_parsed() -> None:
    expected = [Stage(timedelta(hours=1), timedelta(minutes=2)), Stage(timedelta(days=1), timedelta(minutes=15)),
                Stage(timedelta(days=7), timedelta(hours=1)), Stage(timedelta(days=30), timedelta(hours=6))]
    assert expected == DEFAULT


@pytest.mark.parametrize(("age", "every"), [
    (timedelta(0), timedelta(minutes=2)),
    (timedelta(minutes=59), timedelta(minutes=2)),
    (timedelta(hours=1), timedelta(minutes=15)),
    (timedelta(hours=23), timedelta(minutes=15)),
    (timedelta(days=3), timedelta(hours=1)),
    (timedelta(days=29, hours=23), timedelta(hours=6)),
])
def test_interval_by_post_age(age: timedelta, every: timedelta) -> None:
    now = T0 + age
    assert interval(DEFAULT, T0, now) == every
    assert next_poll(DEFAULT, T0, now) == now + every


def test_no_more_polling_after_the_last_stage() -> None:
    assert next_poll(DEFAULT, T0, T0 + timedelta(days=30)) is None
    assert interval(DEFAULT, T0, T0 + timedelta(days=45)) is None


@pytest.mark.parametrize(("stages", "message"), [
    ([MonitorStage(until="1h", every="2x")], r"monitor\.schedule\[0\]: invalid duration"),
    ([MonitorStage(until="1h", every="0m")], r"every: must be longer"),
    ([MonitorStage(until="1d", every="1m"), MonitorStage(until="1h", every="5m")], r"schedule\[1\]\.until"),
])
def test_invalid_schedules_name_the_stage(stages: list[MonitorStage], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_schedule(stages)
