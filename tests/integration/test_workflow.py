"""The SOP engine on a real database (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from humas.app import App
from humas.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied, RequirementsNotMet
from humas.sop.timing import overdue
from humas.store import audit
from humas.store.models import AuditEntry, Content, Decision
from humas.testing import FakeClock
from humas.workflow.engine import ContentChanges
from tests.conftest import add_user

CHAIN = [("reviu", "reviu"), ("editor", "editing"), ("reviu", "reviu_editing"), ("redaktur", "persetujuan_redaktur"),
         ("pimred", "persetujuan_pimpinan_redaktur"), ("pj", "persetujuan_penanggung_jawab")]


def wf(app: App, s):  # type: ignore[no-untyped-def]
    return app.workflow(s)


def act(app: App, user: str, verb: str, cid: int, note: str = "") -> Content:
    with app.db.session() as s:
        c = getattr(wf(app, s), verb)(app.actor(s, user), cid, note)
        return c


def new(app: App, user: str = "kreatif", **kw) -> int:  # type: ignore[no-untyped-def]
    args = {"sop_id": "mojokerto-acc", "title": "Pencegahan korupsi", "text": "Narasi isu", "caption": "Caption",
            "accounts": ["sandbox-facebook"], **kw}
    with app.db.session() as s:
        return wf(app, s).create(app.actor(s, user), **args).id


def state(app: App, cid: int) -> tuple[str, str | None]:
    with app.db.session() as s:
        c = s.get(Content, cid)
        assert c is not None
        return c.status, c.step_id


def test_full_chain_with_rejection_and_edit_after_approval(team: App) -> None:
    app = team
    cid = new(app)
    assert state(app, cid) == ("draft", "kerangka")
    act(app, "kreatif", "submit", cid)
    assert state(app, cid) == ("in_review", "reviu")
    act(app, "reviu", "reject", cid, "data belum valid")
    assert state(app, cid) == ("draft", "draft")
    act(app, "kreatif", "submit", cid)
    for user, step in CHAIN[:4]:
        assert state(app, cid)[1] == step
        act(app, user, "approve", cid)
    # an edit after the Redaktur's approval sends the content back to the draft and voids every approval after it
    with app.db.session() as s:
        wf(app, s).edit(app.actor(s, "kreatif"), cid, ContentChanges(text="Narasi isu, diperbaiki"))
    assert state(app, cid) == ("draft", "draft")
    with app.db.session() as s:
        valid = s.execute(select(Decision.step_id).where(Decision.content_id == cid, Decision.valid.is_(True),
                                                         Decision.outcome == "approved")).scalars().all()
        assert valid == []
    act(app, "kreatif", "submit", cid)
    for user, step in CHAIN:
        assert state(app, cid)[1] == step
        act(app, user, "approve", cid)
    assert state(app, cid) == ("approved", "publikasi")
    with app.db.session() as s:
        assert audit.verify(s).ok
        hist = wf(app, s).history(s.get(Content, cid))  # type: ignore[arg-type]
    actions = [h["action"] for h in hist]
    assert actions.count("content.rejected") == 1 and actions.count("content.edited") == 1
    assert actions.count("content.approved") == 4 + 6
    rejected = next(h for h in hist if h["action"] == "content.rejected")
    assert rejected["actor"] == "reviu" and rejected["note"] == "data belum valid"


def test_wrong_role_is_refused_and_nothing_changes(team: App) -> None:
    app = team
    cid = new(app)
    act(app, "kreatif", "submit", cid)
    with app.db.session() as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(PermissionDenied, match="Tim Reviu"):
        act(app, "redaktur", "approve", cid)
    with pytest.raises(NotFound, match="unknown user"):
        act(app, "nobody", "approve", cid)
    with app.db.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert state(app, cid) == ("in_review", "reviu")


def test_rejection_needs_a_note_and_a_return_step(team: App) -> None:
    app = team
    cid = new(app)
    act(app, "kreatif", "submit", cid)
    with pytest.raises(InvalidInput, match="note"):
        act(app, "reviu", "reject", cid, "  ")
    act(app, "reviu", "approve", cid)
    with pytest.raises(InvalidTransition, match="cannot reject"):
        act(app, "editor", "reject", cid, "tidak bisa")


def test_data_missing_runs_the_other_department_steps(team: App) -> None:
    app = team
    cid = new(app, flags=["data_missing"])
    act(app, "kreatif", "submit", cid)
    assert state(app, cid) == ("draft", "penyampaian_data")
    with pytest.raises(PermissionDenied):
        act(app, "kreatif", "submit", cid)
    act(app, "data", "submit", cid)
    assert state(app, cid) == ("draft", "draft")
    act(app, "kreatif", "submit", cid)
    assert state(app, cid) == ("in_review", "reviu")


def test_editor_edit_returns_to_editing_only(team: App) -> None:
    app = team
    cid = new(app)
    act(app, "kreatif", "submit", cid)
    for user, _ in CHAIN[:3]:
        act(app, user, "approve", cid)
    assert state(app, cid)[1] == "persetujuan_redaktur"
    with app.db.session() as s:
        wf(app, s).edit(app.actor(s, "editor"), cid, ContentChanges(caption="Caption yang disunting"))
    assert state(app, cid) == ("in_review", "editing")
    with app.db.session() as s:
        valid = set(s.execute(select(Decision.step_id).where(Decision.content_id == cid, Decision.valid.is_(True)))
                    .scalars())
    assert "reviu" in valid and "reviu_editing" not in valid
    with pytest.raises(PermissionDenied, match="may not edit"), app.db.session() as s:
        wf(app, s).edit(app.actor(s, "redaktur"), cid, ContentChanges(text="x"))


def test_ponjong_requirements_name_the_rule(app: App, tmp_path: Path) -> None:
    add_user(app, "pelaksana", "tim_pelaksana")
    imgs = []
    for i in range(5):
        p = tmp_path / f"foto{i}.jpg"
        from PIL import Image

        Image.new("RGB", (1080, 1080), (i * 40, 100, 100)).save(p, "JPEG")
        imgs.append(p)
    base = {"sop_id": "ponjong-upload", "title": "Kerja bakti", "text": "Narasi berita", "accounts": []}
    with app.db.session() as s:
        four = wf(app, s).create(app.actor(s, "pelaksana"), caption="ok", media=imgs[:4], **base).id
        long_caption = wf(app, s).create(app.actor(s, "pelaksana"), caption="x" * 201, media=imgs, **base).id
        good = wf(app, s).create(app.actor(s, "pelaksana"), caption="x" * 200, media=imgs, **base).id
    with pytest.raises(RequirementsNotMet, match=r"media_min.*5"):
        act(app, "pelaksana", "submit", four)
    with pytest.raises(RequirementsNotMet, match=r"caption_max.*200"):
        act(app, "pelaksana", "submit", long_caption)
    act(app, "pelaksana", "submit", good)
    assert state(app, four)[0] == "draft" and state(app, good)[0] == "in_review"


def test_platform_limits_checked_at_submit(team: App) -> None:
    app = team
    cid = new(app, caption="a" * 281, accounts=["sandbox-x", "sandbox-instagram"])
    with pytest.raises(RequirementsNotMet) as exc:
        act(app, "kreatif", "submit", cid)
    msg = str(exc.value)
    assert "sandbox-x: text_max" in msg and "sandbox-instagram: media_required" in msg
    assert state(app, cid) == ("draft", "kerangka")


def test_unknown_sop_account_and_missing_media(team: App, tmp_path: Path) -> None:
    app = team
    with pytest.raises(NotFound, match="unknown SOP"):
        new(app, sop_id="nope")
    with pytest.raises(NotFound, match="unknown account"):
        new(app, accounts=["nope"])
    with pytest.raises(InvalidInput, match="media file not found"):
        new(app, media=[tmp_path / "missing.jpg"])
    with app.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Content)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_sla_overdue_names_who_must_act(team: App, clock: FakeClock) -> None:
    app = team
    cid = new(app)
    act(app, "kreatif", "submit", cid)
    with app.db.session() as s:
        assert overdue(s, app.sops, app.calendar, app.clock()) == []
    clock.advance(minutes=16)  # Tim Reviu has 15 minutes
    with app.db.session() as s:
        rows = [o.as_dict(app.sops, app.tz) for o in overdue(s, app.sops, app.calendar, app.clock())]
    assert len(rows) == 1
    assert rows[0]["step"] == "reviu" and rows[0]["must_act"] == ["reviu"] and rows[0]["overdue_seconds"] == 60


def test_audit_chain_detects_alteration(team: App) -> None:
    app = team
    cid = new(app)
    act(app, "kreatif", "submit", cid)
    act(app, "reviu", "approve", cid, "oke")
    with app.db.session() as s:
        assert audit.verify(s).ok
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "content.approved")).scalar_one()
        entry.note = "diubah diam-diam"
        seq = entry.seq
    with app.db.session() as s:
        r = audit.verify(s)
    assert not r.ok and r.first_bad_seq == seq


def test_appends_of_one_transaction_continue_the_chain_and_a_rolled_back_savepoint_is_forgotten(app: App) -> None:
    with app.db.session() as s:
        first = audit.append(s, actor="t", action="a.one", at=app.clock())
        second = audit.append(s, actor="t", action="a.two", at=app.clock())
        assert (second.seq, second.prev_hash) == (first.seq + 1, first.hash)
        nested = s.begin_nested()
        audit.append(s, actor="t", action="a.gone", at=app.clock())
        nested.rollback()
        third = audit.append(s, actor="t", action="a.three", at=app.clock())
        assert (third.seq, third.prev_hash) == (second.seq + 1, second.hash)
    with app.db.session() as s:
        fourth = audit.append(s, actor="t", action="a.four", at=app.clock())  # a new transaction reads the head
        assert fourth.prev_hash == third.hash
        r = audit.verify(s)
    assert r.ok and r.checked == 4


def test_a_batch_appended_together_continues_the_chain_between_single_appends_and_is_verified(app: App) -> None:
    with app.db.session() as s:
        first = audit.append(s, actor="t", action="a.one", at=app.clock())
        audit.append_many(s, [audit.Entry(actor="t", action="a.batch", subject_type="job", subject_id=i,
                                          data={"n": i, "teks": "ulasan 👍"}, at=app.clock()) for i in range(3)])
        after = audit.append(s, actor="t", action="a.after", at=app.clock())
        assert after.seq == first.seq + 4
    with app.db.session() as s:
        audit.append_many(s, [audit.Entry(actor="t", action="a.next", at=app.clock())])  # a new transaction
        audit.append_many(s, [])
        rows = s.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
        assert [e.action for e in rows] == ["a.one", "a.batch", "a.batch", "a.batch", "a.after", "a.next"]
        assert [e.prev_hash for e in rows[1:]] == [e.hash for e in rows[:-1]]
        assert rows[2].data == {"n": 1, "teks": "ulasan 👍"} and rows[2].subject_id == "1"
        assert audit.verify(s).ok
        rows[2].data = {"n": 9, "teks": "ulasan 👍"}
    with app.db.session() as s:
        r = audit.verify(s)
    assert not r.ok and r.first_bad_seq == rows[2].seq
