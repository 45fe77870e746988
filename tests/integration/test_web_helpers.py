"""Helpers for the web and API tests (no tests here): users with passwords, signed-in clients, seeded data.

Each test module defines its own small fixtures on top of these (fixtures imported across modules trip linters).
"""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from humas import users
from humas.app import App
from humas.escalation.cases import open_case
from humas.publisher.base import Platform
from humas.publisher.sandbox import SandboxPlatform
from humas.store.models import Case, Comment, Content, JobState, Post, PublicationJob, User
from humas.web.app import create_app

PASSWORD = "kata-sandi-uji-123"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HOSTILE = '<script>alert("x")</script><img src=x onerror="alert(1)"> Pelayanan buruk sekali!'


class Client:
    """A browser-like client for one user: its own cookie jar, the CSRF token taken from the pages."""

    def __init__(self, api: FastAPI, name: str | None = None) -> None:
        self.http = TestClient(api, follow_redirects=False)
        self.name = name
        self._csrf: str | None = None

    def csrf(self) -> str:
        if self._csrf is None:
            page = self.http.get("/login" if self.name is None else "/akun", follow_redirects=True)
            m = CSRF.search(page.text)
            assert m, f"no CSRF token on the page ({page.status_code})"
            self._csrf = m.group(1)
        return self._csrf

    def login(self, name: str, password: str = PASSWORD) -> Any:
        token = CSRF.search(self.http.get("/login").text)
        assert token
        r = self.http.post("/login", data={"name": name, "password": password, "csrf_token": token.group(1)})
        if r.status_code == 303:
            self.name = name
            self._csrf = None
        return r

    def get(self, path: str, **kw: Any) -> Any:
        return self.http.get(path, **kw)

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kw: Any) -> Any:
        body = dict(data or {})
        if csrf:
            body["csrf_token"] = self.csrf()
        return self.http.post(path, data=body, **kw)


@dataclass
class WebEnv:
    app: App
    api: FastAPI
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, name: str) -> Client:
        if name not in self.clients:
            c = Client(self.api)
            r = c.login(name)
            assert r.status_code == 303, f"login of {name} failed: {r.status_code}"
            self.clients[name] = c
        return self.clients[name]

    def anonymous(self) -> Client:
        return Client(self.api)

    def token(self, name: str) -> str:
        with self.app.db.session() as s:
            user = s.execute(select(User).where(User.name == name)).scalar_one()
            _row, token = users.create_token(s, user, "test", self.app.clock())
        return token


@functools.cache
def _hash() -> str:
    return users.hash_password(PASSWORD)


def with_passwords(app: App) -> None:
    """Give every user the test password (the fixtures' users have none); one argon2 hash serves them all."""
    with app.db.session() as s:
        for user in s.execute(select(User)).scalars():
            user.password_hash = _hash()


def build(app: App) -> WebEnv:
    with_passwords(app)
    return WebEnv(app, create_app(app, first_admin=False))


def jpeg(width: int = 1080, height: int = 1080) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buf, "JPEG")
    return buf.getvalue()


# --- seeded data through the real services ------------------------------------------------------------------

MOJOKERTO_CHAIN = ["reviu", "editor", "reviu", "redaktur", "pimred", "pj"]


def draft(app: App, title: str = "Sosialisasi anti korupsi", accounts: tuple[str, ...] = ("sandbox-x",),
          author: str = "kreatif") -> int:
    with app.db.session() as s:
        c = app.workflow(s).create(
            app.actor(s, author), sop_id="mojokerto-acc", title=title, text="Narasi kegiatan sosialisasi.",
            caption="Ayo cegah korupsi", accounts=list(accounts))
        return c.id


def advance(app: App, content_id: int, reviewers: list[str]) -> None:
    """Submit (if a draft) and approve with each reviewer in turn."""
    with app.db.session() as s:
        wf = app.workflow(s)
        c = wf.get(content_id)
        if c.status == "draft":
            wf.submit(app.actor(s, "kreatif"), content_id)
        for name in reviewers:
            wf.approve(app.actor(s, name), content_id)


def approved(app: App, title: str = "Konten disetujui", accounts: tuple[str, ...] = ("sandbox-x",)) -> int:
    cid = draft(app, title, accounts)
    advance(app, cid, MOJOKERTO_CHAIN)
    return cid


def published_comment(app: App, text: str = HOSTILE, *, label: str = "negative", case: bool = True,
                      account: str = "sandbox-x") -> tuple[int, int | None]:
    """A published post of approved content with one classified public comment (and its case)."""
    cid = approved(app, "Unggahan dengan komentar", (account,))
    now = app.clock()
    sandbox = SandboxPlatform(app.settings.sandbox_db, app.clock)
    try:
        remote = sandbox.create_post(account, f"Ayo cegah korupsi ({cid})", imitates=Platform.X)
        remote_comment = sandbox.add_comment(remote.remote_id, text, "warga")
    finally:
        sandbox.close()
    with app.db.session() as s:
        c = s.get(Content, cid)
        assert c is not None
        c.status = "published"
        job = PublicationJob(kind="post", dedupe_key=f"post:{cid}:{account}", content_id=cid, account=account,
                             platform="sandbox", version_hash=c.version_hash, run_at=now, state=JobState.PUBLISHED,
                             remote_id=remote.remote_id, remote_url=remote.url,
                             published_at=now, created_at=now, updated_at=now)
        s.add(job)
        s.flush()
        post = Post(job_id=job.id, content_id=cid, account=account, platform="sandbox", remote_id=remote.remote_id,
                    remote_url=job.remote_url, published_at=now)
        s.add(post)
        s.flush()
        comment = Comment(post_id=post.id, platform="sandbox", account=account, remote_id=remote_comment.remote_id,
                          author_handle="@warga<b>", text=text, created_at=now + timedelta(minutes=5),
                          fetched_at=now, label=label, p_negative=0.97 if label == "negative" else 0.1,
                          escalate=label == "negative", classified_at=now)
        s.add(comment)
        s.flush()
        case_id = None
        if case:
            opened = open_case(app.env, s, comment, "negative", now)
            assert opened is not None
            case_id = opened.id
        return comment.id, case_id


def failed_job(app: App) -> int:
    cid = approved(app, "Gagal terbit")
    now = app.clock()
    with app.db.session() as s:
        c = s.get(Content, cid)
        assert c is not None
        c.status = "scheduled"
        job = PublicationJob(kind="post", dedupe_key=f"post:{cid}:sandbox-x", content_id=cid, account="sandbox-x",
                             platform="sandbox", version_hash=c.version_hash, run_at=now, state=JobState.FAILED,
                             attempts=8, last_error="sandbox: 503 <Service Unavailable>", created_at=now,
                             updated_at=now)
        s.add(job)
        s.flush()
        return job.id


def case_status(app: App, case_id: int) -> str:
    with app.db.session() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case.status


def drafted_case(app: App, text: str = "Mohon maaf, laporan Anda kami teruskan ke dinas terkait.") -> int:
    _comment, case_id = published_comment(app, "Jalan rusak tidak pernah diperbaiki!")
    assert case_id is not None
    with app.db.session() as s:
        app.cases(s).draft(app.actor(s, "sosmed"), case_id, text)
    return case_id
