"""The printable records on the pages and in the API: "Cetak lembar persetujuan (PDF)" on the content page, PDF beside
the register's CSV, ``GET /api/v1/content/{id}/sheet.pdf`` and ``GET /api/v1/register/export``; one rule for who may
print (a role), every copy recorded, refused input answered in Indonesian on the page and 4xx JSON in the API."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select, update

from humas.app import App
from humas.reports.printable import ACTION_PRINTED
from humas.store import audit
from humas.store.models import AuditEntry, User
from tests.conftest import add_user
from tests.integration.test_web_helpers import WebEnv, approved, build


def flat(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages))


def head(app: App) -> int:
    with app.db.read() as s:
        return audit.head(s)[0]


def last(app: App) -> AuditEntry:
    with app.db.read() as s:
        return s.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one()


@pytest.fixture
def env(team: App) -> WebEnv:
    add_user(team, "tanpaperan")
    add_user(team, "inggris", "redaktur")
    with team.db.session() as s:
        s.execute(update(User).where(User.name == "inggris").values(language="en"))
    return build(team)


@dataclass
class Api:
    """GETs with a user's token, made once per user (a new token is itself a register entry)."""

    env: WebEnv
    tokens: dict[str, str] = field(default_factory=dict)

    def __call__(self, name: str | None, url: str) -> Any:
        headers = {}
        if name:
            if name not in self.tokens:
                self.tokens[name] = self.env.token(name)
            headers["Authorization"] = f"Bearer {self.tokens[name]}"
        return TestClient(self.env.api, raise_server_exceptions=False).get(url, headers=headers)


# --- pages ---------------------------------------------------------------------------------------------------


def test_the_content_page_prints_the_approval_sheet(env: WebEnv) -> None:
    cid = approved(env.app, "Lembar untuk diarsipkan")
    page = env.client("sosmed").get(f"/konten/{cid}")
    assert f'href="/konten/{cid}/lembar.pdf"' in page.text and "Cetak lembar persetujuan (PDF)" in page.text
    r = env.client("sosmed").get(f"/konten/{cid}/lembar.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'attachment; filename="lembar-persetujuan-{cid}-v1.pdf"'
    text = flat(r.content)
    entry = last(env.app)
    assert "Lembaruntukdiarsipkan" in text and entry.data["code"] in text and "LEMBARPERSETUJUANKONTEN" in text
    assert (entry.action, entry.actor, entry.subject_id) == (ACTION_PRINTED, "sosmed", str(cid))
    assert entry.data["sha256"] == hashlib.sha256(r.content).hexdigest()  # the register names the very file
    english = env.client("inggris")
    assert "Print the approval sheet (PDF)" in english.get(f"/konten/{cid}").text
    assert "CONTENTAPPROVALSHEET" in flat(english.get(f"/konten/{cid}/lembar.pdf").content)


def test_without_a_role_there_is_no_print_link_and_no_copy(env: WebEnv) -> None:
    cid = approved(env.app)
    c = env.client("tanpaperan")
    before = head(env.app)
    assert "lembar.pdf" not in c.get(f"/konten/{cid}").text
    assert "register.pdf" not in c.get("/register").text
    for path in (f"/konten/{cid}/lembar.pdf", "/register.pdf", "/register.csv"):
        r = c.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 403 and "Tidak diizinkan" in r.text, path
    assert env.client("kreatif").get("/konten/999/lembar.pdf").status_code == 404
    assert head(env.app) == before


def test_the_register_exports_what_it_shows(env: WebEnv) -> None:
    cid = approved(env.app)
    c = env.client("redaktur")
    day = env.app.local(env.app.clock()).date().isoformat()
    page = c.get(f"/register?actor=reviu&dari={day}&sampai={day}")
    assert page.status_code == 200
    query = f"action=&amp;subject=&amp;actor=reviu&amp;dari={day}&amp;sampai={day}"
    assert f'href="/register.pdf?{query}"' in page.text and f'href="/register.csv?{query}"' in page.text
    assert page.text.count("content.approved") >= 2 and ">kreatif<" not in page.text
    r = c.get(f"/register.pdf?actor=reviu&dari={day}&sampai={day}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith('attachment; filename="register-')
    text = flat(r.content)
    assert "Pelaku:reviu" in text and "utuh" in text and "TimReviu" in text
    assert last(env.app).data["query"] == {"since": day, "until": day, "actor": "reviu"}
    r = c.get(f"/register.csv?subject=content:{cid}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.startswith("seq,at,actor") and "content.approved" in r.text and "content.created" in r.text
    assert last(env.app).data["format"] == "csv" and last(env.app).actor == "redaktur"


def test_a_refused_period_is_said_on_the_page(env: WebEnv) -> None:
    before = head(env.app)
    r = env.client("redaktur").get("/register.pdf?dari=2026-02-31")
    assert r.status_code == 400 and "Tanggal awal tidak valid: &#39;2026-02-31&#39;" in r.text
    assert 'value="2026-02-31"' in r.text  # the form keeps what was typed
    r = env.client("inggris").get("/register.csv?dari=2026-03-01&sampai=2026-02-01")
    assert r.status_code == 400 and "the start date 2026-03-01 is after the end date 2026-02-01" in r.text
    listing = env.client("redaktur").get("/register?sampai=kemarin")
    assert listing.status_code == 400 and "Tanggal akhir tidak valid" in listing.text
    assert head(env.app) == before


# --- API -----------------------------------------------------------------------------------------------------


def test_api_sheet_pdf(env: WebEnv) -> None:
    api = Api(env)
    cid = approved(env.app, "Lewat API")
    r = api("pj", f"/api/v1/content/{cid}/sheet.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "LewatAPI" in flat(r.content) and last(env.app).actor == "pj"
    assert "CONTENTAPPROVALSHEET" in flat(api("inggris", f"/api/v1/content/{cid}/sheet.pdf").content)
    api("tanpaperan", "/api/v1/me")
    before = head(env.app)
    for who, url, status in ((None, f"/api/v1/content/{cid}/sheet.pdf", 401),
                             ("tanpaperan", f"/api/v1/content/{cid}/sheet.pdf", 403),
                             ("pj", "/api/v1/content/999/sheet.pdf", 404),
                             ("pj", "/api/v1/content/0/sheet.pdf", 400)):
        r = api(who, url)
        assert r.status_code == status and r.headers["content-type"] == "application/json", (url, r.text)
        assert set(r.json()) <= {"error", "rule"} and r.json()["error"]
    assert head(env.app) == before


def test_api_register_export(env: WebEnv) -> None:
    api = Api(env)
    cid = approved(env.app)
    r = api("admin", f"/api/v1/register/export?subject=content:{cid}&action=content.approved")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.count("content.approved") == 6
    r = api("admin", "/api/v1/register/export?format=pdf&since=2000-01-01&until=2100-01-01")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "REGISTERDOKUMENTASIDANKONTEN" in flat(r.content)
    assert last(env.app).data["query"] == {"since": "2000-01-01", "until": "2100-01-01"}
    api("tanpaperan", "/api/v1/me")
    before = head(env.app)
    for who, query, status in (("admin", "format=xlsx", 400), ("admin", "since=2026-02-30", 400),
                               ("admin", "since=2026-03-01&until=2026-02-01", 400), ("admin", "since=0001-01-01", 400),
                               ("admin", "until=0", 400), ("admin", "actor=%00", 400),
                               ("tanpaperan", "format=csv", 403), (None, "", 401)):
        r = api(who, f"/api/v1/register/export?{query}")
        assert r.status_code == status and r.headers["content-type"] == "application/json", (query, r.text)
    assert head(env.app) == before


def test_the_schema_documents_the_files(env: WebEnv) -> None:
    spec = env.api.openapi()
    sheet = spec["paths"]["/api/v1/content/{content_id}/sheet.pdf"]["get"]
    assert set(sheet["responses"]["200"]["content"]) == {"application/pdf"}
    assert {"401", "403", "404", "400", "500"} <= set(sheet["responses"])
    export = spec["paths"]["/api/v1/register/export"]["get"]
    assert set(export["responses"]["200"]["content"]) == {"text/csv", "application/pdf"}
    params = {p["name"]: p for p in export["parameters"]}
    assert set(params) == {"format", "since", "until", "action", "subject", "actor"}
    assert params["format"]["schema"]["enum"] == ["csv", "pdf"] and "record.printed" in export["description"]
