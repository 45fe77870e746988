"""FacebookPageAdapter against stubbed Graph API answers (``responses``; fixtures built from platform-apis.md §2)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from urllib3.exceptions import ProtocolError

from humas.errors import (
    AlreadyPublished,
    AuthExpired,
    ContentRejected,
    NetworkError,
    OutcomeUnknown,
    PlatformUnavailable,
    RateLimited,
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
from humas.publisher.facebook import FacebookPageAdapter
from humas.publisher.graph import GRAPH_URL, GRAPH_VIDEO_URL, parse_usage

FIXTURES = Path(__file__).parent / "fixtures" / "meta"
PAGE = "1234567890"
TOKEN = "EAAGsecretPAGEtoken0123456789"
APP_SECRET = "appsecret-abcdef"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
TEXT = "Jadwal layanan publik pekan ini: Senin–Jumat 08.00–15.00 WIB"


def fx(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


ERR = fx("errors.json")
PUB = fx("fb_publish.json")


@pytest.fixture
def rsps() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as r:
        yield r


def adapter(app_secret: str | None = None) -> FacebookPageAdapter:
    return FacebookPageAdapter(
        "pemkot-bdg-fb",
        page_id=PAGE,
        page_token=TOKEN,
        app_secret=app_secret,
        session=requests.Session(),
        clock=lambda: NOW,
    )


def media(tmp_path: Path, name: str, mime: str = "image/jpeg") -> MediaFile:
    p = tmp_path / name
    p.write_bytes(b"\xff\xd8\xff\xe0fakejpeg" if mime.startswith("image") else b"\x00\x00\x00\x18ftypmp42")
    return MediaFile(path=p, sha256="0" * 64, mime=mime, size=p.stat().st_size, width=1080, height=1080)


def req(draft: PostDraft, not_before: datetime | None = NOW) -> PublishRequest:
    return PublishRequest("post:1:pemkot-bdg-fb", "pemkot-bdg-fb", draft, not_before=not_before)


def form(call: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(call.request.body).items()}


def raw(call: Any) -> bytes:
    body = call.request.body
    return body.encode() if isinstance(body, str) else bytes(body or b"")


def query(call: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def test_is_a_platform_adapter() -> None:
    assert isinstance(adapter(), PlatformAdapter)


# --- publishing: each kind ------------------------------------------------------------------------------------


def test_text_post(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json=PUB["feed"])
    ckpt = DictCheckpoint()
    res = adapter().publish(req(PostDraft(TEXT)), ckpt)
    assert res.remote_id == "1234567890_111"
    assert res.remote_url == "https://www.facebook.com/1234567890_111"
    body = form(rsps.calls[0])
    assert body["message"] == TEXT and "link" not in body and "access_token" not in body
    assert rsps.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert ckpt.get("post_id") == "1234567890_111"


def test_link_post(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json=PUB["feed"])
    adapter().publish(req(PostDraft(TEXT, link="https://bandung.go.id/layanan")), DictCheckpoint())
    assert form(rsps.calls[0])["link"] == "https://bandung.go.id/layanan"


def test_single_photo(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    rsps.post(f"{GRAPH_URL}/{PAGE}/photos", json=PUB["photo"])
    res = adapter().publish(req(PostDraft(TEXT, media=[media(tmp_path, "a.jpg")])), DictCheckpoint())
    assert res.remote_id == "1234567890_222"  # the post id, not the photo id
    body = raw(rsps.calls[0])
    assert b'name="source"; filename="a.jpg"' in body and b"fakejpeg" in body
    assert b'name="published"\r\n\r\ntrue' in body and TEXT.encode() in body


def test_multi_photo(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    rsps.post(f"{GRAPH_URL}/{PAGE}/photos", json=PUB["photo_unpublished_1"])
    rsps.post(f"{GRAPH_URL}/{PAGE}/photos", json=PUB["photo_unpublished_2"])
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json=PUB["album_feed"])
    draft = PostDraft(TEXT, media=[media(tmp_path, "a.jpg"), media(tmp_path, "b.jpg")])
    ckpt = DictCheckpoint()
    res = adapter().publish(req(draft), ckpt)
    assert res.remote_id == "1234567890_333"
    assert b'name="published"\r\n\r\nfalse' in raw(rsps.calls[0])
    feed = form(rsps.calls[2])
    assert json.loads(feed["attached_media[0]"]) == {"media_fbid": "5550000011"}
    assert json.loads(feed["attached_media[1]"]) == {"media_fbid": "5550000012"}
    assert feed["message"] == TEXT
    assert ckpt.get("photo_ids") == ["5550000011", "5550000012"]


def test_multi_photo_retry_reuses_uploaded_ids(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    draft = PostDraft(TEXT, media=[media(tmp_path, f"{n}.jpg") for n in "abc"])
    ckpt = DictCheckpoint()
    rsps.post(f"{GRAPH_URL}/{PAGE}/photos", json=PUB["photo_unpublished_1"])
    rsps.post(f"{GRAPH_URL}/{PAGE}/photos", json=PUB["photo_unpublished_2"])
    rsps.post(f"{GRAPH_URL}/{PAGE}/photos", json=ERR["2"], status=500)
    with pytest.raises(PlatformUnavailable):
        adapter().publish(req(draft), ckpt)
    assert ckpt.get("photo_ids") == ["5550000011", "5550000012"]
    assert ckpt.get("post_id") is None

    rsps.reset()
    rsps.post(f"{GRAPH_URL}/{PAGE}/photos", json=PUB["photo_unpublished_3"])
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json=PUB["album_feed"])
    res = adapter().publish(req(draft), ckpt)
    assert res.remote_id == "1234567890_333"
    assert len(rsps.calls) == 2  # only the third photo was uploaded again
    feed = form(rsps.calls[1])
    assert [json.loads(feed[f"attached_media[{i}]"])["media_fbid"] for i in range(3)] == [
        "5550000011",
        "5550000012",
        "5550000013",
    ]


def test_video_goes_to_graph_video_host(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    rsps.post(f"{GRAPH_VIDEO_URL}/{PAGE}/videos", json=PUB["video"])
    draft = PostDraft(TEXT, title="Rapat Paripurna", media=[media(tmp_path, "v.mp4", "video/mp4")])
    res = adapter().publish(req(draft), DictCheckpoint())
    assert res.remote_id == "8880000001"
    body = raw(rsps.calls[0])
    assert b'name="title"\r\n\r\nRapat Paripurna' in body and b'name="description"' in body
    assert b'filename="v.mp4"' in body


def test_published_checkpoint_is_never_posted_again(rsps: responses.RequestsMock) -> None:
    res = adapter().publish(req(PostDraft(TEXT)), DictCheckpoint({"post_id": "1234567890_111"}))
    assert res.remote_id == "1234567890_111" and len(rsps.calls) == 0


def test_validate_rejects_video_with_photos(tmp_path: Path) -> None:
    draft = PostDraft(TEXT, media=[media(tmp_path, "v.mp4", "video/mp4"), media(tmp_path, "a.jpg")])
    assert [p.rule for p in adapter().validate(draft)] == ["media_mix"]
    assert adapter().validate(PostDraft("x" * 63_207))[0].rule == "text_max"


# --- errors -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "usage", "wait"),
    [
        ("4", {"X-App-Usage": '{"call_count":100,"total_time":40,"total_cputime":12}'}, timedelta(minutes=15)),
        ("17", {}, timedelta(minutes=15)),
        ("32", {}, timedelta(minutes=15)),
        (
            "80001",
            {
                "X-Business-Use-Case-Usage": json.dumps(
                    {
                        PAGE: [
                            {
                                "type": "pages",
                                "call_count": 100,
                                "total_cputime": 3,
                                "total_time": 5,
                                "estimated_time_to_regain_access": 37,
                            }
                        ]
                    }
                )
            },
            timedelta(minutes=37),
        ),
    ],
)
def test_throttle_codes_raise_rate_limited_with_reset(
    rsps: responses.RequestsMock, name: str, usage: dict[str, str], wait: timedelta
) -> None:
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json=ERR[name], status=400 if name != "80001" else 403, headers=usage)
    with pytest.raises(RateLimited) as exc:
        adapter().publish(req(PostDraft(TEXT)), DictCheckpoint())
    assert exc.value.reset_at == NOW + wait
    assert exc.value.retry_after == NOW + wait
    assert exc.value.platform == "facebook" and exc.value.account == "pemkot-bdg-fb"


def test_plain_http_429(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", body="Too Many Requests", status=429)
    with pytest.raises(RateLimited) as exc:
        adapter().publish(req(PostDraft(TEXT)), DictCheckpoint())
    assert exc.value.reset_at is not None and exc.value.reset_at > NOW


def test_expired_token(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json=ERR["190_463"], status=400)
    with pytest.raises(AuthExpired) as exc:
        adapter().publish(req(PostDraft(TEXT)), DictCheckpoint())
    assert "190/463" in exc.value.message and "AbCdEf123" in exc.value.message


def test_duplicate_is_already_published_and_names_the_post(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json=ERR["506"], status=400)
    rsps.get(f"{GRAPH_URL}/{PAGE}/posts", json=fx("fb_posts.json"))
    with pytest.raises(AlreadyPublished) as exc:
        adapter().publish(req(PostDraft(TEXT)), DictCheckpoint())
    assert exc.value.remote_id == "1234567890_111" and "506" in exc.value.message


def test_duplicate_without_a_match_is_still_already_published(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json=ERR["506"], status=400)
    rsps.get(f"{GRAPH_URL}/{PAGE}/posts", json={"data": []})
    with pytest.raises(AlreadyPublished) as exc:
        adapter().publish(req(PostDraft(TEXT)), DictCheckpoint())
    assert exc.value.remote_id is None


def test_no_token_in_logs(rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json=ERR["190_463"], status=400)
    with pytest.raises(AuthExpired):
        adapter(app_secret=APP_SECRET).publish(req(PostDraft(TEXT)), DictCheckpoint())
    assert TOKEN not in caplog.text and APP_SECRET not in caplog.text


@pytest.mark.parametrize(("status", "body"), [(500, ERR["1"]), (503, ERR["2"]), (502, None), (400, ERR["2"])])
def test_server_errors_are_platform_unavailable(
    rsps: responses.RequestsMock, status: int, body: dict[str, Any] | None
) -> None:
    if body is None:
        rsps.post(f"{GRAPH_URL}/{PAGE}/feed", body="<html>Bad Gateway</html>", status=status)
    else:
        rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json=body, status=status)
    with pytest.raises(PlatformUnavailable):
        adapter().publish(req(PostDraft(TEXT)), DictCheckpoint())


@pytest.mark.parametrize(
    ("name", "exc_type", "rule"),
    [
        ("368", AuthExpired, None),  # policy block: pause the account, a person must act
        ("200", AuthExpired, None),  # permission missing
        ("1609005", ContentRejected, "link_scrape"),
        ("100_33", ContentRejected, "not_found"),
    ],
)
def test_other_codes(rsps: responses.RequestsMock, name: str, exc_type: type[Exception], rule: str | None) -> None:
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json=ERR[name], status=400)
    with pytest.raises(exc_type) as exc:
        adapter().publish(req(PostDraft(TEXT, link="https://bandung.go.id/x")), DictCheckpoint())
    if rule:
        assert isinstance(exc.value, ContentRejected) and exc.value.rule == rule


def test_timeout_after_send_is_outcome_unknown(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", body=requests.exceptions.ReadTimeout("read timed out"))
    ckpt = DictCheckpoint()
    with pytest.raises(OutcomeUnknown):
        adapter().publish(req(PostDraft(TEXT)), ckpt)
    assert ckpt.get("sent_at") == NOW.isoformat()  # saved before the irreversible call


def test_connection_dropped_mid_exchange_is_outcome_unknown(rsps: responses.RequestsMock) -> None:
    broken = requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104)))
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", body=broken)
    with pytest.raises(OutcomeUnknown):
        adapter().publish(req(PostDraft(TEXT)), DictCheckpoint())


def test_connect_timeout_is_network_error(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", body=requests.exceptions.ConnectTimeout("connect timed out"))
    with pytest.raises(NetworkError):
        adapter().publish(req(PostDraft(TEXT)), DictCheckpoint())


def test_read_timeout_on_a_read_is_network_error(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/{PAGE}/posts", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(NetworkError):
        adapter().find_published(req(PostDraft(TEXT)), DictCheckpoint())


# --- usage headers, appsecret_proof, secrets ----------------------------------------------------------------------


def test_usage_header_with_unknown_keys_does_not_break_a_call(rsps: responses.RequestsMock) -> None:
    headers = {
        "X-App-Usage": '{"call_count":28,"total_time":25,"total_cputime":25,"brand_new_metric":{"x":1}}',
        "X-Business-Use-Case-Usage": json.dumps(
            {
                PAGE: [
                    {
                        "type": "pages",
                        "call_count": 12,
                        "total_cputime": 3,
                        "total_time": 5,
                        "estimated_time_to_regain_access": 0,
                        "ads_api_access_tier": "standard_access",
                        "future_field": [1, 2],
                    }
                ],
                "odd": "not-a-list",
            }
        ),
    }
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json=PUB["feed"], headers=headers)
    a = adapter()
    assert a.publish(req(PostDraft(TEXT)), DictCheckpoint()).remote_id == "1234567890_111"
    assert a.graph.last_usage.max_pct == 28


@pytest.mark.parametrize("raw", ["not json", "[1,2]", '{"call_count":"lots"}', "", '{"1":[null, 3, {"type":1}]}'])
def test_parse_usage_is_tolerant(raw: str) -> None:
    usage = parse_usage({"X-App-Usage": raw, "X-Business-Use-Case-Usage": raw})
    assert usage.regain_minutes is None


def test_appsecret_proof_sent_when_app_secret_set(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json=PUB["feed"])
    rsps.get(f"{GRAPH_URL}/{PAGE}/posts", json={"data": []})
    a = adapter(app_secret=APP_SECRET)
    a.publish(req(PostDraft(TEXT)), DictCheckpoint())
    a.find_published(req(PostDraft("lain")), DictCheckpoint())
    proof = hmac.new(APP_SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    assert form(rsps.calls[0])["appsecret_proof"] == proof
    assert query(rsps.calls[1])["appsecret_proof"] == proof


def test_no_appsecret_proof_without_app_secret(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json=PUB["feed"])
    adapter().publish(req(PostDraft(TEXT)), DictCheckpoint())
    assert "appsecret_proof" not in form(rsps.calls[0])


@pytest.mark.parametrize(
    "failure",
    [
        {
            "json": ERR["190_463"] | {"error": ERR["190_463"]["error"] | {"message": f"Invalid token {TOKEN}"}},
            "status": 400,
        },
        {"body": requests.exceptions.ConnectionError(f"Max retries exceeded with url: /x?access_token={TOKEN}")},
        {"body": requests.exceptions.ReadTimeout(f"HTTPSConnectionPool: /x?access_token={TOKEN} timed out")},
    ],
)
def test_token_never_in_messages_or_reprs(rsps: responses.RequestsMock, failure: dict[str, Any]) -> None:
    rsps.get(f"{GRAPH_URL}/{PAGE}/posts", **failure)
    a = adapter(app_secret=APP_SECRET)
    assert TOKEN not in repr(a) and TOKEN not in repr(a.graph) and APP_SECRET not in repr(a)
    with pytest.raises(Exception) as exc:
        a.find_published(req(PostDraft(TEXT)), DictCheckpoint())
    chain: list[BaseException] = []
    e: BaseException | None = exc.value
    while e is not None:
        chain.append(e)
        e = e.__cause__
    for e in chain:
        assert TOKEN not in str(e) and TOKEN not in repr(e)


# --- find_published -----------------------------------------------------------------------------------------------


def test_find_published_matches_text_after_not_before(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/{PAGE}/posts", json=fx("fb_posts.json"))
    ckpt = DictCheckpoint()
    res = adapter().find_published(req(PostDraft(TEXT)), ckpt)
    assert res is not None and res.remote_id == "1234567890_111"  # not the week-old post with the same text
    assert res.remote_url == "https://www.facebook.com/1234567890/posts/111"
    assert ckpt.get("post_id") == "1234567890_111"
    q = query(rsps.calls[0])
    assert int(q["since"]) == int((NOW - timedelta(minutes=10)).timestamp())
    assert q["fields"] == "id,message,created_time,permalink_url"


def test_find_published_none_when_absent(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/{PAGE}/posts", json=fx("fb_posts.json"))
    assert adapter().find_published(req(PostDraft("Teks yang belum pernah terbit")), DictCheckpoint()) is None


def test_find_published_uses_checkpoint(rsps: responses.RequestsMock) -> None:
    res = adapter().find_published(req(PostDraft(TEXT)), DictCheckpoint({"post_id": "1234567890_9"}))
    assert res is not None and res.remote_id == "1234567890_9" and len(rsps.calls) == 0


# --- comments ---------------------------------------------------------------------------------------------------------


REF = PlatformPostRef("pemkot-bdg-fb", "1234567890_111")


def test_comments_follow_paging_and_map_fields(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/1234567890_111/comments", json=fx("fb_comments_page1.json"))
    rsps.get(f"{GRAPH_URL}/1234567890_111/comments", json=fx("fb_comments_page2.json"))
    page = adapter().fetch_comments(REF, None)
    assert [c.remote_id for c in page.comments] == [
        "1234567890111_24680",
        "1234567890111_24681",
        "1234567890111_24690",
        "1234567890111_24691",
    ]
    siti, anon, ours, spam = page.comments
    assert siti.author_handle == "Siti" and siti.author_id == "5550001" and siti.parent_remote_id is None
    assert siti.created_at == datetime(2026, 11, 22, 9, 0, tzinfo=UTC) and not siti.is_own
    assert anon.author_handle == "(tidak diketahui)" and anon.author_id is None
    assert ours.is_own and ours.parent_remote_id == "1234567890111_24680"
    assert spam.hidden
    assert page.cost == 2
    first = query(rsps.calls[0])
    assert first["filter"] == "stream" and first["order"] == "chronological" and first["limit"] == "100"
    assert "parent{id}" in first["fields"] and "is_hidden" in first["fields"]
    # the next link's embedded token is replaced by ours, its cursor kept
    second = query(rsps.calls[1])
    assert second["after"] == "QVFIUjFBRlRFUg" and "access_token" not in second
    assert all(TOKEN not in str(c.request.url) and "EAAGleaked" not in str(c.request.url) for c in rsps.calls)
    assert rsps.calls[1].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert json.loads(page.cursor or "") == {
        "after": "QVFIUjJBRlRFUg",
        "since": int(datetime(2026, 11, 22, 9, 6, tzinfo=UTC).timestamp()),
    }


def test_next_poll_continues_after_last_cursor(rsps: responses.RequestsMock) -> None:
    cursor = json.dumps({"after": "QVFIUjJBRlRFUg", "since": 1795338360})
    rsps.get(f"{GRAPH_URL}/1234567890_111/comments", json=fx("fb_comments_empty.json"))
    page = adapter().fetch_comments(REF, cursor)
    assert page.comments == [] and json.loads(page.cursor or "") == json.loads(cursor)
    assert query(rsps.calls[0])["after"] == "QVFIUjJBRlRFUg"


def test_stale_cursor_falls_back_to_since(rsps: responses.RequestsMock) -> None:
    # The comment the cursor pointed at was deleted: Graph rejects the cursor; we ask by time instead.
    cursor = json.dumps({"after": "QVFIUjJBRlRFUg", "since": 1795338000})
    rsps.get(f"{GRAPH_URL}/1234567890_111/comments", json=ERR["100_cursor"], status=400)
    rsps.get(f"{GRAPH_URL}/1234567890_111/comments", json=fx("fb_comments_page2.json"))
    page = adapter().fetch_comments(REF, cursor)
    assert len(page.comments) == 2
    fallback = query(rsps.calls[1])
    assert "after" not in fallback and fallback["since"] == "1795338000"


def test_comment_vanishing_between_pages_keeps_what_was_read(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/1234567890_111/comments", json=fx("fb_comments_page1.json"))
    rsps.get(f"{GRAPH_URL}/1234567890_111/comments", json=ERR["100_cursor"], status=400)
    page = adapter().fetch_comments(REF, None)
    assert len(page.comments) == 2
    assert json.loads(page.cursor or "")["after"] == "QVFIUjFBRlRFUg"  # the next poll resumes here


def test_deleted_post_is_content_rejected_not_found(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/1234567890_999/comments", json=ERR["100_33"], status=400)
    with pytest.raises(ContentRejected) as exc:
        adapter().fetch_comments(PlatformPostRef("pemkot-bdg-fb", "1234567890_999"), None)
    assert exc.value.rule == "not_found"


def test_reply_and_hide(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{GRAPH_URL}/1234567890111_24680/comments", json=PUB["reply"])
    rsps.post(f"{GRAPH_URL}/1234567890111_24691", json=PUB["success"])
    a = adapter()
    ckpt = DictCheckpoint()
    ref = CommentRef("pemkot-bdg-fb", "1234567890_111", "1234567890111_24680")
    assert a.reply(ref, "Pendaftaran dibuka 1 Desember.", ckpt).remote_id == "1234567890111_24699"
    assert form(rsps.calls[0])["message"] == "Pendaftaran dibuka 1 Desember."
    assert a.reply(ref, "Pendaftaran dibuka 1 Desember.", ckpt).remote_id == "1234567890111_24699"  # no resend
    a.hide_comment(CommentRef("pemkot-bdg-fb", "1234567890_111", "1234567890111_24691"))
    assert form(rsps.calls[1])["is_hidden"] == "true"
    assert len(rsps.calls) == 2


# --- check ----------------------------------------------------------------------------------------------------------


def test_check_ok(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/{PAGE}", json=PUB["page"])
    rsps.get(f"{GRAPH_URL}/me", json=PUB["me"])
    status = adapter().check()
    assert status.ok and status.expires_at is None and "Humas Kota Bandung" in status.detail


def test_check_user_token_is_not_ok(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/{PAGE}", json=PUB["page"])
    rsps.get(f"{GRAPH_URL}/me", json={"id": "10001234"})
    assert not adapter().check().ok


def test_check_expired(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/{PAGE}", json=ERR["190_463"], status=400)
    status = adapter().check()
    assert not status.ok and "expired" in status.detail


# --- issue 14: content errors reject the post, they do not pause the Page -----------------------------------------


def test_invalid_image_324_rejects_the_post_not_the_page(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    # Meta tags this content error with type OAuthException; the type must not pause the account
    body = {"error": {"message": "(#324) Requires upload file", "type": "OAuthException", "code": 324,
                      "fbtrace_id": "Ainv1"}}
    rsps.post(f"{GRAPH_URL}/{PAGE}/photos", json=body, status=400)
    with pytest.raises(ContentRejected) as exc:
        adapter().publish(req(PostDraft(TEXT, media=[media(tmp_path, "a.jpg")])), DictCheckpoint())
    assert exc.value.rule == "invalid_image"


def test_unlisted_oauthexception_never_pauses_the_page(rsps: responses.RequestsMock) -> None:
    body = {"error": {"message": "Some new content problem", "type": "OAuthException", "code": 1234567}}
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json=body, status=400)
    with pytest.raises(ContentRejected) as exc:
        adapter().publish(req(PostDraft(TEXT)), DictCheckpoint())
    assert exc.value.rule == "graph_1234567"


@pytest.mark.parametrize("code", [190, 102, 10, 200, 299])
def test_only_token_and_permission_codes_pause_the_page(rsps: responses.RequestsMock, code: int) -> None:
    rsps.post(f"{GRAPH_URL}/{PAGE}/feed", json={"error": {"message": "x", "type": "OAuthException", "code": code}},
              status=400)
    with pytest.raises(AuthExpired):
        adapter().publish(req(PostDraft(TEXT)), DictCheckpoint())


def test_paging_url_on_a_foreign_host_is_refused(rsps: responses.RequestsMock) -> None:
    page = {"data": [], "paging": {"next": "https://evil.example/v25.0/1234567890_111/comments?after=x"}}
    rsps.get(f"{GRAPH_URL}/1234567890_111/comments", json=page)
    with pytest.raises(PlatformUnavailable):  # the token would travel along: never followed
        adapter().fetch_comments(PlatformPostRef("pemkot-bdg-fb", "1234567890_111"), None)
    assert len(rsps.calls) == 1
