"""InstagramPrivateAdapter with a real instagrapi Client on the ``requests`` transport, HTTP stubbed by ``responses``
(platform-apis.md §3.2: ``private_transport="requests"``, ``session_retry_total=0``, fake ``authorization_data``)."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import responses

instagrapi = pytest.importorskip("instagrapi")

from humas.errors import AuthExpired, ContentRejected, RateLimited, Unavailable  # noqa: E402
from humas.publisher.base import (  # noqa: E402
    CommentRef,
    DictCheckpoint,
    MediaFile,
    MemorySecretStore,
    PlatformAdapter,
    PlatformPostRef,
    PostDraft,
    PublishRequest,
)
from humas.publisher.instagram_private import SETTINGS_KEY, InstagramPrivateAdapter  # noqa: E402

API = "https://i.instagram.com/api/v1"
ACCOUNT = "pemkot-bdg-igp"
PASSWORD = "sandi-rahasia-2026"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
CAPTION = "Jadwal layanan publik pekan ini #PemkotBandung"
RECORDED = Path(__file__).resolve().parent / "fixtures" / "instagram_private"
CURRENT_USER = json.loads((RECORDED / "current_user.json").read_text())
MEDIA = {
    "pk": "3488887771234567890",
    "id": "3488887771234567890_42",
    "code": "DBx1AbCdEfG",
    "taken_at": int(NOW.timestamp()) + 5,
    "media_type": 1,
    "like_count": 0,
    "user": {"pk": "42", "username": "humas_kota"},
    "caption": {"text": CAPTION},
    "image_versions2": {"candidates": [{"url": "https://instagram.example/i.jpg", "width": 1080, "height": 1350}]},
}


def client() -> Any:
    return instagrapi.Client(private_transport="requests", session_retry_total=0, request_timeout=0)


def store_with_session() -> MemorySecretStore:
    settings = client().get_settings()
    settings["authorization_data"] = {"ds_user_id": "42", "sessionid": "42%3AfakeSession%3A12"}
    store = MemorySecretStore()
    store.set(ACCOUNT, SETTINGS_KEY, json.dumps(settings))
    return store


def adapter(store: MemorySecretStore) -> InstagramPrivateAdapter:
    return InstagramPrivateAdapter(
        ACCOUNT,
        username="humas_kota",
        password=PASSWORD,
        totp_seed=None,
        secret_store=store,
        client_factory=client,
        clock=lambda: NOW,
    )


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as r:
        yield r


def test_is_a_platform_adapter() -> None:
    assert isinstance(adapter(store_with_session()), PlatformAdapter)


def test_stored_session_is_reused_without_a_new_login(rsps: responses.RequestsMock) -> None:
    rsps.get(re.compile(rf"{API}/accounts/current_user/.*"), json=CURRENT_USER)
    rsps.get(re.compile(rf"{API}/accounts/current_user/.*"), json=CURRENT_USER)
    store = store_with_session()
    status = adapter(store).check()
    assert status.ok and "humas_kota" in status.detail
    assert not any("login" in str(c.request.url) for c in rsps.calls)
    assert json.loads(store.get(ACCOUNT, SETTINGS_KEY) or "")["authorization_data"]["ds_user_id"] == "42"


def test_photo_upload(rsps: responses.RequestsMock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    monkeypatch.setattr("instagrapi.mixins.photo.time.sleep", lambda s: None)  # instagrapi waits 3 s before configure
    blob = tmp_path / "ab12cd"  # stored by hash, without a suffix: the adapter names a copy ``.jpg``
    Image.new("RGB", (1080, 1350), "white").save(blob, "JPEG")
    m = MediaFile(path=blob, sha256="ab12cd", mime="image/jpeg", size=blob.stat().st_size, width=1080, height=1350)
    rsps.get(re.compile(rf"{API}/accounts/current_user/.*"), json=CURRENT_USER)
    rsps.get(re.compile(rf"{API}/feed/user/42/.*"), json={"items": [], "more_available": False, "status": "ok"})
    rsps.post(re.compile(r"https://i.instagram.com/rupload_igphoto/.*"), json={"upload_id": "1", "status": "ok"})
    rsps.post(f"{API}/media/configure/", json={"media": MEDIA, "status": "ok"})
    ckpt = DictCheckpoint()
    res = adapter(store_with_session()).publish(
        PublishRequest("post:1:igp", ACCOUNT, PostDraft(CAPTION, media=[m]), not_before=NOW), ckpt
    )
    assert res.remote_id == "3488887771234567890_42"
    assert res.remote_url == "https://www.instagram.com/p/DBx1AbCdEfG/"
    assert ckpt.get("media_id") == "3488887771234567890_42"
    configure = rsps.calls[-1].request.body
    assert "Jadwal+layanan+publik" in (configure if isinstance(configure, str) else bytes(configure or b"").decode())


def test_challenge_is_auth_expired_and_never_prompts(
    rsps: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_prompt(*args: Any) -> str:
        raise AssertionError("instagrapi asked for input()")

    monkeypatch.setattr("builtins.input", no_prompt)
    challenge = {
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
    rsps.get(re.compile(rf"{API}/accounts/current_user/.*"), json=challenge, status=400)
    rsps.get(re.compile(rf"{API}/accounts/current_user/.*"), json=challenge, status=400)
    a = adapter(store_with_session())
    with pytest.raises(AuthExpired) as exc:
        a.find_published(PublishRequest("post:1:igp", ACCOUNT, PostDraft(CAPTION), not_before=NOW), DictCheckpoint())
    assert "ChallengeRequired" in exc.value.message and PASSWORD not in exc.value.message
    assert not a.check().ok  # check() reports it instead of raising
    assert len(rsps.calls) == 2  # one call each: no challenge flow, no re-login storm


@pytest.mark.parametrize(
    ("status", "body", "wait"),
    [
        (429, {"message": "rate limited", "status": "fail"}, timedelta(minutes=30)),
        (
            400,
            {
                "message": "feedback_required",
                "feedback_message": "Tindakan ini diblokir.",
                "status": "fail",
                "spam": True,
            },
            timedelta(hours=24),
        ),
    ],
)
def test_throttling_is_rate_limited(
    rsps: responses.RequestsMock, status: int, body: dict[str, Any], wait: timedelta
) -> None:
    rsps.get(re.compile(rf"{API}/accounts/current_user/.*"), json=CURRENT_USER)
    rsps.post(f"{API}/media/3488887771234567890_42/comment/", json=body, status=status)
    with pytest.raises(RateLimited) as exc:
        adapter(store_with_session()).reply(
            CommentRef(ACCOUNT, "3488887771234567890_42", "17900000000000001"), "Terima kasih", DictCheckpoint()
        )
    assert exc.value.reset_at == NOW + wait
    assert len(rsps.calls) == 2  # no hidden retries


def test_hide_is_unsupported() -> None:
    with pytest.raises(ContentRejected) as exc:
        adapter(store_with_session()).hide_comment(CommentRef(ACCOUNT, "1_42", "2"))
    assert exc.value.rule == "unsupported"


def test_password_never_in_repr() -> None:
    assert PASSWORD not in repr(adapter(store_with_session()))


def _comment(pk: str, text: str, user_pk: str, username: str, minute: int, **extra: Any) -> dict[str, Any]:
    return {
        "pk": pk,
        "text": text,
        "user": {"pk": user_pk, "username": username},
        "created_at_utc": int((NOW + timedelta(hours=1, minutes=minute)).timestamp()),
        "content_type": "comment",
        "status": "Active",
        **extra,
    }


def test_comments_with_replies(rsps: responses.RequestsMock) -> None:
    media_id = "3488887771234567890_42"
    rsps.get(re.compile(rf"{API}/accounts/current_user/.*"), json=CURRENT_USER)
    rsps.get(
        f"{API}/media/{media_id}/comments/",
        json={"comments": [_comment("17900000000000001", "Info lowongan?", "77", "warga_bdg", 0)], "status": "ok"},
    )
    rsps.get(
        f"{API}/media/{media_id}/comments/17900000000000001/inline_child_comments/",
        json={"child_comments": [_comment("17900000000000002", "Cek situs ya", "42", "humas_kota", 5)], "status": "ok"},
    )
    page = adapter(store_with_session()).fetch_comments(PlatformPostRef(ACCOUNT, media_id), None)
    top, reply = page.comments
    assert (top.author_handle, top.parent_remote_id, top.is_own) == ("warga_bdg", None, False)
    assert (reply.parent_remote_id, reply.is_own) == ("17900000000000001", True)
    assert json.loads(page.cursor or "") == {"since": int(reply.created_at.timestamp())}
    assert page.cost == 2


def test_missing_extra_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "instagrapi", None)  # what an install without the extra looks like
    with pytest.raises(Unavailable) as exc:
        InstagramPrivateAdapter(
            ACCOUNT, username="humas_kota", password=PASSWORD, totp_seed=None, secret_store=MemorySecretStore()
        )
    assert "pip install 'humas[instagram-private]'" in exc.value.message
