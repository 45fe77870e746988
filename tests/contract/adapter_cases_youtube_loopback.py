"""The YouTube adapter under the adapter contract against a loopback fake of the Data API (issue 14, the loopback tier).

Same adapter as the recorded ``youtube`` case in ``test_adapters_common.py``, but no stub: each test gets its own
:class:`humas.testing_youtube.FakeYouTubeServer` on 127.0.0.1 (token endpoint, Data API and upload host in one), the
adapter's ``api_base`` points at it, and ``env.rsps`` lets that prefix through to the real socket. Scenarios inject
the outcome into the fake (a Google error envelope, a refused refresh, answers lost after the video was stored).
Calls that reach the fake are counted in ``env.platform_calls`` (``responses`` does not record passed-through calls)
by a transport adapter on the adapter's session, which the YouTube adapter mounts on its ``AuthorizedSession``.
"""

from __future__ import annotations

import weakref
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from humas.publisher.base import MediaFile, PlatformAdapter, PostDraft, PublishRequest
from humas.testing_youtube import UPLOAD_PATH, FakeYouTubeServer
from tests.contract.test_adapters_common import NOW, AdapterCase, Env

ACCOUNT = "contract-yt-loopback"
UPLOAD = f"^{UPLOAD_PATH}$"

# One fake per test, keyed by the test's ExitStack (which stops it).
_FAKES: weakref.WeakKeyDictionary[ExitStack, FakeYouTubeServer] = weakref.WeakKeyDictionary()


def fake_for(env: Env) -> FakeYouTubeServer:
    """The test's running fake (started on first use); its URL is let through ``env.rsps`` (again after a reset)."""
    fake = _FAKES.get(env.cleanup)
    if fake is None:
        fake = FakeYouTubeServer(clock=lambda: NOW)
        env.cleanup.enter_context(fake)
        _FAKES[env.cleanup] = fake
    if fake.url not in env.rsps.passthru_prefixes:
        env.rsps.add_passthru(fake.url)
    return fake


class _Counting(HTTPAdapter):
    """Records every request that goes out through it (the token endpoint's too) in ``calls``."""

    def __init__(self, calls: list[str]) -> None:
        super().__init__()
        self.calls = calls

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        self.calls.append(f"{request.method} {request.path_url}")
        return super().send(request, *args, **kwargs)


def _factory(env: Env) -> PlatformAdapter:
    from humas.publisher.youtube import YouTubeAdapter

    fake = fake_for(env)
    session = requests.Session()
    session.mount("http://", _Counting(env.platform_calls))
    env.cleanup.callback(session.close)
    return YouTubeAdapter(ACCOUNT, client_id=fake.client_id, client_secret=str(fake.client_secret),
                          refresh_token=fake.issue_refresh_token(), session=session, clock=lambda: NOW,
                          chunk_size=256 * 1024, timeout=5, api_base=fake.url)


def _request(folder: Path) -> PublishRequest:
    path = folder / "contract.mp4"
    path.write_bytes(b"\0\0\0\x18ftypmp42" + b"\0" * 99_988)
    video = MediaFile(path, sha256="contract", mime="video/mp4", size=100_000)
    return PublishRequest(f"post:1:{ACCOUNT}", ACCOUNT, PostDraft("Rapat Paripurna", media=(video,)), not_before=NOW)


def _success(env: Env) -> None:
    fake_for(env)  # the fake stores the video and answers the resource, id "yt000000001"


def _rate_limited(env: Env) -> None:
    fake_for(env).fail_next("rateLimitExceeded", method="POST", path=UPLOAD)  # 429 on the session start


def _auth_expired(env: Env) -> None:
    fake_for(env).fail_next_token(400, "invalid_grant", "Token has been expired or revoked.")


def _server_error(env: Env) -> None:
    fake_for(env).fail_next("backendError", method="POST", path=UPLOAD)  # 503 on the session start


def _timeout_after_send(env: Env) -> None:
    # the only (last) chunk is stored and its answer lost; the status query after it is lost too
    fake = fake_for(env)
    fake.drop_next(apply=True, method="PUT", path=UPLOAD)
    fake.drop_next(method="PUT", path=UPLOAD)


CASES = [
    AdapterCase(
        name="youtube",
        variant="loopback",
        factory=_factory,
        request=_request,
        expected_id="yt000000001",  # the fake's first video id
        success=_success,
        rate_limited=_rate_limited,
        auth_expired=_auth_expired,
        server_error=_server_error,
        timeout_after_send=_timeout_after_send,
    )
]
