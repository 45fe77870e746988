"""Sign in and out, the language toggle, the profile: password, active sessions and personal API tokens."""

from __future__ import annotations

import logging
import math
import secrets
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from humas import users
from humas.errors import InvalidInput, NotFound
from humas.store import audit
from humas.store.models import ApiToken, User
from humas.web import auth
from humas.web.deps import (
    Viewer,
    current_session_id,
    flash,
    humas,
    page_router,
    page_viewer,
    redirect,
    render,
    session_viewer,
    state,
)
from humas.web.i18n import LANGUAGES, translator

log = logging.getLogger("humas.web")
router = page_router()


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "-"


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    if session_viewer(request) is not None:
        return redirect(_safe_next(next))
    return render(request, "login.html", {"next": _safe_next(next), "error": None, "name": ""})


@router.post("/login")
def login(request: Request, name: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/") -> Response:
    st = state(request)
    app = st.app
    ip = client_ip(request)
    name = name.strip()[:64]
    _ = translator(request.session.get("lang") or app.settings.web.language)
    ctx = {"next": _safe_next(next), "name": name}
    wait = st.limiter.blocked_for(name, ip)
    if wait is not None:
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        log.warning("login refused: too many failures for %r from %s", name, ip)
        return render(request, "login.html", {**ctx, "error": _("Terlalu banyak percobaan gagal. Coba lagi dalam "
                                                                 "{n} menit.", n=minutes)}, status=429)
    with app.db.session() as s:
        user = s.execute(select(User).where(User.name == name)).scalar_one_or_none()
        if not users.verify_password(user, password) or user is None:
            st.limiter.failed(name, ip)
            log.info("login failed for %r from %s", name, ip)
            return render(request, "login.html", {**ctx, "error": _("Nama pengguna atau kata sandi salah.")},
                          status=401)
        if users.needs_rehash(user):
            user.password_hash = users.hash_password(password)
        st.limiter.succeeded(name, ip)
        lang = user.language
        old_sid = request.session.get("sid")
        if isinstance(old_sid, str):  # a browser signing in again leaves no session of the earlier login open
            users.end_session(s, old_sid, app.clock(), "replaced")
        _row, sid = users.start_session(s, user, app.clock(), address=ip,
                                        user_agent=request.headers.get("user-agent", ""))
        request.session.clear()  # a fresh id and CSRF token at every login (no session fixation)
        request.session.update({"sid": sid, "csrf": secrets.token_urlsafe(32), "lang": lang})
        must_change = user.must_change_password
    log.info("login: %s from %s", name, ip)
    return redirect("/akun/sandi" if must_change else ctx["next"])


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session in the database, so that a copy of the cookie no longer signs anyone in."""
    sid = request.session.get("sid")
    if isinstance(sid, str):
        app = humas(request)
        with app.db.session() as s:
            users.end_session(s, sid, app.clock(), "logout")
    lang = request.session.get("lang")
    request.session.clear()
    if lang in LANGUAGES:
        request.session["lang"] = lang
    return redirect("/login")


@router.post("/bahasa")
def set_language(request: Request, lang: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
    if lang not in LANGUAGES:
        raise InvalidInput(f"unknown language '{lang}' (id, en)")
    request.session["lang"] = lang
    viewer = session_viewer(request)
    if viewer is not None:
        with humas(request).db.session() as s:
            user = s.get(User, viewer.id)
            if user is not None:
                user.language = lang
    return redirect(_safe_next(next))


@router.get("/akun")
def profile(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)]) -> Response:
    return _profile(request, viewer)


def _profile(request: Request, viewer: Viewer, new_token: str | None = None) -> Response:
    app = humas(request)
    with app.db.session() as s:
        tokens = list(s.execute(select(ApiToken).where(ApiToken.user_id == viewer.id)
                                .order_by(ApiToken.id.desc())).scalars())
        sessions = users.live_sessions(s, viewer.id, app.clock(), auth.session_policy(app.settings))
        return render(request, "profile.html", {"tokens": tokens, "new_token": new_token, "sessions": sessions,
                                                "this_session": current_session_id(request),
                                                "session_idle": app.settings.web.session_idle_minutes,
                                                "session_hours": app.settings.web.session_max_hours},
                      viewer=viewer)


@router.get("/akun/sandi")
def password_form(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)]) -> Response:
    return render(request, "password.html", {"error": None}, viewer=viewer)


@router.post("/akun/sandi")
def change_password(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)],
                    current: Annotated[str, Form()] = "", new: Annotated[str, Form()] = "",
                    confirm: Annotated[str, Form()] = "") -> Response:
    app = humas(request)
    _ = translator(viewer.language)
    with app.db.session() as s:
        user = s.get(User, viewer.id)
        if user is None:
            raise NotFound("user not found")
        error = None
        if not users.verify_password(user, current):
            error = _("Kata sandi saat ini salah.")
        elif new != confirm:
            error = _("Kata sandi baru dan konfirmasinya berbeda.")
        elif new == current:
            error = _("Kata sandi baru harus berbeda dari yang lama.")
        else:
            try:
                users.set_password(s, user, new, now=app.clock(), keep_session=current_session_id(request))
            except InvalidInput:
                error = _("Kata sandi minimal {n} karakter dan bukan nama pengguna.", n=users.MIN_PASSWORD)
        if error:
            return render(request, "password.html", {"error": error}, viewer=viewer, status=400)
        audit.append(s, actor=user.name, action="user.password_changed", subject_type="user", subject_id=user.name,
                     at=app.clock())
    flash(request, _("Kata sandi diganti."))
    return redirect("/")


@router.post("/akun/token")
def create_token(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)],
                 name: Annotated[str, Form()] = "") -> Response:
    app = humas(request)
    with app.db.session() as s:
        user = s.get(User, viewer.id)
        if user is None:
            raise NotFound("user not found")
        _row, token = users.create_token(s, user, name, app.clock())
    return _profile(request, viewer, new_token=token)


@router.post("/akun/token/{token_id}/cabut")
def revoke_token(request: Request, token_id: int, viewer: Annotated[Viewer, Depends(page_viewer)]) -> Response:
    app = humas(request)
    with app.db.session() as s:
        user = s.get(User, viewer.id)
        if user is None:
            raise NotFound("user not found")
        users.revoke_token(s, user, token_id, app.clock())
    flash(request, translator(viewer.language)("Token dicabut."))
    return redirect("/akun")


@router.post("/akun/sesi/lain/akhiri")
def end_other_sessions(request: Request, viewer: Annotated[Viewer, Depends(page_viewer)]) -> Response:
    """Sign out every other browser of the viewer; this one stays signed in."""
    app = humas(request)
    with app.db.session() as s:
        ended = users.end_sessions(s, viewer.id, app.clock(), reason="ended_by_user",
                                   keep=current_session_id(request))
        if ended:
            audit.append(s, actor=viewer.name, action="user.sessions_ended", subject_type="user",
                         subject_id=viewer.name, data={"sessions": ended}, at=app.clock())
    flash(request, translator(viewer.language)("Sesi lain diakhiri: {n}.", n=ended))
    return redirect("/akun#sesi")


@router.post("/akun/sesi/{session_id}/akhiri")
def end_session(request: Request, session_id: int, viewer: Annotated[Viewer, Depends(page_viewer)]) -> Response:
    """End one of the viewer's own sessions (ending the current one signs this browser out)."""
    app = humas(request)
    with app.db.session() as s:
        user = s.get(User, viewer.id)
        if user is None:
            raise NotFound("user not found")
        users.end_own_session(s, user, session_id, app.clock())
        audit.append(s, actor=viewer.name, action="user.sessions_ended", subject_type="user",
                     subject_id=viewer.name, data={"sessions": 1}, at=app.clock())
    if session_id == current_session_id(request):
        request.session.pop("sid", None)
        return redirect("/login")
    flash(request, translator(viewer.language)("Sesi diakhiri."))
    return redirect("/akun#sesi")
