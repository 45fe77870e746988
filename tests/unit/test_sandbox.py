"""The sandbox platform: its own SQLite file, the imitated platforms' rules, injected failures, simulated comments."""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from humas.errors import (
    AlreadyPublished,
    AuthExpired,
    ConfigError,
    ContentRejected,
    InvalidInput,
    NotFound,
    OutcomeUnknown,
    PlatformUnavailable,
    QuotaExhausted,
    RateLimited,
)
from humas.publisher.base import (
    CommentRef,
    DictCheckpoint,
    MediaFile,
    Platform,
    PlatformAdapter,
    PlatformPostRef,
    PostDraft,
    PublishRequest,
)
from humas.publisher.limits import LIMITS
from humas.publisher.sandbox import (
    FailurePlan,
    SandboxAdapter,
    SandboxPlatform,
    load_sample_comments,
)
from humas.publisher.sandbox.public import simulate
from humas.testing import FakeClock

HOSTILE = 'Cek <script>alert(1)</script> & <img src=x onerror=alert(1)> "quoted" \'x\''


def media(name: str, mime: str) -> MediaFile:
    return MediaFile(Path(name), sha256=name * 8, mime=mime, size=1000, width=1080, height=1080)


JPEG = media("a.jpg", "image/jpeg")
MP4 = media("v.mp4", "video/mp4")
DRAFTS = {
    Platform.X: PostDraft("Pelayanan KTP buka Sabtu ini."),
    Platform.FACEBOOK: PostDraft("Pelayanan KTP buka Sabtu ini."),
    Platform.INSTAGRAM: PostDraft("Pelayanan KTP buka Sabtu ini.", media=(JPEG,)),
    Platform.YOUTUBE: PostDraft("Liputan peresmian pasar.", title="Peresmian Pasar Baru", media=(MP4,)),
}
ID_PATTERNS = {
    Platform.X: r"\d{19}",
    Platform.FACEBOOK: r"\d{15}_\d{15}",
    Platform.INSTAGRAM: r"\d{17}",
    Platform.YOUTUBE: r"[A-Za-z0-9_-]{11}",
}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sandbox.sqlite3"


def adapter(
    db: Path,
    clock: FakeClock,
    imitates: Platform = Platform.X,
    account: str = "pemkot",
    *,
    latency_ms: int = 0,
    failures: FailurePlan | None = None,
) -> SandboxAdapter:
    return SandboxAdapter(
        account, imitates=imitates, db_path=db, latency_ms=latency_ms, failures=failures, clock=clock,
        sleep=clock.sleep,
    )


def req(key: str, draft: PostDraft, not_before: datetime | None = None) -> PublishRequest:
    return PublishRequest(idempotency_key=key, account="pemkot", draft=draft, not_before=not_before)


# --- the contract --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("imitates", list(DRAFTS))
def test_satisfies_the_protocol_with_the_imitated_limits(db: Path, clock: FakeClock, imitates: Platform) -> None:
    a: PlatformAdapter = adapter(db, clock, imitates)
    assert isinstance(a, PlatformAdapter)
    assert isinstance(a, SandboxAdapter)
    assert a.platform is Platform.SANDBOX
    assert a.limits is LIMITS[imitates]
    assert type(a).limits is LIMITS[imitates]
    assert a.check().ok


@pytest.mark.parametrize("imitates", [Platform.SANDBOX, Platform.INSTAGRAM_PRIVATE])
def test_cannot_imitate_what_it_does_not_know(db: Path, clock: FakeClock, imitates: Platform) -> None:
    with pytest.raises(ConfigError, match="cannot imitate"):
        adapter(db, clock, imitates)


def test_validate_adds_the_imitated_platforms_rules(db: Path, clock: FakeClock) -> None:
    x, yt, ig = (adapter(db, clock, p) for p in (Platform.X, Platform.YOUTUBE, Platform.INSTAGRAM))
    assert [p.rule for p in x.validate(PostDraft("video", media=(MP4, JPEG)))] == ["media_mix"]
    assert x.validate(PostDraft("foto", media=(JPEG,) * 4)) == []
    assert [p.rule for p in x.validate(PostDraft("foto", media=(JPEG,) * 5))] == ["media_max"]
    assert [p.rule for p in yt.validate(PostDraft("deskripsi", media=(MP4,)))] == ["title_required"]
    assert [p.rule for p in ig.validate(PostDraft("caption"))] == ["media_required"]
    assert [p.rule for p in ig.validate(PostDraft("caption", media=(media("b.png", "image/png"),)))] == ["image_type"]


def test_publish_refuses_content_the_platform_would_reject_and_stores_nothing(db: Path, clock: FakeClock) -> None:
    a = adapter(db, clock, Platform.YOUTUBE)
    with pytest.raises(ContentRejected) as ei:
        a.publish(req("k", PostDraft("tanpa video", title="Judul")), DictCheckpoint())
    assert ei.value.rule == "video_required"
    assert SandboxPlatform(db).list_posts() == []


# --- publishing ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("imitates", list(DRAFTS))
def test_publish_stores_a_post_with_a_platform_like_id(db: Path, clock: FakeClock, imitates: Platform) -> None:
    a = adapter(db, clock, imitates)
    result = a.publish(req("post:1:pemkot", DRAFTS[imitates]), DictCheckpoint())
    assert re.fullmatch(ID_PATTERNS[imitates], result.remote_id)
    assert result.remote_url == f"https://sandbox.humas.local/{imitates.value}/pemkot/{result.remote_id}"
    assert result.published_at == clock()
    [post] = SandboxPlatform(db).list_posts("pemkot")
    assert (post.remote_id, post.text, post.imitates, post.idempotency_key) == (
        result.remote_id, DRAFTS[imitates].text, imitates, "post:1:pemkot",
    )


@pytest.mark.parametrize("imitates", [Platform.X, Platform.FACEBOOK])
def test_x_and_facebook_refuse_the_same_text_within_a_day(db: Path, clock: FakeClock, imitates: Platform) -> None:
    a = adapter(db, clock, imitates)
    first = a.publish(req("k1", DRAFTS[imitates]), DictCheckpoint())
    clock.advance(hours=23)
    with pytest.raises(AlreadyPublished) as ei:
        a.publish(req("k2", DRAFTS[imitates]), DictCheckpoint())
    assert (ei.value.remote_id, ei.value.remote_url) == (first.remote_id, first.remote_url)
    assert ei.value.account == "pemkot"
    adapter(db, clock, imitates, account="kominfo").publish(req("k3", DRAFTS[imitates]), DictCheckpoint())
    clock.advance(hours=2)
    assert a.publish(req("k4", DRAFTS[imitates]), DictCheckpoint()).remote_id != first.remote_id


def test_instagram_allows_the_same_caption_but_not_more_than_50_posts_a_day(db: Path, clock: FakeClock) -> None:
    a = adapter(db, clock, Platform.INSTAGRAM)
    first_at = clock()
    for i in range(50):
        a.publish(req(f"k{i}", DRAFTS[Platform.INSTAGRAM]), DictCheckpoint())
        clock.advance(minutes=1)
    with pytest.raises(QuotaExhausted) as ei:
        a.publish(req("k50", DRAFTS[Platform.INSTAGRAM]), DictCheckpoint())
    assert ei.value.resets_at == first_at + timedelta(days=1)
    clock.set(first_at + timedelta(days=1, seconds=1))
    a.publish(req("k51", DRAFTS[Platform.INSTAGRAM]), DictCheckpoint())


def test_latency_is_slept_through_the_injected_sleep(db: Path, clock: FakeClock) -> None:
    a = adapter(db, clock, latency_ms=250)
    a.publish(req("k", DRAFTS[Platform.X]), DictCheckpoint())
    assert clock.sleeps == [0.125, 0.125]  # the request there, the answer back
    adapter(db, clock, account="lain").publish(req("k2", DRAFTS[Platform.X]), DictCheckpoint())
    assert clock.sleeps == [0.125, 0.125]


def test_concurrent_publishers_of_the_same_text_store_one_post(db: Path, clock: FakeClock) -> None:
    adapters = [adapter(db, clock) for _ in range(6)]
    outcomes: list[str] = []

    def publish(a: SandboxAdapter, i: int) -> None:
        try:
            outcomes.append(a.publish(req(f"k{i}", DRAFTS[Platform.X]), DictCheckpoint()).remote_id)
        except AlreadyPublished as exc:
            outcomes.append(f"dup:{exc.remote_id}")

    threads = [threading.Thread(target=publish, args=(a, i)) for i, a in enumerate(adapters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    [post] = SandboxPlatform(db).list_posts()
    assert sorted(outcomes) == sorted([post.remote_id] + [f"dup:{post.remote_id}"] * 5)


# --- find_published ------------------------------------------------------------------------------------------------


def test_find_published_by_key_then_by_text(db: Path, clock: FakeClock) -> None:
    a = adapter(db, clock, Platform.INSTAGRAM)
    draft = DRAFTS[Platform.INSTAGRAM]
    ours = a.publish(req("post:7:pemkot", draft), DictCheckpoint())
    clock.advance(minutes=5)
    assert a.find_published(req("post:7:pemkot", PostDraft("teks lain", media=(JPEG,))), DictCheckpoint()) == ours
    assert a.find_published(req("post:other", draft), DictCheckpoint()) == ours
    assert a.find_published(req("post:8:pemkot", PostDraft("belum pernah", media=(JPEG,))), DictCheckpoint()) is None


def test_find_published_looks_only_since_not_before_or_48_hours(db: Path, clock: FakeClock) -> None:
    a = adapter(db, clock)
    draft = DRAFTS[Platform.X]
    published_at = clock()
    a.publish(req("k", draft), DictCheckpoint())
    clock.advance(minutes=1)
    assert a.find_published(req("k", draft, not_before=published_at), DictCheckpoint()) is not None
    assert a.find_published(req("k", draft, not_before=clock()), DictCheckpoint()) is None
    clock.advance(hours=47)
    assert a.find_published(req("k", draft), DictCheckpoint()) is not None
    clock.advance(hours=2)
    assert a.find_published(req("k", draft), DictCheckpoint()) is None


def test_find_published_never_matches_an_empty_text_and_title(db: Path, clock: FakeClock) -> None:
    a = adapter(db, clock, Platform.INSTAGRAM)
    a.publish(req("k1", PostDraft("", media=(JPEG,))), DictCheckpoint())
    assert a.find_published(req("k2", PostDraft("", media=(JPEG,))), DictCheckpoint()) is None


def test_find_published_ignores_other_accounts_and_deleted_posts(db: Path, clock: FakeClock) -> None:
    draft = DRAFTS[Platform.X]
    other = adapter(db, clock, account="kominfo").publish(req("k", draft), DictCheckpoint())
    a = adapter(db, clock)
    assert a.find_published(req("k", draft), DictCheckpoint()) is None
    mine = a.publish(req("k", draft), DictCheckpoint())
    SandboxPlatform(db).delete_post(mine.remote_id)
    assert a.find_published(req("k", draft), DictCheckpoint()) is None
    assert other.remote_id != mine.remote_id


# --- injected failures ---------------------------------------------------------------------------------------------


def test_a_script_written_by_one_process_is_consumed_by_another(db: Path, clock: FakeClock) -> None:
    test_side = SandboxPlatform(db, clock)
    daemon_side = adapter(db, clock)  # its own SandboxPlatform on the same file, as in another process
    test_side.script_failures("pemkot", ["server_error", "timeout_after_send"])
    request = req("post:1:pemkot", DRAFTS[Platform.X])

    with pytest.raises(PlatformUnavailable):
        daemon_side.publish(request, DictCheckpoint())
    assert test_side.list_posts() == []

    with pytest.raises(OutcomeUnknown):
        daemon_side.publish(request, DictCheckpoint())
    [post] = test_side.list_posts()
    found = daemon_side.find_published(request, DictCheckpoint())
    assert found is not None and found.remote_id == post.remote_id

    with pytest.raises(AlreadyPublished) as ei:  # a blind retry: X says duplicate
        daemon_side.publish(request, DictCheckpoint())
    assert ei.value.remote_id == post.remote_id


def test_scripts_are_per_account_and_per_operation(db: Path, clock: FakeClock) -> None:
    server = SandboxPlatform(db, clock)
    server.script_failures("pemkot", ["auth_expired"], op="reply")
    server.script_failures("kominfo", ["rate_limited"])
    a = adapter(db, clock)
    a.publish(req("k", DRAFTS[Platform.X]), DictCheckpoint())
    with pytest.raises(RateLimited) as ei:
        adapter(db, clock, account="kominfo").publish(req("k", DRAFTS[Platform.X]), DictCheckpoint())
    assert ei.value.reset_at == clock() + timedelta(seconds=60)
    with pytest.raises(InvalidInput, match="unknown failure mode"):
        server.script_failures("pemkot", ["explode"])


def test_failure_plan_next_then_random_is_deterministic(db: Path, clock: FakeClock) -> None:
    plan = FailurePlan(next=["timeout_after_send", "auth_expired"])
    a = adapter(db, clock, failures=plan)
    with pytest.raises(OutcomeUnknown):
        a.publish(req("k", DRAFTS[Platform.X]), DictCheckpoint())
    assert len(SandboxPlatform(db).list_posts()) == 1  # stored before the timeout
    with pytest.raises(AuthExpired):
        a.publish(req("k2", PostDraft("lain")), DictCheckpoint())

    def draws(seed: int) -> list[str | None]:
        p = FailurePlan.from_config({"rate_limited": 0.1, "server_error": 0.05, "timeout_after_send": 0.02,
                                     "seed": seed})
        return [p.draw() for _ in range(1000)]

    first = draws(1)
    assert first == draws(1)
    counts = Counter(first)
    assert 60 < counts["rate_limited"] < 140 and 20 < counts["server_error"] < 80 and counts[None] > 750


@pytest.mark.parametrize(
    "config",
    [{"rate_limited": 0.7, "server_error": 0.5}, {"rate_limited": -0.1}, {"rate_limitd": 0.1}, {"next": ["boom"]},
     {"server_error": "often"}],
)
def test_failure_plan_rejects_bad_config(config: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        FailurePlan.from_config(config)


# --- comments ------------------------------------------------------------------------------------------------------


def test_add_comment_to_an_unknown_post_or_comment_is_not_found(db: Path, clock: FakeClock) -> None:
    server = SandboxPlatform(db, clock)
    with pytest.raises(NotFound, match="no post with id '404'"):
        server.add_comment("404", "halo")
    post = adapter(db, clock).publish(req("k", DRAFTS[Platform.X]), DictCheckpoint())
    with pytest.raises(NotFound, match="no comment with id 'nope'"):
        server.add_comment(post.remote_id, "halo", reply_to="nope")


def test_comments_page_by_cursor_oldest_first(db: Path, clock: FakeClock) -> None:
    server = SandboxPlatform(db, clock)
    a = adapter(db, clock, Platform.FACEBOOK)
    post = a.publish(req("k", DRAFTS[Platform.FACEBOOK]), DictCheckpoint())
    for i in range(120):
        server.add_comment(post.remote_id, f"komentar {i}", author=f"warga{i}")
    ref = PlatformPostRef("pemkot", post.remote_id)
    texts: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = a.fetch_comments(ref, cursor)
        pages += 1
        assert page.cost == 1 and len(page.comments) <= 50
        texts += [c.text for c in page.comments]
        cursor = page.cursor
        if cursor is None:
            break
    assert pages == 3
    assert texts == [f"komentar {i}" for i in range(120)]
    first = a.fetch_comments(ref, None).comments[0]
    assert re.fullmatch(post.remote_id.split("_")[1] + r"_\d+", first.remote_id)
    with pytest.raises(InvalidInput):
        a.fetch_comments(ref, "abc")
    with pytest.raises(NotFound):
        adapter(db, clock, Platform.FACEBOOK, account="lain").fetch_comments(ref, None)


def test_hostile_text_is_stored_and_returned_verbatim(db: Path, clock: FakeClock) -> None:
    server = SandboxPlatform(db, clock)
    a = adapter(db, clock, Platform.INSTAGRAM)
    post = a.publish(req("k", DRAFTS[Platform.INSTAGRAM]), DictCheckpoint())
    server.add_comment(post.remote_id, HOSTILE, author="<b>x</b>")
    [c] = a.fetch_comments(PlatformPostRef("pemkot", post.remote_id), None).comments
    assert (c.text, c.author_handle, c.is_own) == (HOSTILE, "<b>x</b>", False)
    assert re.fullmatch(r"\d{17}", c.remote_id)


def test_reply_is_own_and_a_retry_is_already_published(db: Path, clock: FakeClock) -> None:
    server = SandboxPlatform(db, clock)
    a = adapter(db, clock, Platform.YOUTUBE)
    post = a.publish(req("k", DRAFTS[Platform.YOUTUBE]), DictCheckpoint())
    public = server.add_comment(post.remote_id, "Min, ini di mana?")
    ref = CommentRef("pemkot", post.remote_id, public.remote_id)

    server.script_failures("pemkot", ["timeout_after_send"], op="reply")
    ckpt = DictCheckpoint()
    with pytest.raises(OutcomeUnknown):
        a.reply(ref, "Di Jl. Merdeka 1, Kak.", ckpt)
    stored = ckpt.get("reply_id")
    with pytest.raises(AlreadyPublished) as ei:
        a.reply(ref, "Di Jl. Merdeka 1, Kak.", ckpt)
    assert ei.value.remote_id == stored

    lost = DictCheckpoint({"reply_key": ckpt.get("reply_key")})  # the reply id was never saved: the key still matches
    with pytest.raises(AlreadyPublished) as ei:
        a.reply(ref, "Di Jl. Merdeka 1, Kak.", lost)
    assert ei.value.remote_id == stored

    comments = a.fetch_comments(PlatformPostRef("pemkot", post.remote_id), None).comments
    assert [(c.text, c.is_own, c.parent_remote_id) for c in comments] == [
        ("Min, ini di mana?", False, None),
        ("Di Jl. Merdeka 1, Kak.", True, public.remote_id),
    ]
    assert comments[0].remote_id.startswith("Ugz") and comments[1].remote_id.startswith(comments[0].remote_id + ".")


def test_reply_limits_and_instagram_threads(db: Path, clock: FakeClock) -> None:
    server = SandboxPlatform(db, clock)
    a = adapter(db, clock, Platform.INSTAGRAM)
    post = a.publish(req("k", DRAFTS[Platform.INSTAGRAM]), DictCheckpoint())
    top = server.add_comment(post.remote_id, "Keren")
    nested = server.add_comment(post.remote_id, "Setuju", reply_to=top.remote_id)
    result = a.reply(CommentRef("pemkot", post.remote_id, nested.remote_id), "Terima kasih!", DictCheckpoint())
    [mine] = [c for c in server.comments(post.remote_id) if c.remote_id == result.remote_id]
    assert mine.parent_remote_id == top.remote_id  # IG answers in the top-level thread
    with pytest.raises(ContentRejected) as ei:
        a.reply(CommentRef("pemkot", post.remote_id, top.remote_id), "x" * 2201, DictCheckpoint())
    assert ei.value.rule == "reply_max"
    a.hide_comment(CommentRef("pemkot", post.remote_id, top.remote_id))
    with pytest.raises(ContentRejected, match="hidden"):
        a.reply(CommentRef("pemkot", post.remote_id, top.remote_id), "Halo", DictCheckpoint())
    shown = a.fetch_comments(PlatformPostRef("pemkot", post.remote_id), None).comments
    assert [c.remote_id for c in shown if c.hidden] == [top.remote_id]
    with pytest.raises(NotFound):
        a.hide_comment(CommentRef("pemkot", post.remote_id, "0"))
    with pytest.raises(NotFound, match="does not belong"):
        adapter(db, clock, Platform.INSTAGRAM, "lain").hide_comment(CommentRef("lain", post.remote_id, top.remote_id))


def test_a_closed_platform_opens_again_on_the_next_call(db: Path, clock: FakeClock) -> None:
    a = adapter(db, clock)
    a.publish(req("k", DRAFTS[Platform.X]), DictCheckpoint())
    a.close()
    assert a.find_published(req("k", DRAFTS[Platform.X]), DictCheckpoint()) is not None


# --- simulated public ----------------------------------------------------------------------------------------------


def test_sample_comments_are_a_realistic_mix_with_hostile_input() -> None:
    samples, authors = load_sample_comments()
    kinds = Counter(s.kind for s in samples)
    assert len(samples) >= 110 and len(authors) >= 20
    assert set(kinds) == {"praise", "question", "complaint", "abusive", "spam", "other"}
    assert any("<script>" in s.text for s in samples) and any("onerror=" in s.text for s in samples)
    assert len({s.text for s in samples}) == len(samples)


def _simulated(db: Path, clock: FakeClock, seed: int) -> list[tuple[str, str, str, str]]:
    server = SandboxPlatform(db, clock)
    for p in (Platform.X, Platform.FACEBOOK, Platform.YOUTUBE):
        adapter(db, clock, p).publish(req("k", DRAFTS[p]), DictCheckpoint())
    rng = random.Random(seed)
    start = clock()
    for minutes in (5, 30, 120, 600):
        simulate(server, start + timedelta(minutes=minutes), rng)
    return [
        (c.remote_id, c.author, c.text, c.created_at.isoformat())
        for post in server.list_posts()
        for c in server.comments(post.remote_id)
    ]


def test_simulate_is_deterministic_given_the_rng(tmp_path: Path) -> None:
    first = _simulated(tmp_path / "a.sqlite3", FakeClock(), seed=7)
    assert first and first == _simulated(tmp_path / "b.sqlite3", FakeClock(), seed=7)
    assert first != _simulated(tmp_path / "c.sqlite3", FakeClock(), seed=8)


def test_simulated_comments_decay_with_age_and_stop_after_a_day(db: Path, clock: FakeClock) -> None:
    server = SandboxPlatform(db, clock)
    start = clock()
    for i in range(30):
        adapter(db, clock, account=f"akun{i}").publish(req("k", DRAFTS[Platform.X]), DictCheckpoint())
    rng = random.Random(3)
    added = sum(simulate(server, start + timedelta(minutes=m), rng, mean_per_post=6.0, max_per_post=20)
                for m in range(0, 25 * 60, 30))
    assert simulate(server, start + timedelta(hours=25), rng) == 0  # nothing after a day
    assert simulate(server, start + timedelta(hours=40), rng) == 0
    ages = [
        (c.created_at - start).total_seconds() / 3600
        for post in server.list_posts()
        for c in server.comments(post.remote_id)
    ]
    assert len(ages) == added and added > 100
    per_post = Counter(c.post_remote_id for post in server.list_posts() for c in server.comments(post.remote_id))
    assert max(per_post.values()) <= 20
    assert all(0 <= age <= 24 for age in ages)
    first_hour = sum(age < 1 for age in ages)
    last_half_day = sum(age >= 12 for age in ages)
    assert first_hour > 2 * last_half_day > 0


def test_simulate_respects_the_cap_and_adds_each_comment_once(db: Path, clock: FakeClock) -> None:
    server = SandboxPlatform(db, clock)
    post = adapter(db, clock).publish(req("k", DRAFTS[Platform.X]), DictCheckpoint())
    for i in range(3):
        server.add_comment(post.remote_id, f"lebih dulu {i}")
    now = clock() + timedelta(hours=3)
    rng = random.Random(1)
    added = simulate(server, now, rng, mean_per_post=50, max_per_post=5)
    assert added == 2
    assert simulate(server, now, rng, mean_per_post=50, max_per_post=5) == 0
    assert simulate(SandboxPlatform(db, clock), now, random.Random(1), mean_per_post=50) == 0


def test_threads_and_deletions_as_the_platform_shows_them(db: Path, clock: FakeClock) -> None:
    server = SandboxPlatform(db, clock)
    first = server.create_post("pemkot", "Utas 1/2", imitates=Platform.X)
    second = server.create_post("pemkot", "Utas 2/2", imitates=Platform.X, in_reply_to=first.remote_id)
    assert server.get_post(second.remote_id).reply_to == first.remote_id
    with pytest.raises(NotFound):
        server.create_post("pemkot", "Utas 3/2", imitates=Platform.X, in_reply_to="404")
    spam = server.add_comment(first.remote_id, "Slot gacor")
    server.delete_comment(spam.remote_id)
    [shown] = adapter(db, clock).fetch_comments(PlatformPostRef("pemkot", first.remote_id), None).comments
    assert (shown.remote_id, shown.deleted) == (spam.remote_id, True)
    server.delete_post(second.remote_id)
    assert [p.remote_id for p in server.list_posts("pemkot")] == [first.remote_id]


def test_the_default_public_is_calm(db: Path, clock: FakeClock) -> None:
    """Issue 15: 30 comments a post a day buried a new office; the default gives a few in the first 25 minutes."""
    server = SandboxPlatform(db, clock)
    start = clock()
    for i in range(40):
        adapter(db, clock, account=f"akun{i}").publish(req("k", DRAFTS[Platform.X]), DictCheckpoint())
    rng = random.Random(5)
    added = sum(simulate(server, start + timedelta(minutes=m), rng) for m in range(1, 26))
    assert 2.0 < added / 40 < 4.5  # expected 8 * share(25 min) = 3.2 a post
