"""``humas plan``: the month's plan through the real command line (``humas.cli.main.main``), each refusal one
``error:`` line with its exit code and nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from humas.app import App
from humas.cli.main import main
from humas.store.models import AuditEntry, Content
from tests.conftest import add_user

TEAM = {"pelaksana": ["ppid_pelaksana"], "ppid": ["ppid"], "atasan": ["atasan_ppid"], "unit": ["kepala_unit_kerja"]}


class Cli:
    def __init__(self, app: App, capsys: pytest.CaptureFixture[str]) -> None:
        self.app, self.capsys = app, capsys

    def __call__(self, *args: str, code: int = 0) -> tuple[str, str]:
        """Run ``humas ARGS``; the exit code must be ``code``; (stdout, stderr)."""
        got = 0
        try:
            main(list(args))
        except SystemExit as exc:
            got = int(exc.code or 0)
        out, err = self.capsys.readouterr()
        assert got == code, (args, out, err)
        return out, err

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json")[0])

    def entries(self) -> int:
        with self.app.db.read() as s:
            return int(s.execute(select(func.count()).select_from(AuditEntry)).scalar_one())


@pytest.fixture
def cli(make_app: Callable[..., App], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> Cli:
    app = make_app(db_url, notify={"enabled": False})
    for name, roles in TEAM.items():
        add_user(app, name, *roles)
    config = tmp_path / "humas.toml"
    config.write_text(f'data_dir = "{app.settings.data_dir}"\ndatabase_url = "{db_url}"\n[notify]\nenabled = false\n',
                      encoding="utf-8")
    monkeypatch.setenv("HUMAS_CONFIG", str(config))
    for key in ("HUMAS_DATABASE_URL", "HUMAS_DATA_DIR", "HUMAS_USER"):
        monkeypatch.delenv(key, raising=False)
    return Cli(app, capsys)


def next_month() -> tuple[str, date]:
    first = (date.today().replace(day=1) + timedelta(days=32)).replace(day=1)
    return f"{first:%Y-%m}", first


def test_the_plan_on_the_command_line(cli: Cli) -> None:
    month, first = next_month()
    meeting = f"{first - timedelta(days=3):%Y-%m-%d} 09:00"  # before the month, outside its third week: a warning
    out, err = cli("plan", "create", month, "--meeting", meeting, "--place", "Aula", "--as", "pelaksana")
    assert out.startswith(f"plan 1 (yogyakarta-plan, {month}): draft at step agenda_rapat")
    assert err.startswith("warning: the SOP schedules the meeting in the third week of the month before")
    cli("plan", "submit", month, "--as", "pelaksana")
    day = f"{first + timedelta(days=4):%Y-%m-%d}"
    added = cli.json("plan", "item", "add", month, "--activity", "Sosialisasi", "--date", day, "--owner", "unit",
                     "--unit", "Irban I", "--channel", "sandbox-x", "--as", "ppid")
    assert added == {"plan": 1, "item": 1}
    cli("plan", "item", "add", "1", "--activity", "Dihapus", "--date", day, "--owner", "unit", "--as", "ppid")
    cli("plan", "item", "remove", "1", "2", "--as", "ppid")
    cli("plan", "item", "edit", "1", "1", "--note", "foto 5", "--channel", "sandbox-facebook", "--as", "ppid")
    out, _ = cli("plan", "submit", "1", "--as", "ppid")
    assert "in_review at step persetujuan_rencana" in out
    shown = cli.json("plan", "show", month)
    assert [(i["activity"], i["channels"], i["note"]) for i in shown["items"]] == [
        ("Sosialisasi", ["sandbox-facebook"], "foto 5")]
    cli("plan", "reject", "1", "--note", "tambah kanal X", "--as", "atasan")
    cli("plan", "item", "edit", "1", "1", "--channel", "sandbox-x", "--channel", "sandbox-facebook", "--as", "ppid")
    cli("plan", "submit", "1", "--as", "ppid")
    before = cli.entries()
    _, err = cli("plan", "approve", "1", "--hash", shown["list_hash"], "--as", "atasan", code=1)
    assert err == "error: plan 1's list changed since it was shown (version 6); look at it again before approving\n"
    assert cli.entries() == before
    current = cli.json("plan", "show", "1")["list_hash"]
    out, _ = cli("plan", "approve", "1", "--hash", current, "--note", "setuju", "--as", "atasan")
    assert "approved" in out and f"due {day}" in out
    with cli.app.db.read() as s:
        content = s.execute(select(Content)).scalar_one()
        assert (content.title, content.created_by.name, list(content.accounts)) == (
            "Sosialisasi", "unit", ["sandbox-x", "sandbox-facebook"])

    assert [p["status"] for p in cli.json("plan", "list")] == ["approved"]
    actions = [h["action"] for h in cli.json("plan", "history", "1")]
    assert actions.count("plan.submitted") == 3 and actions[-1] == "plan.drafts_created"
    report = cli.json("plan", "report", month)
    assert (report["planned"], report["items"][0]["state"], report["items"][0]["content_id"]) == (
        1, "in_production", content.id)
    out, _ = cli("plan", "report", month, "--csv")
    assert out.splitlines()[0].startswith("month,plan,sop,item,activity") and "Sosialisasi" in out
    out, _ = cli("plan", "show", "1")
    assert "Sosialisasi" in out and f"content {content.id} (draft)" in out


def test_refusals_are_one_line_with_their_exit_code(cli: Cli) -> None:
    month, first = next_month()
    cli("plan", "create", month, "--as", "pelaksana")
    before = cli.entries()
    cases = [
        (("plan", "create", month, "--as", "pelaksana"), 1, "already exists"),
        (("plan", "create", "2026-1", "--as", "pelaksana"), 1, "invalid month '2026-1'"),
        (("plan", "create", month, "--sop", "mojokerto-acc", "--as", "pelaksana"), 1, "has no monthly plan"),
        (("plan", "meeting", month, "--at", f"{first:%Y-%m-%d} 09:00", "--as", "pelaksana"), 1, "must be before"),
        (("plan", "meeting", month, "--at", "besok", "--as", "pelaksana"), 1, "invalid time 'besok'"),
        (("plan", "meeting", month, "--at", "2026-12-01 09:00", "--as", "ppid"), 3, "needs the role PPID Pelaksana"),
        (("plan", "submit", month, "--as", "pelaksana"), 1, "set the meeting's date first"),
        (("plan", "item", "add", month, "--activity", "A", "--date", f"{first:%Y-%m-%d}", "--owner", "unit",
          "--as", "ppid"), 1, "list can only change at step"),
        (("plan", "approve", month, "--as", "atasan"), 1, "nothing to approve"),
        (("plan", "show", "99"), 1, "plan 99 not found"),
        (("plan", "show", "2030-01"), 1, "no plan for 2030-01"),
        (("plan", "report", "13-2026"), 1, "invalid month"),
        (("plan", "reject", month, "--as", "atasan"), 2, "Missing option '--note'"),
        (("plan", "create", month, "--as", "nobody"), 1, "nobody"),
    ]
    for args, code, words in cases:
        _, err = cli(*args, code=code)
        assert err.startswith("error: ") and err.count("\n") == 1 and words in err, (args, err)
    assert cli.entries() == before
