"""The WordPress adapter under the adapter contract against a loopback WordPress site (issue 11, the loopback tier).

Each test gets its own :class:`humas.testing_wordpress.FakeWordPressServer` on 127.0.0.1; the adapter's
``api_base`` points at it and ``env.rsps`` lets that prefix through to the real socket. Scenarios inject the outcome
into the fake (a WordPress error envelope, a proxy's bare answer, a dropped connection after the post was stored).
Calls that reach the fake are counted in ``env.platform_calls`` by a response hook on the adapter's session.
"""

from __future__ import annotations

import weakref
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import requests

from humas.publisher.base import MediaFile, PlatformAdapter, PostDraft, PublishRequest
from humas.testing_wordpress import FakeWordPressServer
from tests.contract.test_adapters_common import NOW, AdapterCase, Env

ACCOUNT = "contract-wp"
USER = "humas-kota"
PASSWORD = "Xc8d 2KpL 9wQz Tn4R 7vMb Hs3J"
POSTS = r"^posts$"

_FAKES: weakref.WeakKeyDictionary[ExitStack, FakeWordPressServer] = weakref.WeakKeyDictionary()


def fake_for(env: Env) -> FakeWordPressServer:
    """The test's running fake (started on first use); its URL is let through ``env.rsps`` (again after a reset)."""
    fake = _FAKES.get(env.cleanup)
    if fake is None:
        fake = FakeWordPressServer(username=USER, application_password=PASSWORD, clock=lambda: NOW)
        fake.add_category("Berita")
        env.cleanup.enter_context(fake)
        _FAKES[env.cleanup] = fake
    if fake.url not in env.rsps.passthru_prefixes:
        env.rsps.add_passthru(fake.url)
    return fake


def _factory(env: Env) -> PlatformAdapter:
    from humas.publisher.wordpress import WordPressAdapter

    fake = fake_for(env)
    session = requests.Session()
    env.cleanup.callback(session.close)

    def count(resp: requests.Response, *args: Any, **kwargs: Any) -> None:
        env.platform_calls.append(f"{resp.request.method} {resp.request.path_url}")

    session.hooks["response"].append(count)
    return WordPressAdapter(ACCOUNT, api_base=fake.url, username=USER, application_password=PASSWORD,
                            categories="Berita", session=session, clock=lambda: NOW, timeout=5)


def _request(folder: Path) -> PublishRequest:
    path = folder / "pelantikan.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + bytes(i % 251 for i in range(3_000)))
    photo = MediaFile(path, sha256="contract-wp", mime="image/jpeg", size=3_004, width=1200, height=800)
    draft = PostDraft("Wali kota melantik 12 pejabat administrator di Pendopo.", title="Pelantikan Pejabat",
                      media=(photo,))
    return PublishRequest(f"post:1:{ACCOUNT}", ACCOUNT, draft, not_before=NOW)


def _success(env: Env) -> None:
    fake_for(env)  # the photo becomes media 11, the article post 12 (one id sequence)


def _rate_limited(env: Env) -> None:
    # WordPress itself has no rate limit: the host's firewall answers, saying when to come back
    fake_for(env).fail_next_http(429, b"Too Many Requests", headers={"Retry-After": "600"}, method="POST",
                                 path=POSTS)


def _auth_expired(env: Env) -> None:
    # the application password was revoked in wp-admin: every request is refused
    fake_for(env).fail_next("incorrect_password", method="GET", path=r"^categories$")


def _server_error(env: Env) -> None:
    fake_for(env).fail_next("internal_server_error", method="POST", path=POSTS)


def _timeout_after_send(env: Env) -> None:
    # the article is stored, then the connection closes without an answer (possibly sent)
    fake_for(env).drop_next(apply=True, method="POST", path=POSTS)


CASES = [
    AdapterCase(
        name="wordpress",
        variant="loopback",
        factory=_factory,
        request=_request,
        expected_id="12",
        success=_success,
        rate_limited=_rate_limited,
        auth_expired=_auth_expired,
        server_error=_server_error,
        timeout_after_send=_timeout_after_send,
    )
]
