"""The monitor on a real database (SQLite always, PostgreSQL when configured): paging, dedup, decay, budgets,
rate limits, lease exclusivity, sandbox simulation."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from humas.app import App
from humas.cycle import CommentCycle
from humas.errors import AuthExpired, RateLimited
from humas.escalation.fakes import KeywordClassifier
from humas.monitor import leases
from humas.publisher.base import CommentPage, DictCheckpoint, Platform, PlatformPostRef, PostDraft, PublishRequest
from humas.publisher.sandbox import SandboxPlatform
from humas.store.models import Case, Comment, PollLease, Post, PublicationJob
from humas.testing import FakeClock, FakePlatform

X = {"name": "pemkot-x", "platform": "x"}
FB = {"name": "pemkot-fb", "platform": "facebook", "options": {"page_id": "1234567890"}}


def make_post(app: App, account: str, remote_id: str, published_at: datetime, content_id: int | None = None) -> int:
    """A Post row as the dispatcher writes it after publishing."""
    platform = app.settings.account(account).platform.value
    with app.db.session() as s:
        job = PublicationJob(kind="post", dedupe_key=f"post:test:{account}:{remote_id}", account=account,
                             platform=platform, run_at=published_at, state="published", remote_id=remote_id,
                             published_at=published_at)
        s.add(job)
        s.flush()
        post = Post(job_id=job.id, content_id=content_id, account=account, platform=platform, remote_id=remote_id,
                    published_at=published_at, next_poll_at=published_at)
        s.add(post)
        s.flush()
        return post.id


def count(app: App, model: Any, *where: Any) -> int:
    with app.db.session() as s:
        return int(s.execute(select(func.count()).select_from(model).where(*where)).scalar_one())


def fetches(fake: FakePlatform, remote_id: str | None = None) -> list[tuple[str, ...]]:
    return [c for c in fake.calls if c[0] == "fetch_comments" and (remote_id is None or c[1] == remote_id)]


@pytest.fixture
def xapp(make_app: Callable[..., App], db_url: str) -> App:
    return make_app(db_url, accounts=[X, FB])


def monitor(app: App, fakes: dict[str, FakePlatform], owner: str = "m1", **kw: Any) -> CommentCycle:
    kw.setdefault("classifier", KeywordClassifier())
    kw.setdefault("notify_case", lambda oc: None)
    return app.comment_cycle(owner, adapter_for=fakes.__getitem__, **kw)


def test_pages_are_followed_and_each_comment_stored_once(xapp: App, clock: FakeClock) -> None:
    fake = FakePlatform("pemkot-x", Platform.X, clock=clock, page_size=2)
    fb = FakePlatform("pemkot-fb", Platform.FACEBOOK, clock=clock)
    pid = make_post(xapp, "pemkot-x", "tweet-1", clock())
    for i in range(5):
        fake.add_comment("tweet-1", f"komentar {i}", author=f"warga{i}")
    m = monitor(xapp, {"pemkot-x": fake, "pemkot-fb": fb})

    r = m.run_once()
    assert [c[2] for c in fetches(fake)] == ["", "2", "4"]  # three pages in one run
    assert r.outcome("pemkot-x") == "ok" and r.new_comments == 5
    assert count(xapp, Comment) == 5

    clock.advance(minutes=2)
    fake.add_comment("tweet-1", "komentar baru")
    r = m.run_once()
    assert r.new_comments == 1
    assert count(xapp, Comment) == 6  # the re-read comments were not stored again
    with xapp.db.session() as s:
        post = s.get(Post, pid)
        assert post is not None and post.last_polled_at == clock()
        texts = sorted(c.text for c in s.execute(select(Comment)).scalars())
    assert texts == sorted([f"komentar {i}" for i in range(5)] + ["komentar baru"])


def test_new_comments_are_classified_and_negative_ones_become_cases(xapp: App, clock: FakeClock) -> None:
    fake = FakePlatform("pemkot-x", Platform.X, clock=clock)
    make_post(xapp, "pemkot-x", "tweet-1", clock())
    neg = fake.add_comment("tweet-1", "Pelayanan buruk, saya kecewa sekali")
    fake.add_comment("tweet-1", "Mantap, terima kasih infonya")
    fake.add_comment("tweet-1", "Lampu jalan depan masjid mati, lapor ke mana?")
    fake.add_comment("tweet-1", "Kami sudah menindaklanjuti laporan ini.", author="pemkot-x", is_own=True,
                     parent=neg.remote_id)
    classifier = KeywordClassifier()
    r = monitor(xapp, {"pemkot-x": fake}, classifier=classifier).run_once()
    assert r.pipeline.classified == 3  # the account's own reply is stored, never classified
    assert "Kami sudah menindaklanjuti laporan ini." not in classifier.texts
    with xapp.db.session() as s:
        cases = {c.comment.text: c.reason for c in s.execute(select(Case)).scalars()}
        own = s.execute(select(Comment).where(Comment.is_own.is_(True))).scalar_one()
        assert own.label is None and own.classified_at is None
        neg_row = s.execute(select(Comment).where(Comment.remote_id == neg.remote_id)).scalar_one()
        assert neg_row.label == "negative" and neg_row.escalate and neg_row.p_negative == pytest.approx(0.9)
        tiers = {c.text: c.tier for c in s.execute(select(Comment).where(Comment.is_own.is_(False))).scalars()}
    # a calm report of a problem is a question for the response role (SOP step 12), not the negative path
    assert cases == {"Pelayanan buruk, saya kecewa sekali": "negative"}
    assert tiers == {"Pelayanan buruk, saya kecewa sekali": "case", "Mantap, terima kasih infonya": "none",
                     "Lampu jalan depan masjid mati, lapor ke mana?": "question"}


def test_comments_another_writer_stored_meanwhile_are_skipped_and_the_rest_kept(
        xapp: App, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    from humas.monitor import store
    from humas.publisher.base import RemoteComment

    post_id = make_post(xapp, "pemkot-x", "p1", clock())

    def remote(i: int) -> RemoteComment:
        return RemoteComment(remote_id=f"c{i}", post_remote_id="p1", text=f"komentar {i}", author_handle="warga",
                             created_at=clock())

    with xapp.db.session() as s:
        post = s.get(Post, post_id)
        assert post is not None and store.store_comments(s, post, [remote(1)], source="poll", now=clock()).new
    # a webhook stored c1 between this poll's read and its insert: the read saw nothing
    monkeypatch.setattr(store, "existing", lambda *a: {})
    with xapp.db.session() as s:
        post = s.get(Post, post_id)
        assert post is not None
        result = store.store_comments(s, post, [remote(1), remote(2), remote(3)], source="poll", now=clock())
        assert len(result.new) == 2
    assert count(xapp, Comment) == 3
    with xapp.db.read() as s:
        assert sorted(s.scalars(select(Comment.remote_id))) == ["c1", "c2", "c3"]
        assert s.get(Comment, result.new[0]).remote_id == "c2"  # type: ignore[union-attr]


def test_polling_decays_with_post_age_and_stops_after_the_last_stage(xapp: App, clock: FakeClock) -> None:
    fake = FakePlatform("pemkot-x", Platform.X, clock=clock)
    now = clock()
    young = make_post(xapp, "pemkot-x", "young", now - timedelta(minutes=10))
    day_old = make_post(xapp, "pemkot-x", "day-old", now - timedelta(days=2))
    old = make_post(xapp, "pemkot-x", "old", now - timedelta(days=31))
    m = monitor(xapp, {"pemkot-x": fake})
    m.run_once()
    with xapp.db.session() as s:
        polls = {p.id: p.next_poll_at for p in s.execute(select(Post)).scalars()}
    assert polls[young] == now + timedelta(minutes=2)  # first hour: every 2 minutes
    assert polls[day_old] == now + timedelta(hours=1)  # up to a week: hourly
    assert polls[old] is None  # older than the last stage (30 days): no more polling

    clock.advance(minutes=2)
    m.run_once()
    assert len(fetches(fake, "young")) == 2 and len(fetches(fake, "day-old")) == 1 and len(fetches(fake, "old")) == 1


def test_daily_budget_stops_the_account_until_the_next_day(make_app: Callable[..., App], db_url: str,
                                                          clock: FakeClock) -> None:
    app = make_app(db_url, accounts=[X], monitor={"daily_budget": {"x": 3}})
    fake = FakePlatform("pemkot-x", Platform.X, clock=clock, page_size=1)
    make_post(app, "pemkot-x", "tweet-1", clock())
    make_post(app, "pemkot-x", "tweet-2", clock())
    for i in range(3):
        fake.add_comment("tweet-1", f"satu {i}")
        fake.add_comment("tweet-2", f"dua {i}")
    m = monitor(app, {"pemkot-x": fake})
    r = m.run_once()
    rep = r.accounts[0]
    assert rep.outcome == "budget_spent" and rep.budget_used == 3 and rep.cost == 3
    assert len(fetches(fake)) == 3
    local_midnight = app.local(clock()).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    assert rep.next_run_at == local_midnight
    with app.db.session() as s:
        lease = s.get(PollLease, "pemkot-x")
        assert lease is not None and lease.budget_used == 3 and lease.lease_owner is None
        assert lease.budget_day == app.local(clock()).date().isoformat()

    clock.advance(minutes=5)
    assert m.run_once().accounts == []  # not due until the budget resets
    assert len(fetches(fake)) == 3

    clock.set(local_midnight + timedelta(minutes=1))
    r = m.run_once()
    assert r.accounts[0].budget_used >= 1 and r.accounts[0].outcome in ("ok", "budget_spent")
    assert count(app, Comment) > 3


def test_sandbox_accounts_spend_the_budget_of_the_platform_they_imitate(app: App) -> None:
    m = app.monitor("m1")
    assert m.budget_key("sandbox-youtube") == "youtube" and m.budget_key("sandbox-x") == "x"


class RateLimitedPlatform(FakePlatform):
    """Answers every comment fetch with a rate limit until ``reset_at``."""

    reset_at: datetime

    def fetch_comments(self, ref: PlatformPostRef, cursor: str | None) -> CommentPage:
        if self.clock() < self.reset_at:
            self.calls.append(("fetch_comments", ref.remote_id, cursor or ""))
            raise RateLimited("fake: rate limited", reset_at=self.reset_at, platform="x", account=self.account)
        return super().fetch_comments(ref, cursor)


class ExpiredPlatform(FakePlatform):
    def fetch_comments(self, ref: PlatformPostRef, cursor: str | None) -> CommentPage:
        raise AuthExpired("fake: token expired", platform="facebook", account=self.account)


def test_a_rate_limit_postpones_only_that_account(xapp: App, clock: FakeClock) -> None:
    limited = RateLimitedPlatform("pemkot-x", Platform.X, clock=clock)
    limited.reset_at = clock() + timedelta(minutes=15)
    fb = FakePlatform("pemkot-fb", Platform.FACEBOOK, clock=clock)
    make_post(xapp, "pemkot-x", "tweet-1", clock())
    make_post(xapp, "pemkot-fb", "111_222", clock())
    limited.add_comment("tweet-1", "halo")
    fb.add_comment("111_222", "halo juga")
    m = monitor(xapp, {"pemkot-x": limited, "pemkot-fb": fb})
    r = m.run_once()
    assert r.outcome("pemkot-x") == "rate_limited" and r.outcome("pemkot-fb") == "ok"
    assert count(xapp, Comment, Comment.account == "pemkot-fb") == 1
    with xapp.db.session() as s:
        lease = s.get(PollLease, "pemkot-x")
        assert lease is not None and lease.next_run_at == limited.reset_at
        post = s.execute(select(Post).where(Post.remote_id == "tweet-1")).scalar_one()
        assert post.last_polled_at is None  # still due: polled as soon as the limit resets

    clock.advance(minutes=5)
    assert m.run_once().outcome("pemkot-x") is None  # not claimed before the reset
    clock.set(limited.reset_at)
    assert m.run_once().outcome("pemkot-x") == "ok"
    assert count(xapp, Comment, Comment.account == "pemkot-x") == 1


def test_expired_credentials_are_reported_not_fatal(xapp: App, clock: FakeClock) -> None:
    expired = ExpiredPlatform("pemkot-fb", Platform.FACEBOOK, clock=clock)
    fake = FakePlatform("pemkot-x", Platform.X, clock=clock)
    make_post(xapp, "pemkot-fb", "111_222", clock())
    make_post(xapp, "pemkot-x", "tweet-1", clock())
    fake.add_comment("tweet-1", "halo")
    r = monitor(xapp, {"pemkot-x": fake, "pemkot-fb": expired}).run_once()
    fb = next(a for a in r.accounts if a.account == "pemkot-fb")
    assert fb.outcome == "auth_expired" and "expired" in fb.detail
    assert r.outcome("pemkot-x") == "ok" and r.new_comments == 1


def test_two_monitors_never_poll_one_account_at_once(xapp: App, clock: FakeClock) -> None:
    fake = FakePlatform("pemkot-x", Platform.X, clock=clock)
    fb = FakePlatform("pemkot-fb", Platform.FACEBOOK, clock=clock)
    make_post(xapp, "pemkot-x", "tweet-1", clock())
    make_post(xapp, "pemkot-fb", "111_222", clock())
    fake.add_comment("tweet-1", "halo")
    fakes = {"pemkot-x": fake, "pemkot-fb": fb}
    monitors = [monitor(xapp, fakes, owner=f"m{i}") for i in range(4)]
    barrier = threading.Barrier(len(monitors))
    reports: list[Any] = []
    errors: list[BaseException] = []

    def run(m: CommentCycle) -> None:
        try:
            barrier.wait()
            reports.append(m.run_once())
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(m,)) for m in monitors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    polled = [a.account for r in reports for a in r.accounts]
    assert sorted(polled) == ["pemkot-fb", "pemkot-x"]  # each account by exactly one monitor
    assert len(fetches(fake)) == 1 and len(fetches(fb)) == 1
    assert count(xapp, Comment) == 1


def test_a_claim_excludes_others_until_its_lease_expires(xapp: App, clock: FakeClock) -> None:
    names = ["pemkot-x"]
    now = clock()
    leases.ensure(xapp.db, names, now)
    lease = timedelta(seconds=xapp.settings.monitor.lease_seconds)
    a = leases.claim(xapp.db, "a", names, now=now, lease=lease)
    assert [c.account for c in a] == ["pemkot-x"]
    assert leases.claim(xapp.db, "b", names, now=now, lease=lease) == []
    later = now + lease + timedelta(seconds=1)
    b = leases.claim(xapp.db, "b", names, now=later, lease=lease)  # a died: its lease ran out
    assert [c.account for c in b] == ["pemkot-x"]
    assert not leases.release(xapp.db, a[0], next_run_at=later)  # fenced: the old holder changes nothing
    assert leases.release(xapp.db, b[0], next_run_at=later)


def test_sandbox_posts_receive_simulated_comments_over_time(make_app: Callable[..., App], db_url: str,
                                                           clock: FakeClock) -> None:
    accounts = [{"name": "sandbox-facebook", "platform": "sandbox", "imitates": "facebook"}]
    app = make_app(db_url, accounts=accounts)
    adapter = app.adapters.get("sandbox-facebook")
    res = adapter.publish(PublishRequest("post:1:sandbox-facebook", "sandbox-facebook",
                                         PostDraft(text="Jadwal layanan SIM keliling pekan ini")), DictCheckpoint())
    make_post(app, "sandbox-facebook", res.remote_id, clock())
    import random

    m = app.comment_cycle("m1", classifier=KeywordClassifier(), notify_case=lambda oc: None, rng=random.Random(7))
    total = 0
    for _ in range(12):
        clock.advance(minutes=30)
        r = m.run_once()
        total += r.simulated
    assert total > 0
    assert count(app, Comment) == total == len(SandboxPlatform(app.settings.sandbox_db).comments(res.remote_id))
    assert count(app, Comment, Comment.classified_at.is_(None)) == 0
