"""Printable records through the service (issue 11, part 5), on SQLite and PostgreSQL: the approval sheet of content
that went through its SOP (Mojokerto's seven steps, Ponjong's board that says TERIMA), the register as PDF and CSV,
each copy recorded in the register with its hash; refusals record nothing."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text

from humas.app import App
from humas.authz import Actor
from humas.errors import NotFound, PermissionDenied
from humas.reports.printable import ACTION_PRINTED, SHELL, ExportRefused, Issued, Records, RegisterQuery
from humas.store import audit
from humas.store.models import AuditEntry
from humas.testing import FakeClock
from humas.web.i18n import document_words
from humas.workflow.engine import ContentChanges
from tests.conftest import add_user
from tests.integration.test_web_helpers import MOJOKERTO_CHAIN, jpeg

ID = document_words("id")


def flat(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages))


def sq(value: str) -> str:
    return re.sub(r"\s+", "", value)


def actor(app: App, name: str) -> Actor:
    with app.db.read() as s:
        return app.actor(s, name)


def head(app: App) -> int:
    with app.db.read() as s:
        return audit.head(s)[0]


def last_entry(app: App) -> AuditEntry:
    with app.db.read() as s:
        return s.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()


@pytest.fixture
def mojokerto(team: App, clock: FakeClock) -> int:
    """Content through the whole mojokerto-acc chain: a rejection with a note, an edit, then every approval."""
    with team.db.session() as s:
        wf = team.workflow(s)
        cid = wf.create(team.actor(s, "kreatif"), sop_id="mojokerto-acc", title="Zona Integritas Inspektorat",
                        text="Narasi kegiatan zona integritas.", caption="Ayo cegah korupsi").id
        wf.submit(team.actor(s, "kreatif"), cid, note="mohon ditinjau")
    clock.advance(minutes=20)
    with team.db.session() as s:
        team.workflow(s).reject(team.actor(s, "reviu"), cid, note="Data pendukung belum ada")
    clock.advance(minutes=10)
    with team.db.session() as s:
        wf = team.workflow(s)
        wf.edit(team.actor(s, "kreatif"), cid, ContentChanges(text="Narasi dengan data pendukung."))
        wf.submit(team.actor(s, "kreatif"), cid)
    for name in MOJOKERTO_CHAIN:
        clock.advance(minutes=7)
        with team.db.session() as s:
            team.workflow(s).approve(team.actor(s, name), cid, note=f"setuju dari {name}")
    return cid


def test_the_approval_sheet_of_a_whole_chain(team: App, mojokerto: int) -> None:
    before = head(team)
    issued = team.records().sheet(actor(team, "pj"), mojokerto, ID)
    text = flat(issued.data)
    with team.db.read() as s:
        c = team.workflow(s).get(mojokerto)
        version_hash, version = c.version_hash, c.version
    for expected in ("LEMBAR PERSETUJUAN KONTEN", "Inspektorat", "Zona Integritas Inspektorat", "mojokerto-acc",
                     "Data pendukung belum ada", "mohon ditinjau", "Tidak Disetujui", "(tidak berlaku lagi)",
                     "Tim Konten Kreatif", "Tim Reviu", "Tim Editor", "Redaktur", "Pimpinan Redaktur",
                     "Penanggung Jawab", "Narasi dengan data pendukung.", "Persetujuan dan tanda tangan",
                     f"kode cetak {issued.code}", "WIB"):
        assert sq(expected) in text, expected
    for name in ("reviu", "editor", "redaktur", "pimred", "pj"):
        assert f"setujudari{name}" in text and name in text, name
    assert version_hash in text and f"Versi{version}" in text
    assert "Belummenyetujuiversiinidihumas" not in text  # every approving role signed off this version

    e = last_entry(team)
    assert (e.seq, issued.seq) == (before + 1, before + 1)
    assert (e.action, e.actor, e.subject_type, e.subject_id) == (ACTION_PRINTED, "pj", "content", str(mojokerto))
    assert e.version_hash == version_hash and issued.code in e.note
    assert e.data["sha256"] == hashlib.sha256(issued.data).hexdigest() == issued.sha256
    assert e.data["document"] == "approval_sheet" and e.data["version"] == version and e.data["code"] == issued.code
    assert team.verify_register().ok
    with team.db.read() as s:  # the content's own history shows the printing
        assert team.workflow(s).history(team.workflow(s).get(mojokerto))[-1]["action"] == ACTION_PRINTED


def test_a_second_sheet_shows_the_first_printing_in_its_trail(team: App, mojokerto: int) -> None:
    first = team.records().sheet(actor(team, "reviu"), mojokerto, ID)
    second = team.records().sheet(actor(team, "reviu"), mojokerto, document_words("en"))
    assert first.code != second.code and second.seq == first.seq + 1
    text = flat(second.data)
    assert "Recordprintedorexported" in text and "CONTENTAPPROVALSHEET" in text
    assert "Pimpinan Redaktur".replace(" ", "") in text  # role names stay Indonesian in English


def ponjong_team(app: App) -> None:
    add_user(app, "tari", "tim_pelaksana")
    add_user(app, "tono", "tim_pertimbangan_pelayanan_informasi")
    add_user(app, "medi", "admin_medsos")


def test_ponjong_sheet_names_the_board_and_its_words(app: App, clock: FakeClock, tmp_path: Path) -> None:
    ponjong_team(app)
    photos = []
    for i in range(5):
        photos.append(tmp_path / f"dok{i}.jpg")
        photos[-1].write_bytes(jpeg(320 + i, 240))
    with app.db.session() as s:
        wf = app.workflow(s)
        cid = wf.create(app.actor(s, "tari"), sop_id="ponjong-upload", title="Posyandu Kalurahan Ponjong",
                        text="Narasi berita posyandu.", caption="Posyandu hari ini #Ponjong", media=photos).id
        wf.submit(app.actor(s, "tari"), cid)
    for note in ("diterima", "sudah dikoreksi", "layak unggah"):
        clock.advance(hours=2)
        with app.db.session() as s:
            app.workflow(s).approve(app.actor(s, "tono"), cid, note=note)
    issued = app.records().sheet(actor(app, "medi"), cid, ID)
    text = flat(issued.data)
    for expected in ("KAPANEWON PONJONG", "Alur Upload Konten Media Sosial", "010/SOP/2024",
                     "Tim Pertimbangan Pelayanan Informasi", "TERIMA", "layak unggah", "sudah dikoreksi",
                     "Standar: 1 hari", "Ditempuh: 2 jam", "sesuai standar", "5 berkas", "dok4.jpg", "Tim Pelaksana"):
        assert sq(expected) in text, expected
    assert text.count(sq("Tim Pertimbangan Pelayanan Informasi")) >= 4  # three steps and one signature box


def test_refusals_record_nothing(team: App, mojokerto: int) -> None:
    add_user(team, "tanpaperan")
    before = head(team)
    with pytest.raises(PermissionDenied, match="printing records needs a role"):
        team.records().sheet(actor(team, "tanpaperan"), mojokerto, ID)
    with pytest.raises(PermissionDenied):
        team.records().register(actor(team, "tanpaperan"), RegisterQuery(), "csv", ID)
    with pytest.raises(NotFound, match="content 999 not found"):
        team.records().sheet(actor(team, "pj"), 999, ID)
    with pytest.raises(ExportRefused, match="unknown format"):
        team.records().register(SHELL, RegisterQuery(), "xlsx", ID)

    def fail(issued: Issued) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):  # the copy could not be written: its record rolls back
        team.records().sheet(actor(team, "pj"), mojokerto, ID, before_commit=fail)
    assert head(team) == before


def test_register_csv_is_the_register_export_and_is_recorded(team: App, mojokerto: int, clock: FakeClock) -> None:
    query = RegisterQuery.parse(subject=f"content:{mojokerto}")
    with team.db.read() as s:
        buf = io.StringIO()
        n = audit.export_csv(s, buf, team.tz, subject_type="content", subject_id=str(mojokerto))
    issued = team.records().register(actor(team, "admin"), query, "csv", ID)
    assert issued.data.decode("utf-8") == buf.getvalue() and issued.entries == n > 10
    assert issued.media_type.startswith("text/csv") and issued.filename.endswith(".csv")
    e = last_entry(team)
    assert (e.action, e.actor, e.subject_type) == (ACTION_PRINTED, "admin", "register")
    assert e.data["format"] == "csv" and e.data["entries"] == n and e.data["sha256"] == issued.sha256
    assert e.data["query"] == {"subject_type": "content", "subject_id": str(mojokerto)}
    assert e.data["head_seq"] == e.seq - 1


def test_register_by_day_in_the_office_zone(team: App, clock: FakeClock) -> None:
    clock.set(clock.now.replace(hour=16, minute=30))  # 23.30 WIB
    with team.db.session() as s:
        audit.append(s, actor="sari", action="content.created", subject_type="content", subject_id="1",
                     at=clock.now)
    clock.advance(hours=1)  # 00.30 WIB the next day
    with team.db.session() as s:
        audit.append(s, actor="sari", action="content.submitted", subject_type="content", subject_id="1",
                     at=clock.now)
    day = team.local(clock.now).date()
    late = team.records().register(SHELL, RegisterQuery.parse(day.isoformat(), day.isoformat()), "csv", ID)
    early = team.records().register(SHELL, RegisterQuery.parse(None, (day - timedelta(days=1)).isoformat()), "csv",
                                    ID)
    assert b"content.submitted" in late.data and b"content.created" not in late.data
    assert b"content.created" in early.data and b"content.submitted" not in early.data


def test_register_pdf_summary_and_a_broken_chain(team: App, mojokerto: int, db_url: str) -> None:
    with team.db.read() as s:
        reviu = list(audit.entries(s, actor="reviu"))
        top = audit.head(s)  # the head the export sees: its own record comes after
    issued = team.records().register(actor(team, "redaktur"), RegisterQuery.parse(actor="reviu"), "pdf", ID)
    shown = flat(issued.data)
    assert issued.entries == len(reviu) == 3
    for expected in ("REGISTER DOKUMENTASI DAN KONTEN", "Pelaku: reviu", "seluruh register",
                     "utuh: setiap entri cocok dengan hash-nya", "Tim Reviu", "Data pendukung belum ada",
                     f"#{top[0]} · {top[1]}", "Ditolak"):
        assert sq(expected) in shown, expected
    assert all(e.hash[:12] in shown for e in reviu)
    assert last_entry(team).data["head_hash"] == top[1]

    target = reviu[1].seq
    with team.db.session() as s:
        s.execute(text("UPDATE audit_entries SET note = 'dipalsukan' WHERE seq = :seq"), {"seq": target})
    broken = flat(team.records().register(SHELL, RegisterQuery(), "pdf", ID).data)
    assert sq(f"RUSAK pada entri #{target}: isi entri tidak cocok dengan hash-nya") in broken
    assert "TIDAKUTUH" in broken and f"entry{target}" in broken
    # only the entries printed are judged: other people's entries around them are read for their links
    assert "RUSAK" not in flat(team.records().register(SHELL, RegisterQuery.parse(actor="pj"), "pdf", ID).data)


def test_register_pdf_names_a_missing_entry(team: App, mojokerto: int) -> None:
    with team.db.read() as s:
        reviu = list(audit.entries(s, actor="reviu"))
    gone = reviu[1].seq - 1  # someone else's entry, just before one printed
    with team.db.session() as s:
        s.execute(text("DELETE FROM audit_entries WHERE seq = :seq"), {"seq": gone})
    shown = flat(team.records().register(SHELL, RegisterQuery.parse(actor="reviu"), "pdf", ID).data)
    assert sq(f"RUSAK pada entri #{gone}: entri hilang") in shown


def test_register_pdf_is_bounded(team: App, mojokerto: int) -> None:
    small = Records(team.env, team.verify_register, max_pdf_entries=5)
    before = head(team)
    with pytest.raises(ExportRefused) as refused:
        small.register(SHELL, RegisterQuery(), "pdf", ID)
    assert "at most 5 entries" in refused.value.message and "paling banyak 5 entri" in refused.value.indonesian
    assert head(team) == before
    assert small.register(SHELL, RegisterQuery(), "csv", ID).entries == before  # the CSV has no bound


def test_an_sop_removed_since_still_prints(make_app: Callable[..., App], db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url)
    add_user(app, "kreatif", "tim_konten_kreatif")
    with app.db.session() as s:
        cid = app.workflow(s).create(app.actor(s, "kreatif"), sop_id="mojokerto-acc", title="T", text="N").id
        s.execute(text("UPDATE contents SET sop_id = 'dihapus' WHERE id = :id"), {"id": cid})
    data = app.records().sheet(actor(app, "kreatif"), cid, ID).data
    assert "dihapus" in flat(data)
