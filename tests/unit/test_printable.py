"""The printable records without a database: dates and durations in Indonesian and English, the register query,
and the PDF layout read back with pypdf (steps, names, notes, the version hash, signature boxes), hostile text
included."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from humas.reports import printable
from humas.reports.printable import ExportRefused, RegisterQuery, Words, day_text, span_text, when_text
from humas.store.verify import RegisterReport
from humas.web.i18n import EN, document_words

JAKARTA = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)  # 10.30 WIB
HASH = "ab" * 32
HOSTILE = ("Catatan \x00\x1b[31m\u202eTERBALIK\u202c 🙂 שלום عربي Ελληνικά Кириллица "
           + "panjang" * 400 + " " + "x" * 3000)


def text_of(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def squeezed(text: str) -> str:
    """The text without line breaks and runs of spaces (table cells wrap where they like)."""
    return re.sub(r"\s+", "", text)


def step(n: int, outcome: str, person: str, note: str, *, valid: bool | None = True, due: bool = True,
         late: bool = False) -> printable._Step:
    entered = NOW - timedelta(hours=5 - n)
    at = entered + timedelta(minutes=20)
    return printable._Step(step=f"Langkah nomor {n}", role="Tim Reviu", person=person, outcome=outcome, label="",
                           at=at, entered=entered, due=entered + timedelta(minutes=15 if late else 30) if due else None,
                           standard=timedelta(minutes=15 if late else 30), note=note, version_hash=HASH, valid=valid,
                           taken=timedelta(minutes=20), late=timedelta(minutes=5) if late else None)


def sheet(**changes: object) -> printable._Sheet:
    base = printable._Sheet(
        content_id=12, title="Sosialisasi Zona Integritas", status="approved", sop_id="ponjong-upload",
        sop_name="Alur Upload Konten Media Sosial", office="Kapanewon Ponjong",
        reference="010/SOP/2024, 2 Juli 2024", version=3, version_hash=HASH, author="Sari Wulandari (sari)",
        created_at=NOW - timedelta(days=1), accounts=["sandbox-x"], activity="Rapat koordinasi", location="Balai",
        caption="Caption kegiatan #Ponjong", text="Narasi berita kegiatan.", platform_captions={"x": "Versi X"},
        media=[("foto1.jpg", "image/jpeg", 204800, "cd" * 32)],
        steps=[step(1, "submitted", "Sari Wulandari (sari)", "siap ditinjau"),
               step(2, "rejected", "Budi Santoso (budi)", "foto kurang tajam", valid=False),
               step(3, "approved", "Budi Santoso (budi)", "sudah sesuai", late=True)],
        signatures=[printable._Signature("Tim Pertimbangan Pelayanan Informasi", ["Budi Santoso (budi)"], NOW),
                    printable._Signature("Atasan PPID Pembantu", [], None)],
        jobs=[("sandbox-x", "published", NOW, "https://x.example/p/1")],
        trail=[(1, NOW, "sari", "content.created", "ef" * 32), (2, NOW, "budi", "content.approved", "01" * 32)],
        working_time=False, day_hours="07.30–16.00")
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def info(words: Words | None = None, font_dir: Path = printable.FONT_DIR) -> printable.PrintSetup:
    return printable.PrintSetup(words or document_words("id"), JAKARTA, NOW, "Rina (rina)", "AB12-CD34", font_dir)


# --- words, dates, durations --------------------------------------------------------------------------------


def test_dates_are_written_the_indonesian_way_in_the_office_zone() -> None:
    assert when_text(NOW, JAKARTA, "id") == "2 Maret 2026 10.30 WIB"
    assert when_text(NOW, JAKARTA, "en") == "2 March 2026 10:30 WIB"
    assert when_text(NOW, ZoneInfo("Asia/Makassar"), "id").endswith("11.30 WITA")
    assert day_text(date(2026, 8, 17), "id") == "17 Agustus 2026"


@pytest.mark.parametrize(("td", "days", "lang", "shown"), [
    (timedelta(minutes=90), True, "id", "1 jam 30 menit"), (timedelta(days=1, hours=2), True, "id", "1 hari 2 jam"),
    (timedelta(days=1, hours=2), False, "id", "26 jam"), (timedelta(seconds=20), True, "id", "< 1 menit"),
    (timedelta(hours=2, minutes=5), True, "en", "2 h 5 min"), (timedelta(days=2), True, "en", "2 d")])
def test_durations_in_words(td: timedelta, days: bool, lang: str, shown: str) -> None:
    assert span_text(td, lang, days=days) == shown


def test_every_document_word_has_an_english_translation() -> None:
    source = Path(printable.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r'\bt\(\s*"((?:[^"\\]|\\.)*)"', source))
    assert len(used) > 60
    assert sorted(w for w in used if w not in EN) == []
    en = document_words("en")
    assert en.t("Hash versi") == "Version hash" and en.action("content.approved") == "Approved"
    assert en.action("record.printed") == "Record printed or exported"
    assert document_words("id").status("approved") == "Disetujui"


# --- the register query -------------------------------------------------------------------------------------


def test_register_query_reads_days_and_subject() -> None:
    q = RegisterQuery.parse("2026-01-01", "31-01-2026", action="content.approved", subject="content:12", actor=" budi ")
    assert (q.since, q.until) == (date(2026, 1, 1), date(2026, 1, 31))
    assert q.filters == {"action": "content.approved", "subject_type": "content", "subject_id": "12", "actor": "budi"}
    start, end = q.bounds(JAKARTA)
    assert start == datetime(2026, 1, 1, tzinfo=JAKARTA) and end == datetime(2026, 2, 1, tzinfo=JAKARTA)
    assert RegisterQuery.parse().bounds(JAKARTA) == (None, None) and RegisterQuery.parse("", None).filters == {}


@pytest.mark.parametrize(("since", "until", "english", "indonesian"), [
    ("2026-02-30", "", "invalid start date '2026-02-30'", "Tanggal awal tidak valid"),
    ("", "kemarin", "invalid end date 'kemarin'", "Tanggal akhir tidak valid"),
    ("2026-03-01", "2026-02-01", "the start date 2026-03-01 is after the end date 2026-02-01", "sesudah"),
    ("0001-01-01", "", "years 1970-9998", "di luar rentang tahun"),
])
def test_register_query_refuses_bad_dates_in_one_line(since: str, until: str, english: str, indonesian: str) -> None:
    with pytest.raises(ExportRefused) as refused:
        RegisterQuery.parse(since, until)
    assert english in refused.value.message and "\n" not in refused.value.message
    assert indonesian in refused.value.indonesian


# --- the approval sheet's layout ------------------------------------------------------------------------------


def test_the_sheet_shows_steps_people_notes_times_hash_and_signature_boxes() -> None:
    data = printable._render_sheet(sheet(), info())
    text = text_of(data)
    flat = squeezed(text)
    for expected in ("KAPANEWON PONJONG", "LEMBAR PERSETUJUAN KONTEN", "Alur Upload Konten Media Sosial",
                     "010/SOP/2024", "Sosialisasi Zona Integritas", "Sari Wulandari (sari)", "Budi Santoso (budi)",
                     "siap ditinjau", "foto kurang tajam", "sudah sesuai", "Langkah nomor 1", "Langkah nomor 3",
                     "Diajukan", "Ditolak", "Disetujui", "2 Maret 2026", "WIB", "Persetujuan dan tanda tangan",
                     "Tim Pertimbangan Pelayanan Informasi", "Atasan PPID Pembantu",
                     "Belum menyetujui versi ini di humas.", "Tanggal:", "Narasi berita kegiatan.",
                     "Caption kegiatan #Ponjong", "foto1.jpg", "sandbox-x", "Jejak di register"):
        assert squeezed(expected) in flat, expected
    assert HASH in flat  # the whole version hash, on the sheet and in the attachment
    assert "(tidakberlakulagi)" in flat and "Standar:30menit" in flat and "Ditempuh:20menit" in flat
    assert "lewat5menit" in flat and "sesuaistandar" in flat
    assert "Dicetak2Maret202610.30WIBolehRina(rina)·kodecetakAB12-CD34" in flat
    pages = len(PdfReader(io.BytesIO(data)).pages)
    assert f"Halaman1dari{pages}" in flat and f"Halaman{pages}dari{pages}" in flat


def test_the_sheet_in_english() -> None:
    flat = squeezed(text_of(printable._render_sheet(sheet(), info(document_words("en")))))
    for expected in ("CONTENT APPROVAL SHEET", "Steps and decisions", "Submitted", "Rejected", "Approved",
                     "2 March 2026 10:30 WIB", "Approvals and signatures", "Printed 2 March 2026", "Page 1 of"):
        assert squeezed(expected) in flat, expected
    assert squeezed("Tim Pertimbangan Pelayanan Informasi") in flat  # SOP role names stay Indonesian


def test_hostile_text_prints_without_error_and_shows_what_was_replaced() -> None:
    hostile_step = step(1, "approved", "🙂 Ana \u202e(ana)", HOSTILE)
    facts = sheet(title="Judul \x07" + "🙂" * 50 + " " + "J" * 290, steps=[hostile_step] * 30, caption=HOSTILE,
                  text=HOSTILE * 5, platform_captions={"x": HOSTILE}, activity=HOSTILE,
                  signatures=[printable._Signature("Redaktur " * 30, ["nama " * 100], NOW)] * 7)
    data = printable._render_sheet(facts, info())
    text = text_of(data)
    assert "\x00" not in text and "\x1b" not in text and "\u202e" not in text and "🙂" not in text
    assert "\ufffd" in text  # the replaced characters stay visible
    assert "שלום" in text or "םולש" in text  # Hebrew and Arabic print (in the font's glyphs)
    assert "Ελληνικά" in text and "Кириллица" in text
    assert squeezed("lengkap di bawah") in squeezed(text)  # a long note is cut in the table, printed whole after
    assert len(PdfReader(io.BytesIO(data)).pages) > 5


def test_without_the_shipped_font_it_falls_back_to_latin_1(tmp_path: Path) -> None:
    long_title = "Judul – sangat panjang " * 20
    data = printable._render_sheet(sheet(title=long_title, steps=[step(1, "approved", "Łukasz 🙂", "catatan é")] * 40,
                                         signatures=[printable._Signature("Redaktur", ["Ñame " * 40], NOW)]),
                                   info(font_dir=tmp_path))
    text = text_of(data)
    assert "LEMBAR PERSETUJUAN KONTEN" in text and "catatan é" in text and "?ukasz ?" in text
    assert len(PdfReader(io.BytesIO(data)).pages) > 2  # the running head and the footer fit their line


def test_the_register_pdf_names_the_period_chain_state_and_head() -> None:
    rows = [(n, NOW, "budi", "tim_reviu", "content.approved", "content:12", HASH, f"catatan {n}", f"{n:02d}" * 32)
            for n in range(1, 120)]
    facts = printable._Register(rows, (200, "ff" * 32), False, "link", 57, {"tim_reviu": "Tim Reviu"})
    report = RegisterReport(checked=200, head_seq=200, findings=["entry 57: the link to the previous entry is broken"])
    query = RegisterQuery.parse("2026-03-01", "2026-03-02", actor="budi")
    data = printable._render_register(facts, report, "Kapanewon Ponjong", query, info())
    flat = squeezed(text_of(data))
    for expected in ("REGISTER DOKUMENTASI DAN KONTEN", "1 Maret 2026 – 2 Maret 2026", "Pelaku: budi",
                     "119 (#1 – #119)", "RUSAK pada entri #57: tautan ke entri sebelumnya putus",
                     "TIDAK UTUH (1 temuan)", "#200 · " + "ff" * 32, "Tim Reviu", "catatan 118", "0101010101",
                     "Halaman 1 dari"):
        assert squeezed(expected) in flat, expected
    assert len(PdfReader(io.BytesIO(data)).pages) >= 3
    assert flat.count(squeezed("Hash entri (awal)")) >= 3  # the table's head repeats on every page
