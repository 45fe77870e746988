"""``log_format = "json"``: one JSON object per line, tracebacks inside it, secrets in URLs still masked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from humas.config import parse_settings
from humas.daemon.logformat import TEXT_FORMAT, JsonFormatter, formatter
from humas.errors import ConfigError
from humas.web import logs

TOKEN = "verify-Token-7f3a9c"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """``humas.test`` and ``uvicorn.access`` (with humas's filter) written through the JSON formatter."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter("json"))
    loggers = [logging.getLogger("humas.test"), logs.install()]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
        lg.propagate = False
    yield out
    for lg, (level, propagate) in zip(loggers, saved, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)
        lg.propagate = propagate


def lines(out: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_one_object_per_line(json_log: io.StringIO) -> None:
    log = logging.getLogger("humas.test")
    log.warning("job %d: %s", 7, 'kata "kutip"\nbaris kedua')
    try:
        raise RuntimeError("gagal")
    except RuntimeError:
        log.exception("dispatch failed")
    first, second = lines(json_log)
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["level"] == "WARNING" and first["logger"] == "humas.test"
    assert first["message"] == 'job 7: kata "kutip"\nbaris kedua'
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert second["message"] == "dispatch failed" and second["level"] == "ERROR"
    assert second["exception"].startswith("Traceback") and "RuntimeError: gagal" in second["exception"]


def test_the_access_log_stays_masked(json_log: io.StringIO) -> None:
    access = logging.getLogger(logs.ACCESS_LOGGER)
    access.info('%s - "%s %s HTTP/%s" %d', "203.0.113.9:5000", "GET",
                f"/webhooks/meta?hub.mode=subscribe&hub.verify_token={TOKEN}&hub.challenge=42", "1.1", 200)
    (line,) = lines(json_log)
    assert TOKEN not in json_log.getvalue()
    assert line["logger"] == "uvicorn.access"
    assert "hub.verify_token=***" in line["message"] and "hub.challenge=42" in line["message"]


def test_extra_fields_are_not_copied() -> None:
    record = logging.LogRecord("humas.test", logging.INFO, __file__, 1, "hallo", None, None)
    record.password = TOKEN
    assert TOKEN not in JsonFormatter().format(record)


def test_the_config_key() -> None:
    assert parse_settings({}).log_format == "text"
    assert parse_settings({"log_format": "json"}).log_format == "json"
    with pytest.raises(ConfigError, match="log_format"):
        parse_settings({"log_format": "xml"})
    text_fmt = formatter("text")
    assert not isinstance(text_fmt, JsonFormatter) and text_fmt._fmt == TEXT_FORMAT
    with pytest.raises(ValueError, match="xml"):
        formatter("xml")
