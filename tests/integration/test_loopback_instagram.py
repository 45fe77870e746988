"""The real Instagram adapter against a loopback fake of the Instagram Graph API (issue 14, the loopback-fake tier),
and the whole way through ``humas run``.

:class:`humas.testing_instagram.FakeInstagramServer` is a real HTTP server on 127.0.0.1 speaking the wire format of
``platform-apis.md`` §3.1 (containers, ``status_code``, ``media_publish``, the publishing limit, comments with nested
``replies{}`` paging, replies, hide, insights); the adapter reaches it through its ``api_base`` option, so every byte
goes through ``requests``, the socket and back.
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image
from sqlalchemy import select

from humas.app import App
from humas.config import load_settings
from humas.errors import (
    AuthExpired,
    ContentRejected,
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
from humas.publisher.graph import GRAPH_VERSION, RecreateContainer
from humas.publisher.instagram import InstagramAdapter
from humas.queue import service
from humas.store.models import AccountState, Case, Comment, Post, PublicationJob, User, UserRole
from humas.testing import FakeClock
from humas.testing_instagram import FakeInstagramServer, IGMedia
from tests.acceptance.cli import Humas
from tests.acceptance.daemon import ROLES, classified, count, job_states, stopped, wait_for
from tests.conftest import approve_all

IG = "17841400000000000"
PAGE = "1234567890"
TOKEN = "EAAGloopbackIGtoken"
SECRET = "loopback-app-secret"
PUBLIC = "https://humas.kota.go.id"
START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeInstagramServer]:
    with FakeInstagramServer(ig_user_id=IG, ig_username="humas_kota", page_id=PAGE, page_token=TOKEN,
                             app_secret=SECRET, require_proof=True, clock=clock) as server:
        yield server
        assert server.server_errors == []


def make_adapter(fake: FakeInstagramServer, clock: FakeClock, token: str = TOKEN) -> InstagramAdapter:
    return InstagramAdapter("loopback-ig", ig_user_id=IG, access_token=token, app_secret=SECRET,
                            media_url=lambda m: f"{PUBLIC}/media/{m.sha256}", clock=clock, timeout=5,
                            api_base=fake.url)


@pytest.fixture
def adapter(fake: FakeInstagramServer, clock: FakeClock) -> Iterator[InstagramAdapter]:
    a = make_adapter(fake, clock)
    yield a
    a.graph.session.close()


def request(draft: PostDraft, key: str = "post:1:loopback-ig") -> PublishRequest:
    return PublishRequest(key, "loopback-ig", draft, not_before=START)


def photo(tmp_path: Path, name: str, width: int = 1080, height: int = 1350) -> MediaFile:
    path = tmp_path / name
    data = name.encode() * 100
    path.write_bytes(data)
    return MediaFile(path, sha256=hashlib.sha256(data).hexdigest(), mime="image/jpeg", size=len(data), width=width,
                     height=height)


def video(tmp_path: Path, name: str) -> MediaFile:
    path = tmp_path / name
    data = name.encode() * 100
    path.write_bytes(data)
    return MediaFile(path, sha256=hashlib.sha256(data).hexdigest(), mime="video/mp4", size=len(data), width=1080,
                     height=1920)


def only_media(fake: FakeInstagramServer) -> IGMedia:
    assert len(fake.media) == 1, fake.media
    return next(iter(fake.media.values()))


def calls(fake: FakeInstagramServer) -> list[tuple[str, str]]:
    return [(c.method, c.path) for c in fake.calls]


def assert_wire_auth(fake: FakeInstagramServer) -> None:
    """Every call carried the token in the header (never the URL) and a valid appsecret_proof, on the pinned
    version."""
    proof = hmac.new(SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    assert fake.calls
    for call in fake.calls:
        assert not call.token_in_query, call
        assert call.appsecret_proof == proof, call
        assert call.version == GRAPH_VERSION, call


# --- publish -----------------------------------------------------------------------------------------------------


def test_photo_goes_through_a_container_and_is_published_once(
    fake: FakeInstagramServer, adapter: InstagramAdapter, tmp_path: Path
) -> None:
    image = photo(tmp_path, "pelantikan.jpg")
    req = request(PostDraft("Pelantikan pejabat hari ini #pemkot", media=(image,)))
    ckpt = DictCheckpoint()
    result = adapter.publish(req, ckpt)

    media = only_media(fake)
    assert (result.remote_id, result.remote_url) == (media.id, media.permalink)
    assert str(result.remote_url).startswith("https://www.instagram.com/p/")
    assert (media.caption, media.media_type, media.media_urls) == (
        "Pelantikan pejabat hari ini #pemkot", "IMAGE", (f"{PUBLIC}/media/{image.sha256}",))
    (container,) = fake.containers.values()
    assert (container.kind, container.status_code, container.media_id) == ("IMAGE", "PUBLISHED", media.id)
    assert calls(fake) == [("GET", f"{IG}/content_publishing_limit"), ("POST", f"{IG}/media"),
                           ("GET", container.id), ("POST", f"{IG}/media_publish"), ("GET", media.id)]
    assert fake.calls[3].params["creation_id"] == container.id
    # the job again (a retry, the reconcile step): answered from the checkpoint, nothing sent, still one media
    assert adapter.publish(req, ckpt).remote_id == media.id
    assert adapter.find_published(req, ckpt) == adapter.publish(req, ckpt)
    assert len(fake.calls) == 5 and len(fake.media) == 1
    assert_wire_auth(fake)


def test_a_reel_is_polled_until_finished_and_published_from_the_same_container(
    fake: FakeInstagramServer, adapter: InstagramAdapter, clock: FakeClock, tmp_path: Path
) -> None:
    req = request(PostDraft("Rapat paripurna DPRD", media=(video(tmp_path, "rapat.mp4"),)))
    ckpt = DictCheckpoint()
    with pytest.raises(RetryLater) as ei:
        adapter.publish(req, ckpt)
    assert "masih diproses" in ei.value.message and ei.value.retry_after == START + timedelta(seconds=60)
    assert fake.media == {}
    (container,) = fake.containers.values()
    assert (container.kind, container.params["media_type"], container.params["share_to_feed"]) == (
        "REELS", "REELS", "true")
    assert ckpt.get("container_id") == container.id
    # the dispatcher asks again: an unfinished container is not published yet
    assert adapter.find_published(req, ckpt) is None

    clock.advance(seconds=60)
    result = adapter.publish(req, ckpt)
    media = only_media(fake)
    assert len(fake.containers) == 1 and result.remote_id == media.id
    assert (media.media_type, media.media_product_type) == ("VIDEO", "REELS")
    assert result.remote_url == media.permalink and "/reel/" in media.permalink


def test_a_carousel_reuses_its_children_across_retries(
    fake: FakeInstagramServer, adapter: InstagramAdapter, clock: FakeClock, tmp_path: Path
) -> None:
    items = (photo(tmp_path, "a.jpg"), photo(tmp_path, "b.jpg"), video(tmp_path, "c.mp4"))
    req = request(PostDraft("Tiga momen kegiatan", media=items))
    ckpt = DictCheckpoint()
    with pytest.raises(RetryLater, match="video carousel masih diproses"):
        adapter.publish(req, ckpt)
    children = [c.id for c in fake.containers.values()]
    assert [c.kind for c in fake.containers.values()] == ["CHILD_IMAGE", "CHILD_IMAGE", "CHILD_VIDEO"]
    assert all(c.params["is_carousel_item"] == "true" and "caption" not in c.params for c in fake.containers.values())

    clock.advance(seconds=60)
    result = adapter.publish(req, ckpt)
    media = only_media(fake)
    parent = fake.containers[str(media.container_id)]
    assert (parent.kind, list(parent.children), parent.caption) == ("CAROUSEL", children, "Tiga momen kegiatan")
    assert len(fake.containers) == 4  # three children made once, one parent
    assert (result.remote_id, media.media_type) == (media.id, "CAROUSEL_ALBUM")
    assert media.media_urls == tuple(f"{PUBLIC}/media/{m.sha256}" for m in items)


def test_caption_limits_are_refused_before_any_call(
    fake: FakeInstagramServer, adapter: InstagramAdapter, tmp_path: Path
) -> None:
    image = photo(tmp_path, "a.jpg")
    tags = PostDraft("Selamat pagi " + " ".join(f"#tag{i}" for i in range(6)), media=(image,))
    assert [p.rule for p in adapter.validate(tags)] == ["hashtags_max"]
    with pytest.raises(ContentRejected) as ei:
        adapter.publish(request(tags), DictCheckpoint())
    assert ei.value.rule == "hashtags_max" and "tagar" in ei.value.message
    assert fake.calls == [] and fake.containers == {}


def test_a_link_that_makes_the_caption_too_long_is_refused_by_validate(
    fake: FakeInstagramServer, adapter: InstagramAdapter, tmp_path: Path
) -> None:
    """The adapter appends ``link`` to the caption; the limit applies to what is sent (the fake refuses 2,201+)."""
    draft = PostDraft("a" * 2_190, media=(photo(tmp_path, "a.jpg"),), link="https://kota.go.id/berita/1")
    assert [p.rule for p in adapter.validate(draft)] == ["text_max"]
    with pytest.raises(ContentRejected) as ei:
        adapter.publish(request(draft), DictCheckpoint())
    assert ei.value.rule == "text_max" and "maksimal 2200" in ei.value.message
    assert fake.calls == []
    fits = PostDraft("a" * 2_100, media=(photo(tmp_path, "b.jpg"),), link="https://kota.go.id/berita/1")
    assert adapter.validate(fits) == []
    assert adapter.publish(request(fits), DictCheckpoint()).remote_id == only_media(fake).id


def test_the_fake_enforces_the_documented_caption_limits(fake: FakeInstagramServer) -> None:
    proof = hmac.new(SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    url = f"{fake.url}/{GRAPH_VERSION}/{IG}/media"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    for caption, word in (("x" * 2_201, "characters"), (" ".join(f"#t{i}" for i in range(31)), "hashtags"),
                          (" ".join(f"@akun{i}" for i in range(21)), "mentions")):
        resp = requests.post(url, data={"image_url": f"{PUBLIC}/media/1", "caption": caption,
                                        "appsecret_proof": proof}, headers=auth, timeout=5)
        assert resp.status_code == 400 and resp.json()["error"]["code"] == 100 and word in resp.text
    video_feed = requests.post(url, data={"media_type": "VIDEO", "video_url": f"{PUBLIC}/media/2",
                                          "appsecret_proof": proof}, headers=auth, timeout=5)
    assert video_feed.json()["error"]["code"] == 100  # feed videos are reels since 2023
    assert fake.containers == {}


# --- an answer lost after media_publish ----------------------------------------------------------------------------


def test_an_answer_lost_after_media_publish_is_found_not_published_twice(
    fake: FakeInstagramServer, adapter: InstagramAdapter, clock: FakeClock, tmp_path: Path
) -> None:
    fake.drop_next(apply=True, method="POST", path=r"/media_publish$")  # stored, then the connection drops
    req = request(PostDraft("Jadwal vaksinasi   pekan ini", media=(photo(tmp_path, "a.jpg"),)))
    ckpt = DictCheckpoint()
    with pytest.raises(OutcomeUnknown):
        adapter.publish(req, ckpt)
    media = only_media(fake)
    assert ckpt.get("media_id") is None and ckpt.get("container_id")

    clock.advance(minutes=1)
    found = adapter.find_published(req, ckpt)  # the container says PUBLISHED: the media is found by its caption
    assert found is not None and (found.remote_id, found.remote_url) == (media.id, media.permalink)
    assert adapter.publish(req, ckpt).remote_id == media.id
    assert len(fake.media) == 1 and sum(1 for c in fake.calls if c.path.endswith("media_publish")) == 1


def test_a_lost_checkpoint_still_finds_the_post_by_its_caption(
    fake: FakeInstagramServer, adapter: InstagramAdapter, clock: FakeClock, tmp_path: Path
) -> None:
    fake.add_ig_media("Jadwal vaksinasi pekan ini", timestamp=START - timedelta(days=7))  # an older, same caption
    fake.add_ig_media("Kabar lain")
    req = request(PostDraft("Jadwal vaksinasi pekan ini", media=(photo(tmp_path, "a.jpg"),)))
    published = adapter.publish(req, DictCheckpoint())
    clock.advance(minutes=3)
    found = adapter.find_published(req, DictCheckpoint())
    assert found is not None and found.remote_id == published.remote_id
    assert adapter.find_published(request(PostDraft("Tidak pernah dikirim")), DictCheckpoint()) is None


def test_a_publish_answered_with_an_error_after_the_container_is_retried_on_the_same_container(
    fake: FakeInstagramServer, adapter: InstagramAdapter, tmp_path: Path
) -> None:
    fake.fail_next(2, status=503, method="POST", path=r"/media_publish$")
    req = request(PostDraft("Siaran pers", media=(photo(tmp_path, "a.jpg"),)))
    ckpt = DictCheckpoint()
    with pytest.raises(PlatformUnavailable):
        adapter.publish(req, ckpt)
    assert fake.media == {}
    assert adapter.publish(req, ckpt).remote_id == only_media(fake).id
    assert len(fake.containers) == 1


# --- container errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("subcode", [2207053, 2207001, 2207032])
def test_a_failed_container_is_replaced_by_a_new_one(
    fake: FakeInstagramServer, adapter: InstagramAdapter, tmp_path: Path, subcode: int
) -> None:
    fake.fail_next_container(subcode)
    req = request(PostDraft("Siaran pers", media=(photo(tmp_path, "a.jpg"),)))
    ckpt = DictCheckpoint()
    with pytest.raises(RecreateContainer) as ei:
        adapter.publish(req, ckpt)
    assert ei.value.retry_after is None and "dibuat ulang" in ei.value.message
    assert ckpt.get("container_id") is None and fake.media == {}
    result = adapter.publish(req, ckpt)
    broken, used = fake.containers.values()
    assert (broken.status_code, used.status_code) == ("ERROR", "PUBLISHED")
    assert result.remote_id == only_media(fake).id and only_media(fake).container_id == used.id


def test_a_container_gone_before_publish_is_recreated(
    fake: FakeInstagramServer, adapter: InstagramAdapter, tmp_path: Path
) -> None:
    fake.fail_next(24, 2207008, method="POST", path=r"/media_publish$",
                   message="The media builder with creation id = 1 does not exist or has been expired.")
    req = request(PostDraft("Siaran pers", media=(photo(tmp_path, "a.jpg"),)))
    ckpt = DictCheckpoint()
    with pytest.raises(RecreateContainer):
        adapter.publish(req, ckpt)
    assert ckpt.get("container_id") is None
    adapter.publish(req, ckpt)
    assert len(fake.containers) == 2 and len(fake.media) == 1


def test_an_expired_container_is_recreated(
    fake: FakeInstagramServer, adapter: InstagramAdapter, clock: FakeClock, tmp_path: Path
) -> None:
    req = request(PostDraft("Rapat", media=(video(tmp_path, "r.mp4"),)))
    ckpt = DictCheckpoint()
    with pytest.raises(RetryLater):
        adapter.publish(req, ckpt)  # IN_PROGRESS
    fake.expire_container(str(ckpt.get("container_id")))
    with pytest.raises(RetryLater, match="kedaluwarsa"):
        adapter.publish(req, ckpt)
    assert ckpt.get("container_id") is None
    with pytest.raises(RetryLater):
        adapter.publish(req, ckpt)  # a new container, processing again
    adapter.publish(req, ckpt)
    assert len(fake.containers) == 2 and len(fake.media) == 1


@pytest.mark.parametrize(("subcode", "rule"), [(2207009, "aspect_ratio"), (2207026, "container_error")])
def test_a_container_refusing_the_media_rejects_the_content(
    fake: FakeInstagramServer, adapter: InstagramAdapter, tmp_path: Path, subcode: int, rule: str
) -> None:
    fake.fail_next_container(subcode)
    ckpt = DictCheckpoint()
    with pytest.raises(ContentRejected) as ei:
        adapter.publish(request(PostDraft("Siaran pers", media=(photo(tmp_path, "a.jpg"),))), ckpt)
    assert ei.value.rule == rule and "Instagram menolak media" in ei.value.message and str(subcode) in ei.value.message
    assert ckpt.get("container_id") is None and fake.media == {}


# --- Graph errors by class -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "subcode", "status", "expected", "rule"),
    [
        (190, 463, 400, AuthExpired, None),  # expired token: the account pauses
        (10, None, 403, AuthExpired, None),  # permission missing
        (25, 2207050, 400, AuthExpired, None),  # the Instagram account is restricted: a person must act
        (4, None, 400, RateLimited, None),  # app throttle
        (17, None, 400, RateLimited, None),  # user throttle
        (613, None, 400, RateLimited, None),  # custom rate limit
        (80002, None, 400, RateLimited, None),  # Instagram BUC throttle
        (4, 2207051, 400, RateLimited, None),  # restricted as spam: a long back-off
        (9, 2207042, 400, QuotaExhausted, None),  # daily publishing limit
        (-1, 2207001, 500, PlatformUnavailable, None),  # Instagram server error
        (2, None, 503, PlatformUnavailable, None),  # service temporarily unavailable
        (-2, 2207003, 400, RetryLater, None),  # Meta took too long to download our media
        (36003, 2207009, 400, ContentRejected, "aspect_ratio"),
        (36000, 2207004, 400, ContentRejected, "image_too_big"),
        (100, None, 400, ContentRejected, "invalid_parameter"),
    ],
)
def test_graph_errors_on_the_container_map_to_humas_errors_and_store_nothing(
    fake: FakeInstagramServer, adapter: InstagramAdapter, tmp_path: Path, code: int, subcode: int | None,
    status: int, expected: type[PublishError], rule: str | None,
) -> None:
    fake.fail_next(code, subcode, status=status, method="POST", path=r"/media$")
    req = request(PostDraft("Siaran pers", media=(photo(tmp_path, "a.jpg"),)))
    ckpt = DictCheckpoint()
    with pytest.raises(expected) as ei:
        adapter.publish(req, ckpt)
    err = ei.value
    assert (err.platform, err.account) == ("instagram", "loopback-ig")
    assert f"code {code}" in err.message and "fbtrace" in err.message
    if rule is not None:
        assert isinstance(err, ContentRejected) and err.rule == rule
    if isinstance(err, RateLimited):
        wait = timedelta(hours=1) if subcode == 2207051 else timedelta(minutes=15)
        assert err.retry_after == START + wait
    assert fake.containers == {} and fake.media == {}
    # the fault was one-shot: the retry publishes exactly once
    assert adapter.publish(req, ckpt).remote_id == only_media(fake).id


def test_a_throttle_waits_as_long_as_the_usage_header_says(
    fake: FakeInstagramServer, adapter: InstagramAdapter, tmp_path: Path
) -> None:
    fake.usage_header = json.dumps({IG: [{"type": "instagram", "call_count": 100, "total_cputime": 20,
                                          "total_time": 30, "estimated_time_to_regain_access": 12}]})
    fake.fail_next(80002, method="POST", path=r"/media$")
    with pytest.raises(RateLimited) as ei:
        adapter.publish(request(PostDraft("Siaran pers", media=(photo(tmp_path, "a.jpg"),))), DictCheckpoint())
    assert ei.value.retry_after == START + timedelta(minutes=12)
    assert adapter.graph.last_usage.buc_pct == 100


def test_bare_http_answers_from_a_proxy(fake: FakeInstagramServer, adapter: InstagramAdapter, tmp_path: Path) -> None:
    req = request(PostDraft("Siaran pers", media=(photo(tmp_path, "a.jpg"),)))
    fake.fail_next_http(429, b"Too Many Requests", method="POST", path=r"/media$")
    with pytest.raises(RateLimited) as ei:
        adapter.publish(req, DictCheckpoint())
    assert ei.value.retry_after == START + timedelta(minutes=15)
    fake.fail_next_http(502, b"<html>Bad Gateway</html>", method="POST", path=r"/media_publish$")
    ckpt = DictCheckpoint()
    with pytest.raises(PlatformUnavailable) as pu:
        adapter.publish(req, ckpt)
    assert not isinstance(pu.value, OutcomeUnknown)
    assert fake.media == {}
    adapter.publish(req, ckpt)
    assert len(fake.media) == 1 and len(fake.containers) == 1


def test_the_publishing_limit_is_read_before_anything_is_made(
    fake: FakeInstagramServer, adapter: InstagramAdapter, tmp_path: Path
) -> None:
    fake.quota_total = 1
    adapter.publish(request(PostDraft("Pertama", media=(photo(tmp_path, "a.jpg"),))), DictCheckpoint())
    with pytest.raises(QuotaExhausted) as ei:
        adapter.publish(request(PostDraft("Kedua", media=(photo(tmp_path, "b.jpg"),)), "post:2:loopback-ig"),
                        DictCheckpoint())
    assert "batas 1 unggahan per 24 jam tercapai" in ei.value.message
    assert ei.value.retry_after == START + timedelta(hours=24)
    assert len(fake.containers) == 1 and len(fake.media) == 1


def test_an_expired_token_pauses_and_the_new_one_works(
    fake: FakeInstagramServer, adapter: InstagramAdapter, clock: FakeClock, tmp_path: Path
) -> None:
    new = fake.expire_token()
    req = request(PostDraft("Siaran pers", media=(photo(tmp_path, "a.jpg"),)))
    with pytest.raises(AuthExpired) as ei:
        adapter.publish(req, DictCheckpoint())
    assert "code 190/463" in ei.value.message and TOKEN not in ei.value.message
    status = adapter.check()
    assert not status.ok and "190" in status.detail and TOKEN not in status.detail
    renewed = InstagramAdapter("loopback-ig", ig_user_id=IG, access_token=new, app_secret=SECRET,
                               media_url=lambda m: f"{PUBLIC}/media/{m.sha256}", clock=clock, timeout=5,
                               api_base=fake.url)
    assert renewed.check().ok
    assert renewed.publish(req, DictCheckpoint()).remote_id == only_media(fake).id


def test_the_fake_asks_whether_the_media_url_answers(
    fake: FakeInstagramServer, clock: FakeClock, tmp_path: Path
) -> None:
    image = photo(tmp_path, "a.jpg")

    class Office(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == f"/media/{image.sha256}"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "image/jpeg" if found else "text/html")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    office = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Office)
    threading.Thread(target=office.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{office.server_address[1]}"
        fake.check_media_urls = True
        a = InstagramAdapter("loopback-ig", ig_user_id=IG, access_token=TOKEN, app_secret=SECRET, clock=clock,
                             media_url=lambda m: f"{base}/media/{m.sha256}", timeout=5, api_base=fake.url)
        a.publish(request(PostDraft("Ada", media=(image,))), DictCheckpoint())
        assert fake.media_url_checks == [(f"{base}/media/{image.sha256}", 200, "image/jpeg")]
        missing = photo(tmp_path, "b.jpg")
        with pytest.raises(ContentRejected) as ei:
            a.publish(request(PostDraft("Hilang", media=(missing,)), "post:2:loopback-ig"), DictCheckpoint())
        assert "code 9004/2207052" in ei.value.message
        assert fake.media_url_checks[-1][1] == 404 and len(fake.media) == 1
    finally:
        office.shutdown()
        office.server_close()


# --- comments ----------------------------------------------------------------------------------------------------


def test_comments_come_across_pages_with_nested_replies_and_own_replies_by_username(
    fake: FakeInstagramServer, adapter: InstagramAdapter, clock: FakeClock
) -> None:
    fake.replies_page_size = 5
    media = fake.add_ig_media("Pengumuman", timestamp=START)
    tops = [fake.add_ig_comment(media.id, f"komentar {i}", username=f"warga{i}",
                                timestamp=START + timedelta(seconds=i)) for i in range(60)]
    replies = [fake.add_ig_comment(media.id, f"balasan {j}", username="warga_lain", parent_id=tops[3].id,
                                   timestamp=START + timedelta(minutes=2, seconds=j)) for j in range(12)]
    # our own answer: from.id is an Instagram-scoped id, not the IG user id; the username tells it is ours
    own = fake.add_ig_comment(media.id, "Terima kasih, sudah kami teruskan.", username="Humas_Kota",
                              from_id=fake.own_scoped_id, parent_id=tops[3].id,
                              timestamp=START + timedelta(minutes=3))
    ref = PlatformPostRef("loopback-ig", media.id)

    page = adapter.fetch_comments(ref, None)
    by_id = {c.remote_id: c for c in page.comments}
    assert set(by_id) == {c.id for c in [*tops, *replies, own]} and len(page.comments) == 73
    assert all(by_id[r.id].parent_remote_id == tops[3].id for r in [*replies, own])
    assert by_id[tops[0].id].parent_remote_id is None and by_id[tops[0].id].author_handle == "warga0"
    assert by_id[own.id].is_own and not any(by_id[c.id].is_own for c in [*tops, *replies])
    # two pages of top-level comments (50 a page), the username once, two more pages of the nested replies
    assert page.cost == 5
    paths = [c.path for c in fake.calls]
    assert paths.count(f"{media.id}/comments") == 2 and paths.count(f"{tops[3].id}/replies") == 2
    assert paths.count(IG) == 1
    assert_wire_auth(fake)  # the token Meta embeds in paging.next is dropped, the header carries it

    clock.advance(minutes=10)
    new = fake.add_ig_comment(media.id, "yang baru", timestamp=START + timedelta(minutes=10))
    again = adapter.fetch_comments(ref, page.cursor)
    # what is newer than the watermark, and what lies in the 2-minute overlap before it (the monitor dedupes)
    overlap = {c.id for c in [*replies, own] if c.timestamp >= own.timestamp - timedelta(minutes=2)}
    assert {c.remote_id for c in again.comments} == {new.id} | overlap and len(overlap) == 13
    assert [c.remote_id for c in adapter.fetch_comments(ref, again.cursor).comments] == [new.id]


def test_reply_and_hide_land_in_the_store(
    fake: FakeInstagramServer, adapter: InstagramAdapter
) -> None:
    media = fake.add_ig_media("Pengumuman")
    question = fake.add_ig_comment(media.id, "Kapan pendaftaran dibuka?", timestamp=START)
    follow_up = fake.add_ig_comment(media.id, "Saya juga ingin tahu", parent_id=question.id,
                                    timestamp=START + timedelta(seconds=1))
    rude = fake.add_ig_comment(media.id, "komentar kasar", timestamp=START + timedelta(seconds=2))
    ckpt = DictCheckpoint()

    reply = adapter.reply(CommentRef("loopback-ig", media.id, question.id), "Mulai 1 Desember.", ckpt)
    stored = fake.ig_comments[reply.remote_id]
    assert (stored.parent_id, stored.from_id, stored.username, stored.text) == (
        question.id, fake.own_scoped_id, "humas_kota", "Mulai 1 Desember.")
    assert adapter.reply(CommentRef("loopback-ig", media.id, question.id), "Mulai 1 Desember.", ckpt) == reply
    assert len(fake.own_replies()) == 1  # the retry sent nothing
    # a reply to a reply lands in the top-level thread
    nested = adapter.reply(CommentRef("loopback-ig", media.id, follow_up.id), "Mulai 1 Desember ya.",
                           DictCheckpoint())
    assert fake.ig_comments[nested.remote_id].parent_id == question.id

    adapter.hide_comment(CommentRef("loopback-ig", media.id, rude.id))
    assert fake.ig_comments[rude.id].hidden and not fake.ig_comments[question.id].hidden
    assert fake.calls[-1].params == {"hide": "true"}

    seen = {c.remote_id: c for c in adapter.fetch_comments(PlatformPostRef("loopback-ig", media.id), None).comments}
    assert seen[reply.remote_id].is_own and seen[reply.remote_id].parent_remote_id == question.id
    assert seen[rude.id].hidden and not seen[question.id].is_own and not seen[follow_up.id].is_own


def test_a_deleted_media_stops_polling(fake: FakeInstagramServer, adapter: InstagramAdapter) -> None:
    media = fake.add_ig_media("Sementara")
    fake.add_ig_comment(media.id, "halo")
    del fake.media[media.id]
    with pytest.raises(ContentRejected) as ei:
        adapter.fetch_comments(PlatformPostRef("loopback-ig", media.id), None)
    assert ei.value.rule == "not_found"


def test_a_transient_error_on_the_nested_replies_page(
    fake: FakeInstagramServer, adapter: InstagramAdapter
) -> None:
    fake.replies_page_size = 2
    media = fake.add_ig_media("Pengumuman")
    top = fake.add_ig_comment(media.id, "induk", timestamp=START)
    for j in range(3):
        fake.add_ig_comment(media.id, f"balasan {j}", parent_id=top.id, timestamp=START + timedelta(seconds=j + 1))
    fake.fail_next(2, status=500, path=r"/replies$")
    with pytest.raises(PlatformUnavailable):
        adapter.fetch_comments(PlatformPostRef("loopback-ig", media.id), None)


# --- engagement and the account check ------------------------------------------------------------------------------


def test_engagement_reads_counts_and_insights(fake: FakeInstagramServer, adapter: InstagramAdapter) -> None:
    seen = fake.add_ig_media("Ramai")
    seen.like_count, seen.reach, seen.views = 41, 1200, 3400
    fake.add_ig_comment(seen.id, "mantap")
    quiet = fake.add_ig_media("Sepi")  # not enough viewers: insights refused with code 10
    figures = adapter.engagement([seen.id, quiet.id, "17920238400000404"])
    assert set(figures) == {seen.id, quiet.id}  # the deleted one is left out
    a, b = figures[seen.id], figures[quiet.id]
    assert (a.likes, a.comments, a.reach, a.views) == (41, 1, 1200, 3400)
    assert (b.likes, b.comments, b.reach, b.views) == (0, 0, None, None)
    insights = [c for c in fake.calls if c.path.endswith("/insights")]
    assert insights and all(c.params["metric"] == "reach,views" for c in insights)


def test_check_names_the_account(fake: FakeInstagramServer, adapter: InstagramAdapter) -> None:
    status = adapter.check()
    assert status.ok and status.detail == "@humas_kota"
    assert [(c.path, c.params.get("fields")) for c in fake.calls] == [(IG, "id,username")]


# --- through ``humas run`` ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_humas_run_publishes_collects_and_replies_on_instagram_through_faults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connect (Facebook Login) -> approved content with a photo -> schedule -> the daemon publishes it through a
    throttle, a failed container, a 503 and an answer lost after ``media_publish`` -> published once -> the monitor
    collects the comments -> the token expires -> a reply is approved, the account pauses with the reason, is
    connected again -> the reply is posted once. The fake asks humas's own web server for the photo's public URL."""
    monkeypatch.setenv("T_META_APP_SECRET", SECRET)  # the test's own App builds the adapter too
    web_port = _free_port()
    public = f"http://127.0.0.1:{web_port}"
    with FakeInstagramServer(ig_user_id=IG, ig_username="humas_kota", page_id=PAGE, app_secret=SECRET,
                             check_media_urls=True) as fake:
        complaint, question = ("Pelayanannya lambat sekali, sudah tiga hari jalan rusak tidak diperbaiki, kecewa",
                               "Kapan pendaftaran dibuka?")

        def the_public(media: IGMedia) -> None:  # comments arrive with the post, before the first poll
            fake.add_ig_comment(media.id, complaint, username="warga_kecewa")
            fake.add_ig_comment(media.id, question, username="siti")

        fake.on_media_published = the_public
        cfg = tmp_path / "humas.toml"
        cfg.write_text(f'''data_dir = "data"
[queue]
tick_seconds = 0.2
lease_seconds = 5
backoff_base_seconds = 0.5
in_doubt_settle_seconds = 0.5
[monitor]
tick_seconds = 0.5
sandbox_simulation = false
[web]
port = {web_port}
public_base_url = "{public}"
[[accounts]]
name = "kota-ig"
platform = "instagram"
label = "Instagram Kota"
options = {{ page_id = "{PAGE}", app_id = "{fake.app_id}", api_base = "{fake.url}" }}
credentials = {{ app_secret = "env:T_META_APP_SECRET" }}
''', encoding="utf-8")
        h = Humas(tmp_path, config=cfg, T_META_APP_SECRET=SECRET)
        h("init")
        env = {k: v for k, v in h.env.items() if k.startswith("HUMAS_")}
        app = App(load_settings(cfg, environ=env))
        picture = tmp_path / "pelantikan.jpg"
        Image.new("RGB", (1080, 1350), (30, 90, 160)).save(picture, "JPEG")
        with app.db.session() as s:  # people set up in-process: faster than the CLI
            u = User(name="ana", display_name="ana")
            u.roles = [UserRole(role=r) for r in ROLES]
            admin = User(name="admin", display_name="admin")
            admin.roles = [UserRole(role="admin")]
            s.add_all([u, admin])
        assert _connect(app, fake) == "@humas_kota"
        with app.db.session() as s:
            actor = app.actor(s, "ana")
            wf = app.workflow(s)
            c = wf.create(actor, sop_id="mojokerto-acc", title="Pelantikan Pejabat Administrator",
                          text="Wali kota melantik 12 pejabat administrator di Pendopo.",
                          caption="Pelantikan pejabat administrator hari ini #pemkot", accounts=["kota-ig"],
                          media=[picture])
            wf.submit(actor, c.id)
            approve_all(app, s, c.id)
            service.schedule(app.env, s, actor, c.id, app.clock(), platform_check=app.platform_check)
            job_id = s.execute(select(PublicationJob.id)).scalar_one()

        # faults, in the order the daemon meets them
        fake.fail_next_http(429, b"Too Many Requests", method="POST", path=r"/media$")  # a proxy's throttle
        fake.fail_next_container(2207053)  # the first container fails: a new one is made
        fake.fail_next(2, status=503, method="POST", path=r"/media_publish$")
        fake.drop_next(apply=True, method="POST", path=r"/media_publish$")  # published, the answer is lost

        daemon = h.popen("run")
        try:
            wait_for(lambda: _job(app, job_id)[0] == "retry_wait" and "429" in _job(app, job_id)[1], 60,
                     "the throttled job to wait")
            _, error, run_at = _job(app, job_id)
            assert error == "instagram: HTTP 429"  # visible in the queue, with when it goes again
            assert run_at > datetime.now(UTC) + timedelta(minutes=10)  # it waits the throttle out...
            with app.db.session() as s:  # ...unless a person sends it now (``humas queue retry``)
                service.retry(app.env, s, app.actor(s, "admin"), job_id)
            wait_for(lambda: _job(app, job_id)[0] == "published", 60, "the post to be published")
            # through the in-doubt check: the lost answer was resolved by asking the platform, not by posting again
            assert _job(app, job_id)[1] == "found on the platform after an unknown outcome"
            media = only_media(fake)
            wait_for(lambda: count(app, Comment) == 2, 60, "the monitor to collect both comments")
            wait_for(lambda: count(app, Case) == 1 and classified(app) == 2, 60, "the complaint's case")

            tokens = [fake.page_token, fake.expire_token()]
            with app.db.session() as s:
                case_id = s.execute(select(Case.id)).scalar_one()
                question_id = s.execute(select(Comment.id).where(Comment.text == question)).scalar_one()
            with app.db.session() as s:  # what ``humas cases draft`` / ``approve`` do
                actor = app.actor(s, "ana")
                app.cases(s).draft(actor, case_id, "Mohon maaf, tim kami ke lokasi hari ini.")
                app.cases(s).approve(actor, case_id, "")
            wait_for(lambda: _paused_reason(app) is not None, 60, "the account to pause on the expired token")
            assert "190" in str(_paused_reason(app))
            assert fake.own_replies() == []
            assert _connect(app, fake) == "@humas_kota"  # connected again: the new token
            fake.fail_next(1, status=500, method="POST", path=r"/replies$")
            with app.db.session() as s:  # what ``humas comments reply`` does
                app.cases(s).reply_direct(app.actor(s, "ana"), question_id, "Mulai 1 Desember.")
            wait_for(lambda: len(fake.own_replies()) == 2, 60, "both replies on Instagram")
            wait_for(lambda: job_states(app) == {"published": 3}, 30, "every job published")
        finally:
            code, out = stopped(daemon)
        assert code == 0, out

        # published once, from the second container, the photo fetched from humas's public URL
        assert len(fake.media) == 1 and media.caption == "Pelantikan pejabat administrator hari ini #pemkot"
        assert sum(1 for c in fake.calls if c.path.endswith("media_publish")) == 2  # the 503, then the lost answer
        assert [c.status_code for c in fake.containers.values()] == ["ERROR", "PUBLISHED"]
        assert media.container_id == list(fake.containers)[1]
        sha = hashlib.sha256(picture.read_bytes()).hexdigest()
        assert media.media_urls == (f"{public}/media/{sha}",)
        assert fake.media_url_checks and all(ch == (f"{public}/media/{sha}", 200, "image/jpeg")
                                             for ch in fake.media_url_checks)
        with app.db.session() as s:
            (row,) = s.execute(select(Post)).scalars()
            assert (row.remote_id, row.remote_url) == (media.id, media.permalink)
        answers = {r.text: fake.ig_comments[str(r.parent_id)].text for r in fake.own_replies()}
        assert answers == {"Mohon maaf, tim kami ke lokasi hari ini.": complaint, "Mulai 1 Desember.": question}
        assert not any(secret in out for secret in [*tokens, SECRET])  # the daemon's log names no secret
        app.db.dispose()


def _connect(app: App, fake: FakeInstagramServer) -> str:
    """What ``humas accounts connect kota-ig`` (twice) does, from this process while the daemon runs: the login
    dialog (the browser allowing access lands on the redirect URI with a code), then the code for the tokens."""
    with app.db.session() as s:
        started = app.connector.start(s, app.actor(s, "admin"), "kota-ig", via="cli")
    landed = requests.get(started.authorize_url.replace("https://www.facebook.com", fake.url),
                          allow_redirects=False, timeout=10).headers["Location"]
    with app.db.read() as s:
        admin = app.actor(s, "admin")
    done = app.connector.complete(admin, str(landed), account="kota-ig")
    assert done.missing_scopes == []
    return done.identity


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _job(app: App, job_id: int) -> tuple[str, str, datetime]:
    with app.db.read() as s:
        job = s.get(PublicationJob, job_id)
        assert job is not None
        run_at = job.run_at if job.run_at.tzinfo else job.run_at.replace(tzinfo=UTC)
        return str(job.state), job.last_error or "", run_at


def _paused_reason(app: App) -> str | None:
    with app.db.read() as s:
        st = s.get(AccountState, "kota-ig")
        return st.paused_reason if st is not None and st.status == "paused" else None
