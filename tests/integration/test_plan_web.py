"""The Rencana pages and ``/api/v1/plans``: the same plan walked through forms and through the API, each refusal in
one Indonesian line on the page (a 4xx JSON error in the API) with nothing written, the calendar and the content page
showing the plan's items, rencana vs realisasi as a page, JSON and CSV."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from humas.app import App
from humas.store.models import AuditEntry, Content, ContentPlan, User
from tests.conftest import add_user
from tests.integration.test_web_helpers import WebEnv, build

TEAM = {"pelaksana": ["ppid_pelaksana"], "ppid": ["ppid"], "atasan": ["atasan_ppid"],
        "unit1": ["kepala_unit_kerja"], "unit2": ["kepala_unit_kerja"], "kreatif": ["tim_konten_kreatif"]}
HASH = re.compile(r'name="list_hash" value="([0-9a-f]{64})"')


@pytest.fixture
def env(app: App) -> WebEnv:
    for name, roles in TEAM.items():
        add_user(app, name, *roles)
    return build(app)


def count(app: App, model: Any) -> int:
    with app.db.read() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_plan_through_the_pages(env: WebEnv) -> None:
    app = env.app
    pel, ppid, atasan = env.client("pelaksana"), env.client("ppid"), env.client("atasan")
    assert 'href="/rencana"' in pel.get("/").text  # the nav link

    r = pel.post("/rencana", {"sop": "yogyakarta-plan", "month": "2026-04", "meeting_at": "2026-04-02T09:00"})
    assert r.status_code == 400 and "Rapat harus sebelum bulan April 2026" in r.text
    assert count(app, ContentPlan) == 0 and 'value="2026-04-02T09:00"' in r.text  # typed values kept
    r = pel.post("/rencana", {"sop": "yogyakarta-plan", "month": "2026-04", "meeting_at": "2026-03-10T09:00",
                              "place": "Ruang Rapat Inspektorat"})
    assert r.status_code == 303
    pid = int(r.headers["location"].rsplit("/", 1)[1])
    page = pel.get(f"/rencana/{pid}")
    assert "minggu ke-3 bulan sebelumnya" in page.text and "Ruang Rapat Inspektorat" in page.text  # the warning
    r = pel.post(f"/rencana/{pid}/rapat", {"meeting_at": "2026-03-18T09:00", "place": "Aula"})
    assert r.status_code == 303
    assert pel.post(f"/rencana/{pid}/kirim", {}).status_code == 303

    # ppid compiles the list; a date outside the month is refused in Indonesian and the form keeps what was typed
    item = {"activity": "Sosialisasi Zona Integritas", "date": "2026-05-02", "unit": "Irban I", "owner": "unit1",
            "channels": ["sandbox-x", "sandbox-facebook"], "note": "foto 5"}
    before = count(app, AuditEntry)
    r = ppid.post(f"/rencana/{pid}/butir", item)
    assert r.status_code == 400 and "Tanggal kegiatan 02-05-2026 tidak dalam bulan April 2026." in r.text
    assert 'value="Sosialisasi Zona Integritas"' in r.text and count(app, AuditEntry) == before
    r = ppid.post(f"/rencana/{pid}/butir", {**item, "activity": "x" * 301, "date": "2026-04-08"})
    assert r.status_code == 422 and "Kegiatan terlalu panjang" in r.text
    assert ppid.post(f"/rencana/{pid}/butir", {**item, "date": "2026-04-08"}).status_code == 303
    assert ppid.post(f"/rencana/{pid}/butir", {**item, "activity": "Rapat Evaluasi", "date": "2026-04-20",
                                               "owner": "unit2", "channels": ["sandbox-x"]}).status_code == 303
    with app.db.read() as s:
        plan = s.get(ContentPlan, pid)
        assert plan is not None
        first, second = sorted(i.id for i in plan.items)
    form = ppid.get(f"/rencana/{pid}/butir/{first}/ubah")
    assert form.status_code == 200 and 'value="2026-04-08"' in form.text
    r = ppid.post(f"/rencana/{pid}/butir/{first}/ubah", {**item, "date": "2026-04-09", "owner": "kreatif"})
    assert r.status_code == 400 and "perlu peran Kepala Unit Kerja" in r.text
    assert ppid.post(f"/rencana/{pid}/butir/{first}/ubah", {**item, "date": "2026-04-09"}).status_code == 303
    assert ppid.post(f"/rencana/{pid}/kirim", {}).status_code == 303

    # the Atasan PPID: a rejection needs a note; it returns the list to the PPID
    page = atasan.get(f"/rencana/{pid}")
    assert 'id="approve-form"' in page.text and 'id="item-form"' not in page.text
    stale = HASH.search(page.text)
    assert stale
    r = atasan.post(f"/rencana/{pid}/tolak", {"note": " "})
    assert r.status_code == 400 and "Catatan wajib saat menolak" in r.text
    assert atasan.post(f"/rencana/{pid}/tolak", {"note": "hapus rapat evaluasi"}).status_code == 303
    assert ppid.post(f"/rencana/{pid}/butir/{second}/hapus", {}).status_code == 303
    assert ppid.post(f"/rencana/{pid}/kirim", {}).status_code == 303
    # an approval of the list as it was before the rejection is refused
    r = atasan.post(f"/rencana/{pid}/setujui", {"list_hash": stale.group(1)})
    assert r.status_code == 409 and "Daftar usulan berubah sejak ditampilkan" in r.text
    assert count(app, Content) == 0
    fresh = HASH.search(atasan.get(f"/rencana/{pid}").text)
    assert fresh and fresh.group(1) != stale.group(1)
    r = atasan.post(f"/rencana/{pid}/setujui", {"list_hash": fresh.group(1), "note": "setuju"})
    assert r.status_code == 303

    with app.db.read() as s:
        content = s.execute(select(Content)).scalar_one()
        assert (content.title, content.created_by.name, content.step_id) == ("Sosialisasi Zona Integritas", "unit1",
                                                                             "pembuatan_materi")
    page = ppid.get(f"/rencana/{pid}")
    assert f'href="/konten/{content.id}"' in page.text and "Dalam produksi" in page.text
    detail = env.client("unit1").get(f"/konten/{content.id}")
    assert 'id="plan-due"' in detail.text and "09-04-2026" in detail.text
    cal = ppid.get("/kalender?bulan=2026-04")
    assert "Sosialisasi Zona Integritas" in cal.text and "Dalam produksi" in cal.text
    report = ppid.get("/rencana/laporan?bulan=2026-04")
    assert report.status_code == 200 and "Sosialisasi Zona Integritas" in report.text
    csv_text = ppid.get("/rencana/laporan.csv?bulan=2026-04")
    assert csv_text.headers["content-type"].startswith("text/csv")
    assert csv_text.text.splitlines()[-1] == "2026-04,1,0,0,0,0,0.0,0.0,0.0,0.0"
    assert ppid.get("/rencana/laporan?bulan=2026-13").status_code == 400


@pytest.mark.parametrize(("user", "method", "path", "data", "expect"), [
    ("kreatif", "GET", "/rencana", {}, 200),
    ("kreatif", "GET", "/rencana/{id}", {}, 200),
    ("kreatif", "POST", "/rencana", {"sop": "yogyakarta-plan", "month": "2026-05"}, 403),
    ("ppid", "POST", "/rencana", {"sop": "yogyakarta-plan", "month": "2026-05"}, 403),
    ("pelaksana", "POST", "/rencana", {"sop": "yogyakarta-plan", "month": "2026-05"}, 303),
    ("ppid", "POST", "/rencana/{id}/rapat", {"meeting_at": "2026-03-18T09:00"}, 403),
    ("pelaksana", "POST", "/rencana/{id}/rapat", {"meeting_at": "2026-03-18T09:00"}, 303),
    ("pelaksana", "POST", "/rencana/{id}/butir", {"activity": "A", "date": "2026-04-02", "owner": "unit1"}, 409),
    ("atasan", "POST", "/rencana/{id}/kirim", {}, 403),
    ("pelaksana", "POST", "/rencana/{id}/kirim", {}, 303),
    ("atasan", "POST", "/rencana/{id}/setujui", {}, 409),
])
def test_who_may_do_what_on_the_pages(env: WebEnv, user: str, method: str, path: str, data: dict[str, str],
                                      expect: int) -> None:
    pel = env.client("pelaksana")
    r = pel.post("/rencana", {"sop": "yogyakarta-plan", "month": "2026-04", "meeting_at": "2026-03-18T09:00"})
    pid = int(r.headers["location"].rsplit("/", 1)[1])
    client = env.client(user)
    url = path.replace("{id}", str(pid))
    before = count(env.app, AuditEntry)
    r = client.get(url) if method == "GET" else client.post(url, data)
    assert r.status_code == expect, r.text[:400]
    if expect >= 400:
        assert count(env.app, AuditEntry) == before
        assert 'class="flash error"' in r.text  # said on the page, in Indonesian
        assert "Anda tidak dapat" in r.text or "Tidak ada yang dapat" in r.text or "hanya dapat" in r.text


def test_an_english_viewer_reads_english(env: WebEnv) -> None:
    with env.app.db.session() as s:
        s.execute(update(User).where(User.name == "pelaksana").values(language="en"))
    pel = env.client("pelaksana")
    r = pel.post("/rencana", {"sop": "yogyakarta-plan", "month": "2026-13"})
    assert r.status_code == 400 and "invalid month &#39;2026-13&#39;" in r.text and "Monthly content plans" in r.text


def api(env: WebEnv, token: str, method: str, path: str, **kw: Any) -> Any:
    return TestClient(env.api).request(method, "/api/v1" + path, headers={"Authorization": f"Bearer {token}"}, **kw)


def test_a_plan_through_the_api(env: WebEnv) -> None:
    app = env.app
    pel, ppid, atasan, kreatif = (env.token(n) for n in ("pelaksana", "ppid", "atasan", "kreatif"))
    assert api(env, kreatif, "POST", "/plans", json={"month": "2026-04"}).status_code == 403
    r = api(env, pel, "POST", "/plans", json={"month": "2026-4"})
    assert r.status_code == 400 and r.json() == {"error": "invalid month '2026-4' (expected YYYY-MM, e.g. 2026-12)"}
    r = api(env, pel, "POST", "/plans", json={"month": "2026-04", "meeting_at": "2026-03-18 09:00",
                                              "place": "Aula"})
    assert r.status_code == 201, r.text
    plan = r.json()
    pid = plan["id"]
    assert (plan["status"], plan["step"], plan["meeting_at"]) == ("draft", "agenda_rapat", "2026-03-18T09:00:00+07:00")
    assert plan["sop_windows"]["meeting"] == {"start": "2026-03-15", "end": "2026-03-21"}
    assert api(env, pel, "POST", "/plans", json={"month": "2026-04"}).status_code == 409
    r = api(env, pel, "POST", f"/plans/{pid}/meeting", json={"meeting_at": "2026-04-01T08:00:00+07:00"})
    assert r.status_code == 400 and "must be before 2026-04" in r.json()["error"]
    assert api(env, pel, "POST", f"/plans/{pid}/submit").json()["status"] == "proposing"

    item = {"activity": "Sosialisasi", "date": "2026-04-08", "owner": "unit1", "channels": ["sandbox-x"]}
    assert api(env, pel, "POST", f"/plans/{pid}/items", json=item).status_code == 403
    r = api(env, ppid, "POST", f"/plans/{pid}/items", json={**item, "activity": "y" * 301})
    assert r.status_code == 422 and r.json()["rule"] == "limit.activity"
    r = api(env, ppid, "POST", f"/plans/{pid}/items", json={**item, "channels": ["tiktok"]})
    assert r.status_code == 400 and "unknown channel 'tiktok'" in r.json()["error"]
    r = api(env, ppid, "POST", f"/plans/{pid}/items", json=item)
    assert r.status_code == 201 and [i["activity"] for i in r.json()["items"]] == ["Sosialisasi"]
    iid = r.json()["items"][0]["id"]
    r = api(env, ppid, "PATCH", f"/plan-items/{iid}", json={"unit": "kepala_unit_kerja"})
    assert r.json()["items"][0]["unit_label"] == "Kepala Unit Kerja"
    assert api(env, ppid, "POST", "/plan-items/999/remove").status_code == 404
    second = api(env, ppid, "POST", f"/plans/{pid}/items", json={**item, "activity": "Kedua"}).json()["items"]
    removed = api(env, ppid, "POST", f"/plan-items/{max(i['id'] for i in second)}/remove")
    assert [i["activity"] for i in removed.json()["items"]] == ["Sosialisasi"]
    r = api(env, ppid, "POST", f"/plans/{pid}/submit", json={"note": "lengkap"})
    assert r.json()["status"] == "in_review"
    listed = r.json()["list_hash"]
    assert api(env, atasan, "POST", f"/plans/{pid}/reject", json={"note": ""}).status_code == 400
    assert api(env, ppid, "POST", f"/plans/{pid}/approve").status_code == 403
    r = api(env, atasan, "POST", f"/plans/{pid}/approve", json={"list_hash": "0" * 64})
    assert r.status_code == 409 and count(app, Content) == 0
    r = api(env, atasan, "POST", f"/plans/{pid}/approve", json={"list_hash": listed, "note": "ok"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert r.json()["items"][0]["content_id"] is not None and r.json()["items"][0]["due_on"] == "2026-04-08"
    assert api(env, ppid, "PATCH", f"/plan-items/{iid}", json={"note": "x"}).status_code == 409

    assert [p["id"] for p in api(env, kreatif, "GET", "/plans").json()] == [pid]
    assert api(env, kreatif, "GET", "/plans?month=2026-05").json() == []
    actions = [h["action"] for h in api(env, kreatif, "GET", f"/plans/{pid}/history").json()]
    assert actions[0] == "plan.created" and actions[-1] == "plan.drafts_created"
    report = api(env, kreatif, "GET", "/plans/report?month=2026-04").json()
    assert (report["planned"], report["produced"], report["items"][0]["state"]) == (1, 0, "in_production")
    csv_r = api(env, kreatif, "GET", "/plans/report?month=2026-04&format=csv")
    assert csv_r.headers["content-type"].startswith("text/csv") and "Sosialisasi" in csv_r.text
    assert api(env, kreatif, "GET", "/plans/report?month=nope").status_code == 400
    assert api(env, kreatif, "GET", "/plans/999").status_code == 404
