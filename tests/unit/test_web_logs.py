"""Secrets in URLs never reach a log line: the access-log filter on the exact records uvicorn emits."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from uvicorn.logging import AccessFormatter

from humas.web import logs
from humas.web.logs import RedactSecrets, is_secret_param, redact_url

TOKEN = "verify-Token-7f3a9c"
#: uvicorn's access line (uvicorn/protocols/http/h11_impl.py and httptools_impl.py): format and argument order
ACCESS_MSG = '%s - "%s %s HTTP/%s" %d'


@pytest.fixture
def access_log() -> Iterator[tuple[logging.Logger, io.StringIO, io.StringIO]]:
    """The ``uvicorn.access`` logger with the filter installed, written through humas's format and uvicorn's."""
    logger = logs.install()
    plain, colored = io.StringIO(), io.StringIO()
    h1 = logging.StreamHandler(plain)
    h1.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    h2 = logging.StreamHandler(colored)
    h2.setFormatter(AccessFormatter('%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
                                    use_colors=False))
    old_level, old_propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(h1)
    logger.addHandler(h2)
    try:
        yield logger, plain, colored
    finally:
        logger.removeHandler(h1)
        logger.removeHandler(h2)
        logger.setLevel(old_level)
        logger.propagate = old_propagate


def test_the_verify_token_never_reaches_the_access_log(access_log: tuple[logging.Logger, io.StringIO,
                                                                          io.StringIO]) -> None:
    logger, plain, colored = access_log
    path = f"/webhooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={TOKEN}"
    logger.info(ACCESS_MSG, "127.0.0.1:51234", "GET", path, "1.1", 200)
    for out in (plain.getvalue(), colored.getvalue()):
        assert TOKEN not in out
        assert ('"GET /webhooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=*** HTTP/1.1" 200'
                in out)
        assert "127.0.0.1:51234" in out


@pytest.mark.parametrize("name", [
    "hub.verify_token", "HUB.VERIFY_TOKEN", "hub%2Everify_token", "hub.verify%5Ftoken", "token", "Token",
    "access_token", "refresh_token", "code", "client_secret", "password", "PASSWORD", "api_key", "api-key", "key",
    "signature", "X-Amz-Signature", "app_secret", "new_password", "private_key", "oauth_token",
])
def test_secret_parameter_names(name: str) -> None:
    assert is_secret_param(name)
    assert redact_url(f"/x?a=1&{name}={TOKEN}&b=2") == f"/x?a=1&{name}=***&b=2"


@pytest.mark.parametrize("name", ["hub.challenge", "hub.mode", "status", "page", "next", "q", "lang", "account",
                                  "keyword", "monkey", "codec"])
def test_ordinary_parameters_are_kept(name: str) -> None:
    assert not is_secret_param(name)
    assert redact_url(f"/x?{name}=abc") == f"/x?{name}=abc"


@pytest.mark.parametrize(("url", "expected"), [
    ("/konten", "/konten"),
    ("/konten?status=draft", "/konten?status=draft"),
    (f"/cb?code={TOKEN}", "/cb?code=***"),
    (f"/cb?code={TOKEN}&code={TOKEN}", "/cb?code=***&code=***"),  # every occurrence
    (f"/cb?a=1;token={TOKEN}", "/cb?a=1;token=***"),  # ; as a separator too
    (f"/cb?token={TOKEN}#frag", "/cb?token=***#frag"),
    ("/cb?token=", "/cb?token="),  # nothing to hide
    ("/cb?token", "/cb?token"),
    (f"/cb?token={TOKEN}=more", "/cb?token=***"),  # the whole value, = included
    (f"https://humas.example.go.id/cb?access_token={TOKEN}", "https://humas.example.go.id/cb?access_token=***"),
    (f"/cb?&&token={TOKEN}&", "/cb?&&token=***&"),
])
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_the_filter_keeps_the_record_shape_and_touches_only_urls() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, ACCESS_MSG,
                               ("10.0.0.5:4000", "POST", f"/login?password={TOKEN}", "1.1", 303), None)
    assert RedactSecrets().filter(record) is True
    assert record.args == ("10.0.0.5:4000", "POST", "/login?password=***", "1.1", 303)
    assert record.getMessage() == '10.0.0.5:4000 - "POST /login?password=*** HTTP/1.1" 303'
    plain = logging.LogRecord("x", logging.INFO, __file__, 1, f"GET /cb?token={TOKEN}", None, None)
    RedactSecrets().filter(plain)
    assert plain.getMessage() == "GET /cb?token=***"
    mapping = logging.LogRecord("x", logging.INFO, __file__, 1, "%(u)s", ({"u": f"/cb?key={TOKEN}"},), None)
    RedactSecrets().filter(mapping)
    assert mapping.getMessage() == "/cb?key=***"


def test_install_is_idempotent() -> None:
    logger = logs.install()
    logs.install()
    assert sum(isinstance(f, RedactSecrets) for f in logger.filters) == 1
    assert logger.name == "uvicorn.access"
