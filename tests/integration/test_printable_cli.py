"""``humas content sheet`` and ``humas audit export --format csv|pdf`` through the real command (``main``): files
written whole or not at all, an existing file kept unless ``--force``, ``-`` for standard output, one ``error:``
line and nothing recorded for bad input."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from humas.app import App
from humas.cli.main import main
from humas.reports.printable import ACTION_PRINTED
from humas.store import audit
from humas.store.models import AuditEntry
from tests.conftest import add_user
from tests.integration.test_web_helpers import approved


def flat(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages))


@dataclass
class Cli:
    app: App
    tmp: Path
    capsys: pytest.CaptureFixture[bytes]

    def __call__(self, *args: str, code: int = 0) -> tuple[bytes, str]:
        """Run ``humas ARGS``; (stdout bytes, stderr text)."""
        try:
            main(list(args))
            got = 0
        except SystemExit as exc:
            got = int(exc.code or 0)
        out, err = self.capsys.readouterr()
        assert got == code, (args, got, err.decode())
        return out, err.decode()

    def fails(self, *args: str, code: int = 1) -> str:
        """An expected failure: one ``error:`` line, and the register did not move."""
        before = self.head()
        _out, err = self(*args, code=code)
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
        assert self.head() == before
        return err

    def head(self) -> int:
        with self.app.db.read() as s:
            return audit.head(s)[0]

    def last(self) -> AuditEntry:
        with self.app.db.read() as s:
            return s.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()


@pytest.fixture
def cli(team: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes],
        make_app: Callable[..., App]) -> Cli:
    config = tmp_path / "humas.toml"
    config.write_text(f'data_dir = "{team.settings.data_dir}"\ndatabase_url = "{team.settings.db_url}"\n',
                      encoding="utf-8")
    for key in ("HUMAS_DATABASE_URL", "HUMAS_DATA_DIR", "HUMAS_USER"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HUMAS_CONFIG", str(config))
    monkeypatch.chdir(tmp_path)
    add_user(team, "tanpaperan")
    return Cli(team, tmp_path, capsysbinary)


def test_content_sheet_writes_a_pdf_once_and_records_it(cli: Cli) -> None:
    cid = approved(cli.app, "Sosialisasi Saber Pungli")
    out, _ = cli("content", "sheet", str(cid), "--as", "pj")
    target = cli.tmp / f"lembar-persetujuan-{cid}.pdf"
    entry = cli.last()
    assert f"written to {target.name}" in out.decode() and f"register entry #{entry.seq}" in out.decode()
    text = flat(target.read_bytes())
    assert "SosialisasiSaberPungli" in text and entry.data["code"] in text and "LEMBARPERSETUJUANKONTEN" in text
    assert (entry.action, entry.actor, entry.subject_id) == (ACTION_PRINTED, "pj", str(cid))
    assert list(cli.tmp.glob(".*.tmp")) == []  # no temporary file left behind

    first = target.read_bytes()
    err = cli.fails("content", "sheet", str(cid), "--as", "pj")
    assert "exists (use --force to replace it)" in err and target.read_bytes() == first
    cli("content", "sheet", str(cid), "--as", "pj", "--force", "--lang", "en")
    assert target.read_bytes() != first and "CONTENTAPPROVALSHEET" in flat(target.read_bytes())
    assert cli.last().seq == entry.seq + 1


def test_content_sheet_to_standard_output_and_as_the_shell(cli: Cli) -> None:
    cid = approved(cli.app)
    out, err = cli("content", "sheet", str(cid), "--out", "-")
    assert out.startswith(b"%PDF-") and out.rstrip().endswith(b"%%EOF") and err == ""
    assert "olehcli" in flat(out) and cli.last().actor == "cli"


@pytest.mark.parametrize(("args", "code", "message"), [
    (["content", "sheet", "999", "--as", "pj"], 1, "content 999 not found"),
    (["content", "sheet", "{cid}", "--as", "siapa"], 1, "unknown user 'siapa'"),
    (["content", "sheet", "{cid}", "--as", "tanpaperan"], 3, "printing records needs a role"),
    (["content", "sheet", "{cid}", "--out", "tidak/ada/lembar.pdf"], 1, "the folder tidak/ada does not exist"),
    (["content", "sheet", "{cid}", "--lang", "jv"], 1, "unknown language 'jv'"),
    (["audit", "export", "--format", "xlsx", "--out", "r.xlsx"], 1, "unknown format 'xlsx'"),
    (["audit", "export", "--since", "2026-13-01", "--out", "r.csv"], 1, "invalid start date '2026-13-01'"),
    (["audit", "export", "--since", "2026-02-01", "--until", "2026-01-01", "--out", "r.csv"], 1,
     "the start date 2026-02-01 is after the end date 2026-01-01"),
    (["audit", "export", "--format", "pdf", "--out", "r.pdf", "--as", "tanpaperan"], 3, "needs a role"),
])
def test_bad_input_is_one_line_and_writes_nothing(cli: Cli, args: list[str], code: int, message: str) -> None:
    cid = approved(cli.app)
    before = sorted(p.name for p in cli.tmp.iterdir())
    err = cli.fails(*[a.replace("{cid}", str(cid)) for a in args], code=code)
    assert message in err
    assert sorted(p.name for p in cli.tmp.iterdir()) == before


def test_audit_export_pdf_and_csv(cli: Cli) -> None:
    cid = approved(cli.app, "Konten untuk register")
    with cli.app.db.read() as s:
        top = audit.head(s)
    out, _ = cli("audit", "export", "--format", "pdf", "--since", "2000-01-01", "--until", "2100-12-31",
                 "--out", "register.pdf", "--as", "admin")
    assert "entries written to register.pdf (PDF; register entry" in out.decode()
    text = flat((cli.tmp / "register.pdf").read_bytes())
    assert "REGISTERDOKUMENTASIDANKONTEN" in text and top[1] in text and "Disetujui" in text
    assert "1Januari2000–31Desember2100" in text
    entry = cli.last()
    assert entry.data["format"] == "pdf" and entry.data["query"] == {"since": "2000-01-01", "until": "2100-12-31"}
    assert entry.data["head_seq"] == top[0] and entry.actor == "admin"

    out, _ = cli("audit", "export", "--subject", f"content:{cid}", "--action", "content.approved")
    rows = list(csv.DictReader(io.StringIO(out.decode("utf-8"))))
    assert len(rows) == 6 and {r["action"] for r in rows} == {"content.approved"}
    assert cli.last().data["format"] == "csv" and cli.last().actor == "cli"

    cli("audit", "export", "--format", "csv", "--out", "r.csv")  # the long-standing form still works
    assert "content.approved" in (cli.tmp / "r.csv").read_text(encoding="utf-8")
    assert "exists" in cli.fails("audit", "export", "--format", "csv", "--out", "r.csv")
    cli("audit", "export", "--format", "csv", "--out", "r.csv", "--force")
