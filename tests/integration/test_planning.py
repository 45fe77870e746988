"""Monthly content plans (humas.planning) on a real database: the Yogyakarta SOP's meeting, list and approval, role
rules, the rejection loop, timing against the standards in working time, drafts created all or none."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

import pytest
from sqlalchemy import func, select, update

from humas.app import App
from humas.errors import AnotherApproverNeeded, InvalidInput, InvalidTransition, NotFound, PermissionDenied, TooLong
from humas.planning.model import ItemChanges, ItemInput, sop_windows
from humas.planning.report import month_report, report_csv, report_dict
from humas.planning.service import Planning
from humas.sop.timing import overdue
from humas.store import audit
from humas.store.models import AuditEntry, Content, ContentPlan, PlanDecision, Post, StepPeriod, User
from humas.testing import FakeClock
from humas.workflow.engine import Workflow
from tests.conftest import add_user

SOP = "yogyakarta-plan"
TEAM = {"pelaksana": ["ppid_pelaksana"], "ppid": ["ppid"], "atasan": ["atasan_ppid"],
        "unit1": ["kepala_unit_kerja"], "unit2": ["kepala_unit_kerja"], "kreatif": ["tim_konten_kreatif"]}
MEETING = datetime(2026, 3, 18, 2, 0, tzinfo=UTC)  # Wednesday 18 March 09:00 WIB: week 3 before April


class Recorder:
    """A Notifier that keeps what it was asked to deliver."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def notify_role(self, role: str, title: str, body: str) -> bool:
        self.sent.append((role, title, body))
        return True

    def notify_admins(self, title: str, body: str) -> bool:
        return False


@pytest.fixture
def yogya(app: App) -> App:
    for name, roles in TEAM.items():
        add_user(app, name, *roles)
    return app


@contextmanager
def planning(app: App, notifier: Recorder | None = None) -> Iterator[tuple[Planning, Any]]:
    with app.db.session() as s:
        wf = Workflow(app.env, s, notifier=notifier)
        yield Planning(app.env, s, notifier=notifier, workflow=wf), (lambda name: app.actor(s, name))


def item(activity: str = "Sosialisasi Zona Integritas", day: str = "2026-04-08", owner: str = "unit1",
         **kw: Any) -> ItemInput:
    return ItemInput(activity=activity, activity_date=day, owner=owner,
                     **{"unit": "Irban I", "channels": ["sandbox-facebook", "sandbox-x"], **kw})


def new_plan(app: App, month: str = "2026-04", *, meeting: datetime | None = MEETING) -> int:
    with planning(app) as (p, who):
        plan, _ = p.create(who("pelaksana"), sop_id=SOP, month=month, meeting_at=meeting, place="Ruang Rapat")
        return plan.id


def to_list(app: App, notifier: Recorder | None = None) -> int:
    pid = new_plan(app)
    with planning(app, notifier) as (p, who):
        p.submit(who("pelaksana"), pid)
    return pid


def to_review(app: App, n: int = 2) -> int:
    pid = to_list(app)
    with planning(app) as (p, who):
        for k in range(n):
            p.add_item(who("ppid"), pid, item(f"Kegiatan {k + 1}", f"2026-04-{8 + k:02d}", f"unit{k % 2 + 1}"))
        p.submit(who("ppid"), pid)
    return pid


def plan_state(app: App, pid: int) -> tuple[str, str | None]:
    with app.db.session() as s:
        plan = s.get(ContentPlan, pid)
        assert plan is not None
        return plan.status, plan.step_id


def head(app: App) -> int:
    with app.db.session() as s:
        return int(s.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


def test_the_plan_walks_meeting_list_rejection_approval_into_drafts(yogya: App) -> None:
    app = yogya
    rec = Recorder()
    pid = new_plan(app)
    assert plan_state(app, pid) == ("draft", "agenda_rapat")
    with planning(app, rec) as (p, who):
        p.submit(who("pelaksana"), pid, "undangan dikirim")
        assert rec.sent == []  # nothing is told before the commit
    # the invitation: every role of the plan chain and the content chain's first role, once each
    assert sorted(r for r, _t, _b in rec.sent) == ["atasan_ppid", "kepala_unit_kerja", "ppid", "ppid_pelaksana"]
    title, body = rec.sent[0][1], rec.sent[0][2]
    assert title == "Undangan rapat koordinasi rencana konten April 2026"
    assert "Rabu, 18-03-2026 09:00" in body and "Ruang Rapat" in body
    assert plan_state(app, pid) == ("proposing", "inventarisasi")

    with planning(app) as (p, who):
        first = p.add_item(who("ppid"), pid, item()).id
        p.add_item(who("ppid"), pid, item("Rapat Evaluasi", "2026-04-20", "unit2", channels=["sandbox-x"],
                                          unit="kepala_unit_kerja", note="foto 5, video 1"))
        p.submit(who("ppid"), pid)
    assert plan_state(app, pid) == ("in_review", "persetujuan_rencana")

    rec.sent.clear()
    with planning(app, rec) as (p, who):
        p.reject(who("atasan"), pid, "tambahkan jadwal rapat evaluasi dengan benar")
    assert plan_state(app, pid) == ("returned", "inventarisasi")
    assert [r for r, _t, _b in rec.sent] == ["ppid"] and "tambahkan jadwal" in rec.sent[0][2]
    with app.db.session() as s:  # the list's submission no longer counts; the meeting's does
        valid = s.execute(select(PlanDecision.step_id, PlanDecision.outcome).where(
            PlanDecision.plan_id == pid, PlanDecision.valid.is_(True)).order_by(PlanDecision.id)).all()
        assert [tuple(v) for v in valid] == [("agenda_rapat", "submitted"), ("persetujuan_rencana", "rejected")]

    with planning(app) as (p, who):
        p.edit_item(who("ppid"), pid, first, ItemChanges(activity_date="2026-04-09"))
        p.submit(who("ppid"), pid)
        shown = p.describe(p.get(pid))
        assert shown["list_version"] == 4  # 1, then two items added and one edited
    rec.sent.clear()
    with planning(app, rec) as (p, who):
        plan = p.approve(who("atasan"), pid, "setuju", expected_hash=shown["list_hash"])
        assert plan.status == "approved" and plan.step_id is None

    with app.db.session() as s:
        contents = list(s.execute(select(Content).order_by(Content.id)).scalars())
        assert [(c.title, c.sop_id, c.status, c.step_id, c.created_by.name, list(c.accounts)) for c in contents] == [
            ("Sosialisasi Zona Integritas", SOP, "draft", "pembuatan_materi", "unit1",
             ["sandbox-facebook", "sandbox-x"]),
            ("Rapat Evaluasi", SOP, "draft", "pembuatan_materi", "unit2", ["sandbox-x"]),
        ]
        assert "Tanggal kegiatan: 09-04-2026" in contents[0].activity
        assert "Unit kerja: Kepala Unit Kerja" in contents[1].activity and "foto 5" in contents[1].activity
        p = app.planning(s)
        d = p.describe(p.get(pid))
        assert [(i["content_id"], i["due_on"], i["content_status"]) for i in d["items"]] == [
            (contents[0].id, "2026-04-09", "draft"), (contents[1].id, "2026-04-20", "draft")]
        assert audit.verify(s).ok
        made = s.execute(select(AuditEntry).where(AuditEntry.action == "plan.content_created")
                         .order_by(AuditEntry.seq)).scalars().all()
        assert [(e.actor, e.subject_type, e.subject_id, e.data["plan"], e.data["due_on"]) for e in made] == [
            ("atasan", "content", str(contents[0].id), pid, "2026-04-09"),
            ("atasan", "content", str(contents[1].id), pid, "2026-04-20")]
        # the content's own history says that the plan made it
        history = app.workflow(s).history(contents[0])
        assert [h["action"] for h in history] == ["content.created", "plan.content_created"]
        actions = [h["action"] for h in p.history(p.get(pid))]
        assert actions == ["plan.created", "plan.meeting_set", "plan.submitted", "plan.item_added", "plan.item_added",
                           "plan.submitted", "plan.rejected", "plan.item_edited", "plan.submitted", "plan.approved",
                           "plan.drafts_created"]
    # each owner's unit is told through the content chain's own notice
    assert sorted(r for r, _t, _b in rec.sent) == ["kepala_unit_kerja", "kepala_unit_kerja"]


def test_role_rules(yogya: App) -> None:
    app = yogya
    with pytest.raises(PermissionDenied, match="PPID Pelaksana"), planning(app) as (p, who):
        p.create(who("ppid"), sop_id=SOP, month="2026-04")
    with pytest.raises(PermissionDenied), planning(app) as (p, who):
        p.create(who("kreatif"), sop_id=None, month="2026-04")
    pid = new_plan(app, meeting=None)
    refusals: list[tuple[str, Callable[[Planning, Any], object]]] = [
        ("ppid", lambda p, w: p.set_meeting(w("ppid"), pid, MEETING)),
        ("atasan", lambda p, w: p.submit(w("atasan"), pid)),
    ]
    for _name, call in refusals:
        with pytest.raises(PermissionDenied), planning(app) as (p, who):
            call(p, who)
    with pytest.raises(InvalidTransition, match="only change at step"), planning(app) as (p, who):
        p.add_item(who("ppid"), pid, item())  # the list is not open at the meeting step
    with pytest.raises(InvalidInput, match="meeting's date first"), planning(app) as (p, who):
        p.submit(who("pelaksana"), pid)
    with planning(app) as (p, who):
        p.set_meeting(who("pelaksana"), pid, MEETING, "Aula")
        p.submit(who("pelaksana"), pid)
    with pytest.raises(PermissionDenied, match="PPID"), planning(app) as (p, who):
        p.add_item(who("pelaksana"), pid, item())
    with pytest.raises(InvalidTransition, match="only be set at step"), planning(app) as (p, who):
        p.set_meeting(who("pelaksana"), pid, MEETING)
    with pytest.raises(InvalidInput, match="no item yet"), planning(app) as (p, who):
        p.submit(who("ppid"), pid)
    with planning(app) as (p, who):
        iid = p.add_item(who("ppid"), pid, item()).id
        p.submit(who("ppid"), pid)
    for user, verb in (("ppid", "approve"), ("pelaksana", "reject"), ("unit1", "approve")):
        with pytest.raises(PermissionDenied, match="Atasan PPID"), planning(app) as (p, who):
            getattr(p, verb)(who(user), pid, "catatan")
    with pytest.raises(InvalidTransition), planning(app) as (p, who):
        p.edit_item(who("ppid"), pid, iid, ItemChanges(note="ubah"))  # under review: the list is closed
    with pytest.raises(InvalidTransition, match="nothing to submit"), planning(app) as (p, who):
        p.submit(who("ppid"), pid)
    with planning(app) as (p, who):
        p.approve(who("atasan"), pid)
    with pytest.raises(InvalidTransition, match="content now"), planning(app) as (p, who):
        p.remove_item(who("ppid"), pid, iid)
    with pytest.raises(InvalidTransition, match="nothing to approve"), planning(app) as (p, who):
        p.approve(who("atasan"), pid)


def test_bad_input_is_refused_and_nothing_is_written(yogya: App) -> None:
    app = yogya
    pid = to_list(app)
    before = head(app)
    cases: list[tuple[type[Exception], str, Callable[[Planning, Any], object]]] = [
        (InvalidInput, "not in 2026-04", lambda p, w: p.add_item(w("ppid"), pid, item(day="2026-05-01"))),
        (InvalidInput, "invalid activity date", lambda p, w: p.add_item(w("ppid"), pid, item(day="2026-04-31"))),
        (InvalidInput, "unknown channel 'tiktok'", lambda p, w: p.add_item(w("ppid"), pid, item(channels=["tiktok"]))),
        (InvalidInput, "needs the role Kepala Unit Kerja", lambda p, w: p.add_item(w("ppid"), pid,
                                                                                    item(owner="kreatif"))),
        (InvalidInput, "unknown or inactive user", lambda p, w: p.add_item(w("ppid"), pid, item(owner="nobody"))),
        (InvalidInput, "activity is empty", lambda p, w: p.add_item(w("ppid"), pid, item(activity="  "))),
        (TooLong, "rule limit.activity", lambda p, w: p.add_item(w("ppid"), pid, item(activity="x" * 301))),
        (TooLong, "rule limit.note", lambda p, w: p.add_item(w("ppid"), pid, item(note="x" * 2001))),
        (NotFound, "no item 99", lambda p, w: p.remove_item(w("ppid"), pid, 99)),
        (InvalidInput, "invalid month", lambda p, w: p.create(w("pelaksana"), sop_id=SOP, month="2026-13")),
        (InvalidInput, "is over", lambda p, w: p.create(w("pelaksana"), sop_id=SOP, month="2026-02")),
        (InvalidTransition, "already exists", lambda p, w: p.create(w("pelaksana"), sop_id=SOP, month="2026-04")),
        (InvalidInput, "no monthly plan", lambda p, w: p.create(w("pelaksana"), sop_id="mojokerto-acc",
                                                                month="2026-05")),
        (NotFound, "unknown SOP", lambda p, w: p.create(w("pelaksana"), sop_id="nope", month="2026-05")),
    ]
    for kind, words, call in cases:
        with pytest.raises(kind, match=words), planning(app) as (p, who):
            call(p, who)
    assert head(app) == before
    # the meeting must come before the month; outside the SOP's week it is a warning
    pid2 = new_plan(app, "2026-05", meeting=None)
    with pytest.raises(InvalidInput, match="must be before 2026-05"), planning(app) as (p, who):
        p.set_meeting(who("pelaksana"), pid2, datetime(2026, 4, 30, 17, 30, tzinfo=UTC))  # 1 May 00:30 WIB
    with planning(app) as (p, who):
        _plan, notices = p.set_meeting(who("pelaksana"), pid2, datetime(2026, 4, 2, 2, 0, tzinfo=UTC))
        assert [n.en for n in notices] == ["the SOP schedules the meeting in the third week of the month before "
                                           "(2026-04-15 to 2026-04-21); this one is on 2026-04-02"]
        _plan, notices = p.set_meeting(who("pelaksana"), pid2, datetime(2026, 4, 16, 2, 0, tzinfo=UTC))
        assert notices == []
    assert sop_windows("2026-03") == {"meeting": (date(2026, 2, 15), date(2026, 2, 21)),
                                      "approval": (date(2026, 2, 22), date(2026, 2, 28))}


def test_a_rejection_needs_a_note_and_an_approval_binds_to_the_list_it_judged(yogya: App) -> None:
    app = yogya
    pid = to_review(app)
    with planning(app) as (p, who):
        stale = p.get(pid).list_hash
    with pytest.raises(InvalidInput, match="needs a note"), planning(app) as (p, who):
        p.reject(who("atasan"), pid, "  ")
    with planning(app) as (p, who):
        p.reject(who("atasan"), pid, "kurang satu kegiatan")
        p.add_item(who("ppid"), pid, item("Kegiatan 3", "2026-04-22", "unit2"))
        p.submit(who("ppid"), pid)
    before = head(app)
    with pytest.raises(InvalidTransition, match="changed since it was shown"), planning(app) as (p, who):
        p.approve(who("atasan"), pid, expected_hash=stale)
    assert head(app) == before and plan_state(app, pid) == ("in_review", "persetujuan_rencana")
    with app.db.session() as s:
        judged = s.execute(select(PlanDecision.list_hash).where(PlanDecision.outcome == "rejected")).scalar_one()
        assert judged == stale


def test_approval_creates_every_draft_or_none(yogya: App) -> None:
    app = yogya
    pid = to_review(app, 3)
    with app.db.session() as s:  # the second item's owner left after the list was submitted
        s.execute(update(User).where(User.name == "unit2").values(active=False))
    before = head(app)
    with pytest.raises(InvalidInput, match=r"item 2 \('Kegiatan 2'\).*inactive"), planning(app) as (p, who):
        p.approve(who("atasan"), pid)
    with app.db.session() as s:
        assert s.execute(select(func.count()).select_from(Content)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(PlanDecision).where(
            PlanDecision.outcome == "approved")).scalar_one() == 0
    assert head(app) == before and plan_state(app, pid) == ("in_review", "persetujuan_rencana")


def test_a_channel_gone_from_the_configuration_stops_the_approval(make_app: Callable[..., App], db_url: str) -> None:
    app = make_app(db_url)
    for name, roles in TEAM.items():
        add_user(app, name, *roles)
    pid = to_list(app)
    with planning(app) as (p, who):
        p.add_item(who("ppid"), pid, item("Kegiatan A", "2026-04-03", channels=["sandbox-x"]))
        p.add_item(who("ppid"), pid, item("Kegiatan B", "2026-04-04", channels=["sandbox-youtube"]))
        p.submit(who("ppid"), pid)
    later = make_app(db_url, accounts=[{"name": "sandbox-x", "platform": "sandbox", "imitates": "x"}])
    with pytest.raises(NotFound, match=r"item 2 \('Kegiatan B'\): unknown account"), planning(later) as (p, who):
        p.approve(who("atasan"), pid)
    with later.db.session() as s:
        assert s.execute(select(func.count()).select_from(Content)).scalar_one() == 0


def test_steps_are_timed_in_working_time_around_holidays(make_app: Callable[..., App], db_url: str,
                                                        clock: FakeClock) -> None:
    # Friday 14 August 2026, 15:55 WIB; Monday the 17th is Independence Day and Tuesday the 18th the office's own
    # holiday: the 15-minute meeting step runs out on Wednesday at 07:40
    app = make_app(db_url, time={"working_time": True, "extra_holidays": ["2026-08-18"]})
    for name, roles in TEAM.items():
        add_user(app, name, *roles)
    clock.set(datetime(2026, 8, 14, 8, 55, tzinfo=UTC))
    pid = new_plan(app, "2026-09", meeting=datetime(2026, 8, 19, 2, 0, tzinfo=UTC))
    with app.db.session() as s:
        period = s.execute(select(StepPeriod).where(StepPeriod.subject_type == "plan")).scalar_one()
        assert app.local(period.due_at).isoformat() == "2026-08-19T07:40:00+07:00"  # type: ignore[arg-type]
    clock.set(datetime(2026, 8, 19, 1, 0, tzinfo=UTC))  # Wednesday 08:00: overdue by 20 working minutes
    with app.db.session() as s:
        late = overdue(s, app.sops, app.calendar, clock())
        assert [(o.title, o.step_label.split()[0], o.overdue_by, o.must_act) for o in late] == [
            ("Rencana konten 2026-09", "Mengagendakan", timedelta(minutes=20), ["pelaksana"])]
    assert app.remind_overdue() == 1
    with planning(app) as (p, who):
        p.submit(who("pelaksana"), pid)
        periods = p.describe(p.get(pid))["periods"]
    assert [(x["step"], x["within_standard"], x["took_minutes"], x["due_at"]) for x in periods] == [
        ("agenda_rapat", False, 35.0, "2026-08-19T07:40:00+07:00"),
        ("inventarisasi", True, 0.0, "2026-08-19T10:00:00+07:00"),
    ]


def test_distinct_approvers_keep_the_compiler_from_approving(make_app: Callable[..., App], db_url: str) -> None:
    text = resources.files("humas.sop").joinpath("presets/yogyakarta-plan.toml").read_text(encoding="utf-8")
    data = {**tomllib.loads(text), "id": "yogya-ketat", "distinct_approvers": True}
    app = make_app(db_url, sops=[data])
    for name, roles in {**TEAM, "ganda": ["ppid", "atasan_ppid"]}.items():
        add_user(app, name, *roles)
    with planning(app) as (p, who):
        plan, _ = p.create(who("pelaksana"), sop_id="yogya-ketat", month="2026-04", meeting_at=MEETING)
        pid = plan.id
        p.submit(who("pelaksana"), pid)
        p.add_item(who("ganda"), pid, item())
        p.submit(who("ganda"), pid)
    with pytest.raises(AnotherApproverNeeded, match="compiled"), planning(app) as (p, who):
        p.approve(who("ganda"), pid)
    with planning(app) as (p, who):
        assert p.approve(who("atasan"), pid).status == "approved"


def test_the_month_report_compares_plan_and_realisation(yogya: App, clock: FakeClock) -> None:
    app = yogya
    pid = to_review(app, 3)  # items on 8, 9 and 10 April
    with planning(app) as (p, who):
        p.approve(who("atasan"), pid)
    with app.db.session() as s:
        ids = [c.id for c in s.execute(select(Content).order_by(Content.id)).scalars()]
        # item 1 published on its day, item 2 a day late, item 3 still in production
        for cid, when in ((ids[0], datetime(2026, 4, 8, 5, 0, tzinfo=UTC)),
                          (ids[1], datetime(2026, 4, 10, 5, 0, tzinfo=UTC))):
            c = s.get(Content, cid)
            assert c is not None
            c.status = "published"
            from humas.store.models import PublicationJob

            job = PublicationJob(dedupe_key=f"post:{cid}:x", content_id=cid, account="sandbox-x",
                                 platform="sandbox", run_at=when, state="published", published_at=when)
            s.add(job)
            s.flush()
            s.add(Post(job_id=job.id, content_id=cid, account="sandbox-x", platform="sandbox",
                       remote_id=f"p{cid}", published_at=when))
    clock.set(datetime(2026, 4, 12, 3, 0, tzinfo=UTC))
    with app.db.session() as s:
        r = month_report(app.env, s, "2026-04")
        d = report_dict(app.env, r)
        csv_text = report_csv(app.env, r)
    assert (d["planned"], d["produced"], d["published"], d["on_time"], d["late"]) == (3, 2, 2, 1, 2)
    assert d["percent"] == {"produced": 66.7, "published": 66.7, "on_time": 33.3, "late": 66.7}
    assert [(i["state"], i["late"]) for i in d["items"]] == [("published", False), ("published", True),
                                                             ("in_production", True)]
    assert csv_text.splitlines()[0].startswith("month,plan,sop,item,activity,date")
    assert csv_text.splitlines()[-1] == "2026-04,3,2,2,1,2,66.7,66.7,33.3,66.7"
    with app.db.session() as s:
        assert report_dict(app.env, month_report(app.env, s, "2026-05"))["planned"] == 0
