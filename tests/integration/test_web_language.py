"""Domain messages read in the viewer's language on the pages (issue 15): an error page and a form refusal in
Indonesian through the ``errors`` catalog, the same in English after the language toggle; the API keeps English."""

from __future__ import annotations

import html

import pytest

from humas.app import App
from humas.web.catalog import error
from tests.integration.test_web_helpers import WebEnv, build


@pytest.fixture
def env(team: App) -> WebEnv:
    return build(team)


def _text(r: object) -> str:
    return html.unescape(getattr(r, "text", ""))


def test_error_pages_and_refusals_speak_the_viewers_language(env: WebEnv) -> None:
    admin = env.client("admin")
    missing = admin.get("/konten/999999")
    english = "content 999999 not found"
    assert missing.status_code == 404
    assert error(english, "id") != english and error(english, "id") in _text(missing)
    assert english not in _text(missing)

    refused = admin.post("/admin/pengguna", {"name": "nama salah!", "display_name": "X"})
    english = "invalid user name 'nama salah!' (letters, digits, . _ - ; at most 64)"
    assert refused.status_code == 400
    assert error(english, "id") in _text(refused) and english not in _text(refused)

    nowhere = admin.get("/tidak-ada-halaman-ini", headers={"accept": "text/html"})
    assert nowhere.status_code == 404 and error("Not Found", "id") in _text(nowhere)

    assert admin.post("/bahasa", {"lang": "en", "next": "/"}).status_code == 303
    assert english in _text(admin.post("/admin/pengguna", {"name": "nama salah!", "display_name": "X"}))
    assert "content 999999 not found" in _text(admin.get("/konten/999999"))


def test_the_api_keeps_the_domain_layers_english(env: WebEnv) -> None:
    r = env.anonymous().get("/api/v1/content/999999", headers={"Authorization": f"Bearer {env.token('admin')}"})
    assert r.status_code == 404 and r.json()["error"] == "content 999999 not found"
