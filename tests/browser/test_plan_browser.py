"""The Rencana page in real headless Chromium against a real ``humas web`` server: the Yogyakarta SOP's month plan
from the meeting to the approved list, by three people in their own browsers (the approver on a phone), then the
drafts it made on the content page and the calendar."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from tests.browser.test_web_browser import Humas, Person, chromium, serving

pytestmark = pytest.mark.browser

USERS = {"pelaksana": ["ppid_pelaksana"], "ppid": ["ppid"], "atasan": ["atasan_ppid"],
         "unit": ["kepala_unit_kerja"]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Humas]]:
    with serving(tmp_path_factory.mktemp("plan-browser"), USERS) as served:
        yield served


@pytest.fixture(scope="module")
def browser(server: tuple[str, Humas]) -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_a_month_plan_from_meeting_to_drafts(server: tuple[str, Humas], browser: Any) -> None:
    base, h = server
    today = date.today()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)  # next month
    month = f"{first:%Y-%m}"
    meeting = min(max(today + timedelta(days=1), first - timedelta(days=14)), first - timedelta(days=1))
    day1, day2 = first + timedelta(days=9), first + timedelta(days=19)
    pel, ppid = Person(browser, base, "pelaksana"), Person(browser, base, "ppid")
    atasan = Person(browser, base, "atasan", phone=True)
    for person in (pel, ppid, atasan):
        person.login()

    # the PPID Pelaksana creates the month's plan with the meeting and sends the invitation
    p = pel.open("/")
    pel.click("nav.menu a[href='/rencana']")
    p.select_option("#plan-form select[name=sop]", "yogyakarta-plan")
    p.fill("#plan-form input[name=month]", month)
    p.fill("#plan-form input[name=meeting_at]", f"{meeting:%Y-%m-%d}T09:00")
    p.fill("#plan-form input[name=place]", "Ruang Rapat Inspektorat")
    pel.click("#plan-form button[type=submit]")
    m = re.search(r"/rencana/(\d+)$", p.url)
    assert m, p.url
    pid = int(m.group(1))
    assert "Ruang Rapat Inspektorat" in p.content() and "Agenda rapat" in p.content()
    pel.click("#submit-form button[type=submit]")
    assert "Rencana dikirim." in p.content() and "Penyusunan daftar" in p.content()

    # the PPID lists two activities; a date outside the month is refused on the form, in Indonesian
    p = ppid.open(f"/rencana/{pid}")
    for activity, day, unit in (("Sosialisasi Zona Integritas", day1, "Irban I"),
                                ("Rapat Evaluasi Kinerja", day2, "Sekretariat")):
        p.fill("#item-form input[name=activity]", activity)
        p.fill("#item-form input[name=date]", f"{day:%Y-%m-%d}")
        p.fill("#item-form input[name=unit]", unit)
        p.select_option("#item-form select[name=owner]", "unit")
        p.check("#item-form input[name=channels][value=sandbox-x]")
        ppid.click("#item-form button[type=submit]")
        assert "Kegiatan ditambahkan." in p.content()
    p.fill("#item-form input[name=activity]", "Di luar bulan")
    p.fill("#item-form input[name=date]", f"{first + timedelta(days=40):%Y-%m-%d}")
    p.select_option("#item-form select[name=owner]", "unit")
    ppid.click("#item-form button[type=submit]")
    assert "tidak dalam bulan" in p.inner_text("#plan-error")
    assert p.locator("#daftar tbody tr").count() == 2
    ppid.click("#submit-form button[type=submit]")
    assert "Menunggu persetujuan" in p.content()

    # the Atasan PPID, on a phone, sends it back with a note; the PPID changes the list and submits it again
    p = atasan.open(f"/rencana/{pid}")
    p.fill("#reject-form input[name=note]", "Rapat evaluasi tidak perlu dipublikasikan")
    atasan.click("#reject-form button[type=submit]")
    assert "Dikembalikan" in p.content()
    p = ppid.open(f"/rencana/{pid}")
    row = p.locator("#daftar tbody tr", has_text="Rapat Evaluasi Kinerja")
    with p.expect_navigation():
        row.locator("button.danger").click()
    assert p.locator("#daftar tbody tr").count() == 1
    ppid.click("#submit-form button[type=submit]")

    p = atasan.open(f"/rencana/{pid}")
    atasan.shot("rencana-ponsel")
    p.fill("#approve-form input[name=note]", "Setuju")
    atasan.click("#approve-form button[type=submit]")
    assert "Rencana disetujui; draf konten dibuat." in p.content()
    link = p.locator("#daftar a[href^='/konten/']")
    assert link.count() == 1
    atasan.click("#daftar a[href^='/konten/']")
    assert "Sosialisasi Zona Integritas" in p.content() and f"{day1:%d-%m-%Y}" in p.inner_text("#plan-due")

    # the unit's Kepala sees the draft due on the activity's day, and the calendar shows it in production
    kepala = Person(browser, base, "unit")
    kepala.login()
    p = kepala.open(f"/kalender?bulan={month}")
    assert "Sosialisasi Zona Integritas" in p.inner_text(".calendar") and "Dalam produksi" in p.content()
    p = kepala.open(f"/rencana/laporan?bulan={month}")
    assert "Sosialisasi Zona Integritas" in p.content()
    pel.shot("rencana")
    shown = json.loads(h("plan", "show", str(pid), "--json"))  # what the pages did, as the CLI sees it
    assert shown["status"] == "approved" and [i["activity"] for i in shown["items"]] == ["Sosialisasi Zona Integritas"]
    rejected = [d for d in shown["decisions"] if d["outcome"] == "rejected"]
    assert [d["note"] for d in rejected] == ["Rapat evaluasi tidak perlu dipublikasikan"]
    for person in (pel, ppid, atasan, kepala):
        assert not [e for e in person.events if "dialog" in e or "pageerror" in e], person.events
        person.close()
