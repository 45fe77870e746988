"""Accounts on the web: login, rate limit, logout, first admin, forced password change, CSRF, security headers."""

from __future__ import annotations

import os
import stat
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.routing import APIRoute
from sqlalchemy import select

from humas import users
from humas.app import App
from humas.store.models import User
from humas.testing import FakeClock
from humas.web import auth
from humas.web.app import create_app
from humas.web.pages import routers
from tests.integration.test_web_helpers import PASSWORD, Client, WebEnv, build


@pytest.fixture
def env(team: App) -> WebEnv:
    return build(team)


def test_login_and_logout(env: WebEnv) -> None:
    c = env.anonymous()
    assert c.get("/").status_code == 303 and c.get("/").headers["location"] == "/login"
    assert c.get("/konten?status=draft").headers["location"] == "/login?next=/konten%3Fstatus%3Ddraft"
    r = c.login("kreatif")
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert c.get("/").status_code == 200
    assert c.post("/logout").status_code == 303
    assert c.get("/").status_code == 303


def test_a_hash_made_with_the_old_64_mib_profile_signs_in_and_is_rehashed(env: WebEnv) -> None:
    old = PasswordHasher()  # the library's default profile, which humas used before (64 MiB per hash)
    with env.app.db.session() as s:
        s.execute(select(User).where(User.name == "kreatif")).scalar_one().password_hash = old.hash(PASSWORD)
    assert env.anonymous().login("kreatif").status_code == 303
    with env.app.db.session() as s:
        stored = s.execute(select(User.password_hash).where(User.name == "kreatif")).scalar_one()
    assert "$m=19456,t=2,p=1$" in stored and old.verify(stored, PASSWORD)


def test_wrong_password_and_unknown_user_look_the_same(env: WebEnv) -> None:
    c = env.anonymous()
    a = c.login("kreatif", "salah-sekali-123")
    b = c.login("tidak-ada", "salah-sekali-123")
    assert a.status_code == b.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in a.text and "Nama pengguna atau kata sandi salah." in b.text


def test_login_rate_limit_per_user_and_address(env: WebEnv, clock: FakeClock) -> None:
    c = env.anonymous()
    for _ in range(5):
        assert c.login("reviu", "salah-sekali-123").status_code == 401
    blocked = c.login("reviu")  # even the right password is refused while blocked
    assert blocked.status_code == 429
    assert "Terlalu banyak percobaan" in blocked.text
    assert c.login("editor").status_code == 303  # another user from the same address is not blocked
    clock.now += timedelta(minutes=16)
    assert env.anonymous().login("reviu").status_code == 303


def test_next_is_only_a_local_path(env: WebEnv) -> None:
    c = env.anonymous()
    token = c.csrf()
    r = c.http.post("/login", data={"name": "kreatif", "password": PASSWORD, "csrf_token": token,
                                    "next": "//evil.example/x"})
    assert r.headers["location"] == "/"


def test_first_start_creates_admin_with_one_time_password(make_app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    app: App = make_app(db_url)
    printed: list[str] = []
    password = users.ensure_admin(app.db, app.clock, printed.append)
    assert password and len(printed) == 1 and password in printed[0]
    assert users.ensure_admin(app.db, app.clock, printed.append) is None and len(printed) == 1  # only once
    with app.db.session() as s:
        admin = s.execute(select(User).where(User.name == "admin")).scalar_one()
        assert admin.must_change_password and "admin" in admin.role_ids
        assert admin.password_hash and password not in admin.password_hash
    api = create_app(app, first_admin=False)
    c = Client(api)
    r = c.login("admin", password)
    assert r.headers["location"] == "/akun/sandi"
    assert c.get("/").headers["location"] == "/akun/sandi"  # nothing else until the password is changed
    c.name = "admin"
    weak = c.post("/akun/sandi", {"current": password, "new": "pendek", "confirm": "pendek"})
    assert weak.status_code == 400
    ok = c.post("/akun/sandi", {"current": password, "new": "sandi-baru-yang-panjang", "confirm":
                                "sandi-baru-yang-panjang"})
    assert ok.status_code == 303
    assert c.get("/").status_code == 200
    assert c.get("/admin").status_code == 200


def test_password_change_ends_other_sessions(env: WebEnv) -> None:
    first = env.client("kreatif")
    second = Client(env.api)
    assert second.login("kreatif").status_code == 303
    second.name = "kreatif"
    r = second.post("/akun/sandi", {"current": PASSWORD, "new": "sandi-baru-kreatif", "confirm": "sandi-baru-kreatif"})
    assert r.status_code == 303
    assert second.get("/").status_code == 200
    assert first.get("/").status_code == 303  # the other session was ended in the database


def test_deactivated_user_is_signed_out(env: WebEnv) -> None:
    c = env.client("pj")
    with env.app.db.session() as s:
        s.execute(select(User).where(User.name == "pj")).scalar_one().active = False
    assert c.get("/").status_code == 303
    assert env.anonymous().login("pj").status_code == 401


def _page_posts() -> list[str]:
    """Every POST route of the pages (the API uses tokens, not cookies, so it needs no CSRF token)."""
    paths = []
    for router in routers():
        for route in router.routes:
            if not (isinstance(route, APIRoute) and "POST" in route.methods):
                continue
            paths.append(route.path.replace("{content_id}", "1").replace("{job_id}", "1").replace("{case_id}", "1")
                         .replace("{comment_id}", "1").replace("{token_id}", "1").replace("{name}", "kreatif")
                         .replace("{session_id}", "1"))
    return paths


def test_every_page_post_needs_the_csrf_token(env: WebEnv) -> None:
    c = env.client("admin")
    paths = _page_posts()
    assert "/login" in paths and "/konten/baru" in paths and "/eskalasi/1/setujui" in paths and len(paths) > 20
    assert "/akun/sesi/lain/akhiri" in paths and "/akun/sesi/1/akhiri" in paths
    for path in paths:
        missing = c.post(path, {}, csrf=False)
        assert missing.status_code == 403, path
        wrong = c.http.post(path, data={"csrf_token": "x" * 43})
        assert wrong.status_code == 403, path
    # a cross-site form post with another session's token is refused too
    other = env.client("kreatif")
    assert c.http.post("/konten/baru", data={"csrf_token": other.csrf(), "title": "x"}).status_code == 403


def test_csrf_header_is_accepted(env: WebEnv) -> None:
    c = env.client("kreatif")
    r = c.http.post("/bahasa", data={"lang": "en", "next": "/"}, headers={"X-CSRF-Token": c.csrf()})
    assert r.status_code == 303
    assert "Content" in c.get("/konten").text


def test_security_headers(env: WebEnv) -> None:
    c = env.client("kreatif")
    for path in ("/", "/login", "/static/style.css", "/healthz", "/api/v1/me"):
        r = c.get(path)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
    assert c.get("/").headers["cache-control"] == "no-store"
    cookie = env.anonymous().get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_session_key_generated_once_with_private_permissions(env: WebEnv) -> None:
    path = env.app.settings.data_dir / auth.SECRET_FILE
    assert path.is_file()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert auth.secret_key(env.app.settings) == auth.secret_key(env.app.settings)


def test_healthz(env: WebEnv) -> None:
    r = env.anonymous().get("/healthz")
    assert r.status_code == 200 and r.json() == {"ok": True, "database": True, "scheduler": None}
    api = create_app(env.app, first_admin=False, heartbeat=lambda: {"ok": False, "last_tick": "x"})
    r = Client(api).get("/healthz")
    assert r.status_code == 503 and r.json()["scheduler"]["ok"] is False


def test_no_password_or_hash_in_pages(env: WebEnv) -> None:
    c = env.client("admin")
    with env.app.db.session() as s:
        hashes = [u.password_hash for u in s.execute(select(User)).scalars() if u.password_hash]
    for path in ("/admin", "/register", "/akun", "/register.csv"):
        body = c.get(path).text
        assert PASSWORD not in body
        assert not any(h and h in body for h in hashes)
