"""InstagramAdapter (Graph API) against stubbed answers (``responses``; fixtures built from platform-apis.md §3.1)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from humas.errors import (
    AlreadyPublished,
    AuthExpired,
    ContentRejected,
    OutcomeUnknown,
    PlatformUnavailable,
    QuotaExhausted,
    RateLimited,
    RetryLater,
)
from humas.publisher.base import (
    CommentRef,
    DictCheckpoint,
    MediaFile,
    PlatformAdapter,
    PlatformPostRef,
    PostDraft,
    PublishRequest,
)
from humas.publisher.graph import GRAPH_URL, ContainerExpired
from humas.publisher.instagram import InstagramAdapter

FIXTURES = Path(__file__).parent / "fixtures" / "meta"
IG = "17841400000000000"
TOKEN = "EAAGsecretIGtoken9876543210"
APP_SECRET = "appsecret-abcdef"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
CAPTION = "Jadwal layanan publik pekan ini #PemkotBandung"
CONTAINER = "17889455560051444"
MEDIA_ID = "17920238422030506"
PERMALINK = "https://www.instagram.com/p/DBx1AbCdEfG/"


def fx(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


ERR = fx("errors.json")
PUB = fx("ig_publish.json")


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as r:
        yield r


def public_url(m: MediaFile) -> str:
    return f"https://humas.bandung.go.id/media/{m.sha256}{m.path.suffix}"


def adapter(app_secret: str | None = None) -> InstagramAdapter:
    return InstagramAdapter(
        "pemkot-bdg-ig",
        ig_user_id=IG,
        access_token=TOKEN,
        app_secret=app_secret,
        media_url=public_url,
        session=requests.Session(),
        clock=lambda: NOW,
    )


def media(tmp_path: Path, name: str, mime: str = "image/jpeg", w: int = 1080, h: int = 1350) -> MediaFile:
    p = tmp_path / name
    p.write_bytes(b"\xff\xd8\xff\xe0fake")
    return MediaFile(path=p, sha256=name.split(".")[0] * 8, mime=mime, size=1000, width=w, height=h)


def req(draft: PostDraft) -> PublishRequest:
    return PublishRequest("post:1:pemkot-bdg-ig", "pemkot-bdg-ig", draft, not_before=NOW)


def form(call: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def query(call: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def stub_limit(rsps: responses.RequestsMock, name: str = "limit_ok") -> None:
    rsps.get(f"{GRAPH_URL}/{IG}/content_publishing_limit", json=PUB[name])


def stub_finish(rsps: responses.RequestsMock, container: str = CONTAINER) -> None:
    rsps.get(f"{GRAPH_URL}/{container}", json=PUB["status_finished"] | {"id": container})
    rsps.post(f"{GRAPH_URL}/{IG}/media_publish", json=PUB["media_publish"])
    rsps.get(f"{GRAPH_URL}/{MEDIA_ID}", json=PUB["permalink"])


def test_is_a_platform_adapter() -> None:
    assert isinstance(adapter(), PlatformAdapter)


# --- publishing -------------------------------------------------------------------------------------------------


def test_image(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    stub_limit(rsps)
    rsps.post(f"{GRAPH_URL}/{IG}/media", json=PUB["container"])
    stub_finish(rsps)
    ckpt = DictCheckpoint()
    m = media(tmp_path, "a.jpg")
    res = adapter().publish(req(PostDraft(CAPTION, media=[m])), ckpt)
    assert (res.remote_id, res.remote_url) == (MEDIA_ID, PERMALINK)
    create = form(rsps.calls[1])
    assert create["image_url"] == public_url(m) and create["caption"] == CAPTION
    assert query(rsps.calls[2])["fields"] == "status_code,status"
    assert form(rsps.calls[3])["creation_id"] == CONTAINER
    assert ckpt.get("container_id") == CONTAINER and ckpt.get("media_id") == MEDIA_ID


def test_container_id_is_saved_before_polling(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    saved: list[dict[str, Any]] = []
    ckpt = DictCheckpoint(on_save=saved.append)
    stub_limit(rsps)
    rsps.post(f"{GRAPH_URL}/{IG}/media", json=PUB["container"])
    rsps.get(f"{GRAPH_URL}/{CONTAINER}", body=requests.exceptions.ConnectTimeout("connect timed out"))
    with pytest.raises(RetryLater):
        adapter().publish(req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), ckpt)
    assert saved[0]["container_id"] == CONTAINER


def test_carousel(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    stub_limit(rsps)
    rsps.post(f"{GRAPH_URL}/{IG}/media", json=PUB["child_1"])
    rsps.post(f"{GRAPH_URL}/{IG}/media", json=PUB["child_2"])
    rsps.post(f"{GRAPH_URL}/{IG}/media", json=PUB["carousel"])
    stub_finish(rsps, "17889455560051600")
    ckpt = DictCheckpoint()
    draft = PostDraft(CAPTION, media=[media(tmp_path, "a.jpg"), media(tmp_path, "b.jpg")])
    assert adapter().publish(req(draft), ckpt).remote_id == MEDIA_ID
    child = form(rsps.calls[1])
    assert child["is_carousel_item"] == "true" and "caption" not in child
    parent = form(rsps.calls[3])
    assert parent["media_type"] == "CAROUSEL" and parent["caption"] == CAPTION
    assert parent["children"] == "17889455560051501,17889455560051502"
    assert ckpt.get("children") == ["17889455560051501", "17889455560051502"]


def test_carousel_retry_reuses_children(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    draft = PostDraft(CAPTION, media=[media(tmp_path, "a.jpg"), media(tmp_path, "b.jpg")])
    ckpt = DictCheckpoint({"children": ["17889455560051501"]})
    stub_limit(rsps)
    rsps.post(f"{GRAPH_URL}/{IG}/media", json=PUB["child_2"])
    rsps.post(f"{GRAPH_URL}/{IG}/media", json=PUB["carousel"])
    stub_finish(rsps, "17889455560051600")
    adapter().publish(req(draft), ckpt)
    assert form(rsps.calls[2])["children"] == "17889455560051501,17889455560051502"


def test_reel(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    stub_limit(rsps)
    rsps.post(f"{GRAPH_URL}/{IG}/media", json=PUB["reel"])
    stub_finish(rsps, "17889455560051777")
    v = media(tmp_path, "v.mp4", "video/mp4")
    adapter().publish(req(PostDraft(CAPTION, media=[v])), DictCheckpoint())
    create = form(rsps.calls[1])
    assert create["media_type"] == "REELS" and create["video_url"] == public_url(v)
    assert create["share_to_feed"] == "true" and create["caption"] == CAPTION


def test_in_progress_retries_later_and_resumes_same_container(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    draft = PostDraft(CAPTION, media=[media(tmp_path, "v.mp4", "video/mp4")])
    ckpt = DictCheckpoint()
    stub_limit(rsps)
    rsps.post(f"{GRAPH_URL}/{IG}/media", json=PUB["container"])
    rsps.get(f"{GRAPH_URL}/{CONTAINER}", json=PUB["status_in_progress"])
    with pytest.raises(RetryLater) as exc:
        adapter().publish(req(draft), ckpt)
    assert type(exc.value) is RetryLater and exc.value.retry_after == NOW + timedelta(seconds=60)
    assert ckpt.get("container_id") == CONTAINER

    rsps.reset()
    stub_limit(rsps)
    stub_finish(rsps)
    assert adapter().publish(req(draft), ckpt).remote_id == MEDIA_ID
    assert not any(str(c.request.url).endswith(f"{IG}/media") for c in rsps.calls)  # no new container


def test_container_error_is_content_rejected(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    ckpt = DictCheckpoint({"container_id": CONTAINER})
    stub_limit(rsps)
    rsps.get(f"{GRAPH_URL}/{CONTAINER}", json=PUB["status_error"])
    with pytest.raises(ContentRejected) as exc:
        adapter().publish(req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), ckpt)
    assert exc.value.rule == "container_error" and "2207026" in exc.value.message


def test_container_expired_clears_checkpoint(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    ckpt = DictCheckpoint({"container_id": CONTAINER})
    stub_limit(rsps)
    rsps.get(f"{GRAPH_URL}/{CONTAINER}", json=PUB["status_expired"])
    draft = PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])
    with pytest.raises(RetryLater):
        adapter().publish(req(draft), ckpt)
    assert ckpt.get("container_id") is None

    rsps.reset()  # the next attempt makes a new container
    stub_limit(rsps)
    rsps.post(f"{GRAPH_URL}/{IG}/media", json=PUB["container_new"])
    stub_finish(rsps, "17889455560051999")
    assert adapter().publish(req(draft), ckpt).remote_id == MEDIA_ID
    assert form(rsps.calls[3])["creation_id"] == "17889455560051999"


def test_expired_error_on_media_publish_clears_checkpoint(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    ckpt = DictCheckpoint({"container_id": CONTAINER})
    stub_limit(rsps)
    rsps.get(f"{GRAPH_URL}/{CONTAINER}", json=PUB["status_finished"])
    rsps.post(f"{GRAPH_URL}/{IG}/media_publish", json=ERR["ig_-2_2207020"], status=400)
    with pytest.raises(ContainerExpired):
        adapter().publish(req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), ckpt)
    assert ckpt.get("container_id") is None


def test_publishing_limit_reached_before_anything(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    stub_limit(rsps, "limit_full")
    with pytest.raises(QuotaExhausted) as exc:
        adapter().publish(req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), DictCheckpoint())
    assert exc.value.resets_at == NOW + timedelta(hours=24)
    assert len(rsps.calls) == 1


def test_publishing_limit_error_code(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    stub_limit(rsps)
    rsps.get(f"{GRAPH_URL}/{CONTAINER}", json=PUB["status_finished"])
    rsps.post(f"{GRAPH_URL}/{IG}/media_publish", json=ERR["ig_9_2207042"], status=400)
    ckpt = DictCheckpoint({"container_id": CONTAINER})
    with pytest.raises(QuotaExhausted):
        adapter().publish(req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), ckpt)
    assert ckpt.get("container_id") == CONTAINER  # still valid for the next day's try (within 24 h)


@pytest.mark.parametrize(
    ("name", "status", "exc_type"),
    [
        ("ig_80002", 400, RateLimited),
        ("4", 400, RateLimited),
        ("ig_-1_2207001", 500, PlatformUnavailable),
        ("2", 503, PlatformUnavailable),
        ("190_463", 400, AuthExpired),
        ("ig_9007_2207027", 400, RetryLater),
        ("506", 400, AlreadyPublished),
    ],
)
def test_error_codes_on_media_publish(
    rsps: responses.RequestsMock, tmp_path: Path, name: str, status: int, exc_type: type[Exception]
) -> None:
    stub_limit(rsps)
    rsps.get(f"{GRAPH_URL}/{CONTAINER}", json=PUB["status_finished"])
    rsps.post(f"{GRAPH_URL}/{IG}/media_publish", json=ERR[name], status=status)
    with pytest.raises(exc_type):
        adapter().publish(
            req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), DictCheckpoint({"container_id": CONTAINER})
        )


def test_rate_limit_reset_from_buc_header(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    buc = {
        IG: [
            {
                "type": "instagram",
                "call_count": 100,
                "total_cputime": 10,
                "total_time": 10,
                "estimated_time_to_regain_access": 12,
                "something_new": True,
            }
        ]
    }
    rsps.get(
        f"{GRAPH_URL}/{IG}/content_publishing_limit",
        json=ERR["ig_80002"],
        status=400,
        headers={"X-Business-Use-Case-Usage": json.dumps(buc)},
    )
    with pytest.raises(RateLimited) as exc:
        adapter().publish(req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), DictCheckpoint())
    assert exc.value.reset_at == NOW + timedelta(minutes=12)


def test_image_too_big(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    stub_limit(rsps)
    rsps.post(f"{GRAPH_URL}/{IG}/media", json=ERR["ig_36000_2207004"], status=400)
    with pytest.raises(ContentRejected) as exc:
        adapter().publish(req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), DictCheckpoint())
    assert exc.value.rule == "image_too_big"


def test_timeout_on_media_publish_is_outcome_unknown_then_found(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    draft = PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])
    ckpt = DictCheckpoint({"container_id": CONTAINER, "container_created_at": NOW.isoformat()})
    stub_limit(rsps)
    rsps.get(f"{GRAPH_URL}/{CONTAINER}", json=PUB["status_finished"])
    rsps.post(f"{GRAPH_URL}/{IG}/media_publish", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(OutcomeUnknown):
        adapter().publish(req(draft), ckpt)

    rsps.reset()  # reconcile: the container says PUBLISHED, the media is found by caption
    rsps.get(f"{GRAPH_URL}/{CONTAINER}", json=PUB["status_published"])
    rsps.get(f"{GRAPH_URL}/{IG}/media", json=fx("ig_media_list.json"))
    res = adapter().find_published(req(draft), ckpt)
    assert res is not None and (res.remote_id, res.remote_url) == (MEDIA_ID, PERMALINK)
    assert ckpt.get("media_id") == MEDIA_ID


def test_publish_on_published_container_finds_media(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    stub_limit(rsps)
    rsps.get(f"{GRAPH_URL}/{CONTAINER}", json=PUB["status_published"])
    rsps.get(f"{GRAPH_URL}/{IG}/media", json=fx("ig_media_list.json"))
    res = adapter().publish(
        req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), DictCheckpoint({"container_id": CONTAINER})
    )
    assert res.remote_id == MEDIA_ID


@pytest.mark.parametrize("status", ["status_finished", "status_in_progress"])
def test_find_published_unfinished_container_is_none(rsps: responses.RequestsMock, tmp_path: Path, status: str) -> None:
    rsps.get(f"{GRAPH_URL}/{CONTAINER}", json=PUB[status])
    ckpt = DictCheckpoint({"container_id": CONTAINER})
    assert adapter().find_published(req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), ckpt) is None
    assert ckpt.get("container_id") == CONTAINER


def test_find_published_without_checkpoint_matches_caption(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    rsps.get(f"{GRAPH_URL}/{IG}/media", json=fx("ig_media_list.json"))
    res = adapter().find_published(req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), DictCheckpoint())
    assert res is not None and res.remote_id == MEDIA_ID  # not last week's post with the same caption
    rsps.get(f"{GRAPH_URL}/{IG}/media", json=fx("ig_media_list.json"))
    assert (
        adapter().find_published(req(PostDraft("Belum terbit", media=[media(tmp_path, "a.jpg")])), DictCheckpoint())
        is None
    )


def test_validate_uses_instagram_limits(tmp_path: Path) -> None:
    a = adapter()
    assert a.validate(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])) == []
    rules = {p.rule for p in a.validate(PostDraft("#a #b #c #d #e #f " + "x" * 2200))}
    assert {"text_max", "hashtags_max", "media_required"} <= rules
    png = media(tmp_path, "p.png", "image/png")
    wide = media(tmp_path, "w.jpg", w=2000, h=1000)
    rules = {p.rule for p in a.validate(PostDraft(CAPTION, media=[png, wide]))}
    assert {"image_type", "aspect_ratio"} <= rules
    many = [media(tmp_path, f"{i}.jpg") for i in range(11)]
    assert "media_max" in {p.rule for p in a.validate(PostDraft(CAPTION, media=many))}


def test_appsecret_proof_and_token_hidden(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    rsps.get(f"{GRAPH_URL}/{IG}/content_publishing_limit", json=ERR["190_463"], status=400)
    a = adapter(app_secret=APP_SECRET)
    with pytest.raises(AuthExpired) as exc:
        a.publish(req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), DictCheckpoint())
    assert (
        query(rsps.calls[0])["appsecret_proof"]
        == hmac.new(APP_SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    )
    assert TOKEN not in str(exc.value) and TOKEN not in repr(exc.value) and TOKEN not in repr(a)


# --- comments ---------------------------------------------------------------------------------------------------

REF = PlatformPostRef("pemkot-bdg-ig", MEDIA_ID)


def test_comments_paging_and_replies_flattened(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/{MEDIA_ID}/comments", json=fx("ig_comments_page1.json"))
    rsps.get(f"{GRAPH_URL}/{MEDIA_ID}/comments", json=fx("ig_comments_page2.json"))
    rsps.get(f"{GRAPH_URL}/{IG}", json=PUB["user"])  # our username, learned once, decides is_own with from.id
    page = adapter().fetch_comments(REF, None)
    by_id = {c.remote_id: c for c in page.comments}
    assert list(by_id) == ["17919697626119712", "17919697626119800", "17919697626119801", "17919697626119900"]
    top = by_id["17919697626119712"]
    assert top.parent_remote_id is None and top.author_handle == "warga_bdg" and top.author_id == "2105722729836161"
    ours = by_id["17919697626119800"]
    assert ours.is_own and ours.parent_remote_id == "17919697626119712"
    assert not by_id["17919697626119801"].is_own
    spam = by_id["17919697626119900"]
    assert spam.hidden and spam.author_id is None and not spam.is_own
    assert "replies{" in query(rsps.calls[0])["fields"]
    second = next(c for c in rsps.calls if "after" in query(c))
    assert query(second)["after"] == "QVFIUmMxYWZ0ZXI" and "access_token" not in query(second)
    assert second.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sum(str(c.request.url).startswith(f"{GRAPH_URL}/{IG}?") for c in rsps.calls) == 1  # asked once
    assert json.loads(page.cursor or "") == {"since": int(datetime(2026, 11, 22, 9, 12, tzinfo=UTC).timestamp())}
    assert page.cost == 3


def test_comments_after_cursor_only_newer(rsps: responses.RequestsMock) -> None:
    cursor = json.dumps({"since": int(datetime(2026, 11, 22, 9, 11, tzinfo=UTC).timestamp())})
    rsps.get(f"{GRAPH_URL}/{MEDIA_ID}/comments", json=fx("ig_comments_page1.json"))
    rsps.get(f"{GRAPH_URL}/{MEDIA_ID}/comments", json=fx("ig_comments_page2.json"))
    rsps.get(f"{GRAPH_URL}/{IG}", json=PUB["user"])
    page = adapter().fetch_comments(REF, cursor)
    # 09:10 is inside the 2-minute overlap, 09:12 is new; older ones are dropped
    assert [c.remote_id for c in page.comments] == ["17919697626119800", "17919697626119801"]


def test_comments_on_deleted_media(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/{MEDIA_ID}/comments", json=ERR["100_33"], status=400)
    with pytest.raises(ContentRejected) as exc:
        adapter().fetch_comments(REF, None)
    assert exc.value.rule == "not_found"


def test_reply_and_hide(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{GRAPH_URL}/17919697626119712/replies", json=PUB["reply"])
    rsps.post(f"{GRAPH_URL}/17919697626119900", json=PUB["success"])
    a = adapter()
    ckpt = DictCheckpoint()
    res = a.reply(CommentRef("pemkot-bdg-ig", MEDIA_ID, "17919697626119712"), "Cek bandung.go.id ya", ckpt)
    assert res.remote_id == "17873440459141021" and ckpt.get("reply_id") == "17873440459141021"
    assert form(rsps.calls[0])["message"] == "Cek bandung.go.id ya"
    a.hide_comment(CommentRef("pemkot-bdg-ig", MEDIA_ID, "17919697626119900"))
    assert form(rsps.calls[1])["hide"] == "true"


def test_check(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/{IG}", json=PUB["user"])
    status = adapter().check()
    assert status.ok and status.detail == "@humas_kotabandung"


# --- issue 14: Meta errors by what the caller should do; own replies; nested reply pages -------------------------

# Meta sends type "OAuthException" with content errors too; only the code/subcode may decide (platform-apis.md §3.1).
UPLOAD_ERROR = {"error": {"message": "unknown upload error", "type": "OAuthException", "code": -1,
                          "error_subcode": 2207053, "is_transient": False, "fbtrace_id": "Aup1"}}
NO_CONTAINER = {"error": {"message": "The media builder does not exist or has expired", "type": "OAuthException",
                          "code": 24, "error_subcode": 2207008, "fbtrace_id": "Anf1"}}
ASPECT = {"error": {"message": "The aspect ratio is not supported.", "type": "OAuthException", "code": 36003,
                    "error_subcode": 2207009, "error_user_msg": "Rasio aspek tidak didukung", "fbtrace_id": "Aar1"}}
RESTRICTED = {"error": {"message": "The user is restricted", "type": "OAuthException", "code": 25,
                        "error_subcode": 2207050, "fbtrace_id": "Ars1"}}


@pytest.mark.parametrize("body", [UPLOAD_ERROR, NO_CONTAINER], ids=["-1_2207053", "24_2207008"])
def test_new_container_errors_retry_with_a_new_container(
    rsps: responses.RequestsMock, tmp_path: Path, body: dict[str, Any]
) -> None:
    ckpt = DictCheckpoint({"container_id": CONTAINER, "children": None})
    draft = PostDraft(CAPTION, media=[media(tmp_path, "v.mp4", "video/mp4")])
    stub_limit(rsps)
    rsps.get(f"{GRAPH_URL}/{CONTAINER}", json=PUB["status_finished"])
    rsps.post(f"{GRAPH_URL}/{IG}/media_publish", json=body, status=400)
    with pytest.raises(RetryLater) as exc:
        adapter().publish(req(draft), ckpt)
    assert not isinstance(exc.value, AuthExpired | ContentRejected)
    assert exc.value.retry_after is None  # a counted retry with backoff, not an endless immediate loop
    assert ckpt.get("container_id") is None  # the broken container is forgotten...

    rsps.reset()  # ...so the next attempt creates a new one and publishes that
    stub_limit(rsps)
    rsps.post(f"{GRAPH_URL}/{IG}/media", json=PUB["container_new"])
    stub_finish(rsps, "17889455560051999")
    assert adapter().publish(req(draft), ckpt).remote_id == MEDIA_ID
    assert form(next(c for c in rsps.calls if "media_publish" in str(c.request.url)))["creation_id"] == (
        "17889455560051999")


def test_container_gone_on_status_read_recreates(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    ckpt = DictCheckpoint({"container_id": CONTAINER})
    stub_limit(rsps)
    rsps.get(f"{GRAPH_URL}/{CONTAINER}", json=NO_CONTAINER, status=400)
    with pytest.raises(RetryLater) as exc:
        adapter().publish(req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), ckpt)
    assert not isinstance(exc.value, AuthExpired)
    assert ckpt.get("container_id") is None


def test_find_published_with_a_vanished_container_searches_by_caption(
    rsps: responses.RequestsMock, tmp_path: Path
) -> None:
    ckpt = DictCheckpoint({"container_id": CONTAINER, "container_created_at": NOW.isoformat()})
    rsps.get(f"{GRAPH_URL}/{CONTAINER}", json=NO_CONTAINER, status=400)
    rsps.get(f"{GRAPH_URL}/{IG}/media", json={"data": []})
    assert adapter().find_published(req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), ckpt) is None
    assert ckpt.get("container_id") is None


def test_container_status_error_with_upload_error_recreates(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    ckpt = DictCheckpoint({"container_id": CONTAINER})
    stub_limit(rsps)
    rsps.get(f"{GRAPH_URL}/{CONTAINER}", json={"status_code": "ERROR", "status": "Error: 2207053", "id": CONTAINER})
    with pytest.raises(RetryLater) as exc:
        adapter().publish(req(PostDraft(CAPTION, media=[media(tmp_path, "v.mp4", "video/mp4")])), ckpt)
    assert not isinstance(exc.value, ContentRejected)
    assert ckpt.get("container_id") is None


def test_aspect_ratio_rejects_the_content_not_the_account(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    stub_limit(rsps)
    rsps.post(f"{GRAPH_URL}/{IG}/media", json=ASPECT, status=400)
    with pytest.raises(ContentRejected) as exc:
        adapter().publish(req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), DictCheckpoint())
    assert exc.value.rule == "aspect_ratio"


def test_unlisted_oauthexception_is_content_rejected(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    stub_limit(rsps)
    rsps.post(f"{GRAPH_URL}/{IG}/media", status=400, json={"error": {
        "message": "Something about this media", "type": "OAuthException", "code": 9004, "error_subcode": 2207052}})
    with pytest.raises(ContentRejected) as exc:
        adapter().publish(req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), DictCheckpoint())
    assert exc.value.rule == "graph_9004_2207052"


def test_restricted_instagram_account_pauses_it(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    stub_limit(rsps)
    rsps.post(f"{GRAPH_URL}/{IG}/media", json=RESTRICTED, status=400)
    with pytest.raises(AuthExpired) as exc:
        adapter().publish(req(PostDraft(CAPTION, media=[media(tmp_path, "a.jpg")])), DictCheckpoint())
    assert "aplikasi Instagram" in exc.value.message


def test_own_reply_with_an_instagram_scoped_from_id_is_own(rsps: responses.RequestsMock) -> None:
    # from.id of a comment is an Instagram-scoped id, not the IG user id: the username says it is ours
    page = {"data": [{"id": "17919697626119712", "text": "Info lowongan?", "timestamp": "2026-11-22T09:00:00+0000",
                      "username": "warga_bdg", "from": {"id": "2105722729836161", "username": "warga_bdg"},
                      "replies": {"data": [{"id": "17919697626119800", "text": "Cek bandung.go.id ya",
                                            "timestamp": "2026-11-22T09:10:00+0000",
                                            "username": "Humas_KotaBandung",
                                            "from": {"id": "990011223344", "username": "Humas_KotaBandung"}}]}}]}
    rsps.get(f"{GRAPH_URL}/{MEDIA_ID}/comments", json=page)
    rsps.get(f"{GRAPH_URL}/{IG}", json=PUB["user"])
    by_id = {c.remote_id: c for c in adapter().fetch_comments(REF, None).comments}
    assert by_id["17919697626119800"].is_own
    assert not by_id["17919697626119712"].is_own


def test_configured_username_needs_no_lookup(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/{MEDIA_ID}/comments", json={"data": [
        {"id": "1", "text": "x", "timestamp": "2026-11-22T09:10:00+0000", "username": "humas_kotabandung",
         "from": {"id": "990011223344"}}]})
    a = InstagramAdapter("pemkot-bdg-ig", ig_user_id=IG, access_token=TOKEN, media_url=public_url,
                         session=requests.Session(), clock=lambda: NOW, username="@humas_kotabandung")
    assert a.fetch_comments(REF, None).comments[0].is_own


def test_nested_replies_are_paged(rsps: responses.RequestsMock) -> None:
    nxt = f"{GRAPH_URL}/17919697626119712/replies?access_token=IGQleaked&limit=1&after=UkVQTFky"
    page = {"data": [{"id": "17919697626119712", "text": "Info lowongan?", "timestamp": "2026-11-22T09:00:00+0000",
                      "username": "warga_bdg", "from": {"id": IG},
                      "replies": {"data": [{"id": "r1", "text": "satu", "timestamp": "2026-11-22T09:01:00+0000",
                                            "username": "a", "from": {"id": IG}}],
                                  "paging": {"cursors": {"after": "UkVQTFky"}, "next": nxt}}}]}
    rsps.get(f"{GRAPH_URL}/{MEDIA_ID}/comments", json=page)
    rsps.get(f"{GRAPH_URL}/17919697626119712/replies", json={"data": [
        {"id": "r2", "text": "dua", "timestamp": "2026-11-22T09:02:00+0000", "username": "b", "from": {"id": IG}}]})
    got = adapter().fetch_comments(REF, None)
    assert [(c.remote_id, c.parent_remote_id) for c in got.comments] == [
        ("17919697626119712", None), ("r1", "17919697626119712"), ("r2", "17919697626119712")]
    follow = rsps.calls[1]
    assert query(follow)["after"] == "UkVQTFky" and "access_token" not in query(follow)
    assert got.cost == 2
