"""The FastAPI application: server-rendered pages (Jinja2, autoescaped), ``/api/v1``, ``/media``, ``/healthz``.

Built from one :class:`humas.app.App` (no module-level state). Every action goes through the same services and
:mod:`humas.authz` rules as the CLI; their errors become status codes here (403 PermissionDenied, 404 NotFound,
400 InvalidInput/RequirementsNotMet, 409 InvalidTransition).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from humas import limits, users
from humas.app import App
from humas.errors import (
    ConfigError,
    HumasError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    PublishError,
    RequirementsNotMet,
    RuleBroken,
    TooLarge,
    Unavailable,
)
from humas.web import auth
from humas.web.deps import (
    LoginRequired,
    PasswordChangeRequired,
    Unauthorized,
    WebState,
    redirect,
    render,
)
from humas.web.security import BodyLimit, SecurityHeaders

log = logging.getLogger("humas.web")
HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "humas_session"


def status_for(exc: HumasError) -> int:
    if isinstance(exc, TooLarge):
        return 413
    if isinstance(exc, RuleBroken):  # a limit (too long, not a photo or video): well-formed but refused
        return 422
    if isinstance(exc, Unauthorized):
        return 401
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, InvalidTransition):
        return 409
    if isinstance(exc, InvalidInput | RequirementsNotMet | PublishError):
        return 400
    if isinstance(exc, Unavailable):
        return 503
    if isinstance(exc, ConfigError):
        return 500
    return 400


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def make_env() -> Environment:
    from humas.web.i18n import status_text

    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["status_text"] = status_text
    return env


def create_app(app: App, *, heartbeat: Callable[[], dict[str, Any] | None] | None = None,
               first_admin: bool = True) -> FastAPI:
    """The web interface and API of ``app``.

    ``heartbeat``: the daemon's liveness for ``/healthz`` when the app runs inside ``humas run``.
    ``first_admin``: on start-up, create the first admin with a one-time password when no user has a password.
    """

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if first_admin:
            users.ensure_admin(app.db, app.clock)
        yield

    api = FastAPI(title="humas API", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json",
                  description="The humas REST API: the same authorisation as the CLI and the pages. "
                              "Authenticate with a personal token: `Authorization: Bearer <token>` "
                              "(create one under Akun). Errors are `{\"error\": message}`.")
    from humas.web.auth import LoginLimiter

    api.state.web = WebState(app=app, env=make_env(), limiter=LoginLimiter(app.clock), heartbeat=heartbeat)
    https = bool(app.settings.web.public_base_url and app.settings.web.public_base_url.startswith("https://"))
    # the signed cookie carries the random session id, the CSRF token, the language and flashes; whether the id
    # still signs anyone in is decided by the web_sessions table on every request (deps.session_viewer)
    api.add_middleware(SessionMiddleware, secret_key=auth.secret_key(app.settings), session_cookie=SESSION_COOKIE,
                       max_age=app.settings.web.session_max_hours * 3600, same_site="lax", https_only=https)
    api.add_middleware(SecurityHeaders)
    api.add_middleware(BodyLimit, limit=limits.BODY_BYTES)
    api.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    _install_error_handlers(api)

    from humas.web.api import router as api_router
    from humas.web.pages import routers as page_routers

    for r in page_routers():
        api.include_router(r)
    api.include_router(api_router(), prefix="/api/v1")
    _include_webhooks(api, app)

    @api.get("/healthz", tags=["health"], summary="Liveness: database reachable, scheduler heartbeat")
    def healthz() -> JSONResponse:
        db_ok = True
        try:
            with app.db.session() as s:
                s.execute(text("SELECT 1"))
        except Exception:  # any database failure means not healthy; the reason goes to the log, not the answer
            log.exception("healthz: database unreachable")
            db_ok = False
        beat = None
        if heartbeat is not None:
            try:
                beat = heartbeat()
            except Exception:
                log.exception("healthz: heartbeat failed")
                beat = {"ok": False}
        ok = db_ok and (beat is None or bool(beat.get("ok", True)))
        return JSONResponse({"ok": ok, "database": db_ok, "scheduler": beat}, status_code=200 if ok else 503)

    return api


def _include_webhooks(api: FastAPI, app: App) -> None:
    """Meta webhooks (``/webhooks/meta``) from the monitoring area."""
    from humas.monitor.webhooks import webhook_router

    api.include_router(webhook_router(app.env, after_store=app.process_comments))


def _install_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(HumasError)
    async def humas_error(request: Request, exc: HumasError) -> Response:
        if isinstance(exc, LoginRequired):
            nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return redirect("/login" + (f"?next={quote(nxt)}" if nxt != "/" else ""))
        if isinstance(exc, PasswordChangeRequired):
            return redirect("/akun/sandi")
        code = status_for(exc)
        if code >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc.message)
        if _is_api(request) or request.url.path.startswith("/webhooks/"):
            headers = {"WWW-Authenticate": "Bearer"} if code == 401 else None
            body = {"error": exc.message, **({"rule": exc.rule} if isinstance(exc, RuleBroken) else {})}
            return JSONResponse(body, status_code=code, headers=headers)
        return _error_page(request, code, exc.message, exc.indonesian if isinstance(exc, RuleBroken) else None)

    @api.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for err in exc.errors()[:3]:
            loc = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path"))
            parts.append(f"{loc}: {err.get('msg', 'invalid')}" if loc else str(err.get("msg", "invalid")))
        message = "invalid request: " + "; ".join(parts)
        if _is_api(request):
            return JSONResponse({"error": message}, status_code=400)
        return _error_page(request, 400, message)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail) if exc.detail else "error"
        if _is_api(request) or not _accepts_html(request):
            return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)
        return _error_page(request, exc.status_code, message)


def _accepts_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") or request.method == "POST"


def _error_page(request: Request, code: int, message: str, indonesian: str | None = None) -> Response:
    from humas.web.deps import anonymous_language, page_viewer

    viewer = None
    try:
        viewer = page_viewer(request)
    except Exception:  # the error page must render even when the session or the database is the problem
        viewer = None
    lang = viewer.language if viewer else anonymous_language(request)
    shown = indonesian if indonesian is not None and lang == "id" else message
    return render(request, "error.html", {"code": code, "message": shown}, viewer=viewer, status=code)
