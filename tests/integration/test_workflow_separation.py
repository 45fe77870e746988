"""Separation of duties (SOP option ``distinct_approvers``): the writer of a version and each approver of it are
different people, and one person approves the steps of one role only on a version (both of a role's steps where the
SOP gives it two). SQLite always, PostgreSQL when set."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from humas.app import App
from humas.errors import AnotherApproverNeeded, PermissionDenied
from humas.store.models import Content
from humas.workflow.engine import ContentChanges
from tests.conftest import MOJOKERTO_TEAM, add_user
from tests.integration.test_web_helpers import build


def _acc_separated() -> dict[str, Any]:
    """The shipped mojokerto-acc SOP with separation of duties turned on (an office's own copy of it)."""
    text = resources.files("humas.sop").joinpath("presets", "mojokerto-acc.toml").read_text(encoding="utf-8")
    return {**tomllib.loads(text), "distinct_approvers": True}


@pytest.fixture
def sep(make_app: Callable[..., App], db_url: str) -> App:
    app = make_app(db_url, sops=[_acc_separated()])
    for name, roles in MOJOKERTO_TEAM.items():
        add_user(app, name, *roles)
    add_user(app, "reviu2", "tim_reviu")
    add_user(app, "penulis", "tim_konten_kreatif", "tim_reviu")  # writes and may review
    add_user(app, "dobel", "redaktur", "pimpinan_redaktur")  # holds two approving roles
    return app


def act(app: App, user: str, verb: str, cid: int, note: str = "") -> Content:
    with app.db.session() as s:
        return getattr(app.workflow(s), verb)(app.actor(s, user), cid, note)  # type: ignore[no-any-return]


def new(app: App, author: str) -> int:
    with app.db.session() as s:
        return app.workflow(s).create(app.actor(s, author), sop_id="mojokerto-acc", title="Pencegahan korupsi",
                                      text="Narasi isu", caption="Caption", accounts=["sandbox-facebook"]).id


def state(app: App, cid: int) -> tuple[str, str | None]:
    with app.db.session() as s:
        c = s.get(Content, cid)
        assert c is not None
        return c.status, c.step_id


def refused(app: App, user: str, cid: int) -> AnotherApproverNeeded:
    before = state(app, cid)
    with pytest.raises(AnotherApproverNeeded) as info:
        act(app, user, "approve", cid)
    assert isinstance(info.value, PermissionDenied)
    assert state(app, cid) == before  # nothing written
    return info.value


def test_the_writer_may_not_approve_his_own_version(sep: App) -> None:
    cid = new(sep, "penulis")
    act(sep, "penulis", "submit", cid)
    assert state(sep, cid) == ("in_review", "reviu")
    err = refused(sep, "penulis", cid)
    assert err.reason == "author" and "another person" in err.message
    act(sep, "reviu", "approve", cid)
    assert state(sep, cid) == ("in_review", "editing")


def test_one_person_takes_the_steps_of_one_role_only(sep: App) -> None:
    add_user(sep, "budi", "tim_reviu", "tim_editor")  # the README's old example: reviews and edits
    cid = new(sep, "kreatif")
    act(sep, "kreatif", "submit", cid)
    act(sep, "budi", "approve", cid)  # as Tim Reviu
    err = refused(sep, "budi", cid)  # and not again as Tim Editor, on the same version
    assert (err.reason, err.earlier_step) == ("approved", sep.sops.get("mojokerto-acc").step("reviu").label)
    act(sep, "editor", "approve", cid)
    act(sep, "budi", "approve", cid)  # the SOP gives Tim Reviu steps 5 and 7: one member may take both
    act(sep, "dobel", "approve", cid)  # as Redaktur
    assert state(sep, cid) == ("in_review", "persetujuan_pimpinan_redaktur")
    refused(sep, "dobel", cid)  # and not again as Pimpinan Redaktur
    act(sep, "pimred", "approve", cid)
    act(sep, "pj", "approve", cid)
    assert state(sep, cid) == ("approved", "publikasi")


def test_an_editor_who_edits_may_not_review_his_edit(sep: App) -> None:
    add_user(sep, "eko", "tim_editor", "tim_reviu")
    cid = new(sep, "kreatif")
    act(sep, "kreatif", "submit", cid)
    act(sep, "reviu", "approve", cid)
    with sep.db.session() as s:  # eko edits at the editing step: version 2 is his
        sep.workflow(s).edit(sep.actor(s, "eko"), cid, ContentChanges(text="Narasi isu, disunting"))
    act(sep, "eko", "approve", cid)
    assert state(sep, cid) == ("in_review", "reviu_editing")
    assert refused(sep, "eko", cid).reason == "author"
    act(sep, "reviu", "approve", cid)
    assert state(sep, cid) == ("in_review", "persetujuan_redaktur")


def test_a_new_version_is_a_new_separation(sep: App) -> None:
    cid = new(sep, "kreatif")
    act(sep, "kreatif", "submit", cid)
    for user in ("reviu", "editor", "reviu2", "dobel"):
        act(sep, user, "approve", cid)
    # the writer rewrites the draft: version 2, and the approvals of version 1 no longer count
    with sep.db.session() as s:
        sep.workflow(s).edit(sep.actor(s, "kreatif"), cid, ContentChanges(text="Narasi isu, diperbaiki"))
    act(sep, "kreatif", "submit", cid)
    act(sep, "reviu", "approve", cid)  # approved version 1, may approve version 2
    act(sep, "editor", "approve", cid)
    act(sep, "reviu2", "approve", cid)
    act(sep, "dobel", "approve", cid)
    assert state(sep, cid) == ("in_review", "persetujuan_pimpinan_redaktur")


def test_the_shipped_presets_separate_duties(team: App) -> None:
    """On in mojokerto-acc as shipped: one Tim Reviu member takes both reviews, and nobody else takes two roles."""
    add_user(team, "rina", "redaktur", "pimpinan_redaktur", "penanggung_jawab")
    cid = new(team, "kreatif")
    act(team, "kreatif", "submit", cid)
    for user in ("reviu", "editor", "reviu", "rina"):
        act(team, user, "approve", cid)
    assert refused(team, "rina", cid).earlier_step == team.sops.get("mojokerto-acc").step(
        "persetujuan_redaktur").label


def test_prokopim_preset_separates_designer_and_verifier(app: App, tmp_path: Path) -> None:
    add_user(app, "kabag", "kabag_prokopim")
    add_user(app, "subkor", "sub_koordinator_dokpim")
    add_user(app, "staf", "staf_sub_dokpim", "sub_koordinator_dokpim")  # designs, and stands in as verifier
    photo = tmp_path / "desain.jpg"
    Image.new("RGB", (1080, 1080), (200, 120, 40)).save(photo, "JPEG")
    with app.db.session() as s:
        cid = app.workflow(s).create(app.actor(s, "kabag"), sop_id="mojokerto-prokopim", title="Kunjungan Bupati",
                                     text="", activity="Kunjungan kerja").id
    act(app, "kabag", "submit", cid)
    act(app, "subkor", "submit", cid)
    assert state(app, cid) == ("draft", "desain")
    with app.db.session() as s:
        app.workflow(s).edit(app.actor(s, "staf"), cid, ContentChanges(caption="Bupati meninjau", media=[photo]))
    act(app, "staf", "submit", cid)
    assert state(app, cid) == ("in_review", "verifikasi")
    assert refused(app, "staf", cid).reason == "author"
    act(app, "subkor", "approve", cid)
    assert state(app, cid)[0] == "approved"


def test_the_approval_page_says_why_in_indonesian(sep: App) -> None:
    env = build(sep)
    cid = new(sep, "penulis")
    act(sep, "penulis", "submit", cid)
    web = env.client("penulis")
    r = web.post(f"/konten/{cid}/setujui", {"note": ""})
    assert r.status_code == 303 and r.headers["location"] == f"/konten/{cid}"
    page = web.get(f"/konten/{cid}").text
    assert "Anda menulis versi ini, jadi orang lain yang harus menyetujui" in page
    assert state(sep, cid) == ("in_review", "reviu")
