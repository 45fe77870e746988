"""The two log formats (``log_format`` in the config): ``text``, one readable line per record, and ``json``, one JSON
object per line for a log collector (journald's ``MESSAGE``, Loki, Elasticsearch).

A JSON line holds ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``, ``message`` (the record's
arguments already merged, so filters such as :class:`humas.web.logs.RedactSecrets` that rewrite them apply here
too), and when present ``exception`` (the formatted traceback) and ``stack``. Nothing else of the record is copied:
a ``extra=`` value could hold anything.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (newlines inside values are escaped by JSON)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exception"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False)


def formatter(log_format: str) -> logging.Formatter:
    """The formatter for ``log_format`` (``text`` or ``json``, as the config allows)."""
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"unknown log format {log_format!r} (expected text or json)")
