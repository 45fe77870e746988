"""The real Facebook Page adapter against a loopback fake of the Graph API (issue 14, the loopback-fake tier).

:class:`humas.testing_graph.FakeGraphServer` is a real HTTP server on 127.0.0.1 speaking the wire format of
``platform-apis.md`` §2; the adapter reaches it through its ``api_base``/``video_base`` options, so every byte goes
through ``requests``, the socket and back: multipart uploads, ``paging.next`` URLs, Graph error envelopes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from humas.errors import (
    AlreadyPublished,
    AuthExpired,
    ContentRejected,
    OutcomeUnknown,
    PlatformUnavailable,
    PublishError,
    RateLimited,
)
from humas.publisher.base import (
    CommentRef,
    DictCheckpoint,
    MediaFile,
    PlatformPostRef,
    PostDraft,
    PublishRequest,
)
from humas.publisher.facebook import FacebookPageAdapter
from humas.publisher.graph import GRAPH_VERSION
from humas.testing import FakeClock
from humas.testing_graph import FakeGraphServer, GraphComment, GraphPost

PAGE = "1234567890"
TOKEN = "EAAGloopbackPAGEtoken"
SECRET = "loopback-app-secret"
START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeGraphServer]:
    with FakeGraphServer(page_id=PAGE, page_name="Humas Kota Loopback", page_token=TOKEN, app_secret=SECRET,
                         require_proof=True, clock=clock) as server:
        yield server
        assert server.server_errors == []


@pytest.fixture
def adapter(fake: FakeGraphServer, clock: FakeClock) -> Iterator[FacebookPageAdapter]:
    session = requests.Session()
    yield FacebookPageAdapter("loopback-fb", page_id=PAGE, page_token=TOKEN, app_secret=SECRET, session=session,
                              clock=clock, timeout=5, api_base=fake.url, video_base=fake.url)
    session.close()


def request(draft: PostDraft, key: str = "post:1:loopback-fb") -> PublishRequest:
    return PublishRequest(key, "loopback-fb", draft, not_before=START)


def photo(tmp_path: Path, name: str) -> MediaFile:
    path = tmp_path / name
    data = bytes(i % 251 for i in range(4_000))
    path.write_bytes(data)
    return MediaFile(path, sha256=hashlib.sha256(data).hexdigest(), mime="image/jpeg", size=len(data), width=1080,
                     height=1350)


def only_post(fake: FakeGraphServer) -> GraphPost:
    assert len(fake.posts) == 1, fake.posts
    return next(iter(fake.posts.values()))


def assert_wire_auth(fake: FakeGraphServer) -> None:
    """Every call carried the token in the header (never the URL) and a valid appsecret_proof, on the pinned
    version."""
    proof = hmac.new(SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    assert fake.calls
    for call in fake.calls:
        assert not call.token_in_query, call
        assert call.appsecret_proof == proof, call
        assert call.version == GRAPH_VERSION, call


# --- publish -----------------------------------------------------------------------------------------------------


def test_text_post_with_link_is_stored_once(fake: FakeGraphServer, adapter: FacebookPageAdapter) -> None:
    req = request(PostDraft("Jadwal layanan publik pekan ini", link="https://kota.go.id/layanan"))
    ckpt = DictCheckpoint()
    result = adapter.publish(req, ckpt)

    post = only_post(fake)
    assert (result.remote_id, post.kind) == (post.id, "status")
    assert post.message == "Jadwal layanan publik pekan ini" and post.link == "https://kota.go.id/layanan"
    assert result.remote_url == f"https://www.facebook.com/{post.id}"
    assert [(c.method, c.path) for c in fake.calls] == [("POST", f"{PAGE}/feed")]
    # the job again (a retry, the reconcile step): answered from the checkpoint, nothing sent, still one post
    assert adapter.publish(req, ckpt).remote_id == post.id
    assert len(fake.calls) == 1 and len(fake.posts) == 1
    assert_wire_auth(fake)


def test_find_published_recognises_the_post_among_the_pages_posts(
    fake: FakeGraphServer, adapter: FacebookPageAdapter, clock: FakeClock
) -> None:
    fake.add_post("Kabar lain dari Halaman", created_time=START - timedelta(days=3))
    req = request(PostDraft("Pengumuman   seleksi\nCPNS 2026"))
    result = adapter.publish(req, DictCheckpoint())
    clock.advance(minutes=5)

    found = adapter.find_published(request(PostDraft("Pengumuman seleksi CPNS 2026")), DictCheckpoint())
    assert found is not None and found.remote_id == result.remote_id
    assert found.remote_url == f"https://www.facebook.com/{result.remote_id}"
    assert adapter.find_published(request(PostDraft("Teks yang tidak pernah dikirim")), DictCheckpoint()) is None


def test_photo_post_is_a_multipart_upload_stored_once(
    fake: FakeGraphServer, adapter: FacebookPageAdapter, tmp_path: Path
) -> None:
    media = photo(tmp_path, "banjir.jpg")
    result = adapter.publish(request(PostDraft("Update banjir", media=(media,))), DictCheckpoint())

    post = only_post(fake)
    assert (post.kind, post.message, result.remote_id) == ("photo", "Update banjir", post.id)
    (stored,) = fake.photos.values()
    assert (stored.filename, stored.content_type, stored.published, stored.post_id) == (
        "banjir.jpg", "image/jpeg", True, post.id)
    assert stored.data == media.path.read_bytes()
    (call,) = fake.calls
    assert (call.path, call.files, call.params["published"]) == (f"{PAGE}/photos", {"source": "banjir.jpg"}, "true")
    assert_wire_auth(fake)


def test_album_attaches_unpublished_photos_to_one_feed_post(
    fake: FakeGraphServer, adapter: FacebookPageAdapter, tmp_path: Path
) -> None:
    media = (photo(tmp_path, "a.jpg"), photo(tmp_path, "b.jpg"))
    result = adapter.publish(request(PostDraft("Dua foto kegiatan", media=media)), DictCheckpoint())

    post = only_post(fake)
    assert (post.kind, result.remote_id, len(post.photo_ids)) == ("album", post.id, 2)
    assert all(fake.photos[p].post_id == post.id and not fake.photos[p].published for p in post.photo_ids)
    assert [c.path for c in fake.calls] == [f"{PAGE}/photos", f"{PAGE}/photos", f"{PAGE}/feed"]


def test_video_goes_to_the_video_host(fake: FakeGraphServer, adapter: FacebookPageAdapter, tmp_path: Path) -> None:
    path = tmp_path / "rapat.mp4"
    path.write_bytes(b"\0" * 2_000)
    video = MediaFile(path, sha256="v", mime="video/mp4", size=2_000, width=1920, height=1080)
    result = adapter.publish(request(PostDraft("Rapat paripurna", title="Rapat", media=(video,))), DictCheckpoint())

    post = only_post(fake)
    assert (post.kind, post.title, post.message, result.remote_id) == ("video", "Rapat", "Rapat paripurna", post.id)


# --- comments ----------------------------------------------------------------------------------------------------


def test_comments_come_across_two_cursor_pages_and_the_next_poll_only_gets_new_ones(
    fake: FakeGraphServer, adapter: FacebookPageAdapter, clock: FakeClock
) -> None:
    post = fake.add_post("Pengumuman")
    held: list[GraphComment] = []
    for i in range(130):  # the adapter asks for 100 a page: two pages
        parent = held[-1].id if i % 10 == 9 else None
        held.append(fake.add_comment(post.id, f"komentar {i}", from_id=f"77{i}", from_name=f"Warga {i}",
                                     parent_id=parent, created_time=START + timedelta(seconds=i)))
    ref = PlatformPostRef("loopback-fb", post.id)

    page = adapter.fetch_comments(ref, None)
    assert [c.remote_id for c in page.comments] == [c.id for c in held]
    assert page.cost == 2
    assert [c.text for c in page.comments[:2]] == ["komentar 0", "komentar 1"]
    assert page.comments[9].parent_remote_id == held[8].id and page.comments[8].parent_remote_id is None
    assert page.comments[0].author_handle == "Warga 0" and not page.comments[0].is_own
    second = fake.calls[1]
    assert second.params["after"] and second.params["filter"] == "stream"
    assert_wire_auth(fake)  # the token Meta embeds in paging.next is dropped, the header carries it

    clock.advance(minutes=1)
    new = fake.add_comment(post.id, "yang baru", created_time=START + timedelta(minutes=5))
    again = adapter.fetch_comments(ref, page.cursor)
    assert [c.remote_id for c in again.comments] == [new.id]
    assert again.cost == 1
    assert adapter.fetch_comments(ref, again.cursor).comments == []


def test_a_stale_cursor_falls_back_to_the_time_watermark(fake: FakeGraphServer, adapter: FacebookPageAdapter) -> None:
    post = fake.add_post("Pengumuman")
    first = fake.add_comment(post.id, "pertama", created_time=START)
    last = fake.add_comment(post.id, "kedua", created_time=START + timedelta(minutes=1))
    ref = PlatformPostRef("loopback-fb", post.id)
    page = adapter.fetch_comments(ref, None)
    assert [c.remote_id for c in page.comments] == [first.id, last.id]

    fake.delete_comment(last.id)  # the cursor points at it now: Graph refuses it (code 100)
    newer = fake.add_comment(post.id, "ketiga", created_time=START + timedelta(minutes=2))
    calls_before = len(fake.calls)
    again = adapter.fetch_comments(ref, page.cursor)
    assert [c.remote_id for c in again.comments] == [newer.id]
    stale, retry = fake.calls[calls_before:]
    assert "after" in stale.params and "since" not in stale.params
    assert "after" not in retry.params and int(retry.params["since"]) == int((START + timedelta(minutes=1)).timestamp())


def test_a_deleted_post_stops_polling(fake: FakeGraphServer, adapter: FacebookPageAdapter) -> None:
    with pytest.raises(ContentRejected) as ei:
        adapter.fetch_comments(PlatformPostRef("loopback-fb", f"{PAGE}_404"), None)
    assert ei.value.rule == "not_found"


def test_reply_and_hide_land_in_the_store(fake: FakeGraphServer, adapter: FacebookPageAdapter) -> None:
    post = fake.add_post("Pengumuman")
    question = fake.add_comment(post.id, "Kapan pendaftaran dibuka?", created_time=START)
    rude = fake.add_comment(post.id, "komentar kasar", created_time=START + timedelta(seconds=1))
    ckpt = DictCheckpoint()

    reply = adapter.reply(CommentRef("loopback-fb", post.id, question.id), "Mulai 1 Desember.", ckpt)
    stored = fake.comments[reply.remote_id]
    assert (stored.parent_id, stored.from_id, stored.message) == (question.id, PAGE, "Mulai 1 Desember.")
    assert adapter.reply(CommentRef("loopback-fb", post.id, question.id), "Mulai 1 Desember.", ckpt) == reply
    assert sum(1 for c in fake.comments_on(post.id) if c.from_id == PAGE) == 1  # the retry sent nothing

    adapter.hide_comment(CommentRef("loopback-fb", post.id, rude.id))
    assert fake.comments[rude.id].is_hidden and not fake.comments[question.id].is_hidden

    seen = {c.remote_id: c for c in adapter.fetch_comments(PlatformPostRef("loopback-fb", post.id), None).comments}
    assert seen[reply.remote_id].is_own and seen[reply.remote_id].parent_remote_id == question.id
    assert seen[rude.id].hidden and not seen[question.id].is_own
    assert_wire_auth(fake)


# --- the account check -------------------------------------------------------------------------------------------


def test_check_asks_for_the_page_and_me(fake: FakeGraphServer, adapter: FacebookPageAdapter) -> None:
    status = adapter.check()
    assert status.ok and status.detail == "Halaman Humas Kota Loopback"
    assert [(c.path, c.params.get("fields")) for c in fake.calls] == [(PAGE, "id,name"), ("me", "id")]


def test_check_with_a_foreign_token_is_not_ok(fake: FakeGraphServer, clock: FakeClock) -> None:
    other = FacebookPageAdapter("loopback-fb", page_id=PAGE, page_token="EAAGsomeoneELSE", app_secret=SECRET,
                                clock=clock, timeout=5, api_base=fake.url)
    status = other.check()
    assert not status.ok and "190" in status.detail
    assert "EAAGsomeoneELSE" not in status.detail


def test_a_wrong_appsecret_proof_is_refused_by_the_fake(fake: FakeGraphServer, clock: FakeClock) -> None:
    other = FacebookPageAdapter("loopback-fb", page_id=PAGE, page_token=TOKEN, app_secret="not-the-secret",
                                clock=clock, timeout=5, api_base=fake.url)
    with pytest.raises(ContentRejected, match="appsecret_proof"):
        other.publish(request(PostDraft("Halo")), DictCheckpoint())
    assert fake.posts == {}


# --- injected errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        (190, 400, AuthExpired),  # expired token: the account pauses for re-authorisation
        (102, 400, AuthExpired),
        (368, 400, AuthExpired),  # temporarily blocked for policy: pause the account, alert a person
        (200, 403, AuthExpired),  # permission missing
        (1, 400, PlatformUnavailable),  # unknown, transient
        (2, 500, PlatformUnavailable),  # service temporarily unavailable
        (4, 400, RateLimited),  # app throttle
        (80001, 400, RateLimited),  # Page BUC throttle
        (506, 400, AlreadyPublished),  # duplicate status
    ],
)
def test_graph_errors_map_to_humas_errors_and_store_nothing(
    fake: FakeGraphServer, adapter: FacebookPageAdapter, code: int, status: int, expected: type[PublishError]
) -> None:
    fake.fail_next(code, status=status, path=r"/feed$")
    req = request(PostDraft("Siaran pers"))
    ckpt = DictCheckpoint()
    with pytest.raises(expected) as ei:
        adapter.publish(req, ckpt)
    err = ei.value
    assert (err.platform, err.account) == ("facebook", "loopback-fb")
    assert f"code {code}" in err.message and "fbtrace" in err.message
    # Meta's words, then what it means in Indonesian for the person reading the job's reason
    assert re.search(r"\); (token|akun|izin|platform|dibatasi|sudah)", err.message), err.message
    assert fake.posts == {}
    # the fault was one-shot: the retry posts exactly once
    assert adapter.publish(req, ckpt).remote_id == only_post(fake).id


def test_a_bare_http_500_is_retried(fake: FakeGraphServer, adapter: FacebookPageAdapter) -> None:
    fake.fail_next_http(500, b"<html>Internal Server Error</html>", method="POST")
    with pytest.raises(PlatformUnavailable) as ei:
        adapter.publish(request(PostDraft("Siaran pers")), DictCheckpoint())
    assert not isinstance(ei.value, OutcomeUnknown)
    assert fake.posts == {}


def test_a_transient_error_on_the_second_comment_page(fake: FakeGraphServer, adapter: FacebookPageAdapter) -> None:
    post = fake.add_post("Pengumuman")
    for i in range(101):
        fake.add_comment(post.id, f"k{i}", created_time=START + timedelta(seconds=i))
    fake.fail_next(2, status=500, path=r"/comments$")  # the first page
    with pytest.raises(PlatformUnavailable):
        adapter.fetch_comments(PlatformPostRef("loopback-fb", post.id), None)


def test_an_answer_lost_after_the_post_was_made_is_recognised_not_reposted(
    fake: FakeGraphServer, adapter: FacebookPageAdapter
) -> None:
    fake.drop_next(apply=True, method="POST", path=r"/feed$")  # stored, then the connection drops
    req = request(PostDraft("Jadwal vaksinasi"))
    ckpt = DictCheckpoint()
    with pytest.raises(OutcomeUnknown):
        adapter.publish(req, ckpt)
    post = only_post(fake)

    found = adapter.find_published(req, ckpt)
    assert found is not None and found.remote_id == post.id
    assert adapter.publish(req, ckpt).remote_id == post.id
    assert len(fake.posts) == 1


def test_the_fake_records_a_query_token_and_refuses_none(fake: FakeGraphServer) -> None:
    """The fake itself: Graph's ``access_token`` parameter works too; no token at all is code 104."""
    proof = hmac.new(SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    ok = requests.get(f"{fake.url}/{GRAPH_VERSION}/me", params={"access_token": TOKEN, "appsecret_proof": proof},
                      timeout=5)
    assert ok.json() == {"id": PAGE, "name": "Humas Kota Loopback"}  # no ``fields``: Graph's defaults
    assert fake.calls[-1].token_in_query
    bare = requests.get(f"{fake.url}/{GRAPH_VERSION}/me", timeout=5)
    error = bare.json()["error"]
    assert (bare.status_code, error["code"], error["type"]) == (400, 104, "OAuthException")
    assert set(error) >= {"message", "type", "code", "fbtrace_id"}
    assert json.loads(bare.content) == bare.json()
