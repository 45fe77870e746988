"""The X adapter under the adapter contract against a loopback X API fake (issue 14, the loopback tier).

Same adapter as the ``x`` case, but OAuth 2.0 and no recorded stub: each test gets its own
:class:`humas.testing_x.FakeXServer` on 127.0.0.1 (token endpoint and API in one), the adapter's ``api_base`` points
at it (tweepy's host included), and ``env.rsps`` lets that prefix through to the real socket. Scenarios inject the
outcome into the fake (a 429 with its reset, a refresh refused, a 503, a dropped connection after the post was
stored). Calls that reach the fake are counted in ``env.platform_calls`` by a response hook on the adapter's session.
"""

from __future__ import annotations

import weakref
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests

from humas.publisher.base import MemorySecretStore, PlatformAdapter, PostDraft, PublishRequest
from humas.testing_x import FakeXServer, snowflake
from tests.contract.test_adapters_common import NOW, AdapterCase, Env

ACCOUNT = "contract-x"
TWEETS = r"^/2/tweets$"

# One fake per test, keyed by the test's ExitStack (which stops it).
_FAKES: weakref.WeakKeyDictionary[ExitStack, FakeXServer] = weakref.WeakKeyDictionary()


def fake_for(env: Env) -> FakeXServer:
    """The test's running fake (started on first use); its URL is let through ``env.rsps`` (again after a reset)."""
    fake = _FAKES.get(env.cleanup)
    if fake is None:
        fake = FakeXServer(clock=lambda: NOW)
        env.cleanup.enter_context(fake)
        _FAKES[env.cleanup] = fake
    if fake.url not in env.rsps.passthru_prefixes:
        env.rsps.add_passthru(fake.url)
    return fake


def _factory(env: Env) -> PlatformAdapter:
    from humas.publisher.x import KEY_ACCESS, KEY_EXPIRES, KEY_REFRESH, XAdapter

    fake = fake_for(env)
    tokens = fake.issue_tokens()  # as connecting the account leaves the store
    store = MemorySecretStore()
    store.set(ACCOUNT, KEY_ACCESS, tokens["access_token"])
    store.set(ACCOUNT, KEY_REFRESH, tokens["refresh_token"])
    store.set(ACCOUNT, KEY_EXPIRES, (NOW + timedelta(seconds=tokens["expires_in"])).isoformat())
    session = requests.Session()
    env.cleanup.callback(session.close)

    def count(resp: requests.Response, *args: Any, **kwargs: Any) -> None:
        env.platform_calls.append(f"{resp.request.method} {resp.request.path_url}")

    session.hooks["response"].append(count)
    return XAdapter(ACCOUNT, client_id=fake.client_id, client_secret=fake.client_secret, secret_store=store,
                    session=session, clock=lambda: NOW, timeout=5, api_base=fake.url)


def _request(_: Path) -> PublishRequest:
    return PublishRequest(f"post:1:{ACCOUNT}", ACCOUNT, PostDraft("Jadwal layanan publik pekan ini 👇"),
                          not_before=NOW)


def _success(env: Env) -> None:
    fake_for(env)  # the fake stores the post and answers 201 {"data": {"id": <a snowflake of NOW>, ...}}


def _rate_limited(env: Env) -> None:
    fake_for(env).fail_next(429, method="POST", path=TWEETS, reset_in=timedelta(minutes=15))


def _auth_expired(env: Env) -> None:
    fake = fake_for(env)  # the person removed the app: a 401, then the refresh is refused with invalid_grant
    fake.fail_next(401, method="POST", path=TWEETS)
    fake.fail_next_token(400, "invalid_grant", "Value passed for the token was invalid.")


def _server_error(env: Env) -> None:
    fake_for(env).fail_next(503, method="POST", path=TWEETS)


def _timeout_after_send(env: Env) -> None:
    # the post is stored, then the connection closes without an answer (RemoteDisconnected: possibly sent)
    fake_for(env).drop_next(apply=True, method="POST", path=TWEETS)


CASES = [
    AdapterCase(
        name="x",
        variant="loopback",
        factory=_factory,
        request=_request,
        expected_id=snowflake(NOW, 1),  # the fake's first post
        success=_success,
        rate_limited=_rate_limited,
        auth_expired=_auth_expired,
        server_error=_server_error,
        timeout_after_send=_timeout_after_send,
        needs=("twitter_text",),  # validate() counts weighted characters
    )
]
