"""The Instagram private-API adapter (instagrapi) under the adapter contract: one photo.

As in ``tests/unit/test_adapter_instagram_private.py``: a real instagrapi ``Client`` on its ``requests`` transport
(``session_retry_total=0``, no request delay) with a stored session, so that ``responses`` stubs Instagram's private
API (platform-apis.md §3.2). A photo is ``GET accounts/current_user`` (the stored session is checked), ``GET
feed/user/<pk>`` (instagrapi notes the media that exist), ``POST rupload_igphoto`` (the upload), then ``POST
media/configure`` (the irreversible call that makes the post). instagrapi sleeps 3 s before configuring: that
third-party ``time.sleep`` is replaced, as in the unit test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import requests
from PIL import Image

from humas.publisher.base import MediaFile, MemorySecretStore, PlatformAdapter, PostDraft, PublishRequest
from tests.contract.test_adapters_common import FIXTURES, NOW, AdapterCase, Env

ACCOUNT = "contract-igp"
API = "https://i.instagram.com/api/v1"
CURRENT_USER_URL = re.compile(rf"{API}/accounts/current_user/.*")
FEED_URL = re.compile(rf"{API}/feed/user/42/.*")
UPLOAD_URL = re.compile(r"https://i.instagram.com/rupload_igphoto/.*")
CONFIGURE_URL = f"{API}/media/configure/"
CAPTION = "Jadwal layanan publik pekan ini #PemkotBandung"
CURRENT_USER = json.loads((FIXTURES / "instagram_private" / "current_user.json").read_text())
MEDIA = {
    "pk": "3488887771234567890",
    "id": "3488887771234567890_42",
    "code": "DBx1AbCdEfG",
    "taken_at": int(NOW.timestamp()) + 5,
    "media_type": 1,
    "like_count": 0,
    "user": {"pk": "42", "username": "humas_kota"},
    "caption": {"text": CAPTION},
    "image_versions2": {"candidates": [{"url": "https://instagram.example/i.jpg", "width": 320, "height": 400}]},
}
CHALLENGE = {
    "message": "challenge_required",
    "status": "fail",
    "error_type": "checkpoint_challenge_required",
    "challenge": {
        "url": "https://i.instagram.com/challenge/?next=/api/v1/accounts/current_user/",
        "api_path": "/challenge/42/AbCdEf/",
        "hide_webview_header": True,
        "lock": True,
        "logout": False,
        "native_flow": True,
    },
}


def _client() -> Any:
    import instagrapi  # type: ignore[import-untyped,unused-ignore]

    return instagrapi.Client(private_transport="requests", session_retry_total=0, request_timeout=0)


def _factory(env: Env) -> PlatformAdapter:
    from humas.publisher.instagram_private import SETTINGS_KEY, InstagramPrivateAdapter

    env.monkeypatch.setattr("instagrapi.mixins.photo.time.sleep", lambda s: None)  # the 3 s before configure
    settings = _client().get_settings()
    settings["authorization_data"] = {"ds_user_id": "42", "sessionid": "42%3AcontractSession%3A12"}
    store = MemorySecretStore()
    store.set(ACCOUNT, SETTINGS_KEY, json.dumps(settings))
    return InstagramPrivateAdapter(
        ACCOUNT,
        username="humas_kota",
        password="sandi-kontrak-2026",
        totp_seed=None,
        secret_store=store,
        client_factory=_client,
        clock=lambda: NOW,
    )


def _request(folder: Path) -> PublishRequest:
    path = folder / "poster.jpg"  # instagrapi re-encodes the photo: it must be a real JPEG
    Image.new("RGB", (320, 400), "white").save(path, "JPEG")
    image = MediaFile(path, sha256="c0ffee", mime="image/jpeg", size=path.stat().st_size, width=320, height=400)
    return PublishRequest(f"post:1:{ACCOUNT}", ACCOUNT, PostDraft(CAPTION, media=(image,)), not_before=NOW)


def _uploaded(env: Env) -> None:
    env.rsps.get(CURRENT_USER_URL, json=CURRENT_USER)
    env.rsps.get(FEED_URL, json={"items": [], "more_available": False, "status": "ok"})
    env.rsps.post(UPLOAD_URL, json={"upload_id": "1", "status": "ok"})


def _success(env: Env) -> None:
    _uploaded(env)
    env.rsps.post(CONFIGURE_URL, json={"media": MEDIA, "status": "ok"})


def _rate_limited(env: Env) -> None:
    _uploaded(env)
    env.rsps.post(CONFIGURE_URL, status=429, json={"message": "rate limited", "status": "fail"})


def _auth_expired(env: Env) -> None:
    # the stored session is challenged: instagrapi's challenge flow is off, the adapter asks nobody anything
    env.rsps.get(CURRENT_USER_URL, status=400, json=CHALLENGE)


def _server_error(env: Env) -> None:
    _uploaded(env)
    env.rsps.post(CONFIGURE_URL, status=503, body="<html><body>Service Unavailable</body></html>")


def _timeout_after_send(env: Env) -> None:
    _uploaded(env)
    env.rsps.post(CONFIGURE_URL, body=requests.exceptions.ReadTimeout("read timed out"))


CASES = [
    AdapterCase(
        name="instagram-private",
        factory=_factory,
        request=_request,
        expected_id="3488887771234567890_42",
        success=_success,
        rate_limited=_rate_limited,
        auth_expired=_auth_expired,
        server_error=_server_error,
        timeout_after_send=_timeout_after_send,
        needs=("instagrapi",),
    )
]
