"""Cases end to end on the sandbox and a real database: escalation, drafting, approval, the reply queue, hooks,
time standards, feedback and notifications."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import apprise
import pytest
from sqlalchemy import func, select

from humas.app import App
from humas.cli.sentiment import load_feedback
from humas.cycle import CommentCycle
from humas.errors import ContentRejected, InvalidInput, InvalidTransition, PermissionDenied
from humas.escalation.fakes import KeywordClassifier
from humas.escalation.replies import ReplyCompletion
from humas.publisher.base import CommentRef, DictCheckpoint, Platform, PostDraft, PublishRequest
from humas.publisher.sandbox import SandboxPlatform
from humas.queue.jobs import enqueue_reply
from humas.sop.timing import overdue
from humas.store import audit
from humas.store.models import (
    AuditEntry,
    Case,
    Comment,
    JobState,
    LabelFeedback,
    Post,
    PublicationJob,
    StepPeriod,
)
from humas.testing import FakeClock, FakePlatform
from tests.conftest import MOJOKERTO_TEAM, add_user

SENT: list[dict[str, str]] = []


@apprise.decorators.notify(on="humastest")  # type: ignore[untyped-decorator,no-untyped-call]
def _capture(body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
    SENT.append({"to": str(meta.get("host", "")), "title": title, "body": body})
    return True


NOTIFY = {"targets": [{"role": "redaktur", "urls": ["env:HUMAS_TEST_URL_REDAKTUR"]},
                      {"role": "tim_sosial_media", "urls": ["env:HUMAS_TEST_URL_SOSMED"]}],
          "admins": ["env:HUMAS_TEST_URL_ADMIN"]}
URLS = {"HUMAS_TEST_URL_REDAKTUR": "humastest://redaktur", "HUMAS_TEST_URL_SOSMED": "humastest://sosmed",
        "HUMAS_TEST_URL_ADMIN": "humastest://admin"}
FB = "sandbox-facebook"


@pytest.fixture(autouse=True)
def _sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, str]]]:
    for name, url in URLS.items():  # notification URLs come from the environment, as in an office's config
        monkeypatch.setenv(name, url)
    SENT.clear()
    yield SENT
    SENT.clear()


@pytest.fixture
def sapp(make_app: Callable[..., App], db_url: str) -> App:
    """The default sandbox accounts, no simulated comments (the test writes its own), notifications captured."""
    app = make_app(db_url, monitor={"sandbox_simulation": False}, notify=NOTIFY)
    for name, roles in MOJOKERTO_TEAM.items():
        add_user(app, name, *roles)
    return app


def publish(app: App, text: str = "Pengumuman jadwal pelayanan", account: str = FB) -> tuple[str, int]:
    """A post published through the sandbox adapter, recorded as the dispatcher records it."""
    res = app.adapters.get(account).publish(
        PublishRequest(f"post:{text}:{account}", account, PostDraft(text=text)), DictCheckpoint())
    now = app.clock()
    with app.db.session() as s:
        job = PublicationJob(kind="post", dedupe_key=f"post:{res.remote_id}", account=account, platform="sandbox",
                             run_at=now, state="published", remote_id=res.remote_id, published_at=now)
        s.add(job)
        s.flush()
        post = Post(job_id=job.id, account=account, platform="sandbox", remote_id=res.remote_id,
                    remote_url=res.remote_url, published_at=now, next_poll_at=now)
        s.add(post)
        s.flush()
        return res.remote_id, post.id


def monitor(app: App, **kw: Any) -> CommentCycle:
    kw.setdefault("classifier", KeywordClassifier())
    return app.comment_cycle("test", **kw)


def act(app: App, user: str, verb: str, *args: Any) -> Case:
    with app.db.session() as s:
        return getattr(app.cases(s), verb)(app.actor(s, user), *args)  # type: ignore[no-any-return]


def case_of(app: App, case_id: int) -> Case:
    with app.db.session() as s:
        case = s.get(Case, case_id)
        assert case is not None
        s.expunge(case)
        return case


def reply_jobs(app: App) -> list[PublicationJob]:
    with app.db.session() as s:
        return list(s.execute(select(PublicationJob).where(PublicationJob.kind == "reply")).scalars())


def open_periods(app: App, case_id: int) -> list[tuple[str, Any]]:
    with app.db.session() as s:
        return [(p.step_id, p.due_at) for p in s.execute(
            select(StepPeriod).where(StepPeriod.subject_type == "case", StepPeriod.subject_id == case_id,
                                     StepPeriod.completed_at.is_(None))).scalars()]


def negative_case(app: App, text: str = "Pelayanan buruk sekali, saya kecewa!") -> tuple[int, str]:
    remote_id, _ = publish(app)
    SandboxPlatform(app.settings.sandbox_db).add_comment(remote_id, text, author="warga_kecewa")
    report = monitor(app).run_once()
    assert len(report.cases) == 1
    return report.cases[0], remote_id


def test_negative_comment_to_posted_reply_on_the_sandbox(sapp: App, clock: FakeClock) -> None:
    app = sapp
    remote_id, _ = publish(app)
    sandbox = SandboxPlatform(app.settings.sandbox_db)
    comment = sandbox.add_comment(remote_id, "Pelayanan buruk sekali, saya kecewa!", author="warga_kecewa")
    report = monitor(app).run_once()
    [case_id] = report.cases
    case = case_of(app, case_id)
    assert (case.status, case.reason, case.sop_id) == ("open", "negative", "mojokerto-acc")
    assert open_periods(app, case_id) == [("respon_publik", clock() + timedelta(minutes=15))]
    assert [m["to"] for m in SENT] == ["redaktur"] and "buruk sekali" in SENT[0]["body"]

    clock.advance(minutes=5)
    act(app, "sosmed", "draft", case_id, "Mohon maaf atas ketidaknyamanannya.")
    assert case_of(app, case_id).status == "reply_drafted"
    assert open_periods(app, case_id) == [("persetujuan_jawaban", clock() + timedelta(minutes=30))]

    act(app, "redaktur", "reject", case_id, "Sebutkan nomor pengaduan 112.")
    case = case_of(app, case_id)
    assert (case.status, case.note) == ("rejected", "Sebutkan nomor pengaduan 112.")
    assert [p[0] for p in open_periods(app, case_id)] == ["respon_publik"]

    act(app, "sosmed", "draft", case_id, "Mohon maaf, silakan hubungi pengaduan 112.")
    act(app, "redaktur", "approve", case_id)
    case = case_of(app, case_id)
    assert case.status == "approved"
    [job] = reply_jobs(app)
    assert (job.id, job.case_id, job.account, job.state) == (case.reply_job_id, case_id, FB, "scheduled")
    assert job.checkpoint["reply"] == {"post_remote_id": remote_id, "comment_remote_id": comment.remote_id,
                                       "text": "Mohon maaf, silakan hubungi pengaduan 112."}
    assert [p[0] for p in open_periods(app, case_id)] == ["posting_jawaban"]
    with app.db.session() as s, pytest.raises(InvalidInput):  # never a second reply job for a case
        enqueue_reply(s, case_id=case_id, account=FB, platform="sandbox", post_remote_id=remote_id,
                      comment_remote_id=comment.remote_id, text="lagi", run_at=clock(), created_by_id=None,
                      now=clock())
    with pytest.raises(InvalidTransition):
        act(app, "redaktur", "approve", case_id)
    assert len(reply_jobs(app)) == 1

    # the dispatcher posts it and completes the reply job in its transaction
    with app.db.session() as s:
        job_row = s.get(PublicationJob, job.id)
        assert job_row is not None
        ReplyCompletion(app.env, app.notifier).posted(s, job_row, "reply-remote-1", "https://sandbox.humas.local/r/1")
    case = case_of(app, case_id)
    assert case.status == "reply_posted" and case.closed_at == clock()
    assert open_periods(app, case_id) == []
    with app.db.session() as s:
        actions = [e.action for e in s.execute(select(AuditEntry).where(
            AuditEntry.subject_type == "case", AuditEntry.subject_id == str(case_id)).order_by(AuditEntry.seq)
        ).scalars()]
        assert audit.verify(s).ok
        own = s.execute(select(Comment).where(Comment.remote_id == "reply-remote-1")).scalar_one()
        assert own.is_own and own.classified_at is None
    assert actions == ["case.opened", "case.drafted", "case.rejected", "case.drafted", "case.approved",
                       "case.reply_posted"]


def test_the_dispatcher_posts_the_approved_reply_exactly_once(sapp: App) -> None:
    case_id, remote_id = negative_case(sapp)
    act(sapp, "sosmed", "draft", case_id, "Terima kasih atas masukannya, akan kami tindak lanjuti.")
    act(sapp, "redaktur", "approve", case_id)
    sapp.dispatcher("d1").run_due()
    sapp.dispatcher("d2").run_due()
    assert case_of(sapp, case_id).status == "reply_posted"
    replies = [c for c in SandboxPlatform(sapp.settings.sandbox_db).comments(remote_id) if c.is_own]
    assert [r.text for r in replies] == ["Terima kasih atas masukannya, akan kami tindak lanjuti."]
    monitor(sapp).run_once()  # our reply comes back through polling: stored once, never a case
    with sapp.db.session() as s:
        assert s.execute(select(func.count()).select_from(Case)).scalar() == 1
        assert s.execute(select(func.count()).select_from(Comment).where(Comment.is_own.is_(True))).scalar() == 1


def test_only_the_escalation_role_may_approve(sapp: App) -> None:
    case_id, _ = negative_case(sapp)
    act(sapp, "sosmed", "draft", case_id, "Mohon maaf.")
    before = case_of(sapp, case_id)
    for user in ("sosmed", "admin", "pimred"):
        with pytest.raises(PermissionDenied, match="Redaktur"):
            act(sapp, user, "approve", case_id)
    after = case_of(sapp, case_id)
    assert (after.status, after.decided_by_id, after.reply_job_id) == (before.status, None, None)
    assert reply_jobs(sapp) == []
    with pytest.raises(PermissionDenied):
        act(sapp, "redaktur", "draft", case_id, "Redaktur menulis sendiri")  # drafting is the social media team's
    with pytest.raises(PermissionDenied):
        act(sapp, "sosmed", "dismiss", case_id, "bukan apa-apa")


def test_invalid_transitions_and_inputs(sapp: App) -> None:
    case_id, _ = negative_case(sapp)
    with pytest.raises(InvalidTransition):
        act(sapp, "redaktur", "approve", case_id)  # nothing drafted
    with pytest.raises(InvalidInput):
        act(sapp, "sosmed", "draft", case_id, "   ")
    with pytest.raises(InvalidInput):
        act(sapp, "sosmed", "draft", case_id, "x" * 8_001)  # Facebook replies: 8,000 characters
    act(sapp, "sosmed", "draft", case_id, "Mohon maaf.")
    with pytest.raises(InvalidInput):
        act(sapp, "redaktur", "reject", case_id, " ")
    act(sapp, "redaktur", "dismiss", case_id, "sudah dijawab di kolom lain")
    case = case_of(sapp, case_id)
    assert (case.status, case.note) == ("dismissed", "sudah dijawab di kolom lain")
    assert open_periods(sapp, case_id) == []
    with pytest.raises(InvalidTransition):
        act(sapp, "sosmed", "draft", case_id, "terlambat")


def test_relabel_writes_feedback_that_training_reads(sapp: App, tmp_path: Path, db_url: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    case_id, _ = negative_case(sapp, "Kapan jadwal kebersihan, pelayanannya lambat?")
    with pytest.raises(PermissionDenied):
        act(sapp, "sosmed", "relabel", case_id, "neutral")
    with pytest.raises(InvalidInput):
        act(sapp, "redaktur", "relabel", case_id, "angry")
    act(sapp, "redaktur", "relabel", case_id, "neutral")
    with sapp.db.session() as s:
        fb = s.execute(select(LabelFeedback)).scalar_one()
        assert (fb.old_label, fb.label, fb.text) == ("negative", "neutral",
                                                     "Kapan jadwal kebersihan, pelayanannya lambat?")
        assert s.get(Comment, fb.comment_id).label == "neutral"  # type: ignore[union-attr]
        assert s.execute(select(AuditEntry.action).where(AuditEntry.action == "case.relabelled")).scalar()
    assert load_feedback(sapp) == [("Kapan jadwal kebersihan, pelayanannya lambat?", "neutral")]
    act(sapp, "redaktur", "relabel", case_id, "negative")  # a later correction wins
    assert load_feedback(sapp) == [("Kapan jadwal kebersihan, pelayanannya lambat?", "negative")]

    config = tmp_path / "humas.toml"
    config.write_text(f'data_dir = "{sapp.settings.data_dir}"\ndatabase_url = "{db_url}"\n', encoding="utf-8")
    monkeypatch.setenv("HUMAS_CONFIG", str(config))
    monkeypatch.delenv("HUMAS_DATABASE_URL", raising=False)
    assert load_feedback() == [("Kapan jadwal kebersihan, pelayanannya lambat?", "negative")]

    # `humas sentiment train --include-feedback` learns from it
    from typer.testing import CliRunner

    from humas.cli.sentiment import app as sentiment_cli
    from tests.integration.test_sentiment_train import _slice

    out = tmp_path / "model"
    r = CliRunner().invoke(sentiment_cli, ["train", "--data", str(_slice(tmp_path)), "--out", str(out),
                                           "--include-feedback"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "meta.json").read_text(encoding="utf-8"))["train_rows"]["feedback"] == 1


def test_direct_answers_to_comments_that_were_not_escalated(sapp: App) -> None:
    remote_id, _ = publish(sapp)
    sandbox = SandboxPlatform(sapp.settings.sandbox_db)
    sandbox.add_comment(remote_id, "Mantap, terima kasih infonya")
    sandbox.add_comment(remote_id, "Pelayanan buruk!")
    monitor(sapp).run_once()
    with sapp.db.session() as s:
        ids = {c.text: c.id for c in s.execute(select(Comment)).scalars()}
    praise, bad = ids["Mantap, terima kasih infonya"], ids["Pelayanan buruk!"]
    with pytest.raises(PermissionDenied):
        act(sapp, "redaktur", "reply_direct", praise, "Sama-sama")
    case = act(sapp, "sosmed", "reply_direct", praise, "Sama-sama, Kak!")
    assert (case.status, case.reason) == ("approved", "direct")
    assert [j.case_id for j in reply_jobs(sapp)] == [case.id]
    with pytest.raises(InvalidTransition, match="already answered"):
        act(sapp, "sosmed", "reply_direct", praise, "Sekali lagi")
    with pytest.raises(InvalidTransition, match="escalated"):
        act(sapp, "sosmed", "reply_direct", bad, "Maaf")
    assert len(reply_jobs(sapp)) == 1


def test_without_direct_reply_every_answer_needs_approval(make_app: Callable[..., App], db_url: str) -> None:
    raw = resources.files("humas.sop").joinpath("presets/mojokerto-acc.toml").read_text(encoding="utf-8")
    strict = {**tomllib.loads(raw), "id": "strict-acc", "direct_reply": False}
    app = make_app(db_url, monitor={"sandbox_simulation": False}, sops=[strict], default_sop="strict-acc")
    for name, roles in MOJOKERTO_TEAM.items():
        add_user(app, name, *roles)
    remote_id, _ = publish(app)
    SandboxPlatform(app.settings.sandbox_db).add_comment(remote_id, "Terima kasih infonya")
    monitor(app).run_once()
    with app.db.session() as s:
        comment_id = s.execute(select(Comment.id)).scalar_one()
    case = act(app, "sosmed", "reply_direct", comment_id, "Sama-sama")
    assert (case.status, case.reason, case.sop_id) == ("reply_drafted", "direct", "strict-acc")
    assert reply_jobs(app) == []
    act(app, "redaktur", "approve", case.id)
    assert len(reply_jobs(app)) == 1


def test_hiding_a_comment(sapp: App) -> None:
    case_id, remote_id = negative_case(sapp, "Dasar pejabat goblok")
    with pytest.raises(PermissionDenied):
        act(sapp, "sosmed", "hide", case_id)
    act(sapp, "redaktur", "hide", case_id)
    case = case_of(sapp, case_id)
    assert case.status == "hidden" and case.closed_at is not None
    [c] = SandboxPlatform(sapp.settings.sandbox_db).comments(remote_id)
    assert c.hidden
    with sapp.db.session() as s:
        assert s.execute(select(Comment.hidden)).scalar_one() is True


class NoHidePlatform(FakePlatform):
    def hide_comment(self, comment: CommentRef) -> None:
        raise ContentRejected("X cannot hide replies to other people's posts", rule="unsupported",
                              platform="x", account=self.account)


def test_platforms_that_cannot_hide_give_a_clear_error(make_app: Callable[..., App], db_url: str,
                                                       clock: FakeClock) -> None:
    app = make_app(db_url, accounts=[{"name": "pemkot-x", "platform": "x"}],
                   sentiment={"auto_hide_abusive": True}, notify=NOTIFY)
    add_user(app, "redaktur", "redaktur")
    fake = NoHidePlatform("pemkot-x", Platform.X, clock=clock)
    with app.db.session() as s:
        job = PublicationJob(kind="post", dedupe_key="post:1:pemkot-x", account="pemkot-x", platform="x",
                             run_at=clock(), state="published")
        s.add(job)
        s.flush()
        s.add(Post(job_id=job.id, account="pemkot-x", platform="x", remote_id="t1", published_at=clock(),
                   next_poll_at=clock()))
    fake.add_comment("t1", "bangsat semua")
    report = monitor(app, adapter_for={"pemkot-x": fake}.__getitem__).run_once()
    [case_id] = report.cases
    assert report.pipeline.hide_failed == [case_id]  # auto-hide could not: the case stays open with a note
    case = case_of(app, case_id)
    assert case.status == "open" and "tidak mendukung" in case.note
    with app.db.session() as s, pytest.raises(InvalidTransition, match="cannot hide"):
        app.cases(s, adapter_for={"pemkot-x": fake}.__getitem__).hide(app.actor(s, "redaktur"), case_id)
    assert case_of(app, case_id).status == "open"


def test_abusive_comments_are_hidden_automatically_when_configured(make_app: Callable[..., App],
                                                                   db_url: str) -> None:
    app = make_app(db_url, monitor={"sandbox_simulation": False}, sentiment={"auto_hide_abusive": True})
    remote_id, _ = publish(app)
    SandboxPlatform(app.settings.sandbox_db).add_comment(remote_id, "admin tolol")
    report = monitor(app).run_once()
    assert report.pipeline.hidden == report.cases and len(report.cases) == 1
    case = case_of(app, report.cases[0])
    assert (case.status, case.reason) == ("hidden", "abusive")
    assert SandboxPlatform(app.settings.sandbox_db).comments(remote_id)[0].hidden


def test_late_cases_are_overdue_and_their_role_is_told_once(sapp: App, clock: FakeClock) -> None:
    case_id, _ = negative_case(sapp)
    SENT.clear()
    clock.advance(minutes=16)  # step 12: 15 minutes
    with sapp.db.session() as s:
        late = [(o.period.subject_id, o.period.step_id, o.must_act)
                for o in overdue(s, sapp.sops, sapp.calendar, clock()) if o.period.subject_type == "case"]
    assert late == [(case_id, "respon_publik", ["sosmed"])]
    assert sapp.remind_overdue() == 1 and sapp.remind_overdue() == 0
    assert [m["to"] for m in SENT] == ["sosmed"] and f"kasus #{case_id}" in SENT[0]["body"]


def test_the_report_counts_late_responses_as_the_sla_list_does(sapp: App, clock: FakeClock) -> None:
    """Issue 15: the report said 0 late while `humas sla overdue` listed 8 cases still open past their standard."""
    from humas.reports.weekly import report_dict, week_report

    _, remote_id = negative_case(sapp)
    SandboxPlatform(sapp.settings.sandbox_db).add_comment(remote_id, "Jalan rusak tidak diperbaiki, kecewa sekali!")
    clock.advance(minutes=3)  # the post's next poll
    assert len(monitor(sapp).run_once().cases) == 1
    clock.advance(minutes=16)
    start = sapp.local(clock()).date() - timedelta(days=sapp.local(clock()).weekday())
    with sapp.db.read() as s:
        listed = [o for o in overdue(s, sapp.sops, sapp.calendar, clock()) if o.period.subject_type == "case"]
        r = week_report(sapp.env, s, start)
        other_week = week_report(sapp.env, s, start + timedelta(days=7))
    assert len(listed) == 2 and r.overdue_now == 2
    assert sum(st.late for st in r.steps) == 2 and [st.open_late for st in r.steps] == [2]
    assert sum(st.late for st in other_week.steps) == 0 and other_week.overdue_now == 2  # counted in its own week
    assert report_dict(r, sapp.tz)["response_times"][0]["late"] == 2
    with sapp.db.read() as s:
        assert week_report(sapp.env, s, start, "sandbox-x").overdue_now == 0  # the cases are on Facebook


def test_a_failed_reply_keeps_the_case_approved_and_tells_people(sapp: App) -> None:
    case_id, _ = negative_case(sapp)
    act(sapp, "sosmed", "draft", case_id, "Mohon maaf.")
    act(sapp, "redaktur", "approve", case_id)
    SENT.clear()
    [job] = reply_jobs(sapp)
    with sapp.db.session() as s:
        row = s.get(PublicationJob, job.id)
        assert row is not None
        ReplyCompletion(sapp.env, sapp.notifier).refused(s, row, "platform rejected the content (comment_hidden)")
    case = case_of(sapp, case_id)
    assert case.status == "approved" and "comment_hidden" in case.note
    assert [p[0] for p in open_periods(sapp, case_id)] == ["posting_jawaban"]
    assert sorted(m["to"] for m in SENT) == ["redaktur", "sosmed"]
    assert f"humas queue retry {job.id}" in SENT[0]["body"]




def test_the_rejection_note_does_not_outlive_the_approval(sapp: App) -> None:
    case_id, _ = negative_case(sapp)
    act(sapp, "sosmed", "draft", case_id, "Mohon maaf.")
    act(sapp, "redaktur", "reject", case_id, "Sebutkan jadwal perbaikannya")
    assert case_of(sapp, case_id).note == "Sebutkan jadwal perbaikannya"
    act(sapp, "sosmed", "draft", case_id, "Mohon maaf, perbaikan dijadwalkan Senin.")
    act(sapp, "redaktur", "approve", case_id)
    assert case_of(sapp, case_id).note == ""

def test_a_reply_the_platform_refuses_says_so_and_its_case_can_be_closed_by_hand(sapp: App) -> None:
    case_id, _ = negative_case(sapp)
    act(sapp, "sosmed", "draft", case_id, "Mohon maaf.")
    act(sapp, "redaktur", "approve", case_id)
    with pytest.raises(InvalidTransition):  # the reply is still on its way
        act(sapp, "redaktur", "dismiss", case_id, "dibalas manual")
    SENT.clear()
    [job] = reply_jobs(sapp)
    with sapp.db.session() as s:
        row = s.get(PublicationJob, job.id)
        assert row is not None
        row.state = JobState.FAILED
        ReplyCompletion(sapp.env, sapp.notifier).failed(
            s, row, "X membatasi siapa yang boleh membalas unggahan ini", sapp.clock(), rejected=True)
    assert "mengirim ulang tidak akan berhasil" in SENT[0]["body"]
    assert f"humas cases dismiss {case_id}" in SENT[0]["body"] and "queue retry" not in SENT[0]["body"]
    act(sapp, "redaktur", "dismiss", case_id, "dibalas manual")
    assert case_of(sapp, case_id).status == "dismissed"

def test_daily_recap_counts_responses_and_answers(sapp: App) -> None:
    case_id, _ = negative_case(sapp)
    act(sapp, "sosmed", "draft", case_id, "Mohon maaf.")
    SENT.clear()
    text = sapp.daily_recap()
    assert "Komentar masuk: 1 (negatif 1)" in text and "Kasus baru: 1 (negatif 1)" in text
    assert "menunggu persetujuan 1" in text
    assert sorted(m["to"] for m in SENT) == ["admin", "redaktur", "sosmed"]


def test_the_configured_classifier_is_built_once_per_app_and_escalates(sapp: App) -> None:
    from humas.sentiment.model import shipped_model_dir

    if not (shipped_model_dir() / "meta.json").is_file():
        pytest.skip("the default sentiment model is not built yet (humas sentiment train)")
    remote_id, _ = publish(sapp)
    sandbox = SandboxPlatform(sapp.settings.sandbox_db)
    sandbox.add_comment(remote_id, "Pelayanan di kantor kecamatan buruk sekali, antre tiga jam tidak dilayani, kecewa!")
    sandbox.add_comment(remote_id, "Terima kasih banyak, pelayanannya cepat dan ramah.")
    report = sapp.comment_cycle("real").run_once()
    assert report.pipeline.by_label.get("negative") == 1 and len(report.cases) == 1
    assert sapp.classifier is sapp.classifier
