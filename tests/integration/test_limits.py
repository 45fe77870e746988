"""Limits on every text and upload, the same through the CLI, the pages and the API: refused in one line with a rule
id (Indonesian on the pages, 413/422 from the API), and nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from humas import limits
from humas.app import App
from humas.errors import TooLong
from humas.store.models import AuditEntry, Content, MediaBlob
from tests.conftest import add_user
from tests.integration.test_api import call
from tests.integration.test_web_helpers import WebEnv, build, draft, drafted_case, jpeg

CONTENT = {"sop": "mojokerto-acc", "title": "Judul", "text": "Narasi", "caption": "Caption",
           "accounts": ["sandbox-facebook"]}


@pytest.fixture
def env(team: App) -> WebEnv:
    add_user(team, "semua", *sorted(team.sops.roles))
    return build(team)


def counts(app: App) -> tuple[int, int, int]:
    with app.db.read() as s:
        return tuple(s.execute(select(func.count()).select_from(t)).scalar_one()  # type: ignore[return-value]
                     for t in (Content, AuditEntry, MediaBlob))


@pytest.mark.parametrize(("field", "size"), [("title", 301), ("text", 20_001), ("caption", 10_001),
                                             ("location", 301), ("activity", 2_001)])
def test_the_api_refuses_a_long_field_with_422_and_its_rule(env: WebEnv, field: str, size: int) -> None:
    token = env.token("kreatif")
    before = counts(env.app)
    r = call(env, token, "POST", "/api/v1/content", json={**CONTENT, field: "x" * size})
    assert r.status_code == 422 and r.json()["rule"] == f"limit.{field}"
    assert counts(env.app) == before


def test_a_body_of_megabytes_is_refused_before_it_is_read(env: WebEnv) -> None:
    token = env.token("kreatif")
    before = counts(env.app)
    r = call(env, token, "POST", "/api/v1/content", json={**CONTENT, "title": "x" * 5_000_000})
    assert r.status_code == 413 and r.json()["rule"] == "limit.body_size"

    def chunks() -> Iterator[bytes]:  # no Content-Length: cut off while streaming
        yield b'{"title": "'
        for _ in range(3):
            yield b"x" * (1024 * 1024)

    r = call(env, token, "POST", "/api/v1/content", content=chunks(),
             headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert counts(env.app) == before


def test_a_rejection_note_is_limited_too_and_the_register_stays_as_it_was(env: WebEnv) -> None:
    cid = draft(env.app)
    call(env, env.token("kreatif"), "POST", f"/api/v1/content/{cid}/submit", json={})
    token = env.token("reviu")
    before = counts(env.app)
    r = call(env, token, "POST", f"/api/v1/content/{cid}/reject", json={"note": "n" * 5_000})
    assert r.status_code == 422 and r.json()["rule"] == "limit.note"
    assert counts(env.app) == before


def test_a_file_that_is_not_a_photo_or_video_is_not_stored(env: WebEnv) -> None:
    token = env.token("kreatif")
    before = counts(env.app)
    pdf = b"%PDF-1.7\n" + b"0" * 200_000
    r = call(env, token, "POST", "/api/v1/media", files={"file": ("laporan.jpg", pdf, "image/jpeg")})
    assert r.status_code == 422 and r.json()["rule"] == "limit.media_type"
    ok = call(env, token, "POST", "/api/v1/media", files={"file": ("foto.jpg", jpeg(), "image/jpeg")})
    assert ok.status_code == 201
    assert counts(env.app)[2] == before[2] + 1


def test_an_image_over_its_limit_is_refused_while_uploading(env: WebEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(limits.MEDIA_BYTES, "image", 50_000)  # a small limit, so the test moves little data
    big = jpeg() + b"\0" * 100_000
    r = call(env, env.token("kreatif"), "POST", "/api/v1/media", files={"file": ("foto.jpg", big, "image/jpeg")})
    assert r.status_code == 413 and r.json()["rule"] == "limit.image_size"


def test_the_page_says_it_in_indonesian_with_the_rule(env: WebEnv) -> None:
    c = env.client("kreatif")
    c.csrf()
    form: dict[str, Any] = {"sop": "mojokerto-acc", "title": "J" * 400, "text": "Narasi", "caption": "",
                            "accounts": ["sandbox-facebook"]}
    before = counts(env.app)
    r = c.post("/konten/baru", form)
    assert r.status_code == 422
    assert "Judul terlalu panjang: 400 karakter, paling banyak 300 (aturan limit.title)" in r.text
    assert counts(env.app) == before


def test_a_reply_is_limited_in_every_channel(team: App) -> None:
    case_id = drafted_case(team)
    with team.db.session() as s, pytest.raises(TooLong, match=r"limit\.reply"):
        team.cases(s).draft(team.actor(s, "sosmed"), case_id, "j" * 10_001)


def test_the_cli_gives_one_line_and_writes_nothing(team: App, capsys: pytest.CaptureFixture[str]) -> None:
    from typer.testing import CliRunner

    from humas.cli.common import CliState
    from humas.cli.content import content_app

    state = CliState(None)
    state._app = team
    before = counts(team)
    r = CliRunner().invoke(content_app, ["new", "--title", "J" * 301, "--text", "n", "--as", "kreatif"], obj=state)
    assert isinstance(r.exception, TooLong) and "(rule limit.title)" in str(r.exception)
    assert counts(team) == before
