"""YouTubeAdapter against recorded YouTube Data API v3 responses (platform-apis.md §4); HTTP stubbed by ``responses``.

Media: a 600,000-byte file uploaded in 262,144-byte chunks: 0-262143, 262144-524287, 524288-599999.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses
from google.auth.exceptions import RefreshError
from responses import matchers

from humas.errors import (
    AuthExpired,
    ConfigError,
    ContentRejected,
    NetworkError,
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
    MemorySecretStore,
    PlatformAdapter,
    PlatformPostRef,
    PostDraft,
    PublishRequest,
)
from humas.publisher.youtube import YouTubeAdapter, next_quota_reset

FIX = Path(__file__).parent / "fixtures" / "youtube"
TOKEN = "https://oauth2.googleapis.com/token"
UPLOAD = "https://www.googleapis.com/upload/youtube/v3/videos"
API = "https://www.googleapis.com/youtube/v3"
SESSION = f"{UPLOAD}?uploadType=resumable&upload_id=xa298sd_f&part=snippet,status"
SESSION2 = f"{UPLOAD}?uploadType=resumable&upload_id=zz771new&part=snippet,status"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SIZE = 600_000
CHUNK = 262_144
TEXT = "Rapat Paripurna 20 Nov\nSiaran ulang rapat paripurna DPRD."


def fx(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIX / name).read_text())
    return data


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as r:
        yield r


@pytest.fixture
def video(tmp_path: Path) -> MediaFile:
    p = tmp_path / "rapat.mp4"
    p.write_bytes(bytes(i % 253 for i in range(SIZE)))
    return MediaFile(p, sha256="sha-rapat", mime="video/mp4", size=SIZE)


def yt(**kw: Any) -> YouTubeAdapter:
    kw.setdefault("session", requests.Session())
    kw.setdefault("clock", lambda: NOW)
    kw.setdefault("channel_id", "UCabc")
    kw.setdefault("chunk_size", CHUNK)
    return YouTubeAdapter(
        "humas-yt",
        client_id="CID.apps.googleusercontent.com",
        client_secret="CSEC-secret",
        refresh_token="1//RT-secret",
        **kw,
    )


def req(video: MediaFile, text: str = TEXT, title: str = "") -> PublishRequest:
    return PublishRequest("post:7:humas-yt", "humas-yt", PostDraft(text, title=title, media=(video,)), not_before=NOW)


def token(rsps: responses.RequestsMock) -> None:
    rsps.post(TOKEN, json=fx("token.json"))


def start(rsps: responses.RequestsMock, location: str = SESSION) -> None:
    rsps.post(UPLOAD, status=200, headers={"Location": location})


def chunk(rsps: responses.RequestsMock, first: int, last: int, *, uri: str = SESSION, **kw: Any) -> None:
    rsps.put(uri, match=[matchers.header_matcher({"Content-Range": f"bytes {first}-{last}/{SIZE}"})], **kw)


def incomplete(last: int | None) -> dict[str, Any]:
    return {"status": 308, "headers": {"Range": f"bytes=0-{last}"} if last is not None else {}}


def status_query(rsps: responses.RequestsMock, *, uri: str = SESSION, **kw: Any) -> None:
    rsps.put(uri, match=[matchers.header_matcher({"Content-Range": f"bytes */{SIZE}"})], **kw)


def ranges(rsps: responses.RequestsMock) -> list[str]:
    return [c.request.headers["Content-Range"] for c in rsps.calls if c.request.method == "PUT"]


# --- publish ---------------------------------------------------------------------------------------------------------


def test_satisfies_protocol_and_repr_hides_secrets() -> None:
    a = yt()
    assert isinstance(a, PlatformAdapter)
    assert "secret" not in repr(a).lower()


def test_publish_resumable_upload_success(rsps: responses.RequestsMock, video: MediaFile) -> None:
    token(rsps)
    rsps.post(
        UPLOAD,
        status=200,
        headers={"Location": SESSION},
        match=[
            matchers.query_param_matcher({"uploadType": "resumable", "part": "snippet,status"}),
            matchers.header_matcher({"X-Upload-Content-Length": str(SIZE), "X-Upload-Content-Type": "video/mp4"}),
            matchers.json_params_matcher(
                {
                    "snippet": {"title": "Rapat Paripurna 20 Nov", "description": TEXT, "categoryId": "25"},
                    "status": {"privacyStatus": "public", "selfDeclaredMadeForKids": False},
                }
            ),
        ],
    )
    chunk(rsps, 0, 262_143, **incomplete(262_143))
    chunk(rsps, 262_144, 524_287, **incomplete(524_287))
    chunk(rsps, 524_288, 599_999, status=201, json=fx("video_resource.json"))
    saves: list[dict[str, Any]] = []
    ckpt = DictCheckpoint(on_save=saves.append)
    a = yt()
    result = a.publish(req(video), ckpt)
    assert result.remote_id == "dQw4w9WgXcQ"
    assert result.remote_url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert result.published_at == datetime(2026, 11, 20, 9, 3, 12, tzinfo=UTC)
    # the session URI was committed before any byte was sent
    assert saves[0] == {"upload_uri": SESSION}
    assert ckpt.data["video_id"] == "dQw4w9WgXcQ"
    assert [len(c.request.body or b"") for c in rsps.calls if c.request.method == "PUT"] == [
        CHUNK,
        CHUNK,
        SIZE - 2 * CHUNK,
    ]
    assert a.units_used == 0 and a.inserts_used == 1  # videos.insert has its own bucket (§4.4)
    assert rsps.calls[1].request.headers["Authorization"] == "Bearer ya29.a0AfB-test-token"
    # a retry of the job returns the checkpointed video without any call
    assert yt().publish(req(video), ckpt).remote_id == "dQw4w9WgXcQ"


def test_503_mid_upload_queries_status_and_resumes(rsps: responses.RequestsMock, video: MediaFile) -> None:
    token(rsps)
    start(rsps)
    chunk(rsps, 0, 262_143, **incomplete(262_143))
    rsps.put(
        SESSION,
        status=503,
        json=fx("error_backend_503.json"),
        match=[matchers.header_matcher({"Content-Range": f"bytes 262144-524287/{SIZE}"})],
    )
    status_query(rsps, **incomplete(262_143))
    rsps.put(
        SESSION,
        match=[matchers.header_matcher({"Content-Range": f"bytes 262144-524287/{SIZE}"})],
        **incomplete(524_287),
    )  # the same chunk again, now accepted
    chunk(rsps, 524_288, 599_999, status=201, json=fx("video_resource.json"))
    assert yt().publish(req(video), DictCheckpoint()).remote_id == "dQw4w9WgXcQ"
    assert ranges(rsps) == [
        f"bytes 0-262143/{SIZE}",
        f"bytes 262144-524287/{SIZE}",
        f"bytes */{SIZE}",
        f"bytes 262144-524287/{SIZE}",
        f"bytes 524288-599999/{SIZE}",
    ]


def test_connection_error_mid_upload_resumes_from_reported_range(
    rsps: responses.RequestsMock, video: MediaFile
) -> None:
    token(rsps)
    start(rsps)
    chunk(rsps, 0, 262_143, **incomplete(262_143))
    chunk(rsps, 262_144, 524_287, body=requests.exceptions.ConnectionError("Connection reset by peer"))
    status_query(rsps, **incomplete(393_215))  # YouTube kept part of the broken chunk
    chunk(rsps, 393_216, 599_999, status=200, json=fx("video_resource.json"))
    assert yt().publish(req(video), DictCheckpoint()).remote_id == "dQw4w9WgXcQ"


def test_resumed_from_checkpoint_after_crash(rsps: responses.RequestsMock, video: MediaFile) -> None:
    ckpt = DictCheckpoint()
    token(rsps)
    start(rsps)
    chunk(rsps, 0, 262_143, **incomplete(262_143))
    chunk(rsps, 262_144, 524_287, body=requests.exceptions.ConnectionError("Network is unreachable"))
    status_query(rsps, body=requests.exceptions.ConnectionError("Network is unreachable"))
    first = yt()
    with pytest.raises(NetworkError):
        first.publish(req(video), ckpt)
    assert ckpt.data == {"upload_uri": SESSION}

    # the worker restarts: a new adapter with the same checkpoint asks for the status first, and never starts over
    rsps.reset()
    token(rsps)
    status_query(rsps, **incomplete(262_143))
    chunk(rsps, 262_144, 524_287, **incomplete(524_287))
    chunk(rsps, 524_288, 599_999, status=201, json=fx("video_resource.json"))
    second = yt()
    assert second.publish(req(video), ckpt).remote_id == "dQw4w9WgXcQ"
    assert not any(c.request.method == "POST" and str(c.request.url).startswith(UPLOAD) for c in rsps.calls)
    assert second.units_used == 0  # no second videos.insert


def test_404_on_saved_session_starts_over(rsps: responses.RequestsMock, video: MediaFile) -> None:
    saves: list[dict[str, Any]] = []
    ckpt = DictCheckpoint({"upload_uri": SESSION}, on_save=saves.append)
    token(rsps)
    status_query(rsps, status=404)
    start(rsps, SESSION2)
    chunk(rsps, 0, 262_143, uri=SESSION2, **incomplete(262_143))
    chunk(rsps, 262_144, 524_287, uri=SESSION2, **incomplete(524_287))
    chunk(rsps, 524_288, 599_999, uri=SESSION2, status=201, json=fx("video_resource.json"))
    assert yt().publish(req(video), ckpt).remote_id == "dQw4w9WgXcQ"
    assert saves[0]["upload_uri"] is None and saves[1]["upload_uri"] == SESSION2


def test_404_mid_upload_starts_a_new_session(rsps: responses.RequestsMock, video: MediaFile) -> None:
    token(rsps)
    start(rsps, SESSION)
    chunk(rsps, 0, 262_143, status=404)
    start(rsps, SESSION2)
    chunk(rsps, 0, 262_143, uri=SESSION2, **incomplete(262_143))
    chunk(rsps, 262_144, 524_287, uri=SESSION2, **incomplete(524_287))
    chunk(rsps, 524_288, 599_999, uri=SESSION2, status=201, json=fx("video_resource.json"))
    ckpt = DictCheckpoint()
    assert yt().publish(req(video), ckpt).remote_id == "dQw4w9WgXcQ"
    assert ckpt.data["upload_uri"] == SESSION2


def test_read_timeout_on_last_chunk_is_outcome_unknown(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    p = tmp_path / "short.mp4"
    p.write_bytes(b"\0" * 100_000)
    short = MediaFile(p, sha256="s", mime="video/mp4", size=100_000)
    token(rsps)
    start(rsps)
    rsps.put(SESSION, body=requests.exceptions.ReadTimeout("read timed out"))
    ckpt = DictCheckpoint()
    with pytest.raises(OutcomeUnknown) as ei:
        yt().publish(req(short), ckpt)
    assert ckpt.data["upload_uri"] == SESSION  # find_published can ask
    assert isinstance(ei.value.__cause__, NetworkError | OutcomeUnknown)


def test_read_timeout_on_last_chunk_resolved_by_status_query(rsps: responses.RequestsMock, video: MediaFile) -> None:
    token(rsps)
    start(rsps)
    chunk(rsps, 0, 262_143, **incomplete(262_143))
    chunk(rsps, 262_144, 524_287, **incomplete(524_287))
    chunk(rsps, 524_288, 599_999, body=requests.exceptions.ReadTimeout("read timed out"))
    status_query(rsps, status=201, json=fx("video_resource.json"))
    assert yt().publish(req(video), DictCheckpoint()).remote_id == "dQw4w9WgXcQ"


def test_quota_exceeded_waits_until_pacific_midnight(rsps: responses.RequestsMock, video: MediaFile) -> None:
    token(rsps)
    rsps.post(UPLOAD, status=403, json=fx("error_quota_exceeded.json"))
    with pytest.raises(QuotaExhausted) as ei:
        yt().publish(req(video), DictCheckpoint())
    # 09:00 UTC on 20 Nov is 01:00 PST; the quota resets at 00:00 PST on 21 Nov = 08:00 UTC
    assert ei.value.resets_at == datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    assert ei.value.retry_after == ei.value.resets_at


def test_next_quota_reset_in_daylight_saving_time() -> None:
    assert next_quota_reset(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == datetime(2026, 7, 2, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "fixture", "error", "rule"),
    [
        (400, "error_upload_limit_exceeded.json", QuotaExhausted, None),
        (429, "error_rate_limit_429.json", RateLimited, None),
        (403, "error_insufficient_permissions.json", AuthExpired, None),
        (400, "error_invalid_title.json", ContentRejected, "invalid_title"),
        (400, "error_processing_failure.json", RetryLater, None),
        (503, "error_backend_503.json", PlatformUnavailable, None),
    ],
)
def test_error_envelope_mapping(
    rsps: responses.RequestsMock, video: MediaFile, status: int, fixture: str, error: type[Exception], rule: str | None
) -> None:
    token(rsps)
    rsps.post(UPLOAD, status=status, json=fx(fixture))
    with pytest.raises(error) as ei:
        yt().publish(req(video), DictCheckpoint())
    if rule:
        assert isinstance(ei.value, ContentRejected) and ei.value.rule == rule
    assert isinstance(ei.value.__cause__, type(None))  # mapped from a response, not an exception


def test_invalid_grant_is_auth_expired(rsps: responses.RequestsMock, video: MediaFile) -> None:
    rsps.post(TOKEN, status=400, json=fx("token_invalid_grant.json"))
    with pytest.raises(AuthExpired) as ei:
        yt().publish(req(video), DictCheckpoint())
    assert isinstance(ei.value.__cause__, RefreshError)
    assert "invalid_grant" in ei.value.message


def test_401_after_refresh_is_auth_expired(rsps: responses.RequestsMock, video: MediaFile) -> None:
    token(rsps)  # AuthorizedSession refreshes on 401 and retries; still 401 -> AuthExpired
    rsps.post(UPLOAD, status=401, json=fx("error_unauthorized_401.json"))
    with pytest.raises(AuthExpired):
        yt().publish(req(video), DictCheckpoint())
    assert sum(c.request.url == TOKEN for c in rsps.calls) >= 2


def test_injected_session_transport_is_used(rsps: responses.RequestsMock) -> None:
    class Counting(requests.adapters.HTTPAdapter):
        sent = 0

        def send(self, *args: Any, **kwargs: Any) -> requests.Response:
            Counting.sent += 1
            return super().send(*args, **kwargs)

    s = requests.Session()
    s.mount("https://", Counting())
    token(rsps)
    rsps.get(f"{API}/channels", json=fx("channels_mine.json"))
    assert yt(session=s).check().ok
    assert Counting.sent == 2  # the token refresh and the API call


# --- find_published --------------------------------------------------------------------------------------------------


def test_find_published_from_video_id_needs_no_call(video: MediaFile) -> None:
    found = yt().find_published(req(video), DictCheckpoint({"video_id": "dQw4w9WgXcQ"}))
    assert found is not None and found.remote_id == "dQw4w9WgXcQ"


def test_find_published_without_session_is_none(video: MediaFile) -> None:
    assert yt().find_published(req(video), DictCheckpoint()) is None


def test_find_published_asks_the_upload_session(rsps: responses.RequestsMock, video: MediaFile) -> None:
    token(rsps)
    status_query(rsps, status=200, json=fx("video_resource.json"))
    ckpt = DictCheckpoint({"upload_uri": SESSION})
    found = yt().find_published(req(video), ckpt)
    assert found is not None and found.remote_id == "dQw4w9WgXcQ"
    assert ckpt.data["video_id"] == "dQw4w9WgXcQ"


def test_find_published_incomplete_upload_is_none(rsps: responses.RequestsMock, video: MediaFile) -> None:
    token(rsps)
    status_query(rsps, **incomplete(262_143))
    assert yt().find_published(req(video), DictCheckpoint({"upload_uri": SESSION})) is None


# --- comments --------------------------------------------------------------------------------------------------------


def test_fetch_comments_pages_with_replies(rsps: responses.RequestsMock) -> None:
    token(rsps)
    base = {
        "part": "snippet,replies",
        "videoId": "dQw4w9WgXcQ",
        "order": "time",
        "textFormat": "plainText",
        "maxResults": "100",
    }
    rsps.get(f"{API}/commentThreads", json=fx("comment_threads_page1.json"), match=[matchers.query_param_matcher(base)])
    rsps.get(
        f"{API}/comments",
        json=fx("comments_replies.json"),
        match=[
            matchers.query_param_matcher(
                {"part": "snippet", "parentId": "Ugw7pLongTHREAD", "maxResults": "100", "textFormat": "plainText"}
            )
        ],
    )
    a = yt()
    ref = PlatformPostRef("humas-yt", "dQw4w9WgXcQ")
    page = a.fetch_comments(ref, None)
    newest = int(datetime(2026, 11, 20, 10, 0, tzinfo=UTC).timestamp())  # the newest thread of this walk
    assert json.loads(page.cursor or "") == {"page": "QURTSl9pMlhQdGZfVEVTVA==", "top": newest}
    assert page.cost == 2  # commentThreads.list + comments.list
    by_id = {c.remote_id: c for c in page.comments}
    assert set(by_id) == {
        "UgzK3vEXAMPLE",
        "UgzK3vEXAMPLE.9xYzAbC",
        "Ugw7pLongTHREAD",
        "Ugw7pLongTHREAD.aa1",
        "Ugw7pLongTHREAD.aa2",
        "Ugw7pLongTHREAD.aa3",
    }
    top = by_id["UgzK3vEXAMPLE"]
    assert (top.text, top.author_handle, top.author_id, top.parent_remote_id, top.is_own) == (
        "Terima kasih infonya",
        "@rina",
        "UCrina",
        None,
        False,
    )
    assert top.created_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    ours = by_id["Ugw7pLongTHREAD.aa2"]
    assert ours.is_own and ours.parent_remote_id == "Ugw7pLongTHREAD"

    rsps.reset()
    rsps.get(
        f"{API}/commentThreads",
        json=fx("comment_threads_page2.json"),
        match=[matchers.query_param_matcher({**base, "pageToken": "QURTSl9pMlhQdGZfVEVTVA=="})],
    )
    last = a.fetch_comments(ref, page.cursor)
    assert [c.remote_id for c in last.comments] == ["UgxOLDthread"]
    assert json.loads(last.cursor or "") == {"since": newest} and last.cost == 1  # walk done: the watermark
    assert a.units_used == 3


def test_fetch_comments_learns_own_channel_once(rsps: responses.RequestsMock) -> None:
    token(rsps)
    rsps.get(
        f"{API}/channels",
        json=fx("channels_mine.json"),
        match=[matchers.query_param_matcher({"part": "id", "mine": "true"})],
    )
    rsps.get(f"{API}/commentThreads", json=fx("comment_threads_page2.json"))
    a = yt(channel_id=None)
    page = a.fetch_comments(PlatformPostRef("humas-yt", "dQw4w9WgXcQ"), None)
    assert page.cost == 2 and a.channel_id == "UCabc"


def test_reply_goes_to_the_thread_and_is_idempotent(rsps: responses.RequestsMock) -> None:
    token(rsps)
    rsps.post(
        f"{API}/comments",
        json=fx("comment_insert.json"),
        match=[
            matchers.query_param_matcher({"part": "snippet"}),
            matchers.json_params_matcher({"snippet": {"parentId": "UgzK3vEXAMPLE", "textOriginal": "Sama-sama!"}}),
        ],
    )
    a = yt()
    ref = CommentRef("humas-yt", "dQw4w9WgXcQ", "UgzK3vEXAMPLE.9xYzAbC")  # replying to a reply
    ckpt = DictCheckpoint()
    result = a.reply(ref, "Sama-sama!", ckpt)
    assert result.remote_id == "UgzK3vEXAMPLE.9xZnEwReply"
    assert result.remote_url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc=UgzK3vEXAMPLE.9xZnEwReply"
    assert a.reply(ref, "Sama-sama!", ckpt) == result
    assert a.units_used == 50


def test_reply_on_disabled_comments_is_rejected(rsps: responses.RequestsMock) -> None:
    token(rsps)
    rsps.post(f"{API}/comments", status=403, json=fx("error_comments_disabled.json"))
    with pytest.raises(ContentRejected) as ei:
        yt().reply(CommentRef("humas-yt", "dQw4w9WgXcQ", "UgzK3vEXAMPLE"), "Halo", DictCheckpoint())
    assert ei.value.rule == "comments_disabled"


def test_reply_timeout_is_outcome_unknown(rsps: responses.RequestsMock) -> None:
    token(rsps)
    rsps.post(f"{API}/comments", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(OutcomeUnknown):
        yt().reply(CommentRef("humas-yt", "dQw4w9WgXcQ", "UgzK3vEXAMPLE"), "Halo", DictCheckpoint())


def test_hide_comment_holds_for_review(rsps: responses.RequestsMock) -> None:
    token(rsps)
    rsps.post(
        f"{API}/comments/setModerationStatus",
        status=204,
        match=[matchers.query_param_matcher({"id": "Ugw7pLongTHREAD.aa3", "moderationStatus": "heldForReview"})],
    )
    a = yt()
    a.hide_comment(CommentRef("humas-yt", "dQw4w9WgXcQ", "Ugw7pLongTHREAD.aa3"))
    assert a.units_used == 50


# --- check / validate / config ---------------------------------------------------------------------------------------


def test_check(rsps: responses.RequestsMock) -> None:
    token(rsps)
    rsps.get(f"{API}/channels", json=fx("channels_mine.json"))
    status = yt().check()
    assert status.ok and "UCabc" in status.detail and status.expires_at is None


def test_check_with_revoked_token(rsps: responses.RequestsMock) -> None:
    rsps.post(TOKEN, status=400, json=fx("token_invalid_grant.json"))
    status = yt().check()
    assert not status.ok and "Testing" in status.detail


def test_rotated_refresh_token_is_kept(rsps: responses.RequestsMock) -> None:
    rsps.post(TOKEN, json={**fx("token.json"), "refresh_token": "1//RT-rotated"})
    rsps.get(f"{API}/channels", json=fx("channels_mine.json"))
    store = MemorySecretStore()
    yt(secret_store=store).check()
    assert store.get("humas-yt", "oauth2_refresh_token") == "1//RT-rotated"
    rsps.reset()
    rsps.post(TOKEN, json=fx("token.json"))
    rsps.get(f"{API}/channels", json=fx("channels_mine.json"))
    yt(secret_store=store).check()  # a restart uses the rotated token
    body = rsps.calls[0].request.body
    assert parse_qs(body.decode() if isinstance(body, bytes) else body)["refresh_token"] == ["1//RT-rotated"]


def test_validate(tmp_path: Path, video: MediaFile) -> None:
    a = yt()
    image = MediaFile(tmp_path / "a.jpg", "s", "image/jpeg", 10)
    assert a.validate(PostDraft(TEXT, media=(video,))) == []
    assert {p.rule for p in a.validate(PostDraft(TEXT))} == {"video_required"}
    assert "media_max" in {p.rule for p in a.validate(PostDraft(TEXT, media=(video, video)))}
    assert "media_max" in {p.rule for p in a.validate(PostDraft(TEXT, media=(video, image)))}
    assert {p.rule for p in a.validate(PostDraft(TEXT, title="x" * 101, media=(video,)))} == {"title_max"}
    assert {p.rule for p in a.validate(PostDraft("a <b>", media=(video,)))} == {"forbidden_char"}
    assert {p.rule for p in a.validate(PostDraft("", media=(video,)))} == {"title_required"}
    assert {p.rule for p in a.validate(PostDraft("😀" * 1251, media=(video,)))} == {"text_max"}  # 5,004 bytes


def test_privacy_is_the_stricter_of_account_and_request(rsps: responses.RequestsMock, video: MediaFile) -> None:
    token(rsps)
    rsps.post(UPLOAD, status=403, json=fx("error_quota_exceeded.json"))
    with pytest.raises(QuotaExhausted):
        yt(privacy="unlisted").publish(req(video), DictCheckpoint())
    sent = json.loads(rsps.calls[1].request.body or b"")
    assert sent["status"]["privacyStatus"] == "unlisted"


def test_chunk_size_must_be_multiple_of_256k() -> None:
    with pytest.raises(ConfigError):
        yt(chunk_size=100_000)


# --- issue 14: a time watermark instead of re-reading every page each poll -------------------------------------------


def _ts(hour: int, minute: int = 0) -> int:
    return int(datetime(2026, 11, 20, hour, minute, tzinfo=UTC).timestamp())


def _thread(thread_id: str, published: str, replies: int = 0) -> dict[str, Any]:
    snippet = {"videoId": "dQw4w9WgXcQ", "textDisplay": thread_id, "authorDisplayName": "@w",
               "authorChannelId": {"value": "UCw"}, "publishedAt": published}
    return {"id": thread_id, "snippet": {"totalReplyCount": replies,
                                         "topLevelComment": {"id": thread_id, "snippet": snippet}}}


def test_poll_stops_at_the_first_thread_older_than_the_watermark(rsps: responses.RequestsMock) -> None:
    token(rsps)
    # newest first: one new thread, one inside the overlap, then one older than the watermark (and more pages)
    body = {"items": [_thread("UgNEW", "2026-11-20T11:00:00Z"), _thread("UgEDGE", "2026-11-20T09:59:30Z"),
                      _thread("UgOLD", "2026-11-20T09:30:00Z", replies=5)],
            "nextPageToken": "TOKEN-PAGE-2"}
    rsps.get(f"{API}/commentThreads", json=body)
    a = yt()
    page = a.fetch_comments(PlatformPostRef("humas-yt", "dQw4w9WgXcQ"), json.dumps({"since": _ts(10)}))
    assert [c.remote_id for c in page.comments] == ["UgNEW", "UgEDGE"]  # the edge re-read is deduped downstream
    assert json.loads(page.cursor or "") == {"since": _ts(11)}  # the walk is complete: no page 2, no replies read
    assert page.cost == 1 and a.units_used == 1


def test_nothing_new_leaves_the_cursor_unchanged(rsps: responses.RequestsMock) -> None:
    token(rsps)
    rsps.get(f"{API}/commentThreads", json={"items": [_thread("UgOLD", "2026-11-20T09:00:00Z")],
                                            "nextPageToken": "MORE"})
    cursor = json.dumps({"since": _ts(10)})
    page = yt().fetch_comments(PlatformPostRef("humas-yt", "dQw4w9WgXcQ"), cursor)
    assert page.comments == [] and page.cursor == cursor  # the monitor stops following: one unit per poll


def test_a_backlog_walk_continues_then_sets_the_watermark(rsps: responses.RequestsMock) -> None:
    token(rsps)
    rsps.get(f"{API}/commentThreads", json={"items": [_thread("UgB", "2026-11-20T08:00:00Z")]},
             match=[matchers.query_param_matcher({"part": "snippet,replies", "videoId": "dQw4w9WgXcQ",
                                                  "order": "time", "textFormat": "plainText", "maxResults": "100",
                                                  "pageToken": "P2"})])
    walking = json.dumps({"page": "P2", "top": _ts(9), "since": _ts(7)})
    page = yt().fetch_comments(PlatformPostRef("humas-yt", "dQw4w9WgXcQ"), walking)
    assert [c.remote_id for c in page.comments] == ["UgB"]
    assert json.loads(page.cursor or "") == {"since": _ts(9)}  # the newest thread of the walk, not its last


def test_a_cursor_saved_before_the_watermark_continues_its_walk(rsps: responses.RequestsMock) -> None:
    token(rsps)
    rsps.get(f"{API}/commentThreads", json={"items": [_thread("UgB", "2026-11-20T08:00:00Z")]},
             match=[matchers.query_param_matcher({"part": "snippet,replies", "videoId": "dQw4w9WgXcQ",
                                                  "order": "time", "textFormat": "plainText", "maxResults": "100",
                                                  "pageToken": "QURTSl9pMlhQdGZfVEVTVA=="})])
    page = yt().fetch_comments(PlatformPostRef("humas-yt", "dQw4w9WgXcQ"), "QURTSl9pMlhQdGZfVEVTVA==")
    assert json.loads(page.cursor or "") == {"since": _ts(8)}
