from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from humas.errors import ConfigError
from humas.sop.model import SOP, Requirements, SopError, Step, load_sop_file, parse_sop, role_catalogue

CUSTOM = """\
id = "kecamatan-contoh"
name = "Alur Unggah Konten"
office = "Kecamatan Contoh"
cadence = "1w"

[roles]
penulis = "Penulis"
redaktur = "Redaktur"
admin_medsos = "Admin Medsos"

[[steps]]
id = "tulis"
label = "Menulis konten"
role = "penulis"
action = "submit"
time_standard = "2h"
editable = true
requires = { fields = ["text", "media"], caption_max = 200 }

[[steps]]
id = "periksa"
label = "Memeriksa konten"
role = "redaktur"
action = "review"
time_standard = "30m"
on_reject = "tulis"

[[steps]]
id = "unggah"
label = "Mengunggah konten"
role = "admin_medsos"
action = "publish"
time_standard = "10m"
"""


def custom() -> dict[str, Any]:
    return tomllib.loads(CUSTOM)


def mojokerto() -> dict[str, Any]:
    text = resources.files("humas.sop").joinpath("presets/mojokerto-acc.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def broken(data: dict[str, Any], change: Callable[[dict[str, Any]], object], source: str) -> str:
    data = copy.deepcopy(data)
    change(data)
    with pytest.raises(SopError) as info:
        parse_sop(data, source)
    return str(info.value)


def test_custom_sop_parses() -> None:
    sop = parse_sop(custom(), "contoh.toml")
    assert sop.id == "kecamatan-contoh"
    assert sop.step("tulis").requires.min_media == 1
    assert sop.step("periksa").can_reject
    assert sop.first_review().id == "periksa"
    assert sop.next_step("periksa") == sop.publish_step
    assert sop.index("unggah") == 2
    assert sop.edit_step_for("penulis", "unggah") == sop.step("tulis")
    assert sop.response_steps == [] and sop.direct_reply


def test_load_sop_file(tmp_path: Path) -> None:
    path = tmp_path / "contoh.toml"
    path.write_text(CUSTOM, encoding="utf-8")
    assert load_sop_file(path).id == "kecamatan-contoh"
    assert load_sop_file(str(path)).name == "Alur Unggah Konten"


def test_load_sop_file_errors(tmp_path: Path) -> None:
    with pytest.raises(SopError, match=r"missing\.toml: cannot read"):
        load_sop_file(tmp_path / "missing.toml")
    bad = tmp_path / "rusak.toml"
    bad.write_text('id = "x"\nname = ', encoding="utf-8")
    with pytest.raises(SopError, match=r"^rusak\.toml: invalid TOML"):
        load_sop_file(bad)
    typo = tmp_path / "typo.toml"
    typo.write_text(CUSTOM.replace('time_standard = "30m"', 'time_standard = "30 menit"'), encoding="utf-8")
    with pytest.raises(SopError) as info:
        load_sop_file(typo)
    assert (
        str(info.value) == 'typo.toml: steps[1].time_standard: invalid duration "30 menit" (expected like 10m, 2h, 1d)'
    )


def test_sop_error_is_config_and_value_error() -> None:
    assert issubclass(SopError, ValueError)
    assert issubclass(SopError, ConfigError)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["steps"][3].update(time_standard="10x"),
            'mojokerto-acc.toml: steps[3].time_standard: invalid duration "10x" (expected like 10m, 2h, 1d)',
        ),
        (
            lambda d: d["steps"][4].update(role="tim_humas"),
            'mojokerto-acc.toml: steps[4].role: unknown role "tim_humas" (not in [roles]: ',
        ),
        (
            lambda d: d["steps"][4].update(on_reject="editing"),
            'mojokerto-acc.toml: steps[4].on_reject: "editing" is not an earlier step',
        ),
        (
            lambda d: d["steps"][4].update(on_reject="tidak_ada"),
            'mojokerto-acc.toml: steps[4].on_reject: no step "tidak_ada" in steps',
        ),
        (
            lambda d: d["steps"][4].update(on_rejct="draft"),
            "mojokerto-acc.toml: steps[4].on_rejct: unknown key (allowed: id, label, role, action, time_standard,",
        ),
        (
            lambda d: d["steps"][3]["requires"].update(feilds=["text"]),
            "mojokerto-acc.toml: steps[3].requires.feilds: unknown key (allowed: fields, media_min,",
        ),
        (lambda d: d.update(penulis="x"), "mojokerto-acc.toml: penulis: unknown key (allowed: id, name, office,"),
        (
            lambda d: d["response_steps"][2].update(time_standard="1 jam"),
            'mojokerto-acc.toml: response_steps[2].time_standard: invalid duration "1 jam"',
        ),
        (
            lambda d: d["response_steps"][1].update(on_reject="posting_jawaban"),
            'mojokerto-acc.toml: response_steps[1].on_reject: "posting_jawaban" is not an earlier step',
        ),
        (
            lambda d: d["response_steps"][1].update(on_reject="draft"),
            'mojokerto-acc.toml: response_steps[1].on_reject: no step "draft" in response_steps',
        ),
        (
            lambda d: d["steps"][4].update(id="draft"),
            'mojokerto-acc.toml: steps[4].id: duplicate step id "draft" (also steps[3])',
        ),
        (
            lambda d: d["response_steps"][0].update(id="draft"),
            'mojokerto-acc.toml: response_steps[0].id: duplicate step id "draft" (also steps[3])',
        ),
        (
            lambda d: d["steps"][4].update(on_reject="permintaan_data"),
            'mojokerto-acc.toml: steps[4].on_reject: "permintaan_data" only runs when the content is flagged',
        ),
        (
            lambda d: d["steps"][4]["requires"].update(fields=["teks"]),
            "mojokerto-acc.toml: steps[4].requires.fields[0]: Input should be 'title', 'text',",
        ),
        (
            lambda d: d["steps"][4]["requires"].update(media_min=-1),
            "mojokerto-acc.toml: steps[4].requires.media_min: Input should be greater than or equal to 0",
        ),
        (
            lambda d: d["steps"][4].update(id="Reviu"),
            "mojokerto-acc.toml: steps[4].id: invalid value 'Reviu' (a lowercase letter, then lowercase letters,",
        ),
        (lambda d: d.update(id="Mojokerto_ACC"), "mojokerto-acc.toml: id: invalid value 'Mojokerto_ACC'"),
        (lambda d: d.pop("office"), "mojokerto-acc.toml: office: required key is missing"),
        (lambda d: d["steps"][4].pop("label"), "mojokerto-acc.toml: steps[4].label: required key is missing"),
        (
            lambda d: d["roles"].update({"Tim Humas": "Tim Humas"}),
            "mojokerto-acc.toml: roles.Tim Humas: invalid role id",
        ),
        (lambda d: d.update(escalation_role="kepala"), 'mojokerto-acc.toml: escalation_role: unknown role "kepala"'),
        (lambda d: d.update(cadence="mingguan"), 'mojokerto-acc.toml: cadence: invalid duration "mingguan"'),
        (
            lambda d: d.update(distinct_approvers="ya"),
            "mojokerto-acc.toml: distinct_approvers: Input should be a valid boolean",
        ),
        (
            lambda d: d["steps"][4].update(action="kirim"),
            "mojokerto-acc.toml: steps[4].action: Input should be 'submit', 'review', 'publish' or 'respond'",
        ),
    ],
)
def test_malformed_preset_names_the_key(change: Callable[[dict[str, Any]], object], expected: str) -> None:
    assert broken(mojokerto(), change, "mojokerto-acc.toml").startswith(expected)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["steps"][0].update(action="review"), 'steps[0].action: the first step must be "submit"'),
        (
            lambda d: (d["steps"][0].update(when="data_missing"), d["steps"][1].update(on_reject=None)),
            "steps[0].when: the first step must always run",
        ),
        (lambda d: d["steps"][1].update(action="submit", on_reject=None), "steps: at least one review step"),
        (lambda d: d["steps"][1].update(when="urgent"), "steps: at least one review step that always runs"),
        (lambda d: d["steps"][2].update(action="review"), 'steps: the last step must be the "publish" step'),
        (
            lambda d: d["steps"].insert(1, {**d["steps"][2], "id": "unggah_awal"}),
            'steps[1].action: exactly one "publish" step, the last one, after all reviews',
        ),
        (lambda d: d["steps"][2].update(when="urgent"), "steps[2].when: the publish step must always run"),
        (lambda d: d["steps"][1].update(action="respond", on_reject=None), 'steps[1].action: "respond" steps belong'),
        (lambda d: d["steps"][0].update(on_reject="tulis"), "steps[0].on_reject: only review steps can reject"),
        (lambda d: d["steps"][2].update(editable=True), "steps[2].editable: only submit and review steps"),
        (lambda d: d.update(steps=[]), "steps: at least one step is required"),
        (lambda d: d.update(roles={}), "roles: at least one role is required"),
        (
            lambda d: d.update(response_steps=[{**d["steps"][1], "id": "jawab", "on_reject": None}]),
            'response_steps[0].action: the first response step must be "respond"',
        ),
        (
            lambda d: d.update(response_steps=[{**d["steps"][2], "id": "jawab"}]),
            'response_steps[0].action: response steps are "respond" or "review", not "publish"',
        ),
    ],
)
def test_malformed_custom_sop(change: Callable[[dict[str, Any]], object], expected: str) -> None:
    assert broken(custom(), change, "contoh.toml").startswith(f"contoh.toml: {expected}")


def test_several_problems_are_all_reported() -> None:
    def change(d: dict[str, Any]) -> None:
        d["steps"][0]["time_standard"] = "2 jam"
        d["steps"][1]["colour"] = "merah"

    lines = broken(custom(), change, "contoh.toml").splitlines()
    assert len(lines) == 2
    assert all(line.startswith("contoh.toml: steps[") for line in lines)


def test_models_are_frozen() -> None:
    sop = parse_sop(custom(), "contoh.toml")
    with pytest.raises(ValueError):
        sop.id = "lain"  # type: ignore[misc]


def test_step_properties() -> None:
    step = Step(id="cek", label="Cek", role="redaktur", action="review", time_standard="1h30m")
    assert step.standard.total_seconds() == 5400
    assert step.timed and not step.can_reject
    assert (step.approve_label, step.reject_label) == ("Setujui", "Tolak")
    assert not Step(id="x", label="X", role="r", action="publish", time_standard="0m").timed
    assert Requirements(fields=["media"], media_min=3).min_media == 3
    assert Requirements().min_media == 0
    with pytest.raises(ValueError, match="more than once"):
        Requirements(fields=["text", "text"])


def test_step_lookup_errors() -> None:
    sop = parse_sop(custom(), "contoh.toml")
    with pytest.raises(KeyError):
        sop.step("tidak_ada")
    with pytest.raises(KeyError):
        sop.next_step("tidak_ada")


def test_role_catalogue_conflict() -> None:
    first = parse_sop(custom(), "a.toml")
    other = custom()
    other["id"] = "kecamatan-lain"
    other["roles"]["redaktur"] = "Redaktur Utama"
    second = parse_sop(other, "b.toml")
    with pytest.raises(
        SopError, match=r'kecamatan-lain: roles\.redaktur: .*"Redaktur Utama".*"Redaktur".*kecamatan-contoh'
    ):
        role_catalogue([first, second])
    admin = custom()
    admin["roles"]["admin"] = "Admin Kantor"
    with pytest.raises(SopError, match="built-in"):
        role_catalogue([parse_sop(admin, "c.toml")])


def test_role_catalogue_merges_shared_roles() -> None:
    first = parse_sop(custom(), "a.toml")
    other = custom()
    other["id"] = "kecamatan-lain"
    catalogue = role_catalogue({"a": first, "b": parse_sop(other, "b.toml")})
    assert catalogue == {
        "admin": "Administrator",
        "penulis": "Penulis",
        "redaktur": "Redaktur",
        "admin_medsos": "Admin Medsos",
    }


def test_direct_construction_validates() -> None:
    data = custom()
    data["steps"][1]["on_reject"] = "unggah"
    with pytest.raises(ValueError, match="not an earlier step"):
        SOP.model_validate(data)
