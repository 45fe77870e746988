"""The dispatcher against the shipped FakePlatform: every outcome ends in a visible state, never a double post."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from humas.app import App
from humas.errors import InvalidInput, InvalidTransition, NotFound, RequirementsNotMet
from humas.publisher.base import Platform
from humas.queue import service
from humas.store import audit
from humas.store.models import AccountState, Content, ContentStatus, JobState, Post, PublicationJob
from humas.testing import FakeClock, FakePlatform
from tests.conftest import add_user, approve_all

ALL_ROLES = ["tim_konten_kreatif", "tim_reviu", "tim_editor", "redaktur", "pimpinan_redaktur", "penanggung_jawab",
             "tim_sosial_media"]


@pytest.fixture
def pub(app: App) -> App:
    add_user(app, "ana", *ALL_ROLES)
    add_user(app, "tamu", "tim_reviu")
    return app


def approved(app: App, accounts: list[str], caption: str = "Info layanan publik") -> int:
    with app.db.session() as s:
        wf = app.workflow(s)
        actor = app.actor(s, "ana")
        c = wf.create(actor, sop_id="mojokerto-acc", title="Info", text="Narasi", caption=caption, accounts=accounts)
        wf.submit(actor, c.id)
        approve_all(app, s, c.id)
        assert c.status == "approved"
        return c.id


def schedule(app: App, cid: int, at: str = "now", accounts: list[str] | None = None) -> list[int]:
    with app.db.session() as s:
        return [j.id for j in service.schedule(app.env, s, app.actor(s, "ana"), cid, service.parse_when(app.env, at),
                                               accounts, platform_check=app.platform_check)]


def fake(app: App, name: str = "sandbox-x", platform: Platform = Platform.X) -> FakePlatform:
    f = FakePlatform(account=name, platform=platform, clock=app.clock)
    app.adapters.override(name, f)
    return f


def job(app: App, jid: int) -> PublicationJob:
    with app.db.session() as s:
        j = s.get(PublicationJob, jid)
        assert j is not None
        return j


def content_status(app: App, cid: int) -> str:
    with app.db.session() as s:
        c = s.get(Content, cid)
        assert c is not None
        return c.status


def test_publishes_once_and_records_the_post(pub: App) -> None:
    f = fake(pub)
    cid = approved(pub, ["sandbox-x"])
    [jid] = schedule(pub, cid)
    assert content_status(pub, cid) == "scheduled"
    pub.dispatcher("w1").run_due()
    pub.dispatcher("w2").run_due()
    j = job(pub, jid)
    assert j.state == JobState.PUBLISHED and j.remote_id and len(f.published) == 1
    assert content_status(pub, cid) == "published"
    with pub.db.session() as s:
        post = s.execute(select(Post)).scalar_one()
        assert post.remote_id == j.remote_id and post.next_poll_at is not None


def test_crash_after_send_is_resolved_by_asking_the_platform(pub: App) -> None:
    f = fake(pub)
    cid = approved(pub, ["sandbox-x"])
    [jid] = schedule(pub, cid)
    f.fail_next("crash_after_send")
    pub.dispatcher("w1").tick()
    assert job(pub, jid).state == JobState.IN_DOUBT and len(f.published) == 1
    pub.clock.advance(minutes=1)  # type: ignore[attr-defined]
    pub.dispatcher("w2").run_due()
    j = job(pub, jid)
    assert j.state == JobState.PUBLISHED and len(f.published) == 1  # found, never posted again
    assert [c[0] for c in f.calls].count("publish") == 1 and "find_published" in [c[0] for c in f.calls]


class Revoked(FakePlatform):
    """Its credentials were revoked after a call whose outcome is unknown: asking the platform fails too."""

    def find_published(self, req, ckpt):  # type: ignore[no-untyped-def]
        from humas.errors import AuthExpired

        raise AuthExpired("token revoked", account=self.account)


def test_an_in_doubt_job_whose_account_expired_stays_in_doubt_with_the_account_paused(pub: App) -> None:
    f = Revoked(account="sandbox-x", platform=Platform.X, clock=pub.clock)
    pub.adapters.override("sandbox-x", f)
    cid = approved(pub, ["sandbox-x"])
    [jid] = schedule(pub, cid)
    f.fail_next("crash_after_send")
    pub.dispatcher("w1").tick()
    pub.clock.advance(minutes=1)  # type: ignore[attr-defined]
    assert pub.dispatcher("w2").tick().outcomes == {"paused": 1}
    j = job(pub, jid)
    assert j.state == JobState.IN_DOUBT and j.lease_owner is None and "account paused: token revoked" in j.last_error
    with pub.db.read() as s:
        assert s.get(AccountState, "sandbox-x").status == "paused"  # type: ignore[union-attr]
        assert [e.action for e in audit.entries(s)][-1] == "account.paused"
    assert len(f.published) == 1  # never sent again while nobody knows


def test_unknown_outcome_not_found_is_posted_again_once(pub: App) -> None:
    f = fake(pub)
    cid = approved(pub, ["sandbox-x"])
    [jid] = schedule(pub, cid)
    f.fail_next("outcome_unknown")
    pub.dispatcher("w1").tick()
    assert job(pub, jid).state == JobState.IN_DOUBT and f.published == []
    pub.clock.advance(minutes=1)  # type: ignore[attr-defined]
    pub.dispatcher("w1").run_due()
    assert job(pub, jid).state == JobState.PUBLISHED and len(f.published) == 1


def test_hold_policy_waits_for_a_person(make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(db_url, queue={"in_doubt_policy": "hold"})
    add_user(app, "ana", *ALL_ROLES)
    f = fake(app)
    cid = approved(app, ["sandbox-x"])
    [jid] = schedule(app, cid)
    f.fail_next("outcome_unknown")
    app.dispatcher("w").tick()
    app.clock.advance(minutes=1)
    app.dispatcher("w").run_due()
    assert job(app, jid).state == JobState.IN_DOUBT and "confirm" in job(app, jid).last_error
    assert f.published == []


def test_rate_limit_waits_until_the_reset(pub: App, clock: FakeClock) -> None:
    f = fake(pub)
    cid = approved(pub, ["sandbox-x"])
    [jid] = schedule(pub, cid)
    reset = clock() + timedelta(minutes=15)
    f.fail_next("rate_limited", reset_at=reset)
    pub.dispatcher("w").run_due()
    j = job(pub, jid)
    assert j.state == JobState.RETRY_WAIT and j.run_at == reset
    clock.advance(minutes=10)
    assert pub.dispatcher("w").run_due().claimed == 0
    clock.advance(minutes=6)
    pub.dispatcher("w").run_due()
    assert job(pub, jid).state == JobState.PUBLISHED


def test_transient_errors_back_off_then_fail_visibly(make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    app = make_app(db_url, queue={"max_attempts": 3, "backoff_base_seconds": 10, "backoff_max_seconds": 60})
    add_user(app, "ana", *ALL_ROLES)
    f = fake(app)
    cid = approved(app, ["sandbox-x"])
    [jid] = schedule(app, cid)
    f.fail_next("server_error", "server_error", "server_error")
    waits = []
    for _ in range(3):
        app.dispatcher("w").run_due()
        j = job(app, jid)
        if j.state == JobState.RETRY_WAIT:
            waits.append((j.run_at - app.clock()).total_seconds())
            app.clock.advance(seconds=61)
    j = job(app, jid)
    assert j.state == JobState.FAILED and "gave up after 3 attempts" in j.last_error
    assert len(waits) == 2 and all(0 < w <= 60 for w in waits)
    with app.db.session() as s:
        service.retry(app.env, s, app.actor(s, "ana"), jid)
    app.dispatcher("w").run_due()
    assert job(app, jid).state == JobState.PUBLISHED and len(f.published) == 1


def test_auth_expired_pauses_only_that_account(pub: App) -> None:
    fx = fake(pub, "sandbox-x", Platform.X)
    ff = fake(pub, "sandbox-facebook", Platform.FACEBOOK)
    cid = approved(pub, ["sandbox-x", "sandbox-facebook"])
    jx, jf = schedule(pub, cid)
    fx.fail_next("auth_expired")
    pub.dispatcher("w").run_due()
    assert job(pub, jf).state == JobState.PUBLISHED and len(ff.published) == 1
    assert job(pub, jx).state == JobState.RETRY_WAIT and "paused" in job(pub, jx).last_error
    with pub.db.session() as s:
        assert s.get(AccountState, "sandbox-x").status == "paused"  # type: ignore[union-attr]
    pub.clock.advance(hours=1)  # type: ignore[attr-defined]
    assert pub.dispatcher("w").run_due().claimed == 0  # a paused account's jobs wait
    with pub.db.session() as s:
        pub.account_states.resume(s, "sandbox-x")
    pub.dispatcher("w").run_due()
    assert job(pub, jx).state == JobState.PUBLISHED and len(fx.published) == 1
    assert content_status(pub, cid) == "published"


def test_content_rejected_goes_back_to_the_editor(pub: App) -> None:
    f = fake(pub)
    cid = approved(pub, ["sandbox-x"])
    [jid] = schedule(pub, cid)
    f.fail_next("content_rejected")
    pub.dispatcher("w").run_due()
    assert job(pub, jid).state == JobState.FAILED
    with pub.db.session() as s:
        c = s.get(Content, cid)
        # the last step that owns editing (Tim Editor), whose approvals after it must be given again
        assert c is not None and c.step_id == "editing" and c.status == "in_review"
        hist = pub.workflow(s).history(c)
    assert hist[-1]["action"] == "content.returned" and "rejected" in hist[-1]["note"]


def test_pacing_gap_and_daily_cap(make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    from humas.config import default_accounts

    accs = [a.model_dump() for a in default_accounts()]
    for a in accs:
        a["imitates"] = a["imitates"].value
        a["platform"] = a["platform"].value
        a["credentials"] = {}
        if a["name"] == "sandbox-x":
            a["pacing"] = {"min_gap_seconds": 600, "daily_cap": 2}
    app = make_app(db_url, accounts=accs)
    add_user(app, "ana", *ALL_ROLES)
    f = fake(app)
    ids = [approved(app, ["sandbox-x"], caption=f"Kabar {i}") for i in range(3)]
    jobs_ = [schedule(app, c)[0] for c in ids]
    app.dispatcher("w").run_due()
    assert [job(app, j).state for j in jobs_].count(JobState.PUBLISHED) == 1
    app.clock.advance(seconds=601)
    app.dispatcher("w").run_due()
    assert [job(app, j).state for j in jobs_].count(JobState.PUBLISHED) == 2
    app.clock.advance(seconds=601)
    app.dispatcher("w").run_due()
    assert [job(app, j).state for j in jobs_].count(JobState.PUBLISHED) == 2  # the daily cap
    assert len(f.published) == 2


def test_schedule_refuses_bad_input_and_queues_nothing(pub: App) -> None:
    fake(pub)
    cid = approved(pub, ["sandbox-x"])
    with pytest.raises(InvalidInput, match="in the past"):
        schedule(pub, cid, at="2020-01-01 09:00")
    with pytest.raises(NotFound, match="unknown account"):
        schedule(pub, cid, accounts=["nope"])
    with pytest.raises(RequirementsNotMet, match="media_required"):
        schedule(pub, cid, accounts=["sandbox-instagram"])
    with pytest.raises(InvalidInput, match="invalid time"):
        schedule(pub, cid, at="besok pagi")
    with pub.db.session() as s:
        wf = pub.workflow(s)
        other = wf.create(pub.actor(s, "ana"), sop_id="mojokerto-acc", title="Draf", text="N").id
    with pytest.raises(InvalidTransition, match="only approved"):
        schedule(pub, other)
    from humas.errors import PermissionDenied

    with pytest.raises(PermissionDenied), pub.db.session() as s:
        service.schedule(pub.env, s, pub.actor(s, "tamu"), cid, pub.clock(), platform_check=pub.platform_check)
    with pub.db.session() as s:
        assert s.execute(select(PublicationJob)).first() is None
    assert content_status(pub, cid) == "approved"


def test_cancel_then_schedule_again(pub: App) -> None:
    f = fake(pub)
    cid = approved(pub, ["sandbox-x"])
    [jid] = schedule(pub, cid, at="2030-01-01 09:00")
    with pub.db.session() as s:
        loaded = s.get(Content, cid)
        assert loaded is not None and loaded.status == ContentStatus.SCHEDULED
        service.cancel(pub.env, s, pub.actor(s, "ana"), jid)
        assert loaded.status == ContentStatus.APPROVED  # the session's own copy sees the settled status
    assert content_status(pub, cid) == "approved"
    [again] = schedule(pub, cid)
    assert again == jid
    pub.dispatcher("w").run_due()
    assert job(pub, jid).state == JobState.PUBLISHED and len(f.published) == 1


class Exploding(FakePlatform):
    """An adapter with a bug: it raises something that is not a humas error after sending."""

    def publish(self, req, ckpt):  # type: ignore[no-untyped-def]
        super().publish(req, ckpt)
        raise KeyError("data")


def test_an_unexpected_error_during_the_call_is_in_doubt_not_retried(pub: App) -> None:
    f = Exploding(account="sandbox-x", platform=Platform.X, clock=pub.clock)
    pub.adapters.override("sandbox-x", f)
    cid = approved(pub, ["sandbox-x"])
    [jid] = schedule(pub, cid)
    pub.dispatcher("w").tick()
    j = job(pub, jid)
    assert j.state == JobState.IN_DOUBT and "KeyError" in j.last_error
    pub.clock.advance(minutes=1)  # type: ignore[attr-defined]
    pub.dispatcher("w").run_due()
    assert job(pub, jid).state == JobState.PUBLISHED and len(f.published) == 1


def test_the_dispatcher_waits_until_the_next_due_job_and_never_spins(pub: App) -> None:
    from humas.queue.dispatcher import TickReport

    fake(pub)
    d = pub.dispatcher("w")
    assert d.next_wait(TickReport(), 30.0) == 30.0  # nothing scheduled: the longest wait
    cid = approved(pub, ["sandbox-x"])
    [jid] = schedule(pub, cid, at=(pub.clock() + timedelta(seconds=7)).isoformat())
    assert d.next_wait(TickReport(), 30.0) == pytest.approx(7.0)  # sleeps until the job is due
    assert d.next_wait(TickReport(), 5.0) == 5.0
    assert d.next_wait(TickReport(claimed=2), 30.0) == 0.0  # found work: more may be due at once
    with pub.db.session() as s:  # due but not claimable (a paused account): the longest wait, not a busy loop
        s.add(AccountState(name="sandbox-x", platform="x", status="paused"))
        s.get(PublicationJob, jid).run_at = pub.clock() - timedelta(seconds=1)  # type: ignore[union-attr]
    report = d.tick()
    assert report.claimed == 0 and d.next_wait(report, 30.0) == 30.0


class Slow(FakePlatform):
    """Each call takes two seconds of the app's clock; ``seen`` holds every job's state at the time of each call."""

    def __init__(self, *, app: App, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(clock=app.clock, **kw)
        self.app = app
        self.seen: list[dict[int, str]] = []

    def publish(self, req, ckpt):  # type: ignore[no-untyped-def]
        with self.app.db.read() as s:
            self.seen.append({j.id: j.state for j in s.scalars(select(PublicationJob))})
        self.app.clock.advance(seconds=2)  # type: ignore[attr-defined]
        return super().publish(req, ckpt)


def test_a_batch_is_marked_together_and_a_mark_waits_at_most_a_second_of_calls(pub: App) -> None:
    f = Slow(app=pub, account="sandbox-x", platform=Platform.X)
    pub.adapters.override("sandbox-x", f)
    cids = [approved(pub, ["sandbox-x"], caption=f"Kabar {i}") for i in range(3)]
    j1, j2, j3 = (schedule(pub, c)[0] for c in cids)
    report = pub.dispatcher("w").tick()
    assert report.claimed == 3 and report.outcomes == {"published": 3}
    # the first mark waits for the second call (sent within the second), both are written before the third call
    assert [{j: seen[j] for j in (j1, j2)} for seen in f.seen] == [
        {j1: JobState.SENDING, j2: JobState.CLAIMED},
        {j1: JobState.SENDING, j2: JobState.SENDING},
        {j1: JobState.PUBLISHED, j2: JobState.PUBLISHED},
    ]
    assert all(job(pub, j).state == JobState.PUBLISHED for j in (j1, j2, j3)) and len(f.published) == 3
    with pub.db.read() as s:
        actions = [e.action for e in audit.entries(s) if e.action in ("job.published", "content.published")]
    assert actions == ["job.published", "job.published", "content.published", "content.published",
                       "job.published", "content.published"]


class Failing:
    """A completion that cannot write one job's outcome (a bug, a constraint): it raises whenever that job is in
    the batch it is given."""

    def __init__(self, inner, bad: int) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.bad = inner, bad

    def published(self, session, done, now):  # type: ignore[no-untyped-def]
        if any(d.job.id == self.bad for d in done):
            raise RuntimeError("cannot record this one")
        self.inner.published(session, done, now)

    def failed(self, *a, **kw):  # type: ignore[no-untyped-def]
        self.inner.failed(*a, **kw)


def test_a_mark_that_cannot_be_written_leaves_only_its_job_in_doubt_and_it_is_never_sent_twice(pub: App) -> None:
    from humas.queue.dispatcher import Dispatcher

    f = fake(pub)
    cids = [approved(pub, ["sandbox-x"], caption=f"Kabar {i}") for i in range(3)]
    j1, j2, j3 = (schedule(pub, c)[0] for c in cids)
    completions = dict(pub.completions())
    completions["post"] = Failing(completions["post"], bad=j2)
    d = Dispatcher(pub.env, "w", adapter_for=pub.adapters.get, states=pub.account_states, completions=completions)
    assert d.tick().outcomes == {"published": 2, "error": 1}
    assert [job(pub, j).state for j in (j1, j2, j3)] == [JobState.PUBLISHED, JobState.IN_DOUBT, JobState.PUBLISHED]
    assert "posted, but not recorded" in job(pub, j2).last_error and len(f.published) == 3
    pub.clock.advance(minutes=1)  # type: ignore[attr-defined]
    pub.dispatcher("w").run_due()  # the platform is asked: the post is there, so it is marked, not sent again
    assert job(pub, j2).state == JobState.PUBLISHED and len(f.published) == 3
    assert content_status(pub, cids[1]) == "published"
