"""Serving as humas does it (``humas run`` and ``humas web`` share :func:`humas.web.server.uvicorn_config`):
proxy headers believed only from ``web.trusted_proxies``, and an access log without secrets.

The proxy tests go through uvicorn's own ``ProxyHeadersMiddleware`` exactly as the config loads it; the last two
run the real server in a thread on a loopback port.
"""

from __future__ import annotations

import io
import logging
import re
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from humas.app import App
from humas.web.app import create_app
from humas.web.logs import RedactSecrets
from humas.web.server import forwarded_allow_ips, start_in_thread, uvicorn_config
from tests.conftest import MOJOKERTO_TEAM, add_user
from tests.integration.test_web_helpers import CSRF, PASSWORD, Client, with_passwords

VERIFY = "verify-token-9d41e2b7"
FORWARDED = "203.0.113.9"
WRONG = "salah-sekali-123"


def web_app(make_app: Callable[..., App], monkeypatch: pytest.MonkeyPatch, **web: Any) -> App:
    """An app on SQLite (serving does not depend on the database) with the Mojokerto team, all with passwords."""
    monkeypatch.setenv("TEST_META_VERIFY_TOKEN", VERIFY)
    app = make_app(web={"meta_verify_token": "env:TEST_META_VERIFY_TOKEN", **web})
    for name, roles in MOJOKERTO_TEAM.items():
        add_user(app, name, *roles)
    with_passwords(app)
    return app


def client_through(config: Any, peer: str) -> Client:
    """A browser-like client whose requests enter the ASGI app uvicorn would serve, from the TCP peer ``peer``."""
    config.load()
    c = Client(config.loaded_app)
    c.http = TestClient(config.loaded_app, client=(peer, 41000), follow_redirects=False)
    return c


def login(c: Client, name: str, password: str, forwarded_for: str | None = None) -> int:
    c.http.cookies.clear()  # each attempt from a fresh browser
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    token = CSRF.search(c.http.get("/login", headers=headers).text)
    assert token
    r = c.http.post("/login", data={"name": name, "password": password, "csrf_token": token.group(1)},
                    headers=headers)
    return r.status_code


@pytest.mark.parametrize("embedded", [True, False], ids=["humas-run", "humas-web"])
def test_by_default_no_proxy_header_is_believed(make_app: Callable[..., App],
                                                monkeypatch: pytest.MonkeyPatch, embedded: bool) -> None:
    app = web_app(make_app, monkeypatch)
    config = uvicorn_config(app, create_app(app, first_admin=False), host="127.0.0.1", port=8000, embedded=embedded)
    assert config.proxy_headers is False and config.forwarded_allow_ips == []
    c = client_through(config, "127.0.0.1")
    assert not isinstance(config.loaded_app, ProxyHeadersMiddleware)
    for _ in range(5):
        assert login(c, "reviu", WRONG) == 401
    # a local client claiming to be someone else is still the local client: blocked
    assert login(c, "reviu", PASSWORD, forwarded_for=FORWARDED) == 429
    assert login(c, "reviu", PASSWORD, forwarded_for="203.0.113.10, 198.51.100.1") == 429


@pytest.mark.parametrize("embedded", [True, False], ids=["humas-run", "humas-web"])
def test_forwarded_addresses_are_believed_only_from_trusted_proxies(make_app: Callable[..., App],
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    embedded: bool) -> None:
    app = web_app(make_app, monkeypatch, trusted_proxies=["127.0.0.1"])
    api = create_app(app, first_admin=False)
    config = uvicorn_config(app, api, host="127.0.0.1", port=8000, embedded=embedded)
    assert config.proxy_headers is True and config.forwarded_allow_ips == ["127.0.0.1"]
    proxy = client_through(config, "127.0.0.1")
    assert isinstance(config.loaded_app, ProxyHeadersMiddleware)
    for _ in range(5):
        assert login(proxy, "reviu", WRONG, forwarded_for=FORWARDED) == 401
    assert login(proxy, "reviu", PASSWORD, forwarded_for=FORWARDED) == 429  # the limiter counted 203.0.113.9
    assert login(proxy, "reviu", PASSWORD, forwarded_for="203.0.113.10") == 303  # another client behind the proxy
    assert login(proxy, "reviu", PASSWORD) == 303  # the proxy's own address was never counted
    # a peer that is not a trusted proxy cannot borrow a blocked (or any other) address
    outsider = client_through(uvicorn_config(app, api, host="127.0.0.1", port=8000, embedded=embedded),
                              "192.0.2.77")
    for _ in range(5):
        assert login(outsider, "editor", WRONG, forwarded_for="203.0.113.50") == 401
    assert login(outsider, "editor", PASSWORD, forwarded_for="203.0.113.51") == 429


def test_trusted_networks_reach_uvicorn_in_a_form_it_matches(make_app: Callable[..., App],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert forwarded_allow_ips(["10.0.0.1/8", "::1", "fd00::/8", "192.0.2.1"]) == [
        "10.0.0.0/8", "::1", "fd00::/8", "192.0.2.1"]
    app = web_app(make_app, monkeypatch, trusted_proxies=["10.1.2.3/8"])
    config = uvicorn_config(app, create_app(app, first_admin=False), host="127.0.0.1", port=8000, embedded=False)
    c = client_through(config, "10.200.0.1")
    for _ in range(5):
        assert login(c, "reviu", WRONG, forwarded_for=FORWARDED) == 401
    assert login(c, "reviu", PASSWORD, forwarded_for=FORWARDED) == 429
    assert login(c, "reviu", PASSWORD, forwarded_for="203.0.113.10") == 303


@pytest.mark.parametrize("embedded", [True, False], ids=["humas-run", "humas-web"])
def test_the_access_log_is_on_and_filtered(make_app: Callable[..., App],
                                           monkeypatch: pytest.MonkeyPatch, embedded: bool) -> None:
    app = web_app(make_app, monkeypatch)
    uvicorn_config(app, create_app(app, first_admin=False), host="127.0.0.1", port=8000, embedded=embedded)
    access = logging.getLogger("uvicorn.access")
    assert access.isEnabledFor(logging.INFO)  # log_level INFO (the default): one line per request
    assert any(isinstance(f, RedactSecrets) for f in access.filters)
    assert logging.getLogger("uvicorn.error").isEnabledFor(logging.INFO) is not embedded


# --- the real server in a thread (the ``humas run`` path) ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def captured_access_log() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    try:
        yield out
    finally:
        access.removeHandler(handler)


def serving(app: App) -> tuple[str, Callable[[], None]]:
    stop = start_in_thread(app, heartbeat=lambda: {"ok": True})
    base = f"http://127.0.0.1:{app.settings.web.port}"
    for _ in range(200):
        try:
            httpx.get(base + "/healthz", timeout=1, trust_env=False)
            return base, stop
        except httpx.TransportError:
            time.sleep(0.05)
    stop()
    raise AssertionError("the web server did not start")


def real_login(http: httpx.Client, name: str, password: str, forwarded_for: str | None = None) -> int:
    http.cookies.clear()
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    token = CSRF.search(http.get("/login", headers=headers).text)
    assert token
    return http.post("/login", data={"name": name, "password": password, "csrf_token": token.group(1)},
                     headers=headers).status_code


def test_real_server_default_config(make_app: Callable[..., App], monkeypatch: pytest.MonkeyPatch,
                                    captured_access_log: io.StringIO) -> None:
    app = web_app(make_app, monkeypatch, port=free_port())
    base, stop = serving(app)
    try:
        with httpx.Client(base_url=base, trust_env=False) as http:
            ok = http.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.challenge": "1158201444",
                                                    "hub.verify_token": VERIFY})
            assert ok.status_code == 200 and ok.text == "1158201444"
            assert http.get(f"/webhooks/meta?HUB.VERIFY_TOKEN={VERIFY}&hub.mode=subscribe").status_code == 403
            for _ in range(5):
                assert real_login(http, "reviu", WRONG, forwarded_for=FORWARDED) == 401
            assert real_login(http, "reviu", PASSWORD, forwarded_for="203.0.113.10") == 429
    finally:
        stop()
    out = captured_access_log.getvalue()
    assert VERIFY not in out
    assert re.search(r'uvicorn.access: 127\.0\.0\.1:\d+ - "GET /webhooks/meta\?hub\.mode=subscribe&'
                     r'hub\.challenge=1158201444&hub\.verify_token=\*\*\* HTTP/1\.1" 200', out), out
    assert '"GET /webhooks/meta?HUB.VERIFY_TOKEN=***&hub.mode=subscribe HTTP/1.1" 403' in out
    assert FORWARDED not in out and '"POST /login HTTP/1.1" 429' in out


def test_real_server_behind_a_trusted_proxy(make_app: Callable[..., App],
                                            monkeypatch: pytest.MonkeyPatch, captured_access_log: io.StringIO) -> None:
    app = web_app(make_app, monkeypatch, port=free_port(), trusted_proxies=["127.0.0.1"])
    base, stop = serving(app)
    try:
        with httpx.Client(base_url=base, trust_env=False) as http:
            for _ in range(5):
                assert real_login(http, "reviu", WRONG, forwarded_for=FORWARDED) == 401
            assert real_login(http, "reviu", PASSWORD, forwarded_for=FORWARDED) == 429
            assert real_login(http, "reviu", PASSWORD, forwarded_for="203.0.113.10") == 303
    finally:
        stop()
    out = captured_access_log.getvalue()
    assert re.search(r'uvicorn.access: 203\.0\.113\.9:\d+ - "POST /login HTTP/1\.1" 429', out), out
