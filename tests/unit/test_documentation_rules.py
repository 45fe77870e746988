"""The documentation equipment's rules without a database: readiness from a check, free memory and times as typed,
and the SOP's inventory chain."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from humas.config import parse_settings
from humas.documentation.common import DocRoles, doc_roles, parse_time
from humas.documentation.equipment import Thresholds, readiness, worse
from humas.documentation.inventory import parse_memory
from humas.env import Env
from humas.errors import ConfigError, InvalidInput
from humas.sop.registry import load_sops

LIMITS = Thresholds(battery_min_percent=50, memory_min_gb=8.0, memory_min_percent=20)
SRC = Path(__file__).resolve().parents[2] / "src" / "humas"


@pytest.mark.parametrize(("present", "condition", "battery", "gb", "percent", "state"), [
    (True, "baik", 100, 64.0, None, "siap"),
    (True, "baik", None, None, None, "siap"),  # a tripod has neither battery nor memory
    (True, "baik", 50, 8.0, 20, "siap"),  # at the thresholds: still ready
    (True, "baik", 49, None, None, "perlu_perhatian"),
    (True, "baik", None, 7.9, None, "perlu_perhatian"),
    (True, "baik", None, None, 19, "perlu_perhatian"),
    (True, "rusak_ringan", 100, 64.0, None, "perlu_perhatian"),
    (True, "rusak_berat", 100, 64.0, None, "tidak_siap"),
    (False, "baik", 100, 64.0, None, "tidak_siap"),  # missing wins over everything
])
def test_readiness(present: bool, condition: str, battery: int | None, gb: float | None, percent: int | None,
                   state: str) -> None:
    assert readiness(present, condition, battery, gb, percent, LIMITS)[0] == state


def test_readiness_says_why_and_follows_the_settings() -> None:
    assert readiness(True, "rusak_ringan", 10, 2.0, None, LIMITS)[1] == [
        "rusak ringan", "baterai 10% (< 50%)", "memori kosong 2 GB (< 8 GB)"]
    strict = Thresholds.of(parse_settings({"documentation": {"battery_min_percent": 80}}).documentation)
    assert readiness(True, "baik", 70, None, None, strict)[0] == "perlu_perhatian"
    assert worse(None, "siap") == "siap" and worse("siap", "tidak_siap") == "tidak_siap"
    assert worse("tidak_siap", "perlu_perhatian") == "tidak_siap"


@pytest.mark.parametrize(("text", "parsed"), [
    ("", (None, None)), ("12GB", (12.0, None)), ("12,5 gb", (12.5, None)), ("7", (7.0, None)), ("30%", (None, 30)),
])
def test_free_memory_as_typed(text: str, parsed: tuple[float | None, int | None]) -> None:
    assert parse_memory(text) == parsed


@pytest.mark.parametrize("text", ["banyak", "12 TB", "30.5%", "-3GB"])
def test_free_memory_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="free memory"):
        parse_memory(text)


def _env(**documentation: object) -> Env:
    return Env.build(parse_settings({"documentation": documentation} if documentation else {}))


def test_times_in_the_office_zone() -> None:
    env = _env()
    jakarta = ZoneInfo("Asia/Jakarta")
    assert parse_time(env, "2026-12-01 09:00") == datetime(2026, 12, 1, 9, 0, tzinfo=jakarta)
    assert parse_time(env, "2026-12-01T09:00") == datetime(2026, 12, 1, 9, 0, tzinfo=jakarta)  # the browser's
    assert parse_time(env, "01-12-2026 09:00") == datetime(2026, 12, 1, 9, 0, tzinfo=jakarta)  # as shown
    assert parse_time(env, "2026-12-01T02:00+00:00").astimezone(jakarta).hour == 9
    for bad in ("besok", "2026-02-30 09:00", "0001-01-01 00:00"):
        with pytest.raises(InvalidInput) as info:
            parse_time(env, bad)
        assert getattr(info.value, "indonesian", "").startswith("waktu")


def test_the_inventory_chain_of_the_prokopim_preset() -> None:
    roles = doc_roles(_env())
    assert isinstance(roles, DocRoles)
    assert [(s.id, s.role, s.time_standard) for s in roles.chain] == [
        ("tugas_sub_koordinator", "kabag_prokopim", "10m"), ("tugas_staf", "sub_koordinator_dokpim", "10m"),
        ("pengecekan", "staf_sub_dokpim", "1h"), ("pencatatan", "staf_sub_dokpim", "30m")]
    assert (roles.head, roles.coordinator, roles.staff) == ("kabag_prokopim", "sub_koordinator_dokpim",
                                                            "staf_sub_dokpim")
    assert [s.id for s in roles.dispositions] == ["tugas_sub_koordinator", "tugas_staf"]
    assert load_sops().get("mojokerto-prokopim").steps[0].requires.fields == ["title", "activity"]
    with pytest.raises(ConfigError, match="no inventory chain"):
        doc_roles(_env(sop="mojokerto-acc"))
    with pytest.raises(ConfigError, match="unknown SOP"):
        doc_roles(_env(sop="tidak-ada"))
