"""Server-side web sessions: logout, password changes, deactivation and timeouts end them in the database.

The browser holds only a random session id (inside the signed cookie); ``web_sessions`` holds its sha256.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import select, text
from typer.testing import CliRunner

from humas import users
from humas.app import App
from humas.cli.admin import user_app
from humas.cli.common import CliState
from humas.store.models import User, WebSession
from humas.testing import FakeClock
from humas.web.app import SESSION_COOKIE
from tests.conftest import add_user
from tests.integration.test_web_helpers import PASSWORD, Client, WebEnv, build


@pytest.fixture
def env(team: App) -> WebEnv:
    return build(team)


def cookie(c: Client) -> str:
    value = c.http.cookies.get(SESSION_COOKIE)
    assert value
    return value


def copy_of(env: WebEnv, c: Client) -> Client:
    """Another browser that was handed a copy of ``c``'s session cookie."""
    other = Client(env.api, c.name)
    [original] = [ck for ck in c.http.cookies.jar if ck.name == SESSION_COOKIE]
    other.http.cookies.set(SESSION_COOKIE, cookie(c), domain=original.domain, path=original.path)
    return other


def session_id(c: Client) -> str:
    """The session id inside the signed cookie (base64 JSON, then timestamp and signature)."""
    payload = cookie(c).split(".")[0]
    data = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    sid = data["sid"]
    assert isinstance(sid, str)
    return sid


def rows(app: App, name: str) -> list[WebSession]:
    with app.db.session() as s:
        uid = s.execute(select(User.id).where(User.name == name)).scalar_one()
        return list(s.execute(select(WebSession).where(WebSession.user_id == uid).order_by(WebSession.id)).scalars())


def signed_in(c: Client) -> bool:
    r = c.get("/")
    assert r.status_code in (200, 303), r.status_code
    return bool(r.status_code == 200 or r.headers["location"] == "/akun/sandi")


def test_a_copied_cookie_stops_working_after_logout(env: WebEnv) -> None:
    c = env.client("kreatif")
    copy = copy_of(env, c)
    assert signed_in(copy)  # the copy works while the session lives
    assert c.post("/logout").status_code == 303
    assert not signed_in(c)
    assert not signed_in(copy)
    assert copy.get("/akun").headers["location"] == "/login?next=/akun"
    [row] = rows(env.app, "kreatif")
    assert row.ended_at is not None and row.end_reason == "logout"


def test_login_gives_a_new_session_id_and_ends_the_browsers_earlier_one(env: WebEnv) -> None:
    c = env.client("kreatif")
    before = session_id(c)
    copy = copy_of(env, c)
    assert c.get("/login").headers["location"] == "/"  # signed in: no login form
    r = c.http.post("/login", data={"name": "editor", "password": PASSWORD, "csrf_token": c.csrf()})
    assert r.status_code == 303
    assert session_id(c) != before
    assert not signed_in(copy)
    assert [r.end_reason for r in rows(env.app, "kreatif")] == ["replaced"]


def test_the_session_id_is_stored_only_hashed(env: WebEnv) -> None:
    c = env.client("kreatif")
    sid = session_id(c)
    assert len(sid) >= 40
    with env.app.db.engine.connect() as conn:
        stored = [tuple(str(v) for v in r) for r in conn.execute(text("SELECT * FROM web_sessions")).all()]
    assert len(stored) == 1
    assert not any(sid in value for value in stored[0])
    [row] = rows(env.app, "kreatif")
    assert row.sid_hash == hashlib.sha256(sid.encode()).hexdigest()
    assert "testclient" in row.user_agent and row.address == "testclient"


def test_own_password_change_ends_the_other_sessions_and_keeps_this_one(env: WebEnv) -> None:
    other = env.client("kreatif")
    this = Client(env.api)
    assert this.login("kreatif").status_code == 303
    copy_of_other = copy_of(env, other)
    r = this.post("/akun/sandi", {"current": PASSWORD, "new": "sandi-baru-kreatif", "confirm": "sandi-baru-kreatif"})
    assert r.status_code == 303
    assert signed_in(this)
    assert not signed_in(other) and not signed_in(copy_of_other)
    first, second = rows(env.app, "kreatif")
    assert first.end_reason == "password" and second.ended_at is None


def test_admin_password_reset_ends_all_sessions_of_that_user(env: WebEnv) -> None:
    admin = env.client("admin")
    victim = env.client("kreatif")
    copy = copy_of(env, victim)
    r = admin.post("/admin/pengguna/kreatif/sandi")
    assert r.status_code == 200
    assert not signed_in(victim) and not signed_in(copy)
    assert [row.end_reason for row in rows(env.app, "kreatif")] == ["password"]
    assert signed_in(admin)


def test_admin_deactivation_ends_sessions_and_reactivation_does_not_revive_them(env: WebEnv) -> None:
    admin = env.client("admin")
    pj = env.client("pj")
    copy = copy_of(env, pj)
    assert admin.post("/admin/pengguna/pj/aktif", {"active": "0"}).status_code == 303
    assert admin.post("/admin/pengguna/pj/aktif", {"active": "1"}).status_code == 303
    assert not signed_in(pj) and not signed_in(copy)  # an old cookie stays dead after the user is active again
    assert [row.end_reason for row in rows(env.app, "pj")] == ["deactivated"]
    assert env.anonymous().login("pj").status_code == 303


def test_library_ends_sessions_for_every_caller(env: WebEnv, clock: FakeClock) -> None:
    c = env.client("reviu")
    with env.app.db.session() as s:
        user = s.execute(select(User).where(User.name == "reviu")).scalar_one()
        users.set_active(s, user, True, now=clock())  # activating ends nothing
    assert signed_in(c)
    with env.app.db.session() as s:
        user = s.execute(select(User).where(User.name == "reviu")).scalar_one()
        users.set_password(s, user, "sandi-dari-skrip-123")  # no clock given: the CLI's call
    assert not signed_in(c)
    [row] = rows(env.app, "reviu")
    assert row.ended_at is not None and row.end_reason == "password"


def test_cli_user_password_ends_the_users_sessions(env: WebEnv, db_url: str, tmp_path: Path) -> None:
    c = env.client("editor")
    root = typer.Typer()

    @root.callback()
    def _root(ctx: typer.Context, config: Path = typer.Option(..., "--config")) -> None:
        ctx.obj = CliState(config)

    root.add_typer(user_app, name="user")
    config = tmp_path / "humas.toml"
    config.write_text(f'data_dir = "{env.app.settings.data_dir}"\ndatabase_url = "{db_url}"\n', encoding="utf-8")
    result = CliRunner().invoke(root, ["--config", str(config), "user", "password", "editor", "--stdin"],
                                input="sandi-baru-dari-cli\n")
    assert result.exit_code == 0, (result.output, result.exception)
    assert not signed_in(c)
    assert env.anonymous().login("editor", "sandi-baru-dari-cli").status_code == 303


def test_idle_sessions_end(env: WebEnv, clock: FakeClock) -> None:
    c = env.client("kreatif")
    copy = copy_of(env, c)
    for _ in range(3):  # activity keeps it alive well past the idle limit (120 minutes by default)
        clock.advance(minutes=110)
        assert signed_in(c)
    clock.advance(minutes=121)
    assert not signed_in(c) and not signed_in(copy)
    [row] = rows(env.app, "kreatif")
    assert row.end_reason == "idle"
    assert c.login("kreatif").status_code == 303 and signed_in(c)


def test_sessions_end_after_the_maximum_age_however_active(env: WebEnv, clock: FakeClock) -> None:
    c = env.client("kreatif")
    for _ in range(11):  # 11 h 55 min of steady use
        clock.advance(minutes=65)
        assert signed_in(c)
    clock.advance(minutes=5)  # 12 h after sign-in (the default web.session_max_hours)
    assert not signed_in(c)
    [row] = rows(env.app, "kreatif")
    assert row.end_reason == "expired"


def test_timeouts_follow_the_settings(make_app: Callable[..., Any], db_url: str, clock: FakeClock) -> None:
    app: App = make_app(db_url, web={"session_idle_minutes": 10, "session_max_hours": 1})
    add_user(app, "kreatif", "tim_konten_kreatif")
    env = build(app)
    c = env.client("kreatif")
    clock.advance(minutes=9)
    assert signed_in(c)
    clock.advance(minutes=11)
    assert not signed_in(c)
    assert c.login("kreatif").status_code == 303
    for _ in range(6):
        clock.advance(minutes=9)
        assert signed_in(c)
    clock.advance(minutes=9)  # 63 minutes
    assert not signed_in(c)


def test_last_seen_is_written_at_most_once_a_minute(env: WebEnv, clock: FakeClock) -> None:
    c = env.client("kreatif")
    [row] = rows(env.app, "kreatif")
    started = row.last_seen_at
    clock.advance(seconds=50)
    assert signed_in(c)
    assert rows(env.app, "kreatif")[0].last_seen_at == started  # a read stays a read
    clock.advance(seconds=20)
    assert signed_in(c)
    assert rows(env.app, "kreatif")[0].last_seen_at == started + timedelta(seconds=70)


def test_the_account_page_lists_sessions_and_ends_the_others(env: WebEnv) -> None:
    this = env.client("sosmed")
    other = Client(env.api)
    assert other.login("sosmed").status_code == 303
    elsewhere = env.client("redaktur")
    page = this.get("/akun")
    assert "Sesi aktif" in page.text and page.text.count("Sesi ini") == 1
    assert page.text.count('/akhiri" class="inline"') == 1 and "Akhiri semua sesi lain" in page.text
    r = this.post("/akun/sesi/lain/akhiri")
    assert r.status_code == 303 and r.headers["location"] == "/akun#sesi"
    assert "Sesi lain diakhiri: 1." in this.get("/akun").text
    assert signed_in(this) and not signed_in(other) and signed_in(elsewhere)
    assert [row.end_reason for row in rows(env.app, "sosmed")] == ["", "ended_by_user"]


def test_ending_one_session_only_of_ones_own(env: WebEnv) -> None:
    this = env.client("sosmed")
    other = Client(env.api)
    assert other.login("sosmed").status_code == 303
    admin = env.client("admin")
    admin_row = rows(env.app, "admin")[0]
    assert this.post(f"/akun/sesi/{admin_row.id}/akhiri").status_code == 404
    assert signed_in(admin)
    other_row = rows(env.app, "sosmed")[1]
    assert this.post(f"/akun/sesi/{other_row.id}/akhiri").status_code == 303
    assert not signed_in(other) and signed_in(this)
    own_row = rows(env.app, "sosmed")[0]
    r = this.post(f"/akun/sesi/{own_row.id}/akhiri")
    assert r.headers["location"] == "/login" and not signed_in(this)


def test_the_session_list_is_in_english_when_chosen(env: WebEnv) -> None:
    c = env.client("kreatif")
    assert c.post("/bahasa", {"lang": "en", "next": "/akun"}).status_code == 303
    page = c.get("/akun").text
    assert "Active sessions" in page and "This session" in page


def test_api_tokens_are_separate_from_sessions(env: WebEnv) -> None:
    token = env.token("kreatif")
    c = env.client("kreatif")
    assert copy_of(env, c).get("/api/v1/me").status_code == 401  # the API never takes the session cookie
    assert c.post("/logout").status_code == 303
    r = env.anonymous().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["name"] == "kreatif"
