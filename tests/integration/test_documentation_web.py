"""The Peralatan and Agenda Pimpinan pages (TestClient): who sees and does what, forms refused in Indonesian with what
was typed kept and nothing written, a round walked through, the buku inventarisasi printable and as CSV, an agenda
entry with staff, equipment and its content, linked both ways."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from humas.app import App
from humas.store.models import AuditEntry, Content, EquipmentItem
from tests.conftest import add_user
from tests.integration.test_web_helpers import HOSTILE, WebEnv, build

TEAM = {"kabag": ["kabag_prokopim"], "subkor": ["sub_koordinator_dokpim"], "staf": ["staf_sub_dokpim"],
        "admin": ["admin"], "kreatif": ["tim_konten_kreatif"]}


@pytest.fixture
def env(app: App) -> WebEnv:
    for name, roles in TEAM.items():
        add_user(app, name, *roles)
    return build(app)


def register_length(app: App) -> int:
    with app.db.read() as s:
        return s.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def created_id(r: object, prefix: str) -> int:
    location = r.headers["location"]  # type: ignore[attr-defined]
    m = re.fullmatch(rf"{prefix}/(\d+)", location)
    assert m, location
    return int(m.group(1))


@pytest.mark.parametrize(("user", "path", "expect"), [
    ("kabag", "/peralatan", 200), ("staf", "/peralatan", 200), ("admin", "/peralatan", 200),
    ("kreatif", "/peralatan", 403), ("subkor", "/agenda", 200), ("kreatif", "/agenda", 403),
    ("staf", "/peralatan/999", 404), ("staf", "/agenda/999", 404), ("staf", "/peralatan/inventarisasi/999", 404),
])
def test_who_sees_the_pages(env: WebEnv, user: str, path: str, expect: int) -> None:
    r = env.client(user).get(path)
    assert r.status_code == expect, r.text[:300]
    nav = env.client(user).get("/").text
    assert ('href="/peralatan"' in nav) == (user != "kreatif") and ('href="/agenda"' in nav) == (user != "kreatif")


def test_items_added_on_the_page_and_refusals_in_indonesian(env: WebEnv) -> None:
    kabag = env.client("kabag")
    page = kabag.get("/peralatan").text
    assert 'id="add-item"' in page and 'id="start-round"' not in page  # nothing to inventory yet
    assert 'id="add-item"' not in env.client("staf").get("/peralatan").text
    before = register_length(env.app)
    r = kabag.post("/peralatan", {"kind": "kamera", "name": "  ", "serial": "CN-1", "storage": "Lemari terkunci"})
    assert r.status_code == 400 and "Nama alat wajib diisi" in r.text and 'value="CN-1"' in r.text
    r = kabag.post("/peralatan", {"kind": "kamera", "name": "x" * 201, "storage": "Lemari terkunci"})
    assert r.status_code == 422 and "Nama alat terlalu panjang" in r.text
    assert env.client("staf").post("/peralatan", {"kind": "kamera", "name": "A"}).status_code == 403
    assert register_length(env.app) == before
    r = kabag.post("/peralatan", {"kind": "kamera", "name": HOSTILE, "serial": "CN-1", "storage": "Lemari terkunci"})
    item = created_id(r, "/peralatan")
    page = kabag.get(f"/peralatan/{item}").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    r = kabag.post("/peralatan", {"kind": "drone", "name": "Drone", "serial": "CN-1", "storage": "Dry cabinet"})
    assert r.status_code == 409 and "nomor seri &#39;CN-1&#39; sudah dipakai" in r.text
    r = kabag.post(f"/peralatan/{item}/ubah", {"kind": "kamera", "name": "Canon EOS R6", "serial": "CN-1",
                                                "storage": "Lemari terkunci", "condition": "rusak_berat", "note": ""})
    assert r.status_code == 303
    page = kabag.get(f"/peralatan/{item}").text
    assert "Rusak berat" in page and "Tidak siap" in page
    assert kabag.post(f"/peralatan/{item}/pensiun", {"note": "hilang"}).status_code == 303
    assert "Canon EOS R6" not in kabag.get("/peralatan").text
    assert "Canon EOS R6" in kabag.get("/peralatan?semua=1").text
    kabag.post("/bahasa", {"lang": "en", "next": "/peralatan"})
    r = kabag.post("/peralatan", {"kind": "kamera", "name": " ", "storage": "Lemari terkunci"})
    assert r.status_code == 400 and "the name is empty" in r.text


def test_a_round_walked_through_on_the_pages(env: WebEnv) -> None:
    kabag, subkor, staf = env.client("kabag"), env.client("subkor"), env.client("staf")
    cam = created_id(kabag.post("/peralatan", {"kind": "kamera", "name": "Canon", "storage": "Lemari terkunci"}),
                     "/peralatan")
    drone = created_id(kabag.post("/peralatan", {"kind": "drone", "name": "Mavic", "storage": "Dry cabinet"}),
                       "/peralatan")
    assert 'id="start-round"' not in subkor.get("/peralatan").text
    assert subkor.post("/peralatan/inventarisasi", {"user": ""}).status_code == 403
    rid = created_id(kabag.post("/peralatan/inventarisasi", {"user": "subkor"}), "/peralatan/inventarisasi")
    page = subkor.get(f"/peralatan/inventarisasi/{rid}").text
    assert 'id="assign"' in page and 'value="staf"' in page
    assert 'id="assign"' not in kabag.get(f"/peralatan/inventarisasi/{rid}").text
    r = subkor.post(f"/peralatan/inventarisasi/{rid}/tugaskan", {"user": "kabag"})
    assert r.status_code == 400 and "tidak memegang peran Staf Sub Dokpim" in r.text
    assert subkor.post(f"/peralatan/inventarisasi/{rid}/tugaskan", {"user": "staf"}).status_code == 303
    page = staf.get(f"/peralatan/inventarisasi/{rid}").text
    assert page.count("/periksa/") == 2 and 'class="current" data-step="pengecekan"' in page
    r = staf.post(f"/peralatan/inventarisasi/{rid}/periksa/{cam}", {"present": "ya", "condition": "baik",
                                                                     "battery": "sepuluh", "memory": "",
                                                                     "memory_unit": "gb"})
    assert r.status_code == 400 and "baterai: &#39;sepuluh&#39; bukan angka" in r.text
    assert staf.post(f"/peralatan/inventarisasi/{rid}/periksa/{cam}", {
        "present": "ya", "condition": "baik", "battery": "85", "memory": "64", "memory_unit": "gb"}).status_code == 303
    r = staf.post(f"/peralatan/inventarisasi/{rid}/selesai", {"note": ""})
    assert r.status_code == 409 and "1 alat belum diperiksa" in r.text
    assert staf.post(f"/peralatan/inventarisasi/{rid}/periksa/{drone}", {
        "present": "ya", "condition": "baik", "battery": "40", "memory": "15", "memory_unit": "persen",
        "note": "baterai lemah"}).status_code == 303
    page = staf.get(f"/peralatan/inventarisasi/{rid}").text
    assert 'class="current" data-step="pencatatan"' in page and 'id="finish"' in page
    assert "baterai 40% (&lt; 50%)" in page
    assert staf.post(f"/peralatan/inventarisasi/{rid}/selesai", {"note": "Semua dicek"}).status_code == 303
    book = kabag.get(f"/peralatan/inventarisasi/{rid}/buku").text
    assert "Buku inventarisasi peralatan dokumentasi" in book and "Semua dicek" in book
    assert "/static/documentation.css" in book and 'class="signature"' in book
    r = kabag.get(f"/peralatan/inventarisasi/{rid}/buku.csv")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["nama"], x["kesiapan"], x["memori_kosong_persen"]) for x in rows] == [
        ("Mavic", "Perlu perhatian", "15"), ("Canon", "Siap", "")]
    assert env.client("kreatif").get(f"/peralatan/inventarisasi/{rid}/buku.csv").status_code == 403
    assert "Siap: 1" in kabag.get("/peralatan").text


def test_an_agenda_entry_with_staff_equipment_and_its_content(env: WebEnv) -> None:
    app = env.app
    kabag, subkor, staf = env.client("kabag"), env.client("subkor"), env.client("staf")
    cam = created_id(kabag.post("/peralatan", {"kind": "kamera", "name": "Canon", "storage": "Lemari terkunci"}),
                     "/peralatan")
    rid = created_id(kabag.post("/peralatan/inventarisasi", {"user": "subkor"}), "/peralatan/inventarisasi")
    subkor.post(f"/peralatan/inventarisasi/{rid}/tugaskan", {"user": "staf"})
    staf.post(f"/peralatan/inventarisasi/{rid}/periksa/{cam}", {"present": "ya", "condition": "baik",
                                                                 "battery": "90", "memory_unit": "gb"})
    staf.post(f"/peralatan/inventarisasi/{rid}/selesai", {})
    form = {"leader": "bupati", "leader_name": "", "activity": "Peresmian Jembatan Brangkal", "place": "Sooko",
            "starts_at": "2026-12-10T09:00", "ends_at": "2026-12-10T08:00", "note": ""}
    before = register_length(app)
    r = subkor.post("/agenda", form)
    assert r.status_code == 400 and "waktu selesai harus setelah waktu mulai" in r.text
    assert "Peresmian Jembatan Brangkal" in r.text  # what was typed stays
    assert staf.post("/agenda", {**form, "ends_at": "2026-12-10T12:00"}).status_code == 403
    assert register_length(app) == before
    eid = created_id(subkor.post("/agenda", {**form, "ends_at": "2026-12-10T12:00"}), "/agenda")
    page = subkor.get(f"/agenda/{eid}").text
    assert 'id="assign-staff"' in page and 'id="checkout"' not in page
    assert subkor.post(f"/agenda/{eid}/tugaskan", {"staff": "staf"}).status_code == 303
    page = staf.get(f"/agenda/{eid}").text
    assert 'id="checkout"' in page and f'name="items" value="{cam}"' in page
    assert 'id="open-content"' not in page and 'id="assign-staff"' not in page
    assert staf.post(f"/agenda/{eid}/pinjam", {"items": str(cam), "holder": "staf"}).status_code == 303
    page = staf.get(f"/agenda/{eid}").text
    assert 'class="row return-form"' in page and "Tidak ada alat siap yang bebas" in page
    assert f'href="/agenda/{eid}"' in kabag.get("/peralatan").text  # the list shows where it is lent
    r = staf.post(f"/agenda/{eid}/kembali", {"item_id": str(cam), "condition": "rusak_ringan", "note": "goresan"})
    assert r.status_code == 303
    assert "goresan" in staf.get(f"/agenda/{eid}").text
    assert "Perlu perhatian" in kabag.get(f"/peralatan/{cam}").text
    assert 'id="open-content"' in kabag.get(f"/agenda/{eid}").text
    assert subkor.post(f"/agenda/{eid}/konten", {"title": ""}).status_code == 403
    r = kabag.post(f"/agenda/{eid}/konten", {"title": ""})
    cid = created_id(r, "/konten")
    with app.db.read() as s:
        c = s.get(Content, cid)
        assert c is not None and (c.step_id, c.activity, c.location) == ("agenda", "Peresmian Jembatan Brangkal",
                                                                          "Sooko")
        assert s.execute(select(func.count()).select_from(EquipmentItem)).scalar_one() == 1
    content = kabag.get(f"/konten/{cid}").text
    assert 'id="from-agenda"' in content and f'href="/agenda/{eid}"' in content
    assert f'href="/konten/{cid}"' in kabag.get(f"/agenda/{eid}").text
    r = kabag.post(f"/agenda/{eid}/konten", {"title": ""})
    assert r.status_code == 409 and f"sudah menjadi konten #{cid}" in r.text
    assert subkor.post(f"/agenda/{eid}/batal", {"note": "ditunda"}).status_code == 303
    assert "Peresmian" not in subkor.get("/agenda").text and "Peresmian" in subkor.get("/agenda?semua=1").text
