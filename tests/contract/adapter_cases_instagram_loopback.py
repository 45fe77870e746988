"""The Instagram adapter under the adapter contract against a loopback Instagram Graph fake (issue 14, the loopback
tier).

Same adapter and request as ``adapter_cases_instagram.py``, but no recorded stub: each test gets its own
:class:`humas.testing_instagram.FakeInstagramServer` on 127.0.0.1, the adapter's ``api_base`` points at it, and
``env.rsps`` lets that prefix through to the real socket. Scenarios inject the outcome into the fake (a Graph error
envelope, a dropped connection after ``media_publish`` stored the post). Calls that reach the fake are counted in
``env.platform_calls`` (``responses`` does not record passed-through calls) by a response hook on the adapter's
session.
"""

from __future__ import annotations

import weakref
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import requests

from humas.publisher.base import MediaFile, PlatformAdapter, PostDraft, PublishRequest
from humas.testing_instagram import MEDIA_BASE, FakeInstagramServer
from tests.contract.test_adapters_common import NOW, AdapterCase, Env

ACCOUNT = "contract-ig"
IG = "17841400000000000"
TOKEN = "EAAGcontractIGtoken"
SECRET = "contract-app-secret"
MEDIA = r"/media$"
PUBLISH = r"/media_publish$"

# One fake per test, keyed by the test's ExitStack (which stops it).
_FAKES: weakref.WeakKeyDictionary[ExitStack, FakeInstagramServer] = weakref.WeakKeyDictionary()


def fake_for(env: Env) -> FakeInstagramServer:
    """The test's running fake (started on first use); its URL is let through ``env.rsps`` (again after a reset)."""
    fake = _FAKES.get(env.cleanup)
    if fake is None:
        fake = FakeInstagramServer(ig_user_id=IG, page_token=TOKEN, app_secret=SECRET, require_proof=True,
                                   clock=lambda: NOW)
        env.cleanup.enter_context(fake)
        _FAKES[env.cleanup] = fake
    if fake.url not in env.rsps.passthru_prefixes:
        env.rsps.add_passthru(fake.url)
    return fake


def _factory(env: Env) -> PlatformAdapter:
    from humas.publisher.instagram import InstagramAdapter

    fake = fake_for(env)
    session = requests.Session()
    env.cleanup.callback(session.close)

    def count(resp: requests.Response, *args: Any, **kwargs: Any) -> None:
        env.platform_calls.append(f"{resp.request.method} {resp.request.path_url}")

    session.hooks["response"].append(count)
    return InstagramAdapter(ACCOUNT, ig_user_id=IG, access_token=TOKEN, app_secret=SECRET, session=session,
                            media_url=lambda m: f"https://humas.example.go.id/media/{m.sha256}", clock=lambda: NOW,
                            timeout=5, api_base=fake.url)


def _request(folder: Path) -> PublishRequest:
    path = folder / "poster.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0contract")  # Meta downloads it from media_url: the bytes are never read here
    image = MediaFile(path, sha256="c0ffee", mime="image/jpeg", size=1_000, width=1080, height=1350)
    draft = PostDraft("Jadwal layanan publik pekan ini #PemkotBandung", media=(image,))
    return PublishRequest(f"post:1:{ACCOUNT}", ACCOUNT, draft, not_before=NOW)


def _success(env: Env) -> None:
    fake_for(env)  # container (sequence 1), FINISHED at once, then media_publish stores the media (sequence 2)


def _rate_limited(env: Env) -> None:
    fake_for(env).fail_next(80002, method="POST", path=MEDIA)  # too many calls to this Instagram account


def _auth_expired(env: Env) -> None:
    fake_for(env).expire_token()  # 190/463 "Session has expired" on the first call


def _server_error(env: Env) -> None:
    fake_for(env).fail_next(-1, 2207001, status=500, method="POST", path=MEDIA)  # "Instagram server error"


def _timeout_after_send(env: Env) -> None:
    # the media is stored, then the connection closes without an answer (RemoteDisconnected: possibly sent)
    fake_for(env).drop_next(apply=True, method="POST", path=PUBLISH)


CASES = [
    AdapterCase(
        name="instagram",
        variant="loopback",
        factory=_factory,
        request=_request,
        expected_id=str(MEDIA_BASE + 2),  # the fake's second id: the container took the first
        success=_success,
        rate_limited=_rate_limited,
        auth_expired=_auth_expired,
        server_error=_server_error,
        timeout_after_send=_timeout_after_send,
    )
]
