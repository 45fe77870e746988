"""The Facebook Page adapter under the adapter contract against a loopback Graph fake (issue 14, the loopback tier).

Same adapter and request as ``adapter_cases_facebook.py``, but no recorded stub: each test gets its own
:class:`humas.testing_graph.FakeGraphServer` on 127.0.0.1, the adapter's ``api_base``/``video_base`` point at it, and
``env.rsps`` lets that prefix through to the real socket. Scenarios inject the outcome into the fake (a Graph error
envelope, a dropped connection after the post was stored). Calls that reach the fake are counted in
``env.platform_calls`` (``responses`` does not record passed-through calls) by a response hook on the adapter's session.
"""

from __future__ import annotations

import weakref
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import requests

from humas.publisher.base import PlatformAdapter, PostDraft, PublishRequest
from humas.testing_graph import FakeGraphServer
from tests.contract.test_adapters_common import NOW, AdapterCase, Env

ACCOUNT = "contract-fb"
PAGE = "1234567890"
TOKEN = "EAAGcontractPAGEtoken"
SECRET = "contract-app-secret"
FEED = r"/feed$"

# One fake per test, keyed by the test's ExitStack (which stops it).
_FAKES: weakref.WeakKeyDictionary[ExitStack, FakeGraphServer] = weakref.WeakKeyDictionary()


def fake_for(env: Env) -> FakeGraphServer:
    """The test's running fake (started on first use); its URL is let through ``env.rsps`` (again after a reset)."""
    fake = _FAKES.get(env.cleanup)
    if fake is None:
        fake = FakeGraphServer(page_id=PAGE, page_token=TOKEN, app_secret=SECRET, require_proof=True,
                               clock=lambda: NOW)
        env.cleanup.enter_context(fake)
        _FAKES[env.cleanup] = fake
    if fake.url not in env.rsps.passthru_prefixes:
        env.rsps.add_passthru(fake.url)
    return fake


def _factory(env: Env) -> PlatformAdapter:
    from humas.publisher.facebook import FacebookPageAdapter

    fake = fake_for(env)
    session = requests.Session()
    env.cleanup.callback(session.close)

    def count(resp: requests.Response, *args: Any, **kwargs: Any) -> None:
        env.platform_calls.append(f"{resp.request.method} {resp.request.path_url}")

    session.hooks["response"].append(count)
    return FacebookPageAdapter(ACCOUNT, page_id=PAGE, page_token=TOKEN, app_secret=SECRET, session=session,
                               clock=lambda: NOW, timeout=5, api_base=fake.url, video_base=fake.url)


def _request(_: Path) -> PublishRequest:
    draft = PostDraft("Jadwal layanan publik pekan ini: Senin–Jumat 08.00–15.00 WIB")
    return PublishRequest(f"post:1:{ACCOUNT}", ACCOUNT, draft, not_before=NOW)


def _success(env: Env) -> None:
    fake_for(env)  # the fake stores the post and answers {"id": "<page>_<n>"}


def _rate_limited(env: Env) -> None:
    fake_for(env).fail_next(4, method="POST", path=FEED)  # (#4) application request limit


def _auth_expired(env: Env) -> None:
    fake_for(env).fail_next(190, 463, method="POST", path=FEED)


def _server_error(env: Env) -> None:
    fake_for(env).fail_next(2, status=503, method="POST", path=FEED)


def _timeout_after_send(env: Env) -> None:
    # the post is stored, then the connection closes without an answer (RemoteDisconnected: possibly sent)
    fake_for(env).drop_next(apply=True, method="POST", path=FEED)


CASES = [
    AdapterCase(
        name="facebook",
        variant="loopback",
        factory=_factory,
        request=_request,
        expected_id=f"{PAGE}_1001",  # the fake's first post id
        success=_success,
        rate_limited=_rate_limited,
        auth_expired=_auth_expired,
        server_error=_server_error,
        timeout_after_send=_timeout_after_send,
    )
]
