from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from humas.sop.model import SOP, Step, load_presets, role_catalogue

PRESET_IDS = {"mojokerto-acc", "yogyakarta-plan", "ponjong-upload", "mojokerto-prokopim", "lampung-akurasi"}


@pytest.fixture(scope="module")
def presets() -> dict[str, SOP]:
    return load_presets()


def ids(steps: Sequence[Step]) -> list[str]:
    return [s.id for s in steps]


def step_id(step: Step | None) -> str | None:
    return None if step is None else step.id


def test_all_presets_load(presets: dict[str, SOP]) -> None:
    assert set(presets) == PRESET_IDS
    for sop_id, sop in presets.items():
        assert sop.id == sop_id
        assert sop.steps[0].action == "submit"
        assert sop.publish_step.action == "publish"
        assert sop.role_ids() >= {s.role for s in [*sop.steps, *sop.response_steps]}
        assert all(name.strip() for name in sop.roles.values())
        for step in [*sop.steps, *sop.response_steps]:
            assert step.label and step.standard >= timedelta(0)


def test_separation_of_duties_where_the_sop_gives_each_decision_another_role(presets: dict[str, SOP]) -> None:
    """On where the SOP gives the approving steps to more than one role (docs/sop-format.md)."""
    assert {sop_id for sop_id, sop in presets.items() if sop.distinct_approvers} == {
        "mojokerto-acc", "lampung-akurasi", "mojokerto-prokopim"}


def test_catalogue(presets: dict[str, SOP]) -> None:
    catalogue = role_catalogue(presets)
    assert catalogue["admin"] == "Administrator"
    assert catalogue == role_catalogue(list(presets.values()))
    assert {
        "tim_konten_kreatif",
        "perangkat_daerah_lain",
        "tim_reviu",
        "tim_editor",
        "redaktur",
        "pimpinan_redaktur",
        "penanggung_jawab",
        "tim_sosial_media",
        "ppid_pelaksana",
        "ppid",
        "atasan_ppid",
        "kepala_unit_kerja",
        "tim_pelaksana",
        "tim_pertimbangan_pelayanan_informasi",
        "sekretaris_ppid_pembantu",
        "atasan_ppid_pembantu",
        "admin_medsos",
        "kabag_prokopim",
        "sub_koordinator_dokpim",
        "staf_sub_dokpim",
        "kabid_plip",
        "kasi_pip",
        "operator_website_sosial_media",
    } <= set(catalogue)
    assert catalogue["tim_reviu"] == "Tim Reviu"


# --- Mojokerto Inspektorat ---------------------------------------------------------------------------------------


def test_mojokerto_acc_shape(presets: dict[str, SOP]) -> None:
    sop = presets["mojokerto-acc"]
    assert len(sop.steps) + len(sop.response_steps) == 14
    assert [s.time_standard for s in sop.steps] == [
        "30m", "30m", "120m", "120m", "15m", "60m", "10m", "10m", "10m", "10m", "10m",
    ]  # fmt: skip
    assert [(s.role, s.action, s.standard) for s in sop.response_steps] == [
        ("tim_sosial_media", "respond", timedelta(minutes=15)),
        ("redaktur", "review", timedelta(minutes=30)),
        ("tim_sosial_media", "respond", timedelta(minutes=10)),
    ]
    assert sop.cadence == "1w"
    assert sop.direct_reply
    assert (sop.response_role, sop.escalation_role) == ("tim_sosial_media", "redaktur")

    data_request, data_delivery, draft = sop.steps[1:4]
    assert data_request.when == data_delivery.when == "data_missing"
    assert (data_delivery.role, data_delivery.action) == ("perangkat_daerah_lain", "submit")
    assert draft.editable and draft.requires.fields == ["text"]
    assert draft.requires.description == "Narasi isu yang diangkat; data yang valid"

    reviu, editing, reviu_editing = sop.steps[4:7]
    assert (reviu.role, reviu.action, reviu.on_reject) == ("tim_reviu", "review", draft.id)
    assert (editing.role, editing.action, editing.editable, editing.on_reject) == ("tim_editor", "review", True, None)
    assert (reviu_editing.role, reviu_editing.on_reject) == ("tim_reviu", editing.id)
    assert [(s.role, s.on_reject) for s in sop.steps[7:10]] == [
        ("redaktur", draft.id),
        ("pimpinan_redaktur", draft.id),
        ("penanggung_jawab", draft.id),
    ]
    assert (sop.steps[10].role, sop.steps[10].action) == ("tim_sosial_media", "publish")
    assert sop.response_steps[1].on_reject == sop.response_steps[0].id


def test_mojokerto_acc_next_step_with_and_without_missing_data(presets: dict[str, SOP]) -> None:
    sop = presets["mojokerto-acc"]
    assert step_id(sop.next_step("kerangka", set())) == "draft"
    assert step_id(sop.next_step("kerangka", {"data_missing"})) == "permintaan_data"
    assert step_id(sop.next_step("permintaan_data", {"data_missing"})) == "penyampaian_data"
    assert step_id(sop.next_step("penyampaian_data", {"data_missing"})) == "draft"
    assert step_id(sop.next_step("persetujuan_penanggung_jawab")) == "publikasi"
    assert sop.next_step("publikasi") is None
    assert step_id(sop.next_step("respon_publik")) == "persetujuan_jawaban"
    assert sop.next_step("posting_jawaban") is None
    assert len(sop.active_steps(set())) == 9
    assert len(sop.active_steps({"data_missing"})) == 11
    assert ids(sop.active_steps(response=True)) == ids(sop.response_steps)
    assert sop.first_review(set()).id == "reviu"
    assert sop.first_review({"data_missing"}).id == "reviu"


def test_mojokerto_acc_edit_steps(presets: dict[str, SOP]) -> None:
    sop = presets["mojokerto-acc"]
    assert step_id(sop.edit_step_for("tim_editor", "persetujuan_redaktur")) == "editing"
    assert step_id(sop.edit_step_for("tim_konten_kreatif", "persetujuan_redaktur")) == "draft"
    assert step_id(sop.edit_step_for("tim_editor", "editing")) == "editing"
    assert sop.edit_step_for("tim_editor", "reviu") is None  # the editor's step is still ahead
    assert sop.edit_step_for("tim_konten_kreatif", "kerangka") is None
    assert sop.edit_step_for("redaktur", "persetujuan_penanggung_jawab") is None
    assert sop.edit_step_for("tim_sosial_media", "posting_jawaban") is None


# --- the other four ----------------------------------------------------------------------------------------------


def test_ponjong(presets: dict[str, SOP]) -> None:
    sop = presets["ponjong-upload"]
    first = sop.steps[0]
    assert (first.role, first.action) == ("tim_pelaksana", "submit")
    assert first.requires.media_min == 5
    assert first.requires.min_media == 5
    assert first.requires.caption_max == 200
    assert first.requires.platform_limits
    assert set(first.requires.fields) >= {"text", "caption"}
    board = sop.steps[1:4]
    assert {s.role for s in board} == {"tim_pertimbangan_pelayanan_informasi"}
    assert [s.editable for s in board] == [False, True, False]
    decision = board[2]
    assert (decision.approve_label, decision.reject_label, decision.on_reject) == ("TERIMA", "TOLAK", first.id)
    assert (sop.publish_step.role, sop.publish_step.standard) == ("admin_medsos", timedelta(days=1))
    assert {s.time_standard for s in sop.steps} == {"1d"}
    assert {"sekretaris_ppid_pembantu", "atasan_ppid_pembantu"} <= sop.role_ids()


def test_prokopim(presets: dict[str, SOP]) -> None:
    sop = presets["mojokerto-prokopim"]
    assert sop.role_ids() == {"kabag_prokopim", "sub_koordinator_dokpim", "staf_sub_dokpim"}
    assert [(s.role, s.action, s.time_standard) for s in sop.steps] == [
        ("kabag_prokopim", "submit", "10m"),
        ("kabag_prokopim", "submit", "10m"),
        ("sub_koordinator_dokpim", "submit", "10m"),
        ("staf_sub_dokpim", "submit", "3h"),
        ("sub_koordinator_dokpim", "review", "30m"),
        ("staf_sub_dokpim", "publish", "15m"),
    ]
    assert sop.steps[4].on_reject == sop.steps[3].id


def test_lampung(presets: dict[str, SOP]) -> None:
    sop = presets["lampung-akurasi"]
    assert sop.role_ids() == {"kabid_plip", "kasi_pip", "operator_website_sosial_media"}
    assert [s.time_standard for s in sop.steps] == ["2m", "5m", "7m", "2m", "2m", "1m", "0m"]
    assert not sop.publish_step.timed
    production = sop.step("produksi")
    assert {"activity", "location"} <= set(production.requires.fields)
    assert {"activity", "location"} <= set(sop.publish_step.requires.fields)
    reviews = [s for s in sop.steps if s.action == "review"]
    assert [s.role for s in reviews] == ["kasi_pip", "kabid_plip", "kasi_pip"]
    assert [s.on_reject for s in reviews] == ["produksi", "produksi", None]


def test_yogyakarta(presets: dict[str, SOP]) -> None:
    sop = presets["yogyakarta-plan"]
    assert sop.role_ids() == {"ppid_pelaksana", "ppid", "atasan_ppid", "kepala_unit_kerja"}
    # steps 1-3 plan the month; each approved item then walks steps 4-6 as content
    assert [(s.id, s.role, s.action, s.standard) for s in sop.plan_steps] == [
        ("agenda_rapat", "ppid_pelaksana", "submit", timedelta(minutes=15)),
        ("inventarisasi", "ppid", "submit", timedelta(hours=2)),
        ("persetujuan_rencana", "atasan_ppid", "review", timedelta(minutes=15)),
    ]
    assert [s.id for s in sop.plan_steps if s.editable] == ["inventarisasi"]
    assert sop.step("persetujuan_rencana").on_reject == "inventarisasi"
    assert step_id(sop.next_step("agenda_rapat")) == "inventarisasi"
    assert sop.next_step("persetujuan_rencana") is None
    assert [(s.id, s.role, s.action, s.standard) for s in sop.steps] == [
        ("pembuatan_materi", "kepala_unit_kerja", "submit", timedelta(days=30)),
        ("pengiriman_materi", "ppid_pelaksana", "review", timedelta(minutes=15)),
        ("unggah", "ppid_pelaksana", "publish", timedelta(minutes=60)),
    ]
    assert sop.first_review().id == "pengiriman_materi"
    assert sop.step("pengiriman_materi").on_reject == "pembuatan_materi"
    assert sop.publish_step.role == "ppid_pelaksana"
    assert ids(sop.active_steps()) == ids(sop.steps)  # the plan's steps are never content steps
