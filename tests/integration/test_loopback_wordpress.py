"""The real WordPress adapter against a loopback WordPress site (issue 11 part 3, the loopback-fake tier), and the
whole way through ``humas run``.

:class:`humas.testing_wordpress.FakeWordPressServer` is a real HTTP server on 127.0.0.1 speaking the REST API of
``platform-apis.md`` §8; the adapter reaches it through its ``api_base`` option, so every byte goes through
``requests``, the socket and back: Basic auth, raw media uploads, JSON posts, paged comment lists, error envelopes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from PIL import Image
from sqlalchemy import select

from humas.accounts.registry import AdapterRegistry, BuildContext
from humas.app import App
from humas.config import AccountConfig, Settings, load_settings
from humas.errors import (
    AlreadyPublished,
    AuthExpired,
    ConfigError,
    ContentRejected,
    NetworkError,
    OutcomeUnknown,
    PlatformUnavailable,
    PublishError,
    RateLimited,
)
from humas.publisher.base import (
    CommentRef,
    DictCheckpoint,
    MediaFile,
    MemorySecretStore,
    PlatformPostRef,
    PostDraft,
    PublishRequest,
    PublishResult,
)
from humas.publisher.wordpress import PermissionMissing, WordPressAdapter, marker
from humas.queue import service
from humas.store.models import Case, Comment, Post, User, UserRole
from humas.testing import FakeClock
from humas.testing_wordpress import AUTHOR, FakeWordPressServer, WPComment, WPPost
from tests.acceptance.cli import Humas
from tests.acceptance.daemon import ROLES, classified, count, job_states, stopped, wait_for
from tests.conftest import approve_all

USER = "humas-kota"
PASSWORD = "Xc8d 2KpL 9wQz Tn4R 7vMb Hs3J"
START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeWordPressServer]:
    with FakeWordPressServer(username=USER, application_password=PASSWORD, clock=clock) as server:
        yield server
        assert server.server_errors == []


@pytest.fixture
def adapter(fake: FakeWordPressServer, clock: FakeClock) -> Iterator[WordPressAdapter]:
    fake.add_category("Berita")
    fake.add_tag("Pemkot")
    session = requests.Session()
    yield WordPressAdapter("situs", api_base=fake.url, username=USER, application_password=PASSWORD,
                           categories="Berita", tags="pemkot", session=session, clock=clock, timeout=5)
    session.close()


def request(draft: PostDraft, key: str = "post:1:situs") -> PublishRequest:
    return PublishRequest(key, "situs", draft, not_before=START)


def photo(tmp_path: Path, name: str, size: int = 4_000) -> MediaFile:
    path = tmp_path / name
    data = b"\xff\xd8\xff\xe0" + bytes(i % 251 for i in range(size - 4))
    path.write_bytes(data)
    return MediaFile(path, sha256=name, mime="image/jpeg", size=size, width=1200, height=800)


def only_post(fake: FakeWordPressServer) -> WPPost:
    assert len(fake.posts) == 1, fake.posts
    return next(iter(fake.posts.values()))


def assert_basic_auth(fake: FakeWordPressServer) -> None:
    """Every call carried the application password as HTTP Basic, and the fake accepted it."""
    want = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert fake.calls
    for call in fake.calls:
        assert call.headers.get("authorization") == want, call
        assert call.user == USER, call


# --- publish -----------------------------------------------------------------------------------------------------


def test_article_with_photos_video_categories_and_tags(
    fake: FakeWordPressServer, adapter: WordPressAdapter, tmp_path: Path
) -> None:
    banjir = fake.add_tag("Banjir")
    video_path = tmp_path / "apel.mp4"
    video_path.write_bytes(b"\0\0\0\x18ftypmp42" + b"\0" * 2_000)
    media = (photo(tmp_path, "banjir kota.jpg"), photo(tmp_path, "posko.jpg"),
             MediaFile(video_path, sha256="v", mime="video/mp4", size=2_012, width=1920, height=1080))
    text = "Air mulai surut di #banjir Kecamatan Utara & Selatan.\nWarga diminta waspada.\n\nPosko tetap buka #24jam"
    draft = PostDraft(text, title="Banjir Mulai Surut", media=media, link="https://kota.go.id/posko")
    ckpt = DictCheckpoint()
    result = adapter.publish(request(draft), ckpt)

    post = only_post(fake)
    assert (result.remote_id, result.remote_url) == (str(post.id), f"{fake.url}/2026/11/22/banjir-mulai-surut/")
    assert result.published_at == START
    assert (post.title, post.status, post.author) == ("Banjir Mulai Surut", "publish", fake.user.id)
    first, second, video = (fake.media[int(m["id"])] for m in ckpt.data["media"])
    assert post.featured_media == first.id  # the first photo is the featured image
    assert (first.filename, first.mime_type, first.data) == ("banjir-kota.jpg", "image/jpeg",
                                                             media[0].path.read_bytes())
    assert (second.filename, video.mime_type) == ("posko.jpg", "video/mp4")
    assert post.content.startswith("<p>Air mulai surut di #banjir Kecamatan Utara &amp; Selatan.<br />\n"
                                   "Warga diminta waspada.</p>\n\n<p>Posko tetap buka #24jam</p>")
    assert '<a href="https://kota.go.id/posko">' in post.content
    assert f'<img src="{fake.url}/wp-content/uploads/2026/11/posko.jpg"' in post.content
    assert f'<video controls src="{fake.url}/wp-content/uploads/2026/11/apel.mp4">' in post.content
    assert post.content.endswith(f"<!-- {marker(request(draft))} -->")
    berita = next(t for t in fake.categories.values() if t.name == "Berita")
    pemkot = next(t for t in fake.tags.values() if t.name == "Pemkot")
    # the account's category and tag, plus the hashtag the site knows (#24jam is not a tag there: not created)
    assert (post.categories, post.tags) == ((berita.id,), (pemkot.id, banjir.id))
    assert fake.tags.keys() == {pemkot.id, banjir.id}

    uploads = [c for c in fake.calls if c.path == "media"]
    assert [c.headers["content-type"] for c in uploads] == ["image/jpeg", "image/jpeg", "video/mp4"]
    assert uploads[0].headers["content-disposition"].startswith('attachment; filename="banjir kota.jpg"')
    # the job again (a retry, the reconcile step): answered from the checkpoint, nothing sent, still one article
    calls = len(fake.calls)
    assert adapter.publish(request(draft), ckpt) == PublishResult(result.remote_id, result.remote_url)
    assert len(fake.calls) == calls and len(fake.posts) == 1
    assert_basic_auth(fake)


def test_a_text_only_article_and_the_status_option(fake: FakeWordPressServer, clock: FakeClock) -> None:
    draft_adapter = WordPressAdapter("situs", api_base=fake.url + "/", username=USER, application_password=PASSWORD,
                                     status="pending", clock=clock, timeout=5)
    result = draft_adapter.publish(request(PostDraft("Rapat koordinasi\nbesok pagi.")), DictCheckpoint())
    post = only_post(fake)
    # no title given: the first line; the webmaster publishes it (status pending), WordPress's default category
    assert (post.title, post.status, post.featured_media, post.categories) == ("Rapat koordinasi", "pending", 0,
                                                                              (1,))
    assert result.remote_url == f"{fake.url}/?p={post.id}"


def test_an_answer_lost_after_the_article_was_stored_is_found_by_its_marker(
    fake: FakeWordPressServer, adapter: WordPressAdapter, tmp_path: Path
) -> None:
    fake.add_post("Artikel lama", "<p>Pengumuman seleksi CPNS</p>")  # same words, not ours: no marker
    draft = PostDraft("Pengumuman seleksi CPNS", title="Seleksi CPNS", media=(photo(tmp_path, "a.jpg"),))
    req = request(draft)
    ckpt = DictCheckpoint()
    fake.drop_next(apply=True, method="POST", path=r"^posts$")
    with pytest.raises(OutcomeUnknown) as ei:
        adapter.publish(req, ckpt)
    assert ei.value.__cause__ is not None
    ours = max(fake.posts)

    found = adapter.find_published(req, DictCheckpoint(ckpt.data))
    assert found is not None and found.remote_id == str(ours)
    search = fake.calls[-1]
    assert (search.path, search.params["search"], search.params["context"]) == ("posts", marker(req), "edit")
    assert "draft" in search.params["status"] and "publish" in search.params["status"]
    # the same key with other words (another humas database numbering from 1 again) is not ours
    assert adapter.find_published(request(PostDraft("Lain", title="Lain")), DictCheckpoint()) is None
    assert adapter.find_published(request(draft, key="post:2:situs"), DictCheckpoint()) is None
    assert len(fake.posts) == 2


def test_a_lost_upload_answer_is_retried_not_in_doubt(
    fake: FakeWordPressServer, adapter: WordPressAdapter, tmp_path: Path
) -> None:
    req = request(PostDraft("Kegiatan", title="Kegiatan", media=(photo(tmp_path, "a.jpg"), photo(tmp_path, "b.jpg"))))
    ckpt = DictCheckpoint()
    fake.drop_next(apply=True, method="POST", path=r"^media$")
    with pytest.raises(NetworkError):  # a second upload leaves an unattached file at worst, never a second post
        adapter.publish(req, ckpt)
    assert fake.posts == {} and "media" not in ckpt.data
    adapter.publish(req, ckpt)
    post = only_post(fake)
    assert len(fake.media) == 3 and post.featured_media == ckpt.data["media"][0]["id"]  # one file left unattached


# --- errors ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inject", "expected", "rule"),
    [
        (lambda f: f.fail_next("incorrect_password"), AuthExpired, None),
        (lambda f: f.fail_next("rest_cannot_create", path=r"^posts$"), PermissionMissing, None),
        (lambda f: f.fail_next("rest_cannot_publish", path=r"^posts$"), PermissionMissing, None),
        (lambda f: f.fail_next("rest_invalid_param", path=r"^posts$"), ContentRejected, "rest_invalid_param"),
        (lambda f: f.fail_next("empty_content", path=r"^posts$"), ContentRejected, "empty_content"),
        (lambda f: f.fail_next("rest_upload_sideload_error", path=r"^media$"), ContentRejected,
         "upload_sideload_error"),
        (lambda f: f.fail_next_http(413, b"<h1>413</h1>", path=r"^media$"), ContentRejected, "file_too_big"),
        (lambda f: f.fail_next_http(429, b"slow down", headers={"Retry-After": "120"}), RateLimited, None),
        (lambda f: f.fail_next_http(503, b"<h1>Maintenance</h1>", path=r"^posts$"), PlatformUnavailable, None),
        (lambda f: f.fail_next("rest_no_route", path=r"^posts$"), AuthExpired, None),
        (lambda f: f.fail_next_http(301, headers={"Location": "https://www.kota.go.id/wp-json/wp/v2/posts"},
                                    path=r"^posts$"), AuthExpired, None),
        (lambda f: f.fail_next_http(403, b"<h1>Blocked by firewall</h1>", path=r"^posts$"), PermissionMissing,
         None),
    ],
)
def test_wordpress_errors_map_to_humas_errors_and_store_nothing(
    fake: FakeWordPressServer, adapter: WordPressAdapter, tmp_path: Path, clock: FakeClock,
    inject: object, expected: type[PublishError], rule: str | None,
) -> None:
    req = request(PostDraft("Siaran pers", title="Siaran Pers", media=(photo(tmp_path, "a.jpg"),)))
    inject(fake)  # type: ignore[operator]
    ckpt = DictCheckpoint()
    with pytest.raises(PublishError) as ei:
        adapter.publish(req, ckpt)
    err = ei.value
    assert type(err) is expected
    assert (err.platform, err.account) == ("wordpress", "situs")
    if rule is not None:
        assert isinstance(err, ContentRejected) and err.rule == rule
    if isinstance(err, RateLimited):
        assert err.reset_at == START + timedelta(seconds=120)
    assert "<" not in err.message and PASSWORD not in err.message and PASSWORD not in repr(adapter)
    assert fake.posts == {}
    # the fault was one-shot: the retry posts exactly once
    assert adapter.publish(req, ckpt).remote_id == str(only_post(fake).id)


def test_a_wrong_password_and_an_unknown_user_pause_the_account(fake: FakeWordPressServer, clock: FakeClock) -> None:
    for user, password, code in ((USER, "wrong pass word", "incorrect_password"),
                                 ("someone", PASSWORD, "invalid_username")):
        a = WordPressAdapter("situs", api_base=fake.url, username=user, application_password=password, clock=clock,
                             timeout=5)
        with pytest.raises(AuthExpired, match=code) as ei:
            a.publish(request(PostDraft("Halo", title="Halo")), DictCheckpoint())
        assert "wrong pass word" not in ei.value.message
        assert not a.check().ok
    assert fake.posts == {}


def test_a_page_that_is_not_json_after_a_post_is_in_doubt(fake: FakeWordPressServer,
                                                          adapter: WordPressAdapter) -> None:
    fake.fail_next_http(200, b"<html>Cached by a plugin</html>", method="POST", path=r"^posts$")
    with pytest.raises(OutcomeUnknown):
        adapter.publish(request(PostDraft("Halo", title="Halo")), DictCheckpoint())


def test_an_unknown_configured_category_pauses_the_account(fake: FakeWordPressServer, clock: FakeClock) -> None:
    a = WordPressAdapter("situs", api_base=fake.url, username=USER, application_password=PASSWORD,
                         categories="Berita Daerah", clock=clock, timeout=5)
    with pytest.raises(AuthExpired, match="kategori 'Berita Daerah' tidak ada"):
        a.publish(request(PostDraft("Halo", title="Halo")), DictCheckpoint())
    status = a.check()
    assert not status.ok and "Berita Daerah" in status.detail
    fake.add_category("Berita Daerah")
    assert a.check().ok  # the check looks again: an admin added it


# --- comments ----------------------------------------------------------------------------------------------------


def test_comments_walk_down_the_pages_and_the_next_poll_only_gets_new_ones(
    fake: FakeWordPressServer, adapter: WordPressAdapter, clock: FakeClock
) -> None:
    post = fake.add_post("Pengumuman")
    held: list[WPComment] = []
    for i in range(250):  # three pages of 100; every tenth answers the one before; one waits for moderation
        held.append(fake.add_comment(post.id, f"komentar {i}", author_name=f"Warga {i}",
                                     parent=held[-1].id if i % 10 == 9 else 0, status="hold" if i == 5 else "approved",
                                     date_gmt=START + timedelta(seconds=i)))
    fake.add_comment(post.id, "spam", status="spam")
    ref = PlatformPostRef("situs", str(post.id))

    first = adapter.fetch_comments(ref, None)  # users/me once (our own id), then page 1 of 3
    assert first.cost == 2 and len(first.comments) == 100
    assert json.loads(first.cursor or "") == {"seen": 0, "top": held[-1].id, "page": 2}
    pages = [first]
    while json.loads(pages[-1].cursor or "{}").get("page"):
        pages.append(adapter.fetch_comments(ref, pages[-1].cursor))
    got = [c for p in pages for c in p.comments]
    assert [c.remote_id for c in got] == [str(c.id) for c in held[150:]] + [str(c.id) for c in held[50:150]] + [
        str(c.id) for c in held[:50]]
    assert json.loads(pages[-1].cursor or "") == {"seen": held[-1].id}
    by_id = {c.remote_id: c for c in got}
    nine = by_id[str(held[9].id)]
    assert (nine.parent_remote_id, nine.text, nine.author_handle, nine.author_id) == (
        str(held[8].id), "komentar 9", "Warga 9", None)
    assert by_id[str(held[5].id)].text == "komentar 5" and not by_id[str(held[5].id)].hidden  # waiting: collected
    assert by_id[str(held[0].id)].created_at == START
    listing = [c for c in fake.calls if c.path == "comments"]
    assert {(c.params["status"], c.params["orderby"], c.params["order"], c.params["per_page"]) for c in listing} == {
        ("all", "id", "desc", "100")}

    clock.advance(minutes=2)
    new = fake.add_comment(post.id, "Kapan <b>jalan</b> diperbaiki?\nSudah lama & rusak", author_name="Budi &amp; Co")
    again = adapter.fetch_comments(ref, pages[-1].cursor)
    assert [(c.remote_id, c.text, c.author_handle) for c in again.comments] == [
        (str(new.id), "Kapan <b>jalan</b> diperbaiki?\nSudah lama & rusak", "Budi & Co")]
    assert again.cost == 1
    nothing = adapter.fetch_comments(ref, again.cursor)
    assert (nothing.comments, nothing.cursor) == ([], again.cursor)
    assert_basic_auth(fake)


def test_a_post_without_comments_is_checked_and_a_deleted_one_stops_polling(
    fake: FakeWordPressServer, adapter: WordPressAdapter
) -> None:
    quiet = fake.add_post("Sepi")
    page = adapter.fetch_comments(PlatformPostRef("situs", str(quiet.id)), None)
    assert (page.comments, page.cursor) == ([], None)
    assert [c.path for c in fake.calls[-2:]] == ["comments", f"posts/{quiet.id}"]

    fake.trash_post(quiet.id)
    with pytest.raises(ContentRejected) as ei:
        adapter.fetch_comments(PlatformPostRef("situs", str(quiet.id)), None)
    assert ei.value.rule == "deleted"
    fake.delete_post(quiet.id)
    with pytest.raises(ContentRejected) as ei:
        adapter.fetch_comments(PlatformPostRef("situs", str(quiet.id)), None)
    assert ei.value.rule == "not_found" and "rest_post_invalid_id" in ei.value.message


def test_reply_is_a_child_comment_and_hide_puts_a_comment_on_hold(
    fake: FakeWordPressServer, adapter: WordPressAdapter
) -> None:
    post = fake.add_post("Pengumuman")
    question = fake.add_comment(post.id, "Kapan pendaftaran dibuka?")
    rude = fake.add_comment(post.id, "komentar kasar")
    ckpt = DictCheckpoint()
    ref = CommentRef("situs", str(post.id), str(question.id))

    reply = adapter.reply(ref, "Mulai 1 Desember.\nInfo: 112", ckpt)
    stored = fake.comments[int(reply.remote_id)]
    assert (stored.parent, stored.post, stored.author, stored.content, stored.status) == (
        question.id, post.id, fake.user.id, "Mulai 1 Desember.\nInfo: 112", "approved")
    assert reply.remote_url == f"{fake.url}/2026/11/22/pengumuman/#comment-{stored.id}"
    assert adapter.reply(ref, "Mulai 1 Desember.\nInfo: 112", ckpt) == reply
    assert sum(1 for c in fake.comments_on(post.id) if c.author == fake.user.id) == 1  # the retry sent nothing

    # a reply whose answer was lost and that is sent again: WordPress says duplicate (409), we name the one standing
    with pytest.raises(AlreadyPublished) as ei:
        adapter.reply(ref, "Mulai 1 Desember.\nInfo: 112", DictCheckpoint())
    assert ei.value.remote_id == reply.remote_id

    adapter.hide_comment(CommentRef("situs", str(post.id), str(rude.id)))
    assert fake.comments[rude.id].status == "hold" and fake.comments[question.id].status == "approved"
    hide = fake.calls[-1]
    assert (hide.method, hide.path, hide.params) == ("POST", f"comments/{rude.id}", {"status": "hold"})

    seen = {c.remote_id: c for c in adapter.fetch_comments(PlatformPostRef("situs", str(post.id)), None).comments}
    assert seen[reply.remote_id].is_own and seen[reply.remote_id].parent_remote_id == str(question.id)
    assert not seen[str(question.id)].is_own and str(rude.id) in seen
    assert_basic_auth(fake)


def test_replies_where_the_post_is_gone_or_closed_fail_without_pausing(
    fake: FakeWordPressServer, adapter: WordPressAdapter
) -> None:
    post = fake.add_post("Pengumuman", comment_status="closed")
    comment = fake.add_comment(post.id, "Tanya")
    with pytest.raises(ContentRejected) as ei:
        adapter.reply(CommentRef("situs", str(post.id), str(comment.id)), "Jawab", DictCheckpoint())
    assert ei.value.rule == "comments_closed"
    fake.delete_post(post.id)
    with pytest.raises(ContentRejected) as ei:
        adapter.reply(CommentRef("situs", str(post.id), str(comment.id)), "Jawab", DictCheckpoint())
    assert ei.value.rule == "not_found"


def test_an_author_can_publish_but_not_hide(fake: FakeWordPressServer, clock: FakeClock) -> None:
    fake.user.capabilities = AUTHOR
    a = WordPressAdapter("situs", api_base=fake.url, username=USER, application_password=PASSWORD, clock=clock,
                         timeout=5)
    status = a.check()
    assert status.ok and "tidak bisa menyembunyikan komentar" in status.detail
    other = fake.add_post("Tulisan orang lain")
    comment = fake.add_comment(other.id, "kasar")
    with pytest.raises(ContentRejected) as ei:  # the case says: cannot hide here, answer or dismiss it
        a.hide_comment(CommentRef("situs", str(other.id), str(comment.id)))
    assert ei.value.rule == "unsupported"
    fake.user.capabilities = frozenset({"read", "edit_posts"})  # a Contributor
    assert "publish_posts" in a.check().detail and not a.check().ok
    with pytest.raises(PermissionMissing, match="rest_cannot_publish"):
        a.publish(request(PostDraft("Halo", title="Halo")), DictCheckpoint())


def test_check_names_the_user_and_the_site(fake: FakeWordPressServer, adapter: WordPressAdapter) -> None:
    status = adapter.check()
    assert status.ok and status.detail == f"Humas Kota di {fake.url}" and status.expires_at is None
    me = fake.calls[0]
    assert (me.path, me.params["context"]) == ("users/me", "edit")


# --- configuration -----------------------------------------------------------------------------------------------


def test_the_registry_builds_the_adapter_from_the_config(fake: FakeWordPressServer, clock: FakeClock,
                                                         monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WP_APP_PASSWORD", PASSWORD)
    acc = AccountConfig(name="situs", platform="wordpress",  # type: ignore[arg-type]
                        options={"api_base": fake.url, "username": USER, "status": "draft"},
                        credentials={"application_password": "env:WP_APP_PASSWORD"})  # type: ignore[dict-item]
    settings = Settings(data_dir=tmp_path, accounts=[acc])  # type: ignore[call-arg]
    registry = AdapterRegistry(BuildContext(settings, MemorySecretStore(), clock))
    built = registry.get("situs")
    assert isinstance(built, WordPressAdapter) and built.status == "draft"
    assert built.check().ok
    assert PASSWORD not in repr(built) and PASSWORD not in repr(acc) and PASSWORD not in repr(built.wp)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"username": USER}, "options.api_base"),
        ({"api_base": "http://kota.go.id", "username": USER}, "https://"),
        ({"api_base": "https://kota.go.id"}, "options.username"),
        ({"api_base": "https://kota.go.id", "username": USER, "status": "future"}, "options.status"),
    ],
)
def test_a_wordpress_account_needs_its_site_and_user(options: dict[str, str], message: str, tmp_path: Path) -> None:
    lines = "\n".join(f'{k} = "{v}"' for k, v in options.items())
    cfg = tmp_path / "humas.toml"
    cfg.write_text(f'[[accounts]]\nname = "situs"\nplatform = "wordpress"\n[accounts.options]\n{lines}\n',
                   encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        load_settings(cfg, environ={})


# --- through ``humas run`` ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_humas_run_publishes_collects_comments_and_replies_on_the_website(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Approved content -> schedule -> the daemon publishes the article with its featured image -> the daemon's
    monitor collects the public's comments -> a case is answered and a question replied to through the CLI -> the
    daemon posts both as child comments."""
    monkeypatch.setenv("WP_APP_PASSWORD", PASSWORD)
    with FakeWordPressServer(username=USER, application_password=PASSWORD) as fake:
        fake.add_category("Berita")
        complaint, question = ("Pelayanannya lambat sekali, sudah tiga hari jalan rusak tidak diperbaiki, kecewa",
                               "Kapan pendaftaran dibuka?")

        def the_public(post: WPPost) -> None:  # comments arrive with the article, before the first poll
            fake.add_comment(post.id, complaint, author_name="Warga Kecewa")
            fake.add_comment(post.id, question, author_name="Siti")

        fake.on_post_created = the_public
        cfg = tmp_path / "humas.toml"
        cfg.write_text(
            'data_dir = "data"\n[queue]\ntick_seconds = 0.2\nlease_seconds = 5\n'
            '[monitor]\ntick_seconds = 0.5\nsandbox_simulation = false\n\n'
            '[[accounts]]\nname = "situs"\nplatform = "wordpress"\nlabel = "Situs web"\n'
            f'options = {{ api_base = "{fake.url}", username = "{USER}", categories = "Berita" }}\n'
            'credentials = { application_password = "env:WP_APP_PASSWORD" }\n', encoding="utf-8")
        h = Humas(tmp_path, config=cfg, WP_APP_PASSWORD=PASSWORD)
        h("init")
        checked = h("accounts", "check", "situs", "--json").json()
        assert checked[0]["ok"] and checked[0]["detail"].startswith("Humas Kota di ")
        app = App(load_settings(cfg, environ={k: v for k, v in h.env.items() if k.startswith("HUMAS_")}))
        picture = tmp_path / "pelantikan.jpg"
        Image.new("RGB", (1200, 800), (30, 90, 160)).save(picture, "JPEG")
        with app.db.session() as s:
            u = User(name="ana", display_name="ana")
            u.roles = [UserRole(role=r) for r in ROLES]
            s.add(u)
        with app.db.session() as s:
            actor = app.actor(s, "ana")
            wf = app.workflow(s)
            c = wf.create(actor, sop_id="mojokerto-acc", title="Pelantikan Pejabat Administrator",
                          text="Wali kota melantik 12 pejabat administrator di Pendopo.",
                          caption="Pelantikan hari ini #pemkot", accounts=["situs"], media=[picture])
            wf.submit(actor, c.id)
            approve_all(app, s, c.id)
            service.schedule(app.env, s, actor, c.id, app.clock(), platform_check=app.platform_check)

        daemon = h.popen("run", "--no-web")
        try:
            wait_for(lambda: len(fake.posts) == 1, 60, "the article on the website")
            wait_for(lambda: count(app, Comment) == 2, 60, "the monitor to collect both comments")
            wait_for(lambda: count(app, Case) == 1 and classified(app) == 2, 60, "the complaint's case")
            with app.db.session() as s:
                case_id = s.execute(select(Case.id)).scalar_one()
                question_id = s.execute(select(Comment.id).where(Comment.text == question)).scalar_one()
            h("cases", "draft", str(case_id), "--text", "Mohon maaf, tim kami ke lokasi hari ini.", "--as", "ana")
            h("cases", "approve", str(case_id), "--as", "ana")
            h("comments", "reply", str(question_id), "--text", "Mulai 1 Desember.", "--as", "ana")
            wait_for(lambda: len(_ours(fake)) == 2, 60, "both replies on the website")
            wait_for(lambda: job_states(app) == {"published": 3}, 30, "every job published")
        finally:
            code, out = stopped(daemon)
        assert code == 0, out

        post = next(iter(fake.posts.values()))
        assert (post.title, post.status) == ("Pelantikan Pejabat Administrator", "publish")
        assert post.content.startswith("<p>Wali kota melantik 12 pejabat administrator di Pendopo.</p>")  # naskah
        (image,) = fake.media.values()
        assert post.featured_media == image.id and image.data == picture.read_bytes()
        assert post.categories == (next(t.id for t in fake.categories.values() if t.name == "Berita"),)
        with app.db.session() as s:
            (row,) = s.execute(select(Post)).scalars()
            local = post.date_gmt + timedelta(hours=7)  # the site's own zone
            assert (row.remote_id, row.remote_url) == (str(post.id), f"{fake.url}/{local:%Y/%m/%d}/{post.slug}/")
        by_text = {c.content: c for c in fake.comments_on(post.id)}
        answers = {c.content: by_text_parent(fake, c) for c in _ours(fake)}
        assert answers == {"Mohon maaf, tim kami ke lokasi hari ini.": complaint, "Mulai 1 Desember.": question}
        assert all(c.author == fake.user.id for c in _ours(fake)) and len(by_text) == 4
        assert all(call.user == USER for call in fake.calls)
        assert PASSWORD not in out
        app.db.dispose()


def by_text_parent(fake: FakeWordPressServer, reply: WPComment) -> str:
    return fake.comments[reply.parent].content


def _ours(fake: FakeWordPressServer) -> list[WPComment]:
    return [c for c in list(fake.comments.values()) if c.author == fake.user.id]
