"""``humas inventory`` and ``humas agenda`` as a person types them: a round walked through, the buku inventarisasi as
a table, JSON and CSV, an agenda entry with staff, equipment and its content; every mistake one ``error:`` line with
a non-zero exit, and nothing written."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from humas.app import App
from humas.cli.main import main
from humas.store.models import AgendaEntry, AuditEntry, EquipmentItem, EquipmentLoan, InventoryCheck
from tests.conftest import add_user

Run = Callable[..., str]


@pytest.fixture
def cli(make_app: Callable[..., App], db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> tuple[App, Run]:
    app = make_app(db_url)
    for name, role in (("kabag", "kabag_prokopim"), ("subkor", "sub_koordinator_dokpim"), ("staf", "staf_sub_dokpim"),
                       ("kreatif", "tim_konten_kreatif")):
        add_user(app, name, role)
    config = tmp_path / "humas.toml"
    config.write_text(f'data_dir = "{app.settings.data_dir}"\ndatabase_url = "{db_url}"\n[notify]\nenabled = false\n',
                      encoding="utf-8")
    for key in ("HUMAS_DATABASE_URL", "HUMAS_DATA_DIR", "HUMAS_USER"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("COLUMNS", "250")
    capsys.readouterr()

    def run(*args: str, code: int = 0) -> str:
        argv = ["--config", str(config), *args]
        if code:
            with pytest.raises(SystemExit) as info:
                main(argv)
            assert info.value.code == code, capsys.readouterr()
            err = capsys.readouterr().err
            assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
            return err
        main(argv)
        out = capsys.readouterr()
        assert not out.err, out.err
        return out.out

    return app, run


def counts(app: App) -> tuple[int, ...]:
    with app.db.read() as s:
        return tuple(s.execute(select(func.count()).select_from(m)).scalar_one()
                     for m in (AuditEntry, EquipmentItem, InventoryCheck, AgendaEntry, EquipmentLoan))


def js(text: str) -> Any:
    return json.loads(text)


def test_an_inventory_round_from_the_command_line(cli: tuple[App, Run]) -> None:
    app, run = cli
    cam = js(run("inventory", "add", "--kind", "kamera", "--name", "Canon [bold]EOS[/bold]", "--serial", "CN-1",
                 "--as", "kabag", "--json"))
    assert cam["storage"] == "Lemari terkunci" and cam["readiness"] is None
    assert "Canon [bold]EOS[/bold]" in run("inventory", "items")  # people's text is never markup
    run("inventory", "add", "--kind", "drone", "--name", "DJI Mavic 3", "--storage", "Dry cabinet terkunci",
        "--as", "subkor")
    before = counts(app)
    assert "may not manage" in run("inventory", "add", "--kind", "kamera", "--name", "X", "--as", "staf", code=3)
    assert "unknown kind 'tripod'" in run("inventory", "add", "--kind", "tripod", "--name", "X", "--as", "kabag",
                                          code=1)
    assert "already item" in run("inventory", "add", "--kind", "kamera", "--name", "X", "--serial", "CN-1", "--as",
                                 "kabag", code=1)
    assert counts(app) == before
    started = js(run("inventory", "round", "start", "--to", "subkor", "--as", "kabag", "--json"))
    rid = started["id"]
    assert started["step"] == "tugas_staf" and started["steps"][1]["assignee"] == "subkor"
    run("inventory", "round", "assign", str(rid), "--to", "staf", "--as", "subkor")
    assert "invalid free memory" in run("inventory", "round", "check", str(rid), str(cam["id"]), "--memory", "lots",
                                        "--as", "staf", code=1)
    out = run("inventory", "round", "check", str(rid), str(cam["id"]), "--battery", "80", "--memory", "40GB",
              "--as", "staf")
    assert "item 1: siap" in out and "1/2 checked" in out
    assert "not checked" in run("inventory", "round", "finish", str(rid), "--as", "staf", code=1)
    run("inventory", "round", "check", str(rid), "2", "--missing", "--note", "dipinjam bagian umum", "--as", "staf")
    done = js(run("inventory", "round", "finish", str(rid), "--note", "lengkap", "--as", "staf", "--json"))
    assert done["status"] == "finished" and done["totals"]["tidak_siap"] == 1
    table = run("inventory", "report")
    assert "Buku inventarisasi #1" in table and "dipinjam bagian umum" in table and "1 tidak siap" in table
    rows = list(csv.DictReader(io.StringIO(run("inventory", "report", str(rid), "--csv"))))
    assert [(r["nama"], r["ada"], r["kesiapan"], r["baterai_persen"]) for r in rows] == [
        ("DJI Mavic 3", "tidak", "Tidak siap", ""), ("Canon [bold]EOS[/bold]", "ya", "Siap", "80")]
    listed = js(run("inventory", "round", "list", "--json"))
    assert listed["due_at"] and [r["id"] for r in listed["rounds"]] == [rid]
    ready = run("inventory", "items", "--readiness", "siap")
    assert "Canon" in ready and "DJI" not in ready
    assert "inventory round 9 not found" in run("inventory", "report", "9", code=1)


def test_an_agenda_entry_from_the_command_line(cli: tuple[App, Run]) -> None:
    app, run = cli
    cam = js(run("inventory", "add", "--kind", "kamera", "--name", "Canon", "--as", "kabag", "--json"))["id"]
    rid = js(run("inventory", "round", "start", "--to", "subkor", "--as", "kabag", "--json"))["id"]
    run("inventory", "round", "assign", str(rid), "--to", "staf", "--as", "subkor")
    run("inventory", "round", "check", str(rid), str(cam), "--battery", "90", "--as", "staf")
    run("inventory", "round", "finish", str(rid), "--as", "staf")
    before = counts(app)
    assert "the end must be after the start" in run(
        "agenda", "add", "--leader", "bupati", "--activity", "Rapat", "--place", "Pendopo", "--start",
        "2026-12-10 10:00", "--end", "2026-12-10 09:00", "--as", "kabag", code=1)
    assert "may not manage the leaders' agenda" in run(
        "agenda", "add", "--leader", "bupati", "--activity", "Rapat", "--place", "Pendopo", "--start",
        "2026-12-10 09:00", "--end", "2026-12-10 10:00", "--as", "staf", code=3)
    assert counts(app) == before
    e = js(run("agenda", "add", "--leader", "wakil_bupati", "--activity", "Peresmian pasar", "--place", "Mojosari",
               "--start", "10-12-2026 09:00", "--end", "10-12-2026 11:30", "--as", "subkor", "--json"))
    assert (e["title"], e["starts_at"], e["ends_at"]) == ("Wakil Bupati: Peresmian pasar", "2026-12-10T09:00:00+07:00",
                                                         "2026-12-10T11:30:00+07:00")
    eid = str(e["id"])
    assert "no staff assigned" in run("agenda", "checkout", eid, "--item", str(cam), "--as", "subkor", code=1)
    run("agenda", "assign", eid, "--staff", "staf", "--as", "kabag")
    assert "checked out item(s) 1" in run("agenda", "checkout", eid, "--item", str(cam), "--as", "staf")
    assert "1 item(s) out" in run("agenda", "list")
    run("agenda", "return", eid, "--item", str(cam), "--condition", "rusak_ringan", "--note", "tutup lensa hilang",
        "--as", "staf")
    item = js(run("inventory", "items", "--json"))[0]
    assert (item["condition"], item["readiness"]) == ("rusak_ringan", "perlu_perhatian")
    assert "needs the role Kabag Prokopim" in run("agenda", "to-content", eid, "--as", "subkor", code=3)
    made = js(run("agenda", "to-content", eid, "--as", "kabag", "--json"))
    assert (made["sop"], made["step"]) == ("mojokerto-prokopim", "agenda")
    shown = js(run("agenda", "show", eid, "--json"))
    assert shown["content_id"] == made["content"] and shown["loans"][0]["return_note"] == "tutup lensa hilang"
    assert [x["id"] for x in js(run("agenda", "list", "--content", str(made["content"]), "--json"))] == [e["id"]]
    content = js(run("content", "show", str(made["content"]), "--json"))
    assert (content["activity"], content["location"]) == ("Peresmian pasar", "Mojosari")
    assert "already opened content" in run("agenda", "to-content", eid, "--as", "kabag", code=1)
    run("agenda", "cancel", eid, "--note", "ditunda", "--as", "subkor")
    assert js(run("agenda", "list", "--json")) == []
    assert len(js(run("agenda", "list", "--all", "--json"))) == 1
    assert "intact" in run("audit", "verify")
