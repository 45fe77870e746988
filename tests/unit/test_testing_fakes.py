"""The fakes in humas.testing: FakeClock and FakePlatform."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from humas.errors import (
    AlreadyPublished,
    AuthExpired,
    ContentRejected,
    InvalidInput,
    NotFound,
    OutcomeUnknown,
    PlatformUnavailable,
    RateLimited,
)
from humas.publisher.base import (
    CommentRef,
    DictCheckpoint,
    MemorySecretStore,
    Platform,
    PlatformAdapter,
    PlatformLimits,
    PlatformPostRef,
    PostDraft,
    PublishRequest,
    SecretStore,
)
from humas.publisher.limits import LIMITS
from humas.testing import FakeClock, FakePlatform, fake_clock
from humas.testing import MemorySecretStore as ReExported

REQ = PublishRequest(idempotency_key="post:1:fake", account="fake", draft=PostDraft("Halo warga"))


# --- FakeClock -----------------------------------------------------------------------------------------------------


def test_fake_clock_moves_only_when_told() -> None:
    clock = fake_clock("2026-03-02T08:00:00+07:00")
    assert clock() == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert clock().tzinfo is UTC
    assert clock.advance(minutes=5) == datetime(2026, 3, 2, 1, 5, tzinfo=UTC)
    assert clock.advance(timedelta(hours=1), seconds=30) == datetime(2026, 3, 2, 2, 5, 30, tzinfo=UTC)
    clock.set(datetime(2026, 4, 1, tzinfo=UTC))
    assert clock() == datetime(2026, 4, 1, tzinfo=UTC)
    clock.sleep(2.5)
    assert clock.sleeps == [2.5] and clock() == datetime(2026, 4, 1, 0, 0, 2, 500000, tzinfo=UTC)


def test_fake_clock_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        FakeClock(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        fake_clock().set(datetime(2026, 1, 1))


def test_memory_secret_store_is_re_exported() -> None:
    assert ReExported is MemorySecretStore
    store: SecretStore = ReExported()
    store.set("pemkot", "refresh_token", "s3cret")
    assert store.get("pemkot", "refresh_token") == "s3cret"


# --- FakePlatform: the contract ------------------------------------------------------------------------------------


def test_fake_platform_satisfies_the_protocol() -> None:
    fake: PlatformAdapter = FakePlatform()
    assert isinstance(fake, PlatformAdapter)
    assert isinstance(fake, FakePlatform)
    assert (fake.platform, fake.limits) == (Platform.X, LIMITS[Platform.X])


def test_platform_and_limits_are_per_instance_and_on_the_class() -> None:
    ig = FakePlatform("pemkot_ig", Platform.INSTAGRAM)
    tiny = FakePlatform(limits=PlatformLimits(text_max=5))
    x = FakePlatform()
    assert type(ig).platform is Platform.INSTAGRAM and type(ig).limits is LIMITS[Platform.INSTAGRAM]
    assert type(tiny).limits.text_max == 5 and x.limits is LIMITS[Platform.X]
    assert type(FakePlatform()) is type(x)
    assert [p.rule for p in tiny.validate(PostDraft("panjang sekali"))] == ["text_max"]
    assert [p.rule for p in ig.validate(PostDraft("tanpa foto"))] == ["media_required"]


def test_publish_records_calls_and_stores_every_request() -> None:
    clock = fake_clock()
    fake = FakePlatform(clock=clock)
    ckpt = DictCheckpoint()
    first = fake.publish(REQ, ckpt)
    assert first.published_at == clock()
    assert fake.find_published(REQ, ckpt) == first
    assert fake.publish(REQ, ckpt) != first  # no platform-side dedup: the test sees a double post
    assert fake.published == [REQ, REQ] and len(fake.posts_for(REQ.idempotency_key)) == 2
    assert fake.calls == [("publish", "post:1:fake"), ("find_published", "post:1:fake"), ("publish", "post:1:fake")]
    other = PublishRequest(idempotency_key="post:2:fake", account="fake", draft=PostDraft("lain"))
    assert fake.find_published(other, ckpt) is None


def test_publish_rejects_content_over_the_limits() -> None:
    fake = FakePlatform(limits=PlatformLimits(text_max=3))
    with pytest.raises(ContentRejected) as ei:
        fake.publish(REQ, DictCheckpoint())
    assert ei.value.rule == "text_max" and fake.published == []


# --- FakePlatform: scripted failures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("server_error", PlatformUnavailable),
        ("auth_expired", AuthExpired),
        ("content_rejected", ContentRejected),
        ("outcome_unknown", OutcomeUnknown),
    ],
)
def test_failures_before_send_store_nothing(mode: str, error: type[Exception]) -> None:
    fake = FakePlatform()
    fake.fail_next(mode)
    with pytest.raises(error):
        fake.publish(REQ, DictCheckpoint())
    assert fake.published == [] and fake.find_published(REQ, DictCheckpoint()) is None
    fake.publish(REQ, DictCheckpoint())  # one failure per scripted mode
    assert len(fake.published) == 1


def test_rate_limited_carries_reset_at() -> None:
    clock = fake_clock()
    fake = FakePlatform(clock=clock)
    later = clock() + timedelta(minutes=15)
    fake.fail_next("rate_limited")
    fake.fail_next("rate_limited", reset_at=later)
    with pytest.raises(RateLimited) as ei:
        fake.publish(REQ, DictCheckpoint())
    assert ei.value.reset_at == clock() + timedelta(seconds=60) == ei.value.retry_after
    with pytest.raises(RateLimited) as ei:
        fake.publish(REQ, DictCheckpoint())
    assert ei.value.reset_at == later


def test_crash_after_send_stores_the_post_that_find_published_then_finds() -> None:
    fake = FakePlatform()
    fake.fail_next("crash_after_send")
    with pytest.raises(OutcomeUnknown):
        fake.publish(REQ, DictCheckpoint())
    assert fake.published == [REQ]
    found = fake.find_published(REQ, DictCheckpoint())
    assert found is not None and found.remote_id == fake.posts_for(REQ.idempotency_key)[0].result.remote_id


def test_already_published_names_the_existing_post() -> None:
    fake = FakePlatform()
    first = fake.publish(REQ, DictCheckpoint())
    fake.fail_next("already_published", "already_published")
    with pytest.raises(AlreadyPublished) as ei:
        fake.publish(REQ, DictCheckpoint())
    assert ei.value.remote_id == first.remote_id
    other = PublishRequest(idempotency_key="post:2:fake", account="fake", draft=PostDraft("lain"))
    with pytest.raises(AlreadyPublished) as ei:
        fake.publish(other, DictCheckpoint())
    found = fake.find_published(other, DictCheckpoint())
    assert found is not None and ei.value.remote_id == found.remote_id


def test_unknown_modes_are_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown failure mode"):
        FakePlatform().fail_next("rate_limited", "explode")


# --- FakePlatform: comments ----------------------------------------------------------------------------------------


def test_comments_page_reply_and_hide() -> None:
    fake = FakePlatform("pemkot", page_size=2)
    post = fake.publish(REQ, DictCheckpoint())
    added = [fake.add_comment(post.remote_id, f"komentar {i}") for i in range(3)]
    ref = PlatformPostRef("pemkot", post.remote_id)
    page = fake.fetch_comments(ref, None)
    assert page.comments == added[:2] and page.cursor is not None
    rest = fake.fetch_comments(ref, page.cursor)
    assert rest.comments == added[2:] and rest.cursor is None
    assert fake.fetch_comments(PlatformPostRef("pemkot", "unknown"), None).comments == []

    target = CommentRef("pemkot", post.remote_id, added[0].remote_id)
    ckpt = DictCheckpoint()
    reply = fake.reply(target, "Terima kasih", ckpt)
    assert ckpt.get("reply_id") == reply.remote_id
    own = fake.comments[post.remote_id][-1]
    assert (own.is_own, own.parent_remote_id, own.author_handle) == (True, added[0].remote_id, "pemkot")

    fake.hide_comment(target)
    assert fake.comments[post.remote_id][0].hidden
    with pytest.raises(NotFound):
        fake.hide_comment(CommentRef("pemkot", post.remote_id, "nope"))
    assert ("reply", added[0].remote_id, "Terima kasih") in fake.calls
    assert ("hide_comment", added[0].remote_id) in fake.calls


def test_reply_failures() -> None:
    fake = FakePlatform()
    post = fake.publish(REQ, DictCheckpoint())
    target = CommentRef("fake", post.remote_id, fake.add_comment(post.remote_id, "tanya").remote_id)
    fake.fail_next("crash_after_send", "already_published", "server_error")
    ckpt = DictCheckpoint()
    with pytest.raises(OutcomeUnknown):
        fake.reply(target, "jawab", ckpt)
    with pytest.raises(AlreadyPublished) as ei:
        fake.reply(target, "jawab", ckpt)
    assert ei.value.remote_id == ckpt.get("reply_id")
    with pytest.raises(PlatformUnavailable):
        fake.reply(target, "jawab", ckpt)
    assert len([c for c in fake.comments[post.remote_id] if c.is_own]) == 1
    assert fake.check().ok
