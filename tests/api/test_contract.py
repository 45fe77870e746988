"""The API's contract, defect by defect (issue 13): bounded ids, offsets and weeks refused with the documented error
body; no bare 500 for anything (a catch-all answers in the error shape, logged, keep-alive intact); the schema says
what the app answers (400 for refused input, never FastAPI's 422; 503 of /healthz; every response key declared)."""

from __future__ import annotations

import http.client
import json
import logging
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from humas.app import App
from humas.web.app import create_app
from tests.api.helpers import Seeded, seed, serve
from tests.integration.test_web_helpers import build, draft

ERROR_KEYS = {"error", "rule"}
MAX_ID = 2**31 - 1  # id columns are INTEGER: 32 bits on PostgreSQL


@pytest.fixture
def seeded(team: App) -> Seeded:
    return seed(team)


def get(api: FastAPI, token: str | None, method: str, url: str, **kw: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers.update(kw.pop("headers", {}))
    return TestClient(api, raise_server_exceptions=False).request(method, url, headers=headers, **kw)


def assert_error(r: Any, status: int) -> None:
    assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:300]}"
    assert r.headers["content-type"] == "application/json", r.headers
    body = r.json()
    assert set(body) <= ERROR_KEYS and isinstance(body["error"], str) and body["error"], body


def id_operations(spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(method, path, parameter) of every operation with an integer id in its path."""
    return [(method, path, p["name"]) for path, ops in spec["paths"].items() for method, op in ops.items()
            for p in op.get("parameters", []) if p["in"] == "path" and p["schema"].get("type") == "integer"]


# --- 1. ids, offsets, limits ----------------------------------------------------------------------------------


def test_ids_beyond_what_the_database_holds_are_400_on_every_operation(team: App) -> None:
    env = build(team)
    spec = env.api.openapi()
    ops = id_operations(spec)
    assert len(ops) >= 40 and {name for *_, name in ops} == {"content_id", "job_id", "case_id", "plan_id",
                                                              "item_id", "round_id", "entry_id"}
    token = env.token("admin")
    for method, path, name in ops:
        param = next(p for p in spec["paths"][path][method]["parameters"] if p["name"] == name)
        assert param["schema"]["minimum"] == 1 and param["schema"]["maximum"] == MAX_ID, (path, param)
        body = {"note": "x", "text": "x", "reason": "x", "label": "neutral", "at": "now"}
        for value, status in ((2**63, 400), (2**63 - 1, 400), (MAX_ID + 1, 400), (0, 400), (-1, 400),
                              (MAX_ID, 404)):
            url = path.replace("{" + name + "}", str(value))
            sent = {"json": {**_required_body(spec, path, method),
                             **{k: v for k, v in body.items() if k in _body_keys(spec, path, method)}}} \
                if method in ("post", "patch") else {}
            assert_error(get(env.api, token, method.upper(), url, **sent), status)


def _required_body(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    """A value of the right type for each required body field, so that only the id in the path is wrong."""
    schema = _body_schema(spec, path, method)
    samples = {"string": "x", "integer": 1, "number": 1, "boolean": False, "array": [], "object": {}}
    formats = {"date": "2030-01-10", "date-time": "2030-01-10T10:00:00+07:00"}
    out: dict[str, Any] = {}
    for name in schema.get("required", []):
        prop = schema["properties"][name]
        prop = next((a for a in prop.get("anyOf", [prop]) if a.get("type") != "null"), prop)
        if name.endswith("_at") and prop.get("type") == "string":  # times as the office writes them
            out[name] = "2030-01-10 10:00"
        elif name.endswith("date") and prop.get("type") == "string":
            out[name] = "2030-01-10"
        else:
            out[name] = prop["enum"][0] if "enum" in prop else formats.get(prop.get("format", ""),
                                                                           samples.get(prop.get("type", ""), "x"))
    return out


def _body_schema(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    schema = spec["paths"][path][method].get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = schema.get("schema", {})
    ref = next((alt for alt in ref.get("anyOf", [ref]) if "$ref" in alt), ref)
    if "$ref" not in ref:
        return {}
    found: dict[str, Any] = spec["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
    return found


def _body_keys(spec: dict[str, Any], path: str, method: str) -> set[str]:
    schema = spec["paths"][path][method].get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = schema.get("schema", {})
    ref = next((alt for alt in ref.get("anyOf", [ref]) if "$ref" in alt), ref)
    if "$ref" not in ref:
        return set()
    return set(spec["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]].get("properties", {}))


def test_the_connection_survives_a_refused_id(team: App) -> None:
    """Through uvicorn: the answer to a huge id is a 400, and the next request on the same connection works."""
    env = build(team)
    token = env.token("admin")
    with serve(env.api) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        auth = {"Authorization": f"Bearer {token}"}
        conn.request("GET", "/api/v1/content/9223372036854775808", headers=auth)
        first = conn.getresponse()
        assert first.status == 400 and first.getheader("connection") != "close"
        first.read()
        sock = conn.sock
        conn.request("GET", "/api/v1/me", headers=auth)
        second = conn.getresponse()
        assert second.status == 200 and conn.sock is sock
        conn.close()


@pytest.mark.parametrize(("query", "status"), [
    ("offset=9223372036854775808", 400), (f"offset={MAX_ID + 1}", 400), ("offset=-1", 400), ("limit=0", 400),
    ("limit=1001", 400), ("limit=1000&offset=0", 200), (f"offset={MAX_ID}", 200)])
def test_audit_offsets_and_limits_are_bounded(team: App, query: str, status: int) -> None:
    env = build(team)
    r = get(env.api, env.token("admin"), "GET", f"/api/v1/audit?{query}")
    if status == 200:
        assert r.status_code == 200 and isinstance(r.json(), list)
    else:
        assert_error(r, status)


@pytest.mark.parametrize("url", ["/api/v1/review?limit=501", "/api/v1/review?offset=9223372036854775808",
                                 "/api/v1/comments?limit=0", "/api/v1/comments?label=marah",
                                 "/api/v1/cases?status=bogus", "/api/v1/queue?status=bogus",
                                 "/api/v1/content?status=bogus"])
def test_other_bounded_parameters_are_400(team: App, url: str) -> None:
    env = build(team)
    assert_error(get(env.api, env.token("admin"), "GET", url), 400)


def test_text_the_database_cannot_store_is_400(team: App) -> None:
    """NUL characters (PostgreSQL refuses them) and lone surrogates (no UTF-8 for them), in parameters and bodies."""
    env = build(team)
    token = env.token("kreatif")
    assert_error(get(env.api, token, "GET", "/api/v1/content?sop=a%00b"), 400)
    assert_error(get(env.api, token, "GET", "/api/v1/audit?actor=%00"), 400)
    for title in ("a\x00b", "\ud800"):
        raw = json.dumps({"title": title})  # escapes both as \u0000 and \ud800
        assert_error(get(env.api, token, "POST", "/api/v1/content", content=raw,
                         headers={"content-type": "application/json"}), 400)
    cid = draft(team)
    assert_error(get(env.api, token, "PATCH", f"/api/v1/content/{cid}", json={"platform_captions": {"x": "\x00"}}),
                 400)


# --- 2. weeks --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("week", "status", "shown"), [
    ("0001-W01", 400, None), ("9999-W52", 400, None), ("2025-W53", 400, None), ("2025-W00", 400, None),
    ("2025-W1", 400, None), ("20251-W01", 400, None), ("2026-W53", 200, "2026-W53"), ("2025-W01", 200, "2025-W01"),
    ("1970-W01", 200, "1970-W01"), ("9998-W52", 200, "9998-W52")])
def test_weeks_that_do_not_exist_are_400(team: App, week: str, status: int, shown: str | None) -> None:
    env = build(team)
    r = get(env.api, env.token("kreatif"), "GET", f"/api/v1/reports/weekly?week={week}")
    if status == 200:
        assert r.status_code == 200 and r.json()["week"] == shown, r.text
    else:
        assert_error(r, status)
        if week == "2025-W53":
            assert "2025 has ISO weeks 01-52" in r.json()["error"]


def test_schedule_times_that_do_not_convert_are_400(team: App) -> None:
    from tests.integration.test_web_helpers import approved

    env = build(team)
    cid = approved(team)
    for at in ("0001-01-01 00:00", "9999-12-31 23:59", "9999-12-31T23:00-05:00", "1969-12-31 23:00"):
        assert_error(get(env.api, env.token("sosmed"), "POST", f"/api/v1/content/{cid}/schedule", json={"at": at}),
                     400)


# --- 3. the catch-all -------------------------------------------------------------------------------------------


def boom_app(team: App) -> FastAPI:
    api = create_app(team, first_admin=False)

    def boom() -> None:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    api.add_api_route("/api/v1/boom", boom, include_in_schema=False)
    api.add_api_route("/boom", boom, include_in_schema=False)
    return api


def test_an_unexpected_error_is_a_logged_json_500(team: App, caplog: pytest.LogCaptureFixture) -> None:
    api = boom_app(team)
    with caplog.at_level(logging.ERROR, logger="humas.web"):
        r = TestClient(api).get("/api/v1/boom")  # raise_server_exceptions: nothing escapes the app
    assert_error(r, 500)
    assert "OverflowError" not in r.text and r.headers["x-content-type-options"] == "nosniff"
    assert any(rec.exc_info and rec.exc_info[0] is OverflowError for rec in caplog.records)


def test_an_unexpected_error_on_a_page_is_the_indonesian_error_page(team: App) -> None:
    r = TestClient(boom_app(team)).get("/boom", headers={"Accept": "text/html"})
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert "Terjadi kesalahan" in r.text and "OverflowError" not in r.text


def test_an_unexpected_error_keeps_the_connection(team: App) -> None:
    with serve(boom_app(team)) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/api/v1/boom")
        first = conn.getresponse()
        assert first.status == 500 and first.getheader("content-type") == "application/json"
        assert set(json.loads(first.read())) == {"error"}
        sock = conn.sock
        conn.request("GET", "/healthz")
        second = conn.getresponse()
        assert second.status == 200 and conn.sock is sock
        conn.close()


def test_405_names_every_method_of_the_path(team: App) -> None:
    env = build(team)
    for url, allowed in (("/api/v1/content", "GET, HEAD, POST"), ("/api/v1/content/1", "GET, HEAD, PATCH"),
                         ("/healthz", "GET, HEAD")):
        r = get(env.api, env.token("admin"), "DELETE", url)
        assert_error(r, 405)
        assert r.headers["allow"] == allowed


# --- 4. the schema says what the app answers ------------------------------------------------------------------


def test_the_schema_documents_400_and_never_fastapis_422(team: App) -> None:
    spec = build(team).api.openapi()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    error = spec["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["error"] and set(error["properties"]) == ERROR_KEYS
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert "500" in codes, (method, path)
            if op.get("parameters") or op.get("requestBody"):
                assert "400" in codes, (method, path)
            if path.startswith("/api/"):
                assert "401" in codes, (method, path)
            for code, answer in op["responses"].items():
                if code >= "400" and path != "/healthz":
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorOut"), (method, path, code)
                if code == "422":
                    assert method in ("post", "patch"), (method, path)
    assert set(spec["paths"]["/healthz"]["get"]["responses"]) == {"200", "500", "503"}
    assert "accounts" in spec["components"]["schemas"]["ContentSummary"]["properties"]


def test_healthz_503_is_documented_and_answered(team: App) -> None:
    def sick() -> dict[str, Any]:
        return {"ok": False, "reason": "no heartbeat"}

    r = TestClient(create_app(team, heartbeat=sick, first_admin=False)).get("/healthz")
    assert r.status_code == 503 and r.json() == {"ok": False, "database": True, "scheduler": sick()}


def declared(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def undeclared(value: Any, schema: dict[str, Any], spec: dict[str, Any], where: str = "$") -> list[str]:
    """Keys of ``value`` its schema does not name (free-form objects, ``additionalProperties`` typed, excepted)."""
    schema = declared(schema, spec)
    alts = schema.get("anyOf")
    if alts:
        if value is None:
            return []
        return undeclared(value, next(a for a in alts if declared(a, spec).get("type") != "null"), spec, where)
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in undeclared(v, schema.get("items", {}), spec, f"{where}[{i}]")]
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        return [f"{where}.{k}" for k in value if k not in props] + \
            [p for k, v in value.items() if k in props for p in undeclared(v, props[k], spec, f"{where}.{k}")]
    return []


def test_every_response_key_is_in_the_response_model(seeded: Seeded) -> None:
    """What a generated client sees: every key it gets is a declared field (none lands in additional_properties)."""
    env = seeded.env
    spec = env.api.openapi()
    ids = {"content_id": seeded.approved_id, "job_id": seeded.job_id, "case_id": seeded.drafted_case_id,
           "sop_id": "mojokerto-acc", "plan_id": seeded.plan_id, "item_id": seeded.item_id,
           "round_id": seeded.round_id, "entry_id": seeded.entry_id}
    token = env.token("admin")
    seen = 0
    for path, ops in spec["paths"].items():
        if "get" not in ops:
            continue
        url = path
        for name, value in ids.items():
            url = url.replace("{" + name + "}", str(value))
        r = get(env.api, token, "GET", url)
        assert r.status_code == 200, (url, r.text[:200])
        declared_json = ops["get"]["responses"]["200"].get("content", {}).get("application/json", {}).get("schema")
        if not r.headers["content-type"].startswith("application/json"):  # a PDF or CSV download
            assert r.content and not (declared_json and declared_json.get("properties")), url
            continue
        body = r.json()
        assert body, url
        problems = undeclared(body, ops["get"]["responses"]["200"]["content"]["application/json"]["schema"], spec)
        assert not problems, (url, problems)
        seen += 1
    assert seen >= 15
