"""The printable records in real headless Chromium against a real ``humas web``: on a phone, the content page's
"Cetak lembar persetujuan (PDF)" link and the register's "Unduh PDF" give PDF downloads that read back."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.browser.test_web_browser import ARGS as CHROMIUM_ARGS
from tests.browser.test_web_browser import USERS, Humas, Person, _chromium, serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Humas]]:
    with serving(tmp_path_factory.mktemp("printable"), USERS) as served:
        yield served


def pdf_text(path: Path) -> str:
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    return re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages))


def test_print_the_sheet_and_the_register_on_a_phone(server: tuple[str, Humas], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    base, h = server
    cid = str(json.loads(h("content", "new", "--title", "Sosialisasi Gratifikasi", "--text", "Narasi sosialisasi.",
                           "--caption", "Tolak gratifikasi!", "--as", "ana", "--json"))["id"])
    h("content", "submit", cid, "--as", "ana", "--note", "siap ditinjau")
    h("content", "approve", cid, "--as", "citra", "--note", "data lengkap")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        ana = Person(browser, base, "ana", phone=True)
        try:
            ana.login()
            page: Any = ana.open(f"/konten/{cid}")
            link = page.locator("#cetak-lembar")
            assert link.is_visible() and link.inner_text() == "Cetak lembar persetujuan (PDF)"
            box = link.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390  # fits the phone
            with page.expect_download() as download:
                link.click()
            sheet = tmp_path / "lembar.pdf"
            download.value.save_as(sheet)
            assert download.value.suggested_filename == f"lembar-persetujuan-{cid}-v1.pdf"
            text = pdf_text(sheet)
            for expected in ("LEMBARPERSETUJUANKONTEN", "SosialisasiGratifikasi", "siapditinjau", "datalengkap",
                             "(citra)", "TimReviu"):
                assert expected in text, expected

            page = ana.open("/register")
            with page.expect_download() as download:
                page.get_by_role("link", name="Unduh PDF").click()
            register = tmp_path / "register.pdf"
            download.value.save_as(register)
            text = pdf_text(register)
            assert "REGISTERDOKUMENTASIDANKONTEN" in text and "Arsipdicetak/diekspor" in text  # the sheet's record
            page = ana.open("/register?action=record.printed")
            assert page.locator("table.register tbody tr").count() == 2
            assert not [e for e in ana.events if "dialog" in e or "pageerror" in e], ana.events
        finally:
            ana.close()
            browser.close()
