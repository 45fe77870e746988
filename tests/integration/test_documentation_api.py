"""``/api/v1/equipment``, ``/api/v1/inventory-rounds`` and ``/api/v1/agenda``: the same rules as the CLI and the pages,
JSON errors with their status codes (and nothing written), every operation answered as its schema says."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from humas.app import App
from humas.store.models import AuditEntry
from tests.conftest import add_user
from tests.integration.test_web_helpers import WebEnv, build

TEAM = {"kabag": ["kabag_prokopim"], "subkor": ["sub_koordinator_dokpim"], "staf": ["staf_sub_dokpim"],
        "admin": ["admin"], "kreatif": ["tim_konten_kreatif"]}


@pytest.fixture
def env(app: App) -> WebEnv:
    for name, roles in TEAM.items():
        add_user(app, name, *roles)
    return build(app)


class Api:
    def __init__(self, env: WebEnv) -> None:
        self.env = env
        self.http = TestClient(env.api, raise_server_exceptions=False)
        self.tokens: dict[str, str] = {}

    def __call__(self, user: str, method: str, path: str, expect: int, json: Any = None) -> Any:
        if user not in self.tokens:
            self.tokens[user] = self.env.token(user)
        before = self.register()
        r = self.http.request(method, "/api/v1" + path, json=json,
                              headers={"Authorization": f"Bearer {self.tokens[user]}"})
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text[:400]}"
        assert r.headers["content-type"] == "application/json"
        body = r.json()
        if expect >= 400:
            assert set(body) <= {"error", "rule"} and body["error"], body
            assert self.register() == before, "a refused request changed the register"
        return body

    def register(self) -> int:
        with self.env.app.db.read() as s:
            return s.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def test_equipment_and_a_round_through_the_api(env: WebEnv) -> None:
    api = Api(env)
    api("kreatif", "GET", "/equipment", 403)
    api("staf", "POST", "/equipment", 403, {"kind": "kamera", "name": "Canon"})
    api("kabag", "POST", "/equipment", 400, {"kind": "tripod", "name": "X"})
    api("kabag", "POST", "/equipment", 400, {"kind": "kamera", "name": "X", "warna": "hitam"})
    assert api("kabag", "POST", "/equipment", 422, {"kind": "kamera", "name": "x" * 201})["rule"] == "limit.name"
    cam = api("kabag", "POST", "/equipment", 201, {"kind": "kamera", "name": "Canon", "serial": "CN-1"})
    drone = api("admin", "POST", "/equipment", 201, {"kind": "drone", "name": "Mavic", "storage": "Dry cabinet"})
    api("kabag", "POST", "/equipment", 409, {"kind": "lensa", "name": "RF", "serial": "CN-1"})
    assert api("subkor", "PATCH", f"/equipment/{drone['id']}", 200, {"note": "baling-baling cadangan"})["note"]
    api("subkor", "PATCH", "/equipment/999", 404, {"note": "x"})
    assert [i["name"] for i in api("staf", "GET", "/equipment", 200)] == ["Mavic", "Canon"]  # by kind
    assert api("staf", "GET", "/equipment?readiness=siap", 200) == []

    api("subkor", "POST", "/inventory-rounds", 403)
    r = api("kabag", "POST", "/inventory-rounds", 201, {"assign_to": "subkor"})
    rid = r["id"]
    assert r["step"] == "tugas_staf" and [x["present"] for x in r["items"]] == [None, None]
    api("kabag", "POST", "/inventory-rounds", 409)
    api("staf", "POST", f"/inventory-rounds/{rid}/cancel", 403, {"note": "x"})
    api("subkor", "POST", f"/inventory-rounds/{rid}/assign", 400, {"user": ""})
    api("subkor", "POST", "/inventory-rounds/999/assign", 404, {"note": "x"})
    api("subkor", "POST", f"/inventory-rounds/{rid}/assign", 200, {"user": "staf"})
    api("staf", "POST", f"/inventory-rounds/{rid}/checks", 400, {"note": "x"})  # which item?
    api("staf", "POST", f"/inventory-rounds/{rid}/checks", 400, {"item_id": cam["id"], "battery_percent": 101})
    api("kabag", "POST", f"/inventory-rounds/{rid}/checks", 403, {"item_id": cam["id"]})
    api("staf", "POST", f"/inventory-rounds/{rid}/checks", 400, {"item_id": 999})
    r = api("staf", "POST", f"/inventory-rounds/{rid}/checks", 200,
            {"item_id": cam["id"], "battery_percent": 90, "memory_free_gb": 64.5})
    assert r["totals"]["siap"] == 1 and r["step"] == "pengecekan"
    api("staf", "POST", f"/inventory-rounds/{rid}/finish", 409)
    r = api("staf", "POST", f"/inventory-rounds/{rid}/checks", 200,
            {"item_id": drone["id"], "present": False, "note": "dipinjam bagian umum"})
    assert r["step"] == "pencatatan"
    r = api("staf", "POST", f"/inventory-rounds/{rid}/finish", 200, {"note": "lengkap"})
    assert (r["status"], r["report_note"], r["totals"]["tidak_siap"]) == ("finished", "lengkap", 1)
    assert [st["state"] for st in r["steps"]] == ["done"] * 4
    rounds = api("staf", "GET", "/inventory-rounds", 200)
    assert rounds["due_at"] and [x["id"] for x in rounds["rounds"]] == [rid]
    assert api("staf", "GET", f"/inventory-rounds/{rid}", 200)["items"][0]["reasons"] == ["tidak ada di tempat"]
    api("kabag", "POST", f"/inventory-rounds/{rid}/cancel", 409, {"note": "x"})
    item = api("staf", "GET", f"/equipment/{cam['id']}", 200)
    assert item["readiness"] == "siap" and item["checks"][0]["memory_free_gb"] == 64.5
    api("kabag", "POST", f"/equipment/{drone['id']}/retire", 200, {"note": "hilang"})
    api("kabag", "POST", f"/equipment/{drone['id']}/retire", 409)
    assert [i["active"] for i in api("kabag", "GET", "/equipment?include_retired=true", 200)] == [True, False]


def test_an_agenda_entry_through_the_api(env: WebEnv) -> None:
    api = Api(env)
    cam = api("kabag", "POST", "/equipment", 201, {"kind": "kamera", "name": "Canon"})["id"]
    rid = api("kabag", "POST", "/inventory-rounds", 201, {"assign_to": "subkor"})["id"]
    api("subkor", "POST", f"/inventory-rounds/{rid}/assign", 200, {"user": "staf"})
    api("staf", "POST", f"/inventory-rounds/{rid}/checks", 200, {"item_id": cam, "battery_percent": 80})
    api("staf", "POST", f"/inventory-rounds/{rid}/finish", 200)
    body = {"leader": "sekda", "activity": "Rapat koordinasi OPD", "place": "Ruang Rapat Setda",
            "starts_at": "2026-12-10 13:00", "ends_at": "2026-12-10 15:00"}
    api("staf", "POST", "/agenda", 403, body)
    api("kabag", "POST", "/agenda", 400, {**body, "starts_at": "nanti"})
    api("kabag", "POST", "/agenda", 400, {**body, "leader": "camat"})
    e = api("kabag", "POST", "/agenda", 201, body)
    eid = e["id"]
    assert (e["title"], e["starts_at"]) == ("Sekretaris Daerah: Rapat koordinasi OPD", "2026-12-10T13:00:00+07:00")
    api("subkor", "POST", f"/agenda/{eid}/checkout", 409, {"items": [cam]})  # no staff yet
    api("subkor", "POST", f"/agenda/{eid}/assign", 400, {"staff": ["kabag"]})
    api("subkor", "POST", "/agenda/999/assign", 404, {"staff": ["staf"]})
    assert api("subkor", "POST", f"/agenda/{eid}/assign", 200, {"staff": ["staf"]})["staff"] == ["staf"]
    assert [i["id"] for i in api("staf", "GET", f"/agenda/{eid}/available-equipment", 200)] == [cam]
    api("kabag", "POST", f"/agenda/{eid}/checkout", 403, {"items": [cam]})
    api("staf", "POST", f"/agenda/{eid}/checkout", 400, {})
    out = api("staf", "POST", f"/agenda/{eid}/checkout", 200, {"items": [cam]})
    assert [(x["item_id"], x["holder"], x["returned_at"]) for x in out["loans"]] == [(cam, "staf", None)]
    other = api("subkor", "POST", "/agenda", 201, {**body, "starts_at": "2026-12-10 14:00",
                                                   "ends_at": "2026-12-10 16:00"})["id"]
    api("subkor", "POST", f"/agenda/{other}/assign", 200, {"staff": ["staf"]})
    assert api("staf", "GET", f"/agenda/{other}/available-equipment", 200) == []
    api("staf", "POST", f"/agenda/{other}/checkout", 409, {"items": [cam]})
    api("staf", "POST", f"/agenda/{eid}/return", 400, {"items": [{"item_id": cam, "condition": "hilang"}]})
    back = api("staf", "POST", f"/agenda/{eid}/return", 200,
               {"items": [{"item_id": cam, "condition": "rusak_berat", "note": "jatuh"}]})
    assert back["loans"][0]["return_condition"] == "rusak_berat"
    assert api("staf", "GET", f"/equipment/{cam}", 200)["readiness"] == "tidak_siap"
    api("subkor", "POST", f"/agenda/{eid}/content", 403)
    made = api("kabag", "POST", f"/agenda/{eid}/content", 201, {"title": "Rapat koordinasi OPD bersama Sekda"})
    assert (made["sop"], made["step"], made["status"]) == ("mojokerto-prokopim", "agenda", "draft")
    api("kabag", "POST", f"/agenda/{eid}/content", 409)
    assert api("staf", "GET", f"/agenda/{eid}", 200)["content_id"] == made["id"]
    assert [x["id"] for x in api("staf", "GET", f"/agenda?content_id={made['id']}", 200)] == [eid]
    assert [x["id"] for x in api("staf", "GET", "/agenda?start=2026-12-10 15:30", 200)] == [other]
    api("staf", "GET", "/agenda?start=kapan", 400)
    api("subkor", "POST", f"/agenda/{other}/cancel", 400)  # the reason is required
    assert api("subkor", "POST", f"/agenda/{other}/cancel", 200, {"note": "batal"})["status"] == "cancelled"
    api("subkor", "POST", f"/agenda/{other}/assign", 409, {"staff": ["staf"]})
    api("kreatif", "GET", f"/agenda/{eid}", 403)


def test_the_schema_documents_every_answer(env: WebEnv) -> None:
    spec = env.api.openapi()
    ours = {p: ops for p, ops in spec["paths"].items()
            if p.startswith(("/api/v1/equipment", "/api/v1/inventory-rounds", "/api/v1/agenda"))}
    assert len(ours) == 17
    for path, ops in ours.items():
        for method, op in ops.items():
            assert {"401", "500"} <= set(op["responses"]), (method, path)
            if method == "post":
                assert {"400", "403", "404" if "{" in path else "403"} <= set(op["responses"]), (method, path)
