"""The real YouTube adapter against a loopback fake of the YouTube Data API v3 and Google's token endpoint (issue 14,
the loopback-fake tier), and the whole way through ``humas run``.

:class:`humas.testing_youtube.FakeYouTubeServer` is a real HTTP server on 127.0.0.1 speaking the wire format of
``platform-apis.md`` §4; the adapter reaches it through its ``api_base`` option alone (the token endpoint and the
upload host follow it), so every byte goes through google-auth, ``requests``, the socket and back: token refreshes,
resumable sessions and their 308s, comment threads with page tokens, Google error envelopes, quota.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from humas.app import App
from humas.config import load_settings
from humas.errors import (
    AuthExpired,
    ContentRejected,
    NetworkError,
    OutcomeUnknown,
    PlatformUnavailable,
    PublishError,
    QuotaExhausted,
    RateLimited,
    RetryLater,
)
from humas.publisher.base import (
    CommentRef,
    DictCheckpoint,
    MediaFile,
    PlatformPostRef,
    PostDraft,
    PublishRequest,
)
from humas.publisher.youtube import YouTubeAdapter, next_quota_reset
from humas.queue import service
from humas.store.models import Comment, Post, PublicationJob, User, UserRole
from humas.testing import FakeClock
from humas.testing_youtube import UPLOAD_PATH, FakeYouTubeServer, YouTubeCall, YouTubeVideo
from tests.acceptance.cli import Humas
from tests.acceptance.daemon import ROLES, classified, count, job_states, note_errors, stopped, wait_for
from tests.conftest import approve_all

START = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)  # 01:00 in Los Angeles: the quota day resets 23 hours later
CHUNK = 256 * 1024
SIZE = 2 * CHUNK + 70_000  # three chunks: two full, one short
THREADS = "/youtube/v3/commentThreads"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeYouTubeServer]:
    with FakeYouTubeServer(clock=clock) as server:
        yield server
        assert server.server_errors == []


def make_adapter(fake: FakeYouTubeServer, clock: FakeClock, *, timeout: float = 5, privacy: str = "public",
                 refresh_token: str | None = None) -> YouTubeAdapter:
    return YouTubeAdapter("kanal", client_id=fake.client_id, client_secret=str(fake.client_secret),
                          refresh_token=refresh_token or fake.issue_refresh_token(), clock=clock, chunk_size=CHUNK,
                          timeout=timeout, privacy=privacy, api_base=fake.url)


@pytest.fixture
def adapter(fake: FakeYouTubeServer, clock: FakeClock) -> YouTubeAdapter:
    return make_adapter(fake, clock)


@pytest.fixture
def video(tmp_path: Path) -> MediaFile:
    path = tmp_path / "rapat.mp4"
    data = b"\0\0\0\x18ftypmp42" + bytes(i % 251 for i in range(SIZE - 12))
    path.write_bytes(data)
    return MediaFile(path, sha256="rapat", mime="video/mp4", size=SIZE)


def request(video: MediaFile, text: str = "Rapat Paripurna DPRD\nSiaran ulang rapat paripurna.", *,
            title: str = "", privacy: str = "public") -> PublishRequest:
    return PublishRequest("post:1:kanal", "kanal", PostDraft(text, title=title, media=(video,)), not_before=START,
                          privacy=privacy)


def only_video(fake: FakeYouTubeServer) -> YouTubeVideo:
    assert len(fake.videos) == 1, fake.videos
    return next(iter(fake.videos.values()))


def sessions_started(fake: FakeYouTubeServer) -> list[YouTubeCall]:
    return [c for c in fake.api_calls if c.method == "POST" and c.path == UPLOAD_PATH and c.status == 200]


def puts(fake: FakeYouTubeServer) -> list[tuple[str | None, int]]:
    return [(c.content_range, c.status) for c in fake.api_calls if c.method == "PUT"]


def refreshes(fake: FakeYouTubeServer) -> int:
    return sum(1 for c in fake.calls if c.path == "/token" and c.params.get("grant_type") == "refresh_token")


# --- upload ------------------------------------------------------------------------------------------------------


def test_a_resumable_upload_stores_the_video_once_with_its_metadata(
    fake: FakeYouTubeServer, adapter: YouTubeAdapter, video: MediaFile
) -> None:
    req = request(video)
    ckpt = DictCheckpoint()
    result = adapter.publish(req, ckpt)

    stored = only_video(fake)
    assert (result.remote_id, result.remote_url) == (stored.id, f"https://www.youtube.com/watch?v={stored.id}")
    assert result.published_at == START
    assert stored.data == video.path.read_bytes() and stored.mime == "video/mp4"
    assert (stored.title, stored.description) == ("Rapat Paripurna DPRD", req.draft.text)
    assert (stored.category_id, stored.privacy_status, stored.made_for_kids) == ("25", "public", False)
    (start,) = sessions_started(fake)
    assert start.params == {"uploadType": "resumable", "part": "snippet,status"}
    assert start.body["snippet"]["title"] == "Rapat Paripurna DPRD"
    assert puts(fake) == [(f"bytes 0-{CHUNK - 1}/{SIZE}", 308), (f"bytes {CHUNK}-{2 * CHUNK - 1}/{SIZE}", 308),
                          (f"bytes {2 * CHUNK}-{SIZE - 1}/{SIZE}", 200)]
    # one call from the videos.insert bucket, nothing from the 10,000-unit pool; the adapter counts alike
    assert (fake.inserts_used, fake.units_used) == (1, 0) == (adapter.inserts_used, adapter.units_used)
    assert refreshes(fake) == 1

    calls = len(fake.api_calls)
    assert adapter.publish(req, ckpt).remote_id == stored.id  # a retry: answered from the checkpoint
    found = adapter.find_published(req, ckpt)
    assert found is not None and found.remote_id == stored.id
    assert len(fake.api_calls) == calls and len(fake.videos) == 1


def test_an_interrupted_put_resumes_from_the_byte_youtube_reports(
    fake: FakeYouTubeServer, adapter: YouTubeAdapter, video: MediaFile
) -> None:
    fake.drop_next(keep=10_000, method="PUT", path=UPLOAD_PATH)  # the first chunk breaks off after 10,000 bytes
    result = adapter.publish(request(video), DictCheckpoint())

    assert only_video(fake).data == video.path.read_bytes()
    assert result.remote_id == only_video(fake).id
    assert puts(fake)[:3] == [(f"bytes 0-{CHUNK - 1}/{SIZE}", 0),  # dropped
                              (f"bytes */{SIZE}", 308),  # where does it stand? Range: bytes=0-9999
                              (f"bytes 10000-{10_000 + CHUNK - 1}/{SIZE}", 308)]
    assert len(sessions_started(fake)) == 1


def test_a_server_error_mid_upload_resumes_the_same_session(
    fake: FakeYouTubeServer, adapter: YouTubeAdapter, video: MediaFile
) -> None:
    fake.fail_next("backendError", method="PUT", path=UPLOAD_PATH)  # 503 on the first chunk, nothing stored
    adapter.publish(request(video), DictCheckpoint())
    assert only_video(fake).data == video.path.read_bytes()
    assert puts(fake)[:3] == [(f"bytes 0-{CHUNK - 1}/{SIZE}", 503), (f"bytes */{SIZE}", 308),
                              (f"bytes 0-{CHUNK - 1}/{SIZE}", 308)]
    assert len(sessions_started(fake)) == 1


def test_an_answer_lost_after_the_upload_is_found_again_not_uploaded_twice(
    fake: FakeYouTubeServer, adapter: YouTubeAdapter, video: MediaFile
) -> None:
    fake.drop_next(apply=True, method="PUT", path=UPLOAD_PATH)  # the first chunk arrives, its answer is lost ...
    fake.drop_next(method="PUT", path=UPLOAD_PATH)  # ... and so is the status query after it
    one = DictCheckpoint()
    small = video.path.with_name("kecil.mp4")
    small.write_bytes(video.path.read_bytes()[:70_000])  # one chunk: it is the last one
    short = MediaFile(small, sha256="kecil", mime="video/mp4", size=70_000)
    with pytest.raises(OutcomeUnknown):
        adapter.publish(request(short), one)
    stored = only_video(fake)  # YouTube has it, humas does not know

    found = adapter.find_published(request(short), one)  # the in-doubt job asks before anything else
    assert found is not None and found.remote_id == stored.id
    assert adapter.publish(request(short), one).remote_id == stored.id
    assert len(fake.videos) == 1 and len(sessions_started(fake)) == 1
    assert [s for _, s in puts(fake)] == [0, 0, 200]  # chunk and status (both lost), then find; publish: none
    assert fake.inserts_used == 1


def test_a_timeout_on_the_last_chunk_is_resolved_by_asking_youtube(
    fake: FakeYouTubeServer, clock: FakeClock, video: MediaFile
) -> None:
    quick = make_adapter(fake, clock, timeout=0.3)
    fake.delay_next(1.0, method="PUT", path=UPLOAD_PATH)
    small = video.path.with_name("kecil.mp4")
    small.write_bytes(video.path.read_bytes()[:70_000])
    result = quick.publish(request(MediaFile(small, sha256="kecil", mime="video/mp4", size=70_000)),
                           DictCheckpoint())
    assert result.remote_id == only_video(fake).id
    assert [s for _, s in puts(fake)] == [200, 200]  # the late answer, then the status query's


def test_a_lost_session_starts_over_and_the_old_one_never_makes_a_video(
    fake: FakeYouTubeServer, adapter: YouTubeAdapter, video: MediaFile
) -> None:
    fake.drop_next(keep=CHUNK, method="PUT", path=UPLOAD_PATH)  # the first chunk is stored, its answer lost
    fake.drop_next(method="PUT", path=UPLOAD_PATH)  # and the status query: the call ends, the session URI is kept
    ckpt = DictCheckpoint()
    with pytest.raises(NetworkError):
        adapter.publish(request(video), ckpt)
    assert fake.videos == {}
    fake.expire_upload_sessions()  # a week later: the saved session URI answers 404
    adapter.publish(request(video), ckpt)
    assert only_video(fake).data == video.path.read_bytes() and len(sessions_started(fake)) == 2


def test_title_description_and_privacy_as_youtube_takes_them(
    fake: FakeYouTubeServer, clock: FakeClock, video: MediaFile
) -> None:
    unlisted = make_adapter(fake, clock, privacy="unlisted")
    long_title = "Pelantikan " + "pejabat " * 20
    unlisted.publish(request(video, "Naskah lengkap", title=long_title), DictCheckpoint())
    stored = only_video(fake)
    assert stored.title == long_title[:100] and len(stored.title) == 100  # YouTube's cap, cut by the adapter
    assert stored.privacy_status == "unlisted"  # the stricter of account (unlisted) and request (public)

    fake.videos.clear()
    strict = make_adapter(fake, clock)
    strict.publish(request(video, privacy="private"), DictCheckpoint())
    assert only_video(fake).privacy_status == "private"

    with pytest.raises(ContentRejected) as ei:  # angle brackets: YouTube's invalidTitle
        strict.publish(request(video, title="Rapat <Paripurna>"), DictCheckpoint())
    assert (ei.value.rule, ei.value.platform, ei.value.account) == ("invalid_title", "youtube", "kanal")
    assert "YouTube menolak" in ei.value.message
    with pytest.raises(ContentRejected) as ei:
        strict.publish(request(video, "x" * 5001, title="Rapat"), DictCheckpoint())
    assert ei.value.rule == "invalid_description"
    assert len(fake.videos) == 1


# --- comments ----------------------------------------------------------------------------------------------------


def test_the_comment_walk_sets_a_watermark_and_the_next_poll_reads_only_new_threads(
    fake: FakeYouTubeServer, adapter: YouTubeAdapter, clock: FakeClock
) -> None:
    v = fake.add_video("Rapat paripurna", published_at=START - timedelta(hours=6))
    old = [fake.add_comment(v.id, f"komentar {i}", author_name=f"@warga{i}",
                            published_at=START - timedelta(minutes=3 * (105 - i))) for i in range(105)]
    busy = old[50]
    replies = [fake.add_comment(v.id, f"balasan {i}", parent_id=busy.id, published_at=START + timedelta(seconds=i))
               for i in range(7)]  # more than commentThreads embeds: the adapter asks comments.list
    ref = PlatformPostRef("kanal", v.id)

    first = adapter.fetch_comments(ref, None)  # the newest 100 threads, and the walk goes on
    assert [c.remote_id for c in first.comments if c.parent_remote_id is None] == [c.id for c in old[:4:-1]]
    at = [c.remote_id for c in first.comments].index(busy.id)
    assert [c.remote_id for c in first.comments[at + 1:at + 8]] == [r.id for r in replies]
    assert all(c.parent_remote_id == busy.id for c in first.comments[at + 1:at + 8])
    assert first.cost == 1 + 1 + 1  # channels (own id, once), commentThreads, comments.list
    assert json.loads(first.cursor or "")["page"]
    second = adapter.fetch_comments(ref, first.cursor)  # the last 5 threads: the walk is complete
    assert [c.remote_id for c in second.comments] == [c.id for c in old[4::-1]]
    watermark = json.loads(second.cursor or "")
    assert watermark == {"since": int(old[-1].published_at.timestamp())}
    walked = [c for c in fake.api_calls if c.path == THREADS]
    assert [c.params.get("pageToken") is None for c in walked] == [True, False]
    assert all(c.params["order"] == "time" and c.params["maxResults"] == "100" for c in walked)

    clock.advance(minutes=30)
    new = [fake.add_comment(v.id, f"baru {i}", published_at=START + timedelta(minutes=20 + i)) for i in range(2)]
    before = len(fake.api_calls)
    third = adapter.fetch_comments(ref, second.cursor)
    # newest first down to the watermark's own thread (the 2-minute overlap; the monitor dedupes it), then the
    # first thread older than that ends the poll: one call, 1 unit
    assert [c.remote_id for c in third.comments] == [new[1].id, new[0].id, old[-1].id]
    assert [c.path for c in fake.api_calls[before:]] == [THREADS] and third.cost == 1
    assert json.loads(third.cursor or "") == {"since": int(new[1].published_at.timestamp())}
    assert adapter.fetch_comments(ref, third.cursor).comments[0].remote_id == new[1].id  # the overlap, deduped later


def test_comments_as_youtube_shows_them(fake: FakeYouTubeServer, adapter: YouTubeAdapter) -> None:
    v = fake.add_video("Rapat")
    c = fake.add_comment(v.id, "Jalan <rusak> & berlubang", author_name="@agus", author_channel_id="UCagus")
    page = adapter.fetch_comments(PlatformPostRef("kanal", v.id), None)
    (got,) = page.comments
    assert (got.text, got.author_handle, got.author_id, got.is_own, got.hidden) == (
        "Jalan <rusak> & berlubang", "@agus", "UCagus", False, False)  # textFormat=plainText: not HTML-escaped
    assert got.created_at == c.published_at
    raw = requests.get(f"{fake.url}/youtube/v3/commentThreads", params={"part": "snippet", "videoId": v.id},
                       headers={"Authorization": f"Bearer {next(iter(fake.access_tokens))}"}, timeout=5).json()
    top = raw["items"][0]["snippet"]["topLevelComment"]["snippet"]
    assert top["textDisplay"] == "Jalan &lt;rusak&gt; &amp; berlubang" and "textOriginal" not in top  # default: html
    assert raw["kind"] == "youtube#commentThreadListResponse" and raw["items"][0]["kind"] == "youtube#commentThread"
    assert set(raw) >= {"etag", "pageInfo", "items"} and "nextPageToken" not in raw


def test_reply_and_hide_land_on_youtube(fake: FakeYouTubeServer, adapter: YouTubeAdapter) -> None:
    v = fake.add_video("Rapat")
    question = fake.add_comment(v.id, "Kapan pendaftaran dibuka?", published_at=START - timedelta(minutes=9))
    follow = fake.add_comment(v.id, "Saya juga ingin tahu", parent_id=question.id,
                              published_at=START - timedelta(minutes=8))
    rude = fake.add_comment(v.id, "komentar kasar", published_at=START - timedelta(minutes=7))
    ckpt = DictCheckpoint()

    # a reply to a reply goes to its thread: YouTube threads are one level deep
    reply = adapter.reply(CommentRef("kanal", v.id, follow.id), "Mulai 1 Desember.", ckpt)
    stored = fake.comments[reply.remote_id]
    assert (stored.parent_id, stored.author_channel_id, stored.text) == (question.id, fake.channel_id,
                                                                         "Mulai 1 Desember.")
    assert reply.remote_url == f"https://www.youtube.com/watch?v={v.id}&lc={reply.remote_id}"
    assert adapter.reply(CommentRef("kanal", v.id, follow.id), "Mulai 1 Desember.", ckpt) == reply
    assert len(fake.own_comments()) == 1  # the retry sent nothing

    adapter.hide_comment(CommentRef("kanal", v.id, rude.id))
    assert fake.comments[rude.id].moderation_status == "heldForReview"
    hide = fake.api_calls[-1]
    assert (hide.method, hide.path, hide.params, hide.status, hide.units) == (
        "POST", "/youtube/v3/comments/setModerationStatus", {"id": rude.id, "moderationStatus": "heldForReview"},
        204, 50)

    seen = {c.remote_id: c for c in adapter.fetch_comments(PlatformPostRef("kanal", v.id), None).comments}
    assert rude.id not in seen  # held for review: gone from the public list
    assert seen[reply.remote_id].is_own and seen[reply.remote_id].parent_remote_id == question.id
    assert not seen[question.id].is_own
    assert adapter.units_used == fake.units_used == 50 + 50 + 1 + 1  # insert, moderate, channels, threads


def test_reply_keeps_the_key_the_dispatcher_resolves_a_reply_in_doubt_by(
    fake: FakeYouTubeServer, adapter: YouTubeAdapter
) -> None:
    """A reply job whose worker died after the reply was posted is resolved from ``reply_id`` in its checkpoint
    (queue/dispatcher.py ``_resolve``), as for every other adapter; a checkpoint of an older humas still counts."""
    v = fake.add_video("Rapat")
    question = fake.add_comment(v.id, "Kapan?")
    ckpt = DictCheckpoint()
    reply = adapter.reply(CommentRef("kanal", v.id, question.id), "Besok.", ckpt)
    assert ckpt.get("reply_id") == reply.remote_id
    legacy = DictCheckpoint()
    legacy.save("comment_id", reply.remote_id)
    assert adapter.reply(CommentRef("kanal", v.id, question.id), "Besok.", legacy).remote_id == reply.remote_id
    assert len(fake.own_comments()) == 1


def test_replies_youtube_refuses_are_rejected_content(fake: FakeYouTubeServer, adapter: YouTubeAdapter) -> None:
    closed = fake.add_video("Tanpa komentar")
    c = fake.add_comment(closed.id, "sempat masuk")
    closed.comments_disabled = True
    with pytest.raises(ContentRejected) as ei:
        adapter.reply(CommentRef("kanal", closed.id, c.id), "Terima kasih", DictCheckpoint())
    assert ei.value.rule == "comments_disabled" and "komentar dinonaktifkan" in ei.value.message
    with pytest.raises(ContentRejected) as ei:
        adapter.fetch_comments(PlatformPostRef("kanal", closed.id), None)
    assert ei.value.rule == "comments_disabled"
    with pytest.raises(ContentRejected) as ei:  # a deleted video: the monitor stops polling it
        adapter.fetch_comments(PlatformPostRef("kanal", "yt999999999"), None)
    assert ei.value.rule == "not_found" and "tidak ditemukan" in ei.value.message
    open_ = fake.add_video("Rapat")
    q = fake.add_comment(open_.id, "Tanya")
    with pytest.raises(ContentRejected) as ei:
        adapter.reply(CommentRef("kanal", open_.id, q.id), "x" * 10_001, DictCheckpoint())
    assert ei.value.rule == "comment_text_too_long"
    assert fake.own_comments() == []


# --- tokens ------------------------------------------------------------------------------------------------------


def test_an_expired_access_token_is_refreshed_and_the_call_repeated(
    fake: FakeYouTubeServer, adapter: YouTubeAdapter, clock: FakeClock
) -> None:
    assert adapter.check().ok and refreshes(fake) == 1
    fake.expire_access_tokens()  # revoked early: 401 authError, google-auth refreshes and repeats once
    assert adapter.check().ok and refreshes(fake) == 2
    clock.advance(hours=2)  # past expires_in=3599 on the server's clock
    assert adapter.check().ok and refreshes(fake) == 3
    statuses = [c.status for c in fake.api_calls]
    assert statuses == [200, 401, 200, 401, 200]
    assert fake.units_used == adapter.units_used == 3  # refused 401s are not billed


def test_a_revoked_refresh_token_pauses_the_account_with_a_reason(
    fake: FakeYouTubeServer, adapter: YouTubeAdapter, video: MediaFile
) -> None:
    fake.revoke_refresh_tokens()
    with pytest.raises(AuthExpired) as ei:
        adapter.publish(request(video), DictCheckpoint())
    assert "invalid_grant" in ei.value.message and "hubungkan ulang" in ei.value.message
    status = adapter.check()
    assert not status.ok and "Testing" in status.detail
    assert fake.videos == {} and fake.api_calls == []


def test_an_unreachable_token_endpoint_is_a_network_error(
    fake: FakeYouTubeServer, adapter: YouTubeAdapter, video: MediaFile
) -> None:
    fake.drop_next(path="^/token$")
    with pytest.raises(NetworkError) as ei:
        adapter.publish(request(video), DictCheckpoint())
    assert not isinstance(ei.value, OutcomeUnknown) and "tidak terjangkau" in ei.value.message
    assert adapter.publish(request(video), DictCheckpoint()).remote_id == only_video(fake).id


# --- error classes -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "status", "expected", "words"),
    [
        ("quotaExceeded", None, QuotaExhausted, "kuota harian"),
        ("uploadLimitExceeded", None, QuotaExhausted, "batas unggah"),
        ("rateLimitExceeded", 429, RateLimited, "terlalu banyak permintaan"),
        ("userRateLimitExceeded", 403, RateLimited, "terlalu banyak permintaan"),
        ("insufficientPermissions", None, AuthExpired, "otorisasi ditolak"),
        ("forbidden", None, ContentRejected, "YouTube menolak"),
        ("invalidTitle", None, ContentRejected, "YouTube menolak"),
        ("processingFailure", None, RetryLater, "dicoba lagi"),
        ("backendError", 503, PlatformUnavailable, "galat server"),
        ("internalError", 500, PlatformUnavailable, "galat server"),
    ],
)
def test_youtube_errors_map_to_humas_errors_with_an_indonesian_reason(
    fake: FakeYouTubeServer, adapter: YouTubeAdapter, clock: FakeClock, video: MediaFile, reason: str,
    status: int | None, expected: type[PublishError], words: str
) -> None:
    fake.fail_next(reason, status=status, method="POST", path=UPLOAD_PATH)
    ckpt = DictCheckpoint()
    with pytest.raises(expected) as ei:
        adapter.publish(request(video), ckpt)
    err = ei.value
    assert (err.platform, err.account) == ("youtube", "kanal")
    assert words in err.message, err.message
    assert fake.videos == {}
    if isinstance(err, QuotaExhausted):
        reset = next_quota_reset(START) if reason == "quotaExceeded" else START + timedelta(hours=24)
        assert err.retry_after == reset
    elif isinstance(err, RateLimited):
        assert err.retry_after == START + timedelta(minutes=1)
    if not isinstance(err, ContentRejected | AuthExpired):  # the fault was one-shot: the retry uploads once
        assert adapter.publish(request(video), ckpt).remote_id == only_video(fake).id


def test_the_daily_quota_is_counted_in_units_and_refills_at_pacific_midnight(
    fake: FakeYouTubeServer, adapter: YouTubeAdapter, clock: FakeClock
) -> None:
    v = fake.add_video("Rapat")
    fake.unit_limit = 53  # channels (1) + threads (1) + a reply (50) + one more list: then it is spent
    q = fake.add_comment(v.id, "Tanya")
    adapter.fetch_comments(PlatformPostRef("kanal", v.id), None)
    adapter.reply(CommentRef("kanal", v.id, q.id), "Jawab", DictCheckpoint())
    assert adapter.engagement([v.id])[v.id].comments == 2
    with pytest.raises(QuotaExhausted) as ei:
        adapter.engagement([v.id])
    assert ei.value.retry_after == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # midnight PST
    assert "kuota harian" in ei.value.message
    assert fake.units_by_method == {"channels.list": 1, "commentThreads.list": 1, "comments.insert": 50,
                                    "videos.list": 1}
    clock.set(datetime(2026, 11, 23, 8, 0, 1, tzinfo=UTC))
    assert adapter.engagement([v.id])[v.id].views == 0 and fake.units_used == 1


def test_uploads_draw_on_their_own_bucket(
    fake: FakeYouTubeServer, adapter: YouTubeAdapter, video: MediaFile
) -> None:
    fake.insert_limit = 1
    adapter.publish(request(video), DictCheckpoint())
    with pytest.raises(QuotaExhausted):
        adapter.publish(PublishRequest("post:2:kanal", "kanal", PostDraft("Lagi", media=(video,)), not_before=START),
                        DictCheckpoint())
    assert len(fake.videos) == 1 and fake.units_used == 0
    fake.upload_limit, fake.insert_limit = 1, 100  # the channel's own cap over a rolling day
    with pytest.raises(QuotaExhausted) as ei:
        adapter.publish(PublishRequest("post:3:kanal", "kanal", PostDraft("Lagi", media=(video,)), not_before=START),
                        DictCheckpoint())
    assert "batas unggah" in ei.value.message


def test_the_fake_answers_google_envelopes(fake: FakeYouTubeServer) -> None:
    """The fake itself: no token is 401 authError; a bad page token is 400 invalidPageToken; a scope missing is 403."""
    bare = requests.get(f"{fake.url}/youtube/v3/channels", params={"part": "id", "mine": "true"}, timeout=5)
    error = bare.json()["error"]
    assert (bare.status_code, error["code"], error["errors"][0]["reason"]) == (401, 401, "authError")
    upload_only = fake.issue_refresh_token(["https://www.googleapis.com/auth/youtube.upload"])
    token = requests.post(f"{fake.url}/token", data={"grant_type": "refresh_token", "refresh_token": upload_only,
                                                     "client_id": fake.client_id,
                                                     "client_secret": fake.client_secret}, timeout=5).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    v = fake.add_video("Rapat")
    denied = requests.get(f"{fake.url}{THREADS}", params={"part": "snippet", "videoId": v.id}, headers=auth,
                          timeout=5)
    assert (denied.status_code, denied.json()["error"]["errors"][0]["reason"]) == (403, "insufficientPermissions")
    full = fake.issue_refresh_token()
    token = requests.post(f"{fake.url}/token", data={"grant_type": "refresh_token", "refresh_token": full,
                                                     "client_id": fake.client_id,
                                                     "client_secret": fake.client_secret}, timeout=5).json()
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    bad = requests.get(f"{fake.url}{THREADS}", params={"part": "snippet", "videoId": v.id, "pageToken": "nope"},
                       headers=auth, timeout=5)
    body = bad.json()["error"]
    assert (bad.status_code, body["status"], body["errors"][0]["reason"]) == (400, "INVALID_ARGUMENT",
                                                                              "invalidPageToken")
    fake.add_comment(v.id, "x")
    banned = requests.post(f"{fake.url}/youtube/v3/comments/setModerationStatus",
                           params={"id": next(iter(fake.comments)), "moderationStatus": "heldForReview",
                                   "banAuthor": "true"}, headers=auth, timeout=5)
    assert banned.json()["error"]["errors"][0]["reason"] == "banWithoutReject"


# --- through ``humas run`` ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_humas_run_uploads_once_collects_comments_and_replies_through_faults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Approved content with a video -> schedule -> the daemon uploads it through a dropped token call, a 503 on the
    session start and a lost final answer (in doubt, found by asking) -> one video -> the monitor collects the
    public's comments after the access token was revoked -> an answer is queued -> its first try gets a 503 -> one
    reply on YouTube. Every failure on the way is on the job, in Indonesian."""
    with FakeYouTubeServer() as fake:
        question = "Kapan pendaftaran dibuka?"

        def the_public(v: YouTubeVideo) -> None:  # comments arrive with the video, before the first poll
            fake.add_comment(v.id, question, author_name="@siti")
            fake.add_comment(v.id, "Mantap, terima kasih infonya", author_name="@budi")

        fake.on_video_created = the_public
        refresh = fake.issue_refresh_token()
        env = {"YT_CLIENT_ID": fake.client_id, "YT_CLIENT_SECRET": str(fake.client_secret), "YT_REFRESH": refresh}
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        cfg = tmp_path / "humas.toml"
        cfg.write_text(
            'data_dir = "data"\n[queue]\ntick_seconds = 0.2\nlease_seconds = 5\nbackoff_base_seconds = 0.1\n'
            'backoff_max_seconds = 1\nin_doubt_settle_seconds = 0\n'
            '[monitor]\ntick_seconds = 0.5\nsandbox_simulation = false\n\n'
            '[[accounts]]\nname = "kanal"\nplatform = "youtube"\nlabel = "Kanal YouTube"\n'
            f'options = {{ api_base = "{fake.url}" }}\n'
            'credentials = { client_id = "env:YT_CLIENT_ID", client_secret = "env:YT_CLIENT_SECRET", '
            'refresh_token = "env:YT_REFRESH" }\n', encoding="utf-8")
        h = Humas(tmp_path, config=cfg, **env)
        h("init")
        app = App(load_settings(cfg, environ={k: v for k, v in h.env.items() if k.startswith("HUMAS_")}))
        clip = tmp_path / "pelantikan.mp4"
        clip.write_bytes(b"\0\0\0\x18ftypmp42" + bytes(i % 251 for i in range(300_000)))
        with app.db.session() as s:
            u = User(name="ana", display_name="ana")
            u.roles = [UserRole(role=r) for r in ROLES]
            s.add(u)
        with app.db.session() as s:
            actor = app.actor(s, "ana")
            wf = app.workflow(s)
            c = wf.create(actor, sop_id="mojokerto-acc", title="Pelantikan Pejabat Administrator",
                          text="Wali kota melantik 12 pejabat administrator di Pendopo.",
                          caption="Pelantikan hari ini #pemkot", accounts=["kanal"], media=[clip])
            wf.submit(actor, c.id)
            approve_all(app, s, c.id)
            service.schedule(app.env, s, actor, c.id, app.clock(), platform_check=app.platform_check)

        fake.drop_next(path="^/token$")  # the first refresh: no answer (NetworkError, retried)
        fake.fail_next("backendError", method="POST", path=UPLOAD_PATH)  # the session start: 503
        fake.drop_next(apply=True, method="PUT", path=UPLOAD_PATH)  # the only chunk arrives, its answer is lost
        fake.drop_next(method="PUT", path=UPLOAD_PATH)  # and the status query after it: the job is in doubt
        errors: list[str] = []
        daemon = h.popen("run", "--no-web")
        try:
            wait_for(lambda: note_errors(app, errors) and len(fake.videos) == 1, 60, "the video on YouTube")
            wait_for(lambda: note_errors(app, errors) and job_states(app) == {"published": 1}, 60, "the job published")
            fake.expire_access_tokens()  # the monitor's first call gets 401 and refreshes
            wait_for(lambda: count(app, Comment) == 2, 60, "the monitor to collect both comments")
            wait_for(lambda: classified(app) == 2, 60, "the classifier to see both")  # only then can one be answered
            fake.fail_next("backendError", method="POST", path=r"/comments$")
            with app.db.session() as s:
                question_id = s.execute(select(Comment.id).where(Comment.text == question)).scalar_one()
                app.cases(s).reply_direct(app.actor(s, "ana"), question_id, "Mulai 1 Desember.")
            wait_for(lambda: note_errors(app, errors) and len(fake.own_comments()) == 1, 60, "the reply on YouTube")
            wait_for(lambda: job_states(app) == {"published": 2}, 30, "every job published")
        finally:
            code, out = stopped(daemon)
        assert code == 0, out

        stored = only_video(fake)
        assert stored.data == clip.read_bytes()
        assert (stored.title, stored.description) == ("Pelantikan Pejabat Administrator", "Pelantikan hari ini #pemkot")
        assert len(sessions_started(fake)) == 1 and fake.inserts_used == 1  # an injected 503 is not billed
        (reply,) = fake.own_comments()
        assert (reply.text, fake.comments[reply.parent_id or ""].text) == ("Mulai 1 Desember.", question)
        assert [c.status for c in fake.api_calls if c.method == "POST" and c.path.endswith("/comments")] == [503, 200]
        with app.db.session() as s:
            (post,) = s.execute(select(Post)).scalars()
            assert (post.remote_id, post.remote_url) == (stored.id, f"https://www.youtube.com/watch?v={stored.id}")
            notes = {k: e for k, e in s.execute(select(PublicationJob.kind, PublicationJob.last_error))}
        assert notes["post"] == "found on the platform after an unknown outcome"  # in doubt, resolved by asking
        assert refreshes(fake) >= 2
        # each failure was visible on its job on the way, with its reason in Indonesian
        assert any("tidak terjangkau" in e for e in errors), errors
        assert any("galat server 503" in e for e in errors), errors
        assert refresh not in out and str(fake.client_secret) not in out
        app.db.dispose()
