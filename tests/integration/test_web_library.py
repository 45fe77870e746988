"""Pustaka media: files uploaded once (by content hash) and reused by contents; refused by their bytes when not a
photo or video; every new file in the register; the content form offers them."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from humas.app import App
from humas.store.models import AuditEntry, Content, MediaBlob
from humas.web.catalog import error
from tests.integration.test_web_helpers import WebEnv, build, jpeg


@pytest.fixture
def env(team: App) -> WebEnv:
    return build(team)


def blobs(app: App) -> int:
    with app.db.read() as s:
        return int(s.execute(select(func.count()).select_from(MediaBlob)).scalar_one())


def test_upload_once_reuse_in_content(env: WebEnv) -> None:
    c = env.client("kreatif")
    photo = jpeg(800, 800)
    r = c.post("/pustaka", files=[("media", ("poster.jpg", photo, "image/jpeg")),
                                  ("media", ("poster-lagi.jpg", photo, "image/jpeg"))])
    assert r.status_code == 303
    assert blobs(env.app) == 1  # the same bytes are one file
    page = c.get("/pustaka").text
    [sha] = re.findall(r'data-sha="([0-9a-f]{64})"', page)
    assert "Dipakai di 0 konten" in page and "1–1 dari 1" in page
    form = c.get("/konten/baru").text
    assert f'name="library" value="{sha}"' in form
    r = c.post("/konten/baru", data={"sop": "mojokerto-acc", "title": "Dari pustaka", "text": "Narasi.",
                                     "caption": "Ayo", "accounts": ["sandbox-facebook"], "library": [sha]})
    assert r.status_code == 303, r.text[:300]
    cid = int(r.headers["location"].rsplit("/", 1)[1])
    with env.app.db.read() as s:
        content = s.get(Content, cid)
        assert content is not None and [m.sha256 for m in content.media] == [sha]
        [entry] = s.execute(select(AuditEntry).where(AuditEntry.action == "media.added")).scalars()
        assert entry.actor == "kreatif" and entry.subject_id == sha
    assert "Dipakai di 1 konten" in c.get("/pustaka").text
    edit = c.post(f"/konten/{cid}/ubah", data={"title": "Dari pustaka", "text": "Narasi.", "caption": "Ayo",
                                               "accounts": ["sandbox-facebook"], "keep": [sha], "library": [sha]})
    assert edit.status_code == 303  # picking a file the content already has adds nothing twice
    with env.app.db.read() as s:
        content = s.get(Content, cid)
        assert content is not None and len(content.media) == 1


def test_files_are_judged_by_their_bytes_and_unknown_picks_refused(env: WebEnv) -> None:
    c = env.client("kreatif")
    r = c.post("/pustaka", files=[("media", ("laporan.jpg", b"%PDF-1.7 not a photo", "image/jpeg"))])
    assert r.status_code in (400, 422) and 'class="error"' in r.text and blobs(env.app) == 0
    r = c.post("/konten/baru", data={"sop": "mojokerto-acc", "title": "Palsu", "text": "Narasi.",
                                     "accounts": ["sandbox-facebook"], "library": ["0" * 64]})
    english = f"no such file in the media library: {'0' * 12}"
    shown = error(english, "id")  # the Indonesian of the errors catalog
    assert r.status_code == 400 and shown != english and html.escape(shown) in r.text
    with env.app.db.read() as s:
        assert s.execute(select(func.count()).select_from(Content)).scalar_one() == 0  # nothing half-written
    assert c.get("/pustaka?jenis=video&q=%25").status_code == 200


def test_the_api_lists_and_adds_to_the_same_library(env: WebEnv) -> None:
    http = env.anonymous().http
    auth = {"Authorization": f"Bearer {env.token('kreatif')}"}
    r = http.post("/api/v1/media", headers=auth, files={"file": ("spanduk.jpg", jpeg(640, 640), "image/jpeg")})
    assert r.status_code == 201
    sha = r.json()["sha256"]
    listed = http.get("/api/v1/media", headers=auth, params={"kind": "foto", "q": "spanduk"})
    assert listed.status_code == 200 and [m["sha256"] for m in listed.json()] == [sha]
    assert listed.json()[0]["used_by"] == 0
    assert http.get("/api/v1/media", headers=auth, params={"kind": "video"}).json() == []
    with env.app.db.read() as s:
        assert s.execute(select(func.count()).select_from(AuditEntry)
                         .where(AuditEntry.action == "media.added")).scalar_one() == 1
    assert sha in env.client("kreatif").get("/pustaka").text  # one library for the API and the pages
