"""Documentation equipment and the leaders' agenda through the services (SQLite always, PostgreSQL when set): the
role rules, readiness, a round along the SOP's four inventory steps with their time standards, the buku
inventarisasi, the reminder, checkouts that never overlap, returns that report damage, the content an entry opens;
and every refusal leaves nothing written."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from humas.app import App
from humas.authz import Actor
from humas.documentation.agenda import Returned
from humas.documentation.inventory import CheckInput, Inventory, remind_due
from humas.errors import HumasError, InvalidInput, InvalidTransition, NotFound, PermissionDenied, TooLong
from humas.reports.reminders import remind_overdue
from humas.sop.timing import overdue
from humas.store import audit
from humas.store.models import (
    AgendaEntry,
    AuditEntry,
    Content,
    EquipmentItem,
    EquipmentLoan,
    InventoryCheck,
    InventoryRound,
    StepPeriod,
    User,
)
from humas.testing import FakeClock
from tests.conftest import add_user

TEAM = {"kabag": ["kabag_prokopim"], "subkor": ["sub_koordinator_dokpim"], "staf": ["staf_sub_dokpim"],
        "staf2": ["staf_sub_dokpim"], "admin": ["admin"], "kreatif": ["tim_konten_kreatif"]}


class Told:
    """A notifier that records what each role was told."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def notify_role(self, role: str, title: str, body: str) -> bool:
        self.sent.append((role, title, body))
        return True

    def notify_admins(self, title: str, body: str) -> bool:
        return True


@pytest.fixture
def office(app: App) -> App:
    for name, roles in TEAM.items():
        add_user(app, name, *roles)
    return app


def actor(app: App, name: str) -> Actor:
    with app.db.read() as s:
        return app.actor(s, name)


def fingerprint(app: App) -> tuple[int, ...]:
    """The register's length and the rows of every documentation table: a refusal changes none of them."""
    with app.db.read() as s:
        return tuple(s.execute(select(func.count()).select_from(m)).scalar_one()
                     for m in (AuditEntry, EquipmentItem, InventoryRound, InventoryCheck, StepPeriod, AgendaEntry,
                               EquipmentLoan, Content))


def refused(app: App, exc: type[HumasError], fn: Callable[[Any], object], match: str | None = None) -> HumasError:
    """``fn(session)`` raises ``exc`` and leaves the database as it was."""
    before = fingerprint(app)
    with pytest.raises(exc, match=match) as info, app.db.session() as s:
        fn(s)
    assert fingerprint(app) == before
    return info.value


def add_items(app: App, *specs: tuple[str, str]) -> list[int]:
    with app.db.session() as s:
        eq = app.equipment(s)
        return [eq.add(actor(app, "kabag"), kind=kind, name=name).id for kind, name in specs]


def walk_to_check(app: App) -> int:
    with app.db.session() as s:
        inv = app.inventory(s)
        r = inv.start(actor(app, "kabag"))
        inv.assign(actor(app, "kabag"), r.id, "subkor")
        inv.assign(actor(app, "subkor"), r.id, "staf")
        return r.id


def check(app: App, round_id: int, item_id: int, **kw: Any) -> str:
    with app.db.session() as s:
        return app.inventory(s).check(actor(app, "staf"), round_id, item_id, CheckInput(**kw)).readiness


def ready_items(app: App, n: int = 2) -> list[int]:
    """``n`` cameras checked ready in a finished round."""
    ids = add_items(app, *[("kamera", f"Kamera {i}") for i in range(n)])
    rid = walk_to_check(app)
    for i in ids:
        check(app, rid, i, battery_percent=90, memory_free_gb=50)
    with app.db.session() as s:
        app.inventory(s).finish(actor(app, "staf"), rid)
    return ids


def entry(app: App, start: str, end: str, *, staff: tuple[str, ...] = ("staf",)) -> int:
    with app.db.session() as s:
        ag = app.agenda(s)
        e = ag.add(actor(app, "subkor"), leader="bupati", activity="Peresmian jembatan", place="Sooko",
                   starts_at=start, ends_at=end)
        if staff:
            ag.assign(actor(app, "subkor"), e.id, staff)
        return e.id


# --- equipment --------------------------------------------------------------------------------------------------


def test_items_are_managed_by_the_kabag_the_sub_koordinator_or_an_admin(office: App) -> None:
    with office.db.session() as s:
        eq = office.equipment(s)
        a = eq.add(actor(office, "kabag"), kind="kamera", name="Canon EOS R6", serial="CN-1")
        b = eq.add(actor(office, "subkor"), kind="drone", name="DJI Mavic 3", storage="Dry cabinet terkunci")
        c = eq.add(actor(office, "admin"), kind="kartu_memori", name="SD 128 GB", condition="rusak_ringan")
        assert (a.storage, a.readiness, b.storage) == ("Lemari terkunci", None, "Dry cabinet terkunci")
        assert c.readiness == "perlu_perhatian"  # a damaged item is never ready before a check says so
    refused(office, PermissionDenied, lambda s: office.equipment(s).add(actor(office, "staf"), kind="kamera",
                                                                        name="X"))
    refused(office, InvalidTransition, lambda s: office.equipment(s).add(actor(office, "kabag"), kind="kamera",
                                                                         name="Y", serial=" CN-1 "), "serial")
    refused(office, InvalidInput, lambda s: office.equipment(s).add(actor(office, "kabag"), kind="tripod",
                                                                    name="Y"), "unknown kind")
    refused(office, InvalidInput, lambda s: office.equipment(s).add(actor(office, "kabag"), kind="kamera",
                                                                    name="  "), "name is empty")
    refused(office, TooLong, lambda s: office.equipment(s).add(actor(office, "kabag"), kind="kamera",
                                                               name="x" * 201), "limit.name")
    with office.db.session() as s:
        eq = office.equipment(s)
        edited = eq.edit(actor(office, "subkor"), a.id, condition="rusak_berat", serial="")
        assert (edited.serial, edited.condition, edited.readiness) == (None, "rusak_berat", "tidak_siap")
        eq.retire(actor(office, "admin"), b.id, "hilang")
    refused(office, InvalidTransition, lambda s: office.equipment(s).edit(actor(office, "kabag"), b.id, name="Z"),
            "retired")
    with office.db.read() as s:
        eq = office.equipment(s)
        assert [i.name for i in eq.items()] == ["Canon EOS R6", "SD 128 GB"]
        assert len(eq.items(include_retired=True)) == 3
        actions = [e.action for e in audit.entries(s, subject_type="equipment")]
    assert actions.count("equipment.added") == 3 and "equipment.edited" in actions and "equipment.retired" in actions


# --- an inventory round -------------------------------------------------------------------------------------------


def test_a_round_walks_the_four_steps_with_their_time_standards(office: App, clock: FakeClock) -> None:
    told = Told()
    cam, drone = add_items(office, ("kamera", "Canon EOS R6"), ("drone", "DJI Mavic 3"))
    refused(office, PermissionDenied, lambda s: office.inventory(s).start(actor(office, "subkor")))
    refused(office, InvalidInput, lambda s: office.inventory(s).start(actor(office, "kabag"), assign_to="kreatif"),
            "does not hold")  # the round and its first period go with the refused assignment
    with office.db.session() as s:
        inv = Inventory(office.env, s, notifier=told)
        r = inv.start(actor(office, "kabag"), assign_to="subkor")
        rid = r.id
        assert r.step_id == "tugas_staf"
    assert told.sent[-1][0] == "sub_koordinator_dokpim" and "subkor" in told.sent[-1][2]
    refused(office, InvalidTransition, lambda s: office.inventory(s).start(actor(office, "kabag")), "still open")
    refused(office, PermissionDenied, lambda s: office.inventory(s).assign(actor(office, "kabag"), rid, "staf"))
    refused(office, InvalidInput, lambda s: office.inventory(s).assign(actor(office, "subkor"), rid, "kabag"),
            "does not hold")
    refused(office, InvalidTransition, lambda s: office.inventory(s).check(actor(office, "staf"), rid, cam,
                                                                           CheckInput()), "are checked at")
    clock.advance(minutes=12)  # the Sub Koordinator takes 12 of the 10 minutes
    with office.db.read() as s:
        late = overdue(s, office.sops, office.calendar, clock())
    assert [(o.period.subject_type, o.title, o.step_label) for o in late] == [
        ("inventory", f"Inventarisasi peralatan dokumentasi #{rid}",
         "Menugaskan staf Sub Dokpim untuk inventarisasi peralatan dokumentasi")]
    assert late[0].must_act == ["subkor"]
    assert remind_overdue(office.env, told, clock()) == 1  # the Sub Koordinator is told, once
    assert told.sent[-1][0] == "sub_koordinator_dokpim"
    assert f'inventarisasi #{rid} "Inventarisasi peralatan dokumentasi #{rid}"' in told.sent[-1][2]
    with office.db.session() as s:
        Inventory(office.env, s, notifier=told).assign(actor(office, "subkor"), rid, "staf")
    assert check(office, rid, cam, battery_percent=85, memory_free_gb=60) == "siap"
    refused(office, PermissionDenied, lambda s: office.inventory(s).check(actor(office, "subkor"), rid, drone,
                                                                          CheckInput()))
    refused(office, InvalidInput, lambda s: office.inventory(s).check(actor(office, "staf"), rid, drone,
                                                                      CheckInput(battery_percent=140)), "0-100")
    refused(office, InvalidTransition, lambda s: office.inventory(s).finish(actor(office, "staf"), rid),
            "1 active item")
    assert check(office, rid, drone, battery_percent=30, memory_free_percent=10) == "perlu_perhatian"
    with office.db.session() as s:
        inv = office.inventory(s)
        assert inv.get(rid).step_id == "pencatatan"  # the last check moved the round on
    lens = add_items(office, ("lensa", "RF 24-70"))[0]  # added while the round is at the record step
    refused(office, InvalidTransition, lambda s: office.inventory(s).finish(actor(office, "staf"), rid), "RF 24-70")
    assert check(office, rid, lens, present=False) == "tidak_siap"
    assert check(office, rid, cam, battery_percent=85, memory_free_gb=60, condition="rusak_ringan") == \
        "perlu_perhatian"  # checked again: corrected, still one row
    with office.db.session() as s:
        r = office.inventory(s).finish(actor(office, "staf"), rid, "semua tercatat")
        assert (r.status, r.step_id) == ("finished", None)
    with office.db.read() as s:
        inv = office.inventory(s)
        report = inv.report(inv.get(rid))
        periods = list(s.execute(select(StepPeriod).where(StepPeriod.subject_type == "inventory")
                                 .order_by(StepPeriod.id)).scalars())
        items = {i.id: (i.condition, i.readiness) for i in s.execute(select(EquipmentItem)).scalars()}
        actions = [e.action for e in audit.entries(s, subject_type="inventory", subject_id=str(rid))]
    assert [(p.step_id, p.due_at - p.entered_at if p.due_at else None, p.outcome) for p in periods] == [
        ("tugas_sub_koordinator", timedelta(minutes=10), "assigned"), ("tugas_staf", timedelta(minutes=10), "assigned"),
        ("pengecekan", timedelta(hours=1), "checked"), ("pencatatan", timedelta(minutes=30), "finished")]
    assert [st["within_standard"] for st in report["steps"]] == [True, False, True, True]
    assert report["totals"] == {"items": 3, "checked": 3, "present": 2, "missing": 1, "siap": 0,
                                "perlu_perhatian": 2, "tidak_siap": 1}
    assert items == {cam: ("rusak_ringan", "perlu_perhatian"), drone: ("baik", "perlu_perhatian"),
                     lens: ("baik", "tidak_siap")}
    drone_row = next(x for x in report["items"] if x["item_id"] == drone)
    assert drone_row["reasons"] == ["baterai 30% (< 50%)", "memori kosong 10% (< 20%)"]
    assert actions[0] == "inventory.started" and actions[-1] == "inventory.finished"
    assert actions.count("inventory.item_checked") == 4 and "inventory.checked" in actions
    assert told.sent[-1][0] == "staf_sub_dokpim"  # the staff's step was announced
    rows = list(csv.DictReader(io.StringIO(Inventory.report_csv(report))))
    assert [(x["nama"], x["ada"], x["kesiapan"]) for x in rows] == [
        ("DJI Mavic 3", "ya", "Perlu perhatian"), ("Canon EOS R6", "ya", "Perlu perhatian"),
        ("RF 24-70", "tidak", "Tidak siap")]
    assert office.verify_register().ok


def test_a_round_needs_equipment_and_can_be_cancelled_by_the_kabag(office: App) -> None:
    refused(office, InvalidTransition, lambda s: office.inventory(s).start(actor(office, "kabag")), "no equipment")
    add_items(office, ("kamera", "A"))
    rid = walk_to_check(office)
    refused(office, PermissionDenied, lambda s: office.inventory(s).cancel(actor(office, "staf"), rid, "x"))
    refused(office, InvalidInput, lambda s: office.inventory(s).cancel(actor(office, "kabag"), rid, " "), "note")
    with office.db.session() as s:
        office.inventory(s).cancel(actor(office, "kabag"), rid, "staf sakit")
    with office.db.session() as s:
        assert office.inventory(s).start(actor(office, "kabag")).id == rid + 1  # a new one may start
    refused(office, NotFound, lambda s: office.inventory(s).assign(actor(office, "kabag"), 999, "subkor"))


def test_the_reminder_comes_once_per_due_period(office: App, clock: FakeClock) -> None:
    told = Told()
    assert not remind_due(office.env, told)  # no equipment: nothing to inventory
    ids = add_items(office, ("kamera", "A"))
    assert remind_due(office.env, told)  # never done: due now
    assert not remind_due(office.env, told)  # told already
    assert told.sent[0][0] == "kabag_prokopim" and "belum pernah" in told.sent[0][2]
    rid = walk_to_check(office)
    clock.advance(days=40)
    assert not remind_due(office.env, told)  # a round is open
    check(office, rid, ids[0])
    with office.db.session() as s:
        office.inventory(s).finish(actor(office, "staf"), rid)
    clock.advance(days=29)
    assert not remind_due(office.env, told)
    clock.advance(days=2)
    assert remind_due(office.env, told) and not remind_due(office.env, told)
    clock.advance(days=30)  # still not done a period later: told again
    assert remind_due(office.env, told)
    assert len(told.sent) == 3


# --- the leaders' agenda --------------------------------------------------------------------------------------------


def test_agenda_entries_are_kept_by_the_kabag_and_the_sub_koordinator(office: App) -> None:
    eid = entry(office, "2026-03-10 09:00", "2026-03-10 12:00", staff=())
    with office.db.read() as s:
        e = s.get(AgendaEntry, eid)
        assert e is not None and office.local(e.starts_at).strftime("%H:%M %z") == "09:00 +0700"
    add = lambda who, **kw: lambda s: office.agenda(s).add(  # noqa: E731
        actor(office, who), **{"leader": "bupati", "activity": "Rapat", "place": "Pendopo",
                               "starts_at": "2026-03-10 09:00", "ends_at": "2026-03-10 10:00", **kw})
    refused(office, PermissionDenied, add("staf"))
    refused(office, PermissionDenied, add("admin"))  # the agenda is the SOP's roles' work, never by rank
    refused(office, InvalidInput, add("kabag", ends_at="2026-03-10 08:00"), "after the start")
    refused(office, InvalidInput, add("kabag", leader="lainnya"), "leader-name")
    refused(office, InvalidInput, add("kabag", leader="presiden"), "unknown leader")
    refused(office, InvalidInput, add("kabag", starts_at="kemarin"), "invalid start")
    refused(office, InvalidInput, add("kabag", ends_at="2026-05-10 10:00"), "31 days")
    refused(office, PermissionDenied, lambda s: office.agenda(s).assign(actor(office, "staf"), eid, ["staf"]))
    refused(office, InvalidInput, lambda s: office.agenda(s).assign(actor(office, "kabag"), eid, ["kreatif"]),
            "does not hold")
    with office.db.session() as s:
        assert office.agenda(s).assign(actor(office, "kabag"), eid, ["staf", "staf2", "staf"]) == ["staf", "staf2"]
    refused(office, InvalidTransition, lambda s: office.agenda(s).assign(actor(office, "kabag"), eid, ["staf"]),
            "already assigned")


def test_only_ready_items_not_out_at_overlapping_times_are_checked_out(office: App) -> None:
    cam1, cam2 = ready_items(office)
    tired = add_items(office, ("baterai", "Baterai cadangan"))[0]  # never checked: not ready
    morning = entry(office, "2026-03-10 09:00", "2026-03-10 12:00")
    noon = entry(office, "2026-03-10 11:00", "2026-03-10 13:00", staff=("staf2",))
    evening = entry(office, "2026-03-10 12:00", "2026-03-10 15:00")
    bare = entry(office, "2026-03-11 09:00", "2026-03-11 10:00", staff=())
    out = lambda who, eid, items, holder=None: lambda s: office.agenda(s).checkout(  # noqa: E731
        actor(office, who), eid, items, holder)
    refused(office, PermissionDenied, out("staf2", morning, [cam1]))  # not assigned to it
    refused(office, PermissionDenied, out("kabag", morning, [cam1]))
    refused(office, InvalidTransition, out("subkor", bare, [cam1]), "no staff")
    refused(office, InvalidTransition, out("staf", morning, [tired]), "not ready")
    refused(office, InvalidInput, out("staf", morning, [cam1, 999]), "item 999 not found")
    with office.db.session() as s:
        loans = office.agenda(s).checkout(actor(office, "staf"), morning, [cam1])
        assert [(x.item_id, x.holder_id) for x in loans] == [(cam1, s.execute(
            select(User.id).where(User.name == "staf")).scalar_one())]
    refused(office, InvalidTransition, out("staf", morning, [cam1]), "already checked out")
    refused(office, InvalidTransition, out("staf2", noon, [cam2, cam1]), "overlapping")  # all or none
    with office.db.session() as s:  # the Sub Koordinator lends for the evening (touching, not overlapping)
        office.agenda(s).checkout(actor(office, "subkor"), evening, [cam1, cam2])
    with office.db.read() as s:
        ag = office.agenda(s)
        e = ag.get(noon)
        assert ag.available(e) == []
        eq = office.equipment(s)
        assert {k: v.entry_id for k, v in eq.open_loans([cam1, cam2]).items()} == {cam1: morning, cam2: evening}
    with office.db.session() as s:
        office.agenda(s).return_items(actor(office, "staf"), morning, [Returned(cam1, "rusak_berat", "lensa pecah")])
    refused(office, InvalidTransition, lambda s: office.agenda(s).return_items(
        actor(office, "staf"), morning, [Returned(cam1)]), "not checked out")
    refused(office, InvalidInput, lambda s: office.agenda(s).return_items(
        actor(office, "staf"), evening, [Returned(cam2, "hilang")]), "unknown condition")
    with office.db.read() as s:
        item = s.get(EquipmentItem, cam1)
        assert item is not None and (item.condition, item.readiness) == ("rusak_berat", "tidak_siap")
        assert [i.id for i in office.agenda(s).available(s.get(AgendaEntry, noon))] == []  # cam1 broken, cam2 out
    refused(office, InvalidTransition, lambda s: office.equipment(s).retire(actor(office, "kabag"), cam2), "return")
    refused(office, InvalidTransition, lambda s: office.agenda(s).cancel(actor(office, "subkor"), evening, "batal"),
            "still has equipment")
    with office.db.read() as s:
        actions = [e.action for e in audit.entries(s, subject_type="agenda", subject_id=str(morning))]
    assert actions == ["agenda.added", "agenda.assigned", "agenda.checked_out", "agenda.returned"]


def test_an_entry_opens_the_media_sop_content_at_its_first_step(office: App) -> None:
    eid = entry(office, "2026-03-10 09:00", "2026-03-10 12:00")
    refused(office, PermissionDenied, lambda s: office.agenda(s).to_content(actor(office, "subkor"), eid))
    with office.db.session() as s:
        c = office.agenda(s).to_content(actor(office, "kabag"), eid)
        cid = c.id
    with office.db.read() as s:
        c = s.get(Content, cid)
        e = s.get(AgendaEntry, eid)
        assert c is not None and e is not None
        assert (c.sop_id, c.step_id, c.status) == ("mojokerto-prokopim", "agenda", "draft")
        assert (c.title, c.activity, c.location) == ("Bupati: Peresmian jembatan", "Peresmian jembatan", "Sooko")
        assert e.content_id == cid
        from humas.documentation.agenda import entry_for_content

        assert entry_for_content(s, cid) is e
        wf = office.workflow(s)
        assert wf.requirement_problems(c, wf.current_step(c) or wf.sop_of(c).steps[0]) == []
    refused(office, InvalidTransition, lambda s: office.agenda(s).to_content(actor(office, "kabag"), eid),
            "already opened")
    with office.db.session() as s:  # the Kabag passes the disposition on, as for any content
        office.workflow(s).submit(actor(office, "kabag"), cid)
    assert office.verify_register().ok


def test_a_config_without_the_inventory_chain_is_a_config_error(make_app: Callable[..., App], db_url: str) -> None:
    from humas.errors import ConfigError

    app = make_app(db_url, documentation={"sop": "mojokerto-acc"})
    with pytest.raises(ConfigError, match="no inventory chain"), app.db.session() as s:
        app.equipment(s)
    assert not app.remind_inventory()
