"""No secret in a log line through a URL: token-like query parameters are masked before a line is formatted.

uvicorn's access log writes every request's path *with its query string*; Meta's subscription check carries our
verify token there (``GET /webhooks/meta?hub.verify_token=…``), OAuth callbacks carry ``code``, and a client may put
an ``access_token`` in a URL. :class:`RedactSecrets`, installed on the ``uvicorn.access`` logger wherever humas
starts uvicorn (:mod:`humas.web.server`), replaces the value of every such parameter with ``***``. It rewrites the
record's arguments, so it works with any formatter (uvicorn's own or humas's).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

ACCESS_LOGGER = "uvicorn.access"
MASK = "***"

#: parameter names (case-insensitive; ``-`` read as ``_``; a dotted prefix such as ``hub.`` ignored) whose values
#: are secret. ``hub.challenge`` is not: Meta sends it to be echoed back.
SECRET_PARAMS = frozenset({
    "token", "access_token", "refresh_token", "id_token", "verify_token", "auth_token", "api_token",
    "code", "client_secret", "secret", "password", "passwd", "pwd", "api_key", "apikey", "key", "signature", "sig",
    "auth", "authorization", "session", "sessionid", "csrf_token", "otp",
})
#: any name ending like this is secret too (``x_amz_signature``, ``app_secret``, ``new_password``, ``private_key``)
SECRET_SUFFIXES = ("token", "secret", "password", "_key", "signature")

_SEPARATORS = re.compile(r"([&;])")


def is_secret_param(name: str) -> bool:
    """Whether a query parameter called ``name`` (as written in the URL, possibly percent-encoded) is secret."""
    normal = unquote_plus(name).strip().lower().replace("-", "_")
    last = normal.rsplit(".", 1)[-1]
    return normal in SECRET_PARAMS or last in SECRET_PARAMS or last.endswith(SECRET_SUFFIXES)


def redact_url(target: str) -> str:
    """``target`` (a path with its query string, or a whole URL) with every secret parameter's value as ``***``.

    Both ``&`` and ``;`` count as separators, so a value is masked whichever way a server would split the query.
    """
    path, question, rest = target.partition("?")
    if not question:
        return target
    query, hash_, fragment = rest.partition("#")
    parts = _SEPARATORS.split(query)
    for i in range(0, len(parts), 2):  # the even items are name=value pairs, the odd ones separators
        name, equals, value = parts[i].partition("=")
        if equals and value and is_secret_param(name):
            parts[i] = f"{name}={MASK}"
    return f"{path}?{''.join(parts)}{hash_}{fragment}"


def _redact(value: Any) -> Any:
    return redact_url(value) if isinstance(value, str) and "?" in value else value


class RedactSecrets(logging.Filter):
    """Masks secret query parameters in a record's arguments (and in its message when it has none).

    uvicorn's access record is ``'%s - "%s %s HTTP/%s" %d'`` with the arguments ``(client_addr, method,
    full_path, http_version, status_code)``; the filter keeps their number and types, so uvicorn's
    ``AccessFormatter`` still reads them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args:
            record.args = tuple(_redact(a) for a in args)
        elif isinstance(args, Mapping) and args:
            record.args = {k: _redact(v) for k, v in args.items()}
        elif isinstance(record.msg, str):
            record.msg = _redact(record.msg)
        return True


def install(logger_name: str = ACCESS_LOGGER) -> logging.Logger:
    """Put :class:`RedactSecrets` on ``logger_name`` (once, however often it is called); returns the logger."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())
    return logger
