"""Peralatan and Agenda Pimpinan in real headless Chromium against a real ``humas web`` server, as the Prokopim's
people use them: the Kabag starts an inventory round, the Sub Koordinator assigns the staff, the staff check every
item on a phone and record the round; the buku inventarisasi prints without the site's header. An agenda entry gets
its staff, a ready camera checked out and returned damaged, and the Kabag opens its content, linked both ways.

Each test prepares what it needs through the CLI, so they run in any order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.test_web_browser import Humas, Person, chromium, serving

pytestmark = pytest.mark.browser

USERS = {"kabag": ["kabag_prokopim"], "subkor": ["sub_koordinator_dokpim"], "staf": ["staf_sub_dokpim"]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Humas]]:
    with serving(tmp_path_factory.mktemp("documentation"), USERS) as served:
        yield served


@pytest.fixture(scope="module")
def browser(server: tuple[str, Humas]) -> Iterator[Any]:
    with chromium() as b:
        yield b


def _id(url: str, prefix: str) -> int:
    m = re.search(rf"{prefix}/(\d+)$", url)
    assert m, url
    return int(m.group(1))


def watch(*people: Person) -> list[str]:
    """Sign each in; the list collects every page, style or script a GET failed to load (a refused form's answer
    and the browser's own favicon request aside)."""
    failed: list[str] = []
    for person in people:
        person.page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
                       if r.status >= 400 and r.request.method == "GET" and not r.url.endswith("/favicon.ico")
                       else None)
        person.login()
    return failed


def _items(h: Humas) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(h("inventory", "items", "--json"))
    return items


def test_an_inventory_round_walked_through_on_the_pages(server: tuple[str, Humas], browser: Any) -> None:
    base, h = server
    h("inventory", "add", "--kind", "kamera", "--name", "Canon EOS R6", "--serial", "CN-R6-01", "--as", "kabag")
    h("inventory", "add", "--kind", "drone", "--name", "DJI Mavic 3", "--storage", "Dry cabinet terkunci",
      "--as", "kabag")
    kabag, subkor = Person(browser, base, "kabag"), Person(browser, base, "subkor")
    staf = Person(browser, base, "staf", phone=True)
    missing = watch(kabag, subkor, staf)

    p = kabag.open("/peralatan")
    assert p.locator("nav a[href='/peralatan']").count() == 1
    p.select_option("#start-round select[name=user]", "subkor")
    kabag.click("#start-round button[type=submit]")
    rid = _id(p.url, "/peralatan/inventarisasi")
    assert p.locator("#steps li.current").get_attribute("data-step") == "tugas_staf"

    p = subkor.open(f"/peralatan/inventarisasi/{rid}")
    p.select_option("#assign select[name=user]", "staf")
    subkor.click("#assign button[type=submit]")
    assert p.locator("#steps li.current").get_attribute("data-step") == "pengecekan"

    p = staf.open(f"/peralatan/inventarisasi/{rid}")
    assert p.locator("#checks li form").count() == len(_items(h))
    for item in _items(h):
        form = f"#checks li[data-item='{item['id']}'] form"
        low = item["kind"] == "drone"
        p.fill(f"{form} input[name=battery]", "35" if low else "90")
        p.fill(f"{form} input[name=memory]", "40")
        p.select_option(f"{form} select[name=memory_unit]", "persen" if low else "gb")
        staf.click(f"{form} button[type=submit]")
        badge = p.locator(f"#checks li[data-item='{item['id']}'] .badge").first.inner_text()
        assert badge == ("Perlu perhatian" if low else "Siap"), badge
    assert p.locator("#steps li.current").get_attribute("data-step") == "pencatatan"
    staf.shot("peralatan-inventarisasi-ponsel")
    p.fill("#finish textarea[name=note]", "Baterai drone perlu diisi sebelum dipakai.")
    staf.click("#finish button[type=submit]")
    assert p.inner_text("#round-status") == "Selesai"
    assert p.locator("#steps li.done").count() == 4

    p = kabag.open(f"/peralatan/inventarisasi/{rid}/buku")
    assert p.locator("#book tbody tr").count() == len(_items(h))
    assert "Baterai drone perlu diisi" in p.content()
    kabag.shot("buku-inventarisasi")
    p.emulate_media(media="print")
    assert not p.locator("header.top").is_visible() and p.locator(".signature").is_visible()
    p.emulate_media(media="screen")
    assert p.locator("header.top").is_visible()
    p = kabag.open("/peralatan")
    kabag.shot("peralatan")
    assert "Perlu perhatian: 1" in p.inner_text("#tally")
    for person in (kabag, subkor, staf):
        assert not [e for e in person.events if "dialog" in e or "pageerror" in e], person.events
        person.close()
    assert missing == []


def test_an_agenda_entry_assigned_with_equipment(server: tuple[str, Humas], browser: Any) -> None:
    base, h = server
    made = json.loads(h("inventory", "add", "--kind", "kamera", "--name", "Sony A7 IV", "--as", "kabag", "--json"))
    rid = json.loads(h("inventory", "round", "start", "--to", "subkor", "--as", "kabag", "--json"))["id"]
    h("inventory", "round", "assign", str(rid), "--to", "staf", "--as", "subkor")
    for item in _items(h):
        h("inventory", "round", "check", str(rid), str(item["id"]), "--battery", "95", "--memory", "60GB",
          "--as", "staf")
    h("inventory", "round", "finish", str(rid), "--as", "staf")
    cam = made["id"]

    kabag, subkor = Person(browser, base, "kabag"), Person(browser, base, "subkor")
    staf = Person(browser, base, "staf", phone=True)
    missing = watch(kabag, subkor, staf)

    p = subkor.open("/agenda")
    p.select_option("#add-entry select[name=leader]", "bupati")
    p.fill("#add-entry textarea[name=activity]", "Peresmian Jembatan Brangkal")
    p.fill("#add-entry input[name=place]", "Desa Brangkal, Sooko")
    p.fill("#add-entry input[name=starts_at]", "2026-12-10T09:00")
    p.fill("#add-entry input[name=ends_at]", "2026-12-10T08:00")
    subkor.click("#add-entry button[type=submit]")
    assert "waktu selesai harus setelah waktu mulai" in p.inner_text("#error")
    p.fill("#add-entry input[name=ends_at]", "2026-12-10T12:00")
    subkor.click("#add-entry button[type=submit]")
    eid = _id(p.url, "/agenda")
    p.check("#assign-staff input[name=staff][value=staf]")
    subkor.click("#assign-staff button[type=submit]")
    assert p.inner_text("#staff-list") == "staf"

    p = staf.open(f"/agenda/{eid}")
    p.check(f"#checkout input[name=items][value='{cam}']")
    staf.click("#checkout button[type=submit]")
    assert p.locator(f"#loans tr[data-item='{cam}'] form.return-form").count() == 1
    staf.shot("agenda-ponsel")
    p.select_option(f"#loans tr[data-item='{cam}'] select[name=condition]", "rusak_ringan")
    p.fill(f"#loans tr[data-item='{cam}'] input[name=note]", "Layar retak")
    staf.click(f"#loans tr[data-item='{cam}'] form.return-form button")
    assert "Layar retak" in p.inner_text(f"#loans tr[data-item='{cam}']")
    p = staf.open(f"/peralatan/{cam}")
    assert p.inner_text("#readiness") == "Perlu perhatian"

    p = kabag.open(f"/agenda/{eid}")
    kabag.click("#open-content button[type=submit]")
    cid = _id(p.url, "/konten")
    assert p.locator(f"#from-agenda a[href='/agenda/{eid}']").count() == 1
    assert "Merujuk kepada Agenda Kegiatan Bupati" in p.content()
    p = kabag.open(f"/agenda/{eid}")
    assert p.get_attribute("#content-link", "href") == f"/konten/{cid}"
    kabag.shot("agenda-pimpinan")
    for person in (kabag, subkor, staf):
        assert not [e for e in person.events if "dialog" in e or "pageerror" in e], person.events
        person.close()
    assert missing == []
