from __future__ import annotations

from datetime import timedelta

import pytest

from humas.sop.duration import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10m", timedelta(minutes=10)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1w", timedelta(weeks=1)),
        ("1h30m", timedelta(minutes=90)),
        ("90m", timedelta(minutes=90)),
        ("120m", timedelta(hours=2)),
        ("0m", timedelta(0)),
        ("1h 30m", timedelta(minutes=90)),
        (" 2 h ", timedelta(hours=2)),
        ("1w2d3h4m", timedelta(weeks=1, days=2, hours=3, minutes=4)),
    ],
)
def test_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "  ", "10", "m", "10x", "2 jam", "1.5h", "-1h", "10M", "h10", "1h-30m"])
def test_parse_rejects_malformed(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid duration .*\(expected like 10m, 2h, 1d\)"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["30m1h", "1h1h", "1d1w"])
def test_parse_rejects_repeated_or_unordered_units(text: str) -> None:
    with pytest.raises(ValueError, match="largest first"):
        parse_duration(text)


def test_parse_rejects_overflow() -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration("99999999999999w")


def test_parse_rejects_non_text() -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(10)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(0), "0m"),
        (timedelta(minutes=90), "1h30m"),
        (timedelta(hours=2), "2h"),
        (timedelta(days=1), "1d"),
        (timedelta(days=14), "2w"),
        (timedelta(days=10, minutes=5), "1w3d5m"),
        (timedelta(minutes=1, seconds=59), "1m"),
    ],
)
def test_format(td: timedelta, text: str) -> None:
    assert format_duration(td) == text


@pytest.mark.parametrize("text", ["10m", "1h30m", "1w", "3d2h", "0m", "2w6d23h59m"])
def test_format_is_inverse_of_parse(text: str) -> None:
    assert format_duration(parse_duration(text)) == text
    assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)


def test_format_rejects_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_duration(timedelta(minutes=-1))
