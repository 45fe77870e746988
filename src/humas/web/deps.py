"""What every request shares: the humas App, the signed-in person (server-side page session or API token), CSRF,
rendering."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from humas import users
from humas.app import App
from humas.errors import HumasError, PermissionDenied
from humas.platforms import Platform
from humas.store.models import User
from humas.web import auth
from humas.web.i18n import LANGUAGES, error_text, translator
from humas.web.nav import nav_items
from humas.web.viewer import Viewer as Viewer  # re-exported: pages name the viewer from here

if TYPE_CHECKING:
    from jinja2 import Environment

    from humas.web.auth import LoginLimiter


class LoginRequired(HumasError):
    """Sign in first."""


class PasswordChangeRequired(HumasError):
    """Choose a new password first."""


class Unauthorized(HumasError):
    """A valid API token is required (Authorization: Bearer <token>)."""


class CsrfFailed(PermissionDenied):
    """The form is stale or did not come from this site (CSRF token missing or wrong); reload the page and retry."""


@dataclass
class WebState:
    """Per-FastAPI-app state (no module-level state): templates, the login limiter, the daemon heartbeat."""

    app: App
    env: Environment
    limiter: LoginLimiter
    heartbeat: Any = None  # Callable[[], dict[str, Any] | None] | None


def state(request: Request) -> WebState:
    st: WebState = request.app.state.web
    return st


def humas(request: Request) -> App:
    return state(request).app


def _viewer(user: User, language: str, *, via_token: bool = False) -> Viewer:
    lang = user.language if user.language in LANGUAGES else language
    return Viewer(id=user.id, name=user.name, display_name=user.display_name or user.name,
                  roles=frozenset(user.role_ids), language=lang, must_change_password=user.must_change_password,
                  via_token=via_token)


PASSWORD_PATHS = ("/akun/sandi", "/logout", "/bahasa")


def session_viewer(request: Request) -> Viewer | None:
    """The person whose live server-side session the cookie names, else ``None``.

    The cookie carries only the random session id (``sid``); the database decides: unknown, ended, idle longer
    than ``web.session_idle_minutes`` or older than ``web.session_max_hours`` signs out, and the cookie forgets the
    id. The session's row id is kept in ``request.state.web_session_id`` (see :func:`current_session_id`).
    """
    cached: Viewer | None = getattr(request.state, "web_viewer", None)
    if cached is not None:
        return cached
    sid = request.session.get("sid")
    if not isinstance(sid, str) or not sid:
        return None
    app = humas(request)
    viewer: Viewer | None = None
    with app.db.session() as s:  # commits the coarse last_seen_at, or the end of a session found timed out
        found = users.resume_session(s, sid, app.clock(), auth.session_policy(app.settings))
        if found is not None:
            row, user = found
            request.state.web_session_id = row.id
            viewer = _viewer(user, app.settings.web.language)
    if viewer is None:
        request.session.pop("sid", None)
        return None
    request.state.web_viewer = viewer
    return viewer


def current_session_id(request: Request) -> int | None:
    """The id of the request's live web session row (after :func:`session_viewer`), else ``None``."""
    value = getattr(request.state, "web_session_id", None)
    return value if isinstance(value, int) else None


def page_viewer(request: Request) -> Viewer:
    """The person signed in through the session cookie; pages raise :class:`LoginRequired` without one."""
    v = session_viewer(request)
    if v is None:
        raise LoginRequired()
    if v.must_change_password and request.url.path not in PASSWORD_PATHS:
        raise PasswordChangeRequired()
    return v


def api_viewer(request: Request) -> Viewer:
    """The owner of the ``Authorization: Bearer`` token; the API never uses the session cookie (so no CSRF)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    app = humas(request)
    with app.db.session() as s:
        user = users.user_for_token(s, token.strip(), app.clock())
        if user is None:
            raise Unauthorized("the API token is unknown, revoked or its user is inactive")
        return _viewer(user, app.settings.web.language, via_token=True)


def anonymous_language(request: Request) -> str:
    lang = request.session.get("lang")
    return lang if lang in LANGUAGES else humas(request).settings.web.language


# --- CSRF -------------------------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 20:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def csrf_protect(request: Request) -> None:
    """Every state-changing page request carries the session's CSRF token (form field or X-CSRF-Token)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if not sent:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not sent or not secrets.compare_digest(expected, sent):
        raise CsrfFailed()


def page_router() -> APIRouter:
    """A router for pages: every state-changing request must carry the CSRF token."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


# --- rendering --------------------------------------------------------------------------------------------------


def flash(request: Request, message: str, kind: str = "ok") -> None:
    items = list(request.session.get("flash", []))
    items.append([kind, message])
    request.session["flash"] = items[-5:]


def has_sandbox(app: App) -> bool:
    """Whether the config has sandbox accounts (the Sandbox page and its link exist only then)."""
    return any(a.platform == Platform.SANDBOX for a in app.settings.accounts)


def render(request: Request, template: str, ctx: dict[str, Any] | None = None, *, viewer: Viewer | None = None,
           status: int = 200) -> HTMLResponse:
    st = state(request)
    lang = viewer.language if viewer else anonymous_language(request)
    context: dict[str, Any] = {
        "request": request, "viewer": viewer, "lang": lang, "_": translator(lang),
        "said": lambda message: error_text(message, lang), "csrf": csrf_token(request),
        "flashes": request.session.pop("flash", []), "nav": nav_items(st.app.sops, viewer, sandbox=has_sandbox(st.app))
        if viewer else [],
        "current_path": request.url.path, "role_label": st.app.sops.role_label,
        "local": lambda dt: local_text(st.app, dt),
    }
    context.update(ctx or {})
    html = st.env.get_template(template).render(context)
    return HTMLResponse(html, status_code=status)


def local_text(app: App, dt: datetime | str | None) -> str:
    if dt is None:
        return "—"
    if isinstance(dt, str):
        try:
            parsed = datetime.fromisoformat(dt)
        except ValueError:
            return dt
    else:
        parsed = dt
    return app.local(parsed).strftime("%d-%m-%Y %H:%M")


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)

