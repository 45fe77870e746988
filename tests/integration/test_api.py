"""The REST API: tokens, the same permission rules as the CLI and pages, JSON errors with proper status codes, and
every endpoint of the OpenAPI schema exercised with generated inputs (no 5xx; 2xx bodies match the schema)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import select

from humas.app import App
from humas.store.models import ApiToken, User, UserRole
from tests.api.helpers import plans_and_documentation
from tests.conftest import add_user
from tests.integration.test_web_helpers import (
    HOSTILE,
    WebEnv,
    advance,
    approved,
    build,
    draft,
    drafted_case,
    failed_job,
    jpeg,
    published_comment,
)


@pytest.fixture
def env(team: App) -> WebEnv:
    add_user(team, "semua", *sorted(team.sops.roles))  # every role: every endpoint has an allowed path
    return build(team)


def call(env: WebEnv, token: str | None, method: str, path: str, **kw: Any) -> Any:
    from fastapi.testclient import TestClient

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers.update(kw.pop("headers", {}))
    return TestClient(env.api).request(method, path, headers=headers, **kw)


def test_token_required_and_revocable(env: WebEnv) -> None:
    r = call(env, None, "GET", "/api/v1/me")
    assert r.status_code == 401 and set(r.json()) == {"error"}
    assert r.headers["www-authenticate"] == "Bearer"
    assert call(env, "hms_nope", "GET", "/api/v1/me").status_code == 401
    token = env.token("kreatif")
    me = call(env, token, "GET", "/api/v1/me")
    assert me.status_code == 200 and me.json()["name"] == "kreatif" and me.json()["roles"] == ["tim_konten_kreatif"]
    with env.app.db.session() as s:
        row = s.execute(select(ApiToken)).scalar_one()
        assert row.token_hash != token and token not in row.token_hash and row.last_used_at is not None
    # the page session cookie is not an API credential
    browser = env.client("kreatif")
    assert browser.get("/api/v1/me").status_code == 401
    csrf = browser.csrf()
    page = browser.post("/akun/token/1/cabut", {"csrf_token": csrf})
    assert page.status_code == 303
    assert call(env, token, "GET", "/api/v1/me").status_code == 401


def test_token_created_on_profile_page_is_shown_once(env: WebEnv) -> None:
    c = env.client("reviu")
    page = c.post("/akun/token", {"name": "laptop"}).text
    token = page.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("hms_")
    assert call(env, token, "GET", "/api/v1/me").json()["name"] == "reviu"
    assert token not in c.get("/akun").text


API_ROWS = [
    ("kreatif", "POST", "/api/v1/content", {"title": "API", "text": "Narasi", "accounts": ["sandbox-x"]}, "", 201),
    ("reviu", "POST", "/api/v1/content", {"title": "API"}, "", 403),
    ("kreatif", "POST", "/api/v1/content/{id}/submit", None, "draft", 200),
    ("reviu", "POST", "/api/v1/content/{id}/submit", None, "draft", 403),
    ("reviu", "POST", "/api/v1/content/{id}/approve", {"note": "ok"}, "review", 200),
    ("admin", "POST", "/api/v1/content/{id}/approve", None, "review", 403),
    ("reviu", "POST", "/api/v1/content/{id}/reject", {"note": "perbaiki"}, "review", 200),
    ("reviu", "POST", "/api/v1/content/{id}/reject", {"note": ""}, "review", 400),
    ("reviu", "POST", "/api/v1/content/{id}/approve", None, "draft", 409),
    ("kreatif", "PATCH", "/api/v1/content/{id}", {"text": "Baru"}, "draft", 200),
    ("pj", "PATCH", "/api/v1/content/{id}", {"text": "Baru"}, "draft", 403),
    ("kreatif", "GET", "/api/v1/content/999", None, "", 404),
    ("sosmed", "POST", "/api/v1/content/{id}/schedule", {"at": "now"}, "approved", 201),
    ("kreatif", "POST", "/api/v1/content/{id}/schedule", {"at": "now"}, "approved", 403),
    ("sosmed", "POST", "/api/v1/content/{id}/schedule", {"at": "kemarin"}, "approved", 400),
    ("sosmed", "POST", "/api/v1/queue/{id}/retry", None, "failed", 200),
    ("redaktur", "POST", "/api/v1/queue/{id}/retry", None, "failed", 403),
    ("admin", "POST", "/api/v1/queue/{id}/cancel", None, "failed", 200),
    ("kreatif", "POST", "/api/v1/queue/{id}/cancel", None, "failed", 403),
    ("sosmed", "GET", "/api/v1/comments", None, "", 200),
    ("kreatif", "GET", "/api/v1/comments", None, "", 403),
    ("redaktur", "GET", "/api/v1/cases", None, "", 200),
    ("reviu", "GET", "/api/v1/cases", None, "", 403),
    ("redaktur", "POST", "/api/v1/cases/{id}/approve", None, "drafted", 200),
    ("sosmed", "POST", "/api/v1/cases/{id}/approve", None, "drafted", 403),
    ("redaktur", "POST", "/api/v1/cases/{id}/reject", {"note": "ubah"}, "drafted", 200),
    ("sosmed", "POST", "/api/v1/cases/{id}/draft", {"text": "Terima kasih"}, "drafted", 200),
    ("redaktur", "POST", "/api/v1/cases/{id}/draft", {"text": "x"}, "drafted", 403),
    ("redaktur", "POST", "/api/v1/cases/{id}/dismiss", {"reason": "spam"}, "drafted", 200),
    ("kreatif", "POST", "/api/v1/cases/{id}/dismiss", {"reason": "spam"}, "drafted", 403),
    ("redaktur", "POST", "/api/v1/cases/{id}/relabel", {"label": "neutral"}, "drafted", 200),
    ("redaktur", "POST", "/api/v1/cases/{id}/relabel", {"label": "marah"}, "drafted", 400),
    ("redaktur", "POST", "/api/v1/cases/{id}/hide", None, "drafted", 200),
    ("sosmed", "POST", "/api/v1/cases/{id}/hide", None, "drafted", 403),
    ("kreatif", "GET", "/api/v1/audit/verify", None, "", 200),
    ("kreatif", "GET", "/api/v1/sla/overdue", None, "", 200),
    ("kreatif", "GET", "/api/v1/queue?status=bogus", None, "", 400),
]


def _seed(app: App, kind: str) -> int:
    if kind == "review":
        cid = draft(app)
        advance(app, cid, [])
        return cid
    return {"draft": draft, "approved": approved, "failed": failed_job, "drafted": drafted_case}[kind](app)


@pytest.mark.parametrize(("user", "method", "path", "body", "seed", "expect"), API_ROWS,
                         ids=[f"{r[0]}-{r[1]}-{r[2]}-{r[5]}" for r in API_ROWS])
def test_api_permissions(env: WebEnv, user: str, method: str, path: str, body: Any, seed: str, expect: int) -> None:
    if seed:
        path = path.replace("{id}", str(_seed(env.app, seed)))
    r = call(env, env.token(user), method, path, json=body)
    assert r.status_code == expect, f"{user} {method} {path}: {r.status_code} {r.text[:300]}"
    if expect >= 400:
        assert set(r.json()) == {"error"} and r.json()["error"]


def test_invalid_body_is_400_json(env: WebEnv) -> None:
    token = env.token("kreatif")
    r = call(env, token, "POST", "/api/v1/content", json={"judul": "salah"})
    assert r.status_code == 400 and "error" in r.json()
    r = call(env, token, "POST", "/api/v1/content", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "error" in r.json()


def test_media_upload_then_content(env: WebEnv) -> None:
    token = env.token("kreatif")
    up = call(env, token, "POST", "/api/v1/media", files={"file": ("foto.jpg", jpeg(), "image/jpeg")})
    assert up.status_code == 201 and up.json()["mime"] == "image/jpeg"
    sha = up.json()["sha256"]
    r = call(env, token, "POST", "/api/v1/content", json={"title": "Dengan foto", "media": [sha],
                                                           "accounts": ["sandbox-instagram"]})
    assert r.status_code == 201 and r.json()["media"][0]["sha256"] == sha
    bad = call(env, token, "POST", "/api/v1/content", json={"title": "x", "media": ["0" * 64]})
    assert bad.status_code == 400


def test_comments_api_returns_text_as_data(env: WebEnv) -> None:
    published_comment(env.app, HOSTILE)
    rows = call(env, env.token("redaktur"), "GET", "/api/v1/comments?flagged=true").json()
    assert rows[0]["text"] == HOSTILE and rows[0]["label"] == "negative" and rows[0]["post_remote_id"]
    cases = call(env, env.token("redaktur"), "GET", "/api/v1/cases").json()
    assert cases[0]["text"] == HOSTILE and cases[0]["status"] == "open" and cases[0]["remote_id"]


# --- every documented endpoint, from the schema -----------------------------------------------------------------


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = spec["components"]["schemas"][name]
    return schema


def conforms(value: Any, schema: dict[str, Any], spec: dict[str, Any], where: str = "$") -> list[str]:
    """The JSON-schema subset FastAPI emits: $ref, anyOf/oneOf, type, properties, required, items."""
    schema = _resolve(schema, spec)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            if any(not conforms(value, alt, spec, where) for alt in schema[key]):
                return []
            return [f"{where}: matches none of {key}"]
    t = schema.get("type")
    checks = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    if t in checks and not isinstance(value, checks[t]):
        return [f"{where}: expected {t}, got {type(value).__name__}"]
    if t == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        return [f"{where}: expected integer"]
    if t == "number" and not isinstance(value, int | float):
        return [f"{where}: expected number"]
    problems: list[str] = []
    if t == "object" or "properties" in schema:
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{where}: missing {name}")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                problems += conforms(value[name], sub, spec, f"{where}.{name}")
    if t == "array" and "items" in schema:
        for i, item in enumerate(value):
            problems += conforms(item, schema["items"], spec, f"{where}[{i}]")
    return problems


def example(schema: dict[str, Any], spec: dict[str, Any], variant: int) -> Any:
    """A value for ``schema``: variant 0 plausible, 1 minimal, 2 of the wrong type."""
    schema = _resolve(schema, spec)
    if variant == 2:
        return {"unexpected": [1, 2]} if schema.get("type") != "object" else "not-an-object"
    if "anyOf" in schema:
        non_null = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return example(non_null[0], spec, variant) if non_null else None
    t = schema.get("type")
    if t == "object":
        props = schema.get("properties", {})
        keys = props if variant == 0 else schema.get("required", [])
        return {k: example(props[k], spec, variant) for k in keys}
    if t == "array":
        return [] if variant == 1 else [example(schema.get("items", {}), spec, variant)]
    if t == "integer":
        return 1
    if t == "number":
        return 1.5
    if t == "boolean":
        return True
    return "Teks uji <b>" if t == "string" else None


def _targets(env: WebEnv) -> dict[str, list[str]]:
    app = env.app
    ids = {
        "content_id": [str(draft(app)), str(approved(app)), "999999"],
        "job_id": [str(failed_job(app)), "999999"],
        "case_id": [str(drafted_case(app)), str(published_comment(app)[1]), "999999"],
        "sop_id": ["mojokerto-acc", "tidak-ada"],
    }
    plan, item, inventory_round, entry = plans_and_documentation(app)
    ids.update(plan_id=[str(plan), "999999"], item_id=[str(item), "999999"],
               round_id=[str(inventory_round), "999999"], entry_id=[str(entry), "999999"])
    return ids


def test_every_documented_endpoint(env: WebEnv) -> None:
    spec = call(env, None, "GET", "/openapi.json").json()
    paths = spec["paths"]
    assert all(p.startswith(("/api/v1/", "/healthz")) for p in paths), "pages must not be in the API schema"
    assert {"/api/v1/content", "/api/v1/content/{content_id}/approve", "/api/v1/queue", "/api/v1/cases",
            "/api/v1/comments", "/api/v1/audit", "/api/v1/audit/verify", "/api/v1/sla/overdue", "/api/v1/accounts",
            "/api/v1/sops/{sop_id}", "/api/v1/cases/{case_id}/relabel"} <= set(paths)
    targets = _targets(env)
    tokens = {"admin": env.token("admin"), "semua": env.token("semua"), "reviu": env.token("reviu")}
    seen = 0
    for path, ops in paths.items():
        for method, op in ops.items():
            params = [p for p in op.get("parameters", []) if p["in"] == "path"]
            choices = [targets[p["name"]] for p in params]
            body_schema = (op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema"))
            multipart = "multipart/form-data" in op.get("requestBody", {}).get("content", {})
            for values, variant, who in itertools.product(itertools.product(*choices), (0, 1, 2), tokens):
                url = path
                for p, v in zip(params, values, strict=True):
                    url = url.replace("{" + p["name"] + "}", v)
                query = {p["name"]: example(p.get("schema", {}), spec, variant)
                         for p in op.get("parameters", []) if p["in"] == "query" and variant != 1}
                kw: dict[str, Any] = {"params": {k: v for k, v in query.items() if not isinstance(v, dict)}}
                if body_schema is not None:
                    kw["json"] = example(body_schema, spec, variant)
                if multipart:
                    kw["files"] = {"file": ("foto.jpg", jpeg(320, 320), "image/jpeg")} if variant != 2 else None
                r = call(env, tokens[who], method.upper(), url, **kw)
                seen += 1
                assert r.status_code < 500, f"{who} {method} {url} {kw}: {r.status_code} {r.text[:300]}"
                declared = op["responses"].get(str(r.status_code))
                assert declared is not None or r.status_code == 400, \
                    f"{method} {url}: status {r.status_code} is not documented"
                schema = (declared or {}).get("content", {}).get("application/json", {}).get("schema")
                if schema is not None and r.status_code < 300:
                    problems = conforms(r.json(), schema, spec)
                    assert not problems, f"{method} {url}: {problems[:3]}"
                if r.status_code >= 400:
                    assert set(r.json()) == {"error"}, f"{method} {url}: {r.text[:200]}"
    assert seen > 300
    with env.app.db.session() as s:  # generated inputs never broke the register
        from humas.store import audit

        assert audit.verify(s).ok
        assert s.execute(select(User).join(UserRole).where(UserRole.role == "admin")).first() is not None
