"""The FastAPI application: server-rendered pages (Jinja2, autoescaped), ``/api/v1``, ``/media``, ``/healthz``,
``/metrics``.

Built from one :class:`humas.app.App` (no module-level state). Every action goes through the same services and
:mod:`humas.authz` rules as the CLI; their errors become status codes here (403 PermissionDenied, 404 NotFound,
400 InvalidInput/RequirementsNotMet and any request the schema refuses, 409 InvalidTransition, 422 a broken limit,
413 too large). Anything else a handler raises is logged and answered 500 in the same shape (JSON for the API, an
Indonesian page for pages), never by the server's bare text, and the connection stays open.
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
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
from humas.store import migrate
from humas.web import auth
from humas.web.api import finish_schema
from humas.web.api.schemas import HealthOut
from humas.web.deps import (
    LoginRequired,
    PasswordChangeRequired,
    Unauthorized,
    WebState,
    redirect,
    render,
)
from humas.web.i18n import error_text, said
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
    """Requests answered in JSON whatever goes wrong: the API, the webhooks and ``/healthz``."""
    path = request.url.path
    return path.startswith(("/api/", "/webhooks/")) or path == "/healthz"


def make_env() -> Environment:
    from humas.reports.cadence import every_word
    from humas.web.i18n import action_text, status_text
    from humas.web.pages.sandbox import platform_link

    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["status_text"] = status_text
    env.globals["action_text"] = action_text
    env.globals["cadence_every"] = every_word
    env.globals["platform_link"] = platform_link
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
                  openapi_url="/openapi.json", generate_unique_id_function=lambda route: route.name,
                  description="The humas REST API: the same authorisation as the CLI and the pages. "
                              "Authenticate with a personal token: `Authorization: Bearer <token>` "
                              "(create one under Akun). Every error (4xx, 5xx) is `{\"error\": message}`, "
                              "with `\"rule\"` when a limit is broken (422, 413). A parameter or body the "
                              "schema refuses is 400.")
    from humas.web.auth import LoginLimiter

    api.state.web = WebState(app=app, env=make_env(), limiter=LoginLimiter(app.clock), heartbeat=heartbeat)
    https = bool(app.settings.web.public_base_url and app.settings.web.public_base_url.startswith("https://"))
    # the signed cookie carries the random session id, the CSRF token, the language and flashes; whether the id
    # still signs anyone in is decided by the web_sessions table on every request (deps.session_viewer)
    api.add_middleware(Unexpected)  # innermost: the session and the security headers still see its answer
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
    from humas.web.metrics import metrics_router

    api.include_router(metrics_router(app, heartbeat))  # /metrics: loopback or web.metrics_token (docs/operations.md)

    @api.get("/healthz", tags=["health"], summary="Readiness: database reachable at the code's schema, scheduler "
                                                   "heartbeat",
             response_model=HealthOut,
             responses={503: {"model": HealthOut, "description": "Not ready: the database does not answer, its schema "
                                                                 "is not this version's, or the daemon's heartbeat "
                                                                 "says so"}})
    def healthz() -> JSONResponse:
        db_ok = True
        try:  # ready: the database answers and its schema is the code's (after 'humas db upgrade' by another)
            db_ok = migrate.current_revision(app.db) == migrate.code_head()
            if not db_ok:
                log.warning("healthz: the database schema is not this version's; run 'humas db upgrade'")
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

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = finish_schema(FastAPI.openapi(api))
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
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
        if _is_api(request):
            headers = {"WWW-Authenticate": "Bearer"} if code == 401 else None
            body = {"error": exc.message, **({"rule": exc.rule} if isinstance(exc, RuleBroken) else {})}
            return JSONResponse(body, status_code=code, headers=headers)
        return _error_page(request, code, exc)

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
        headers = dict(exc.headers or {})
        allowed = _allowed_methods(request) if exc.status_code == 405 else None
        if allowed:
            headers["Allow"] = allowed
        if _is_api(request) or not _accepts_html(request):
            body = {"error": message, **({"rule": "limit.body_size"} if exc.status_code == 413 else {})}
            return JSONResponse(body, status_code=exc.status_code, headers=headers or None)
        page = _error_page(request, exc.status_code, message)
        page.headers.update(headers)
        return page


def _allowed_methods(request: Request) -> str | None:
    """The methods the schema lists for the request's path (the ``Allow`` header of a 405), or ``None`` for a path
    outside the schema. Starlette's own header names only the methods of the first route that matched the path."""
    paths: dict[str, Any] = request.app.openapi().get("paths", {})
    for template, ops in paths.items():
        regex, _fmt, _convertors = compile_path(template)
        if regex.match(request.url.path):
            methods = {m.upper() for m in ops} | ({"HEAD"} if "get" in ops else set())
            return ", ".join(sorted(methods))
    return None


class Unexpected:
    """Any exception no handler turned into an answer: logged with its traceback and answered 500 in the usual
    shape (``{"error": …}`` for the API and webhooks, the Indonesian error page for pages).

    Starlette's own last resort answers ``text/plain`` and re-raises, after which the server closes the keep-alive
    connection; this answers and returns. An exception after the answer began cannot be answered: re-raised.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("%s %s: unexpected error", scope.get("method"), scope.get("path"))
            if started:
                raise
            await _unexpected_answer(Request(scope, receive))(scope, receive, send)


UNEXPECTED = "internal error: the server failed to answer; the details are in its log"


def _unexpected_answer(request: Request) -> Response:
    if not _is_api(request) and _accepts_html(request):
        try:
            return _error_page(request, 500, UNEXPECTED)
        except Exception:  # the page itself failed (templates, session): the JSON answer below still goes out
            log.exception("the error page failed")
    return JSONResponse({"error": UNEXPECTED}, status_code=500)


def _accepts_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") or request.method == "POST"


def _error_page(request: Request, code: int, problem: HumasError | str) -> Response:
    from humas.web.deps import anonymous_language, page_viewer

    viewer = None
    try:
        viewer = page_viewer(request)
    except Exception:  # the error page must render even when the session or the database is the problem
        viewer = None
    lang = viewer.language if viewer else anonymous_language(request)
    shown = said(problem, lang) if isinstance(problem, HumasError) else error_text(problem, lang)
    return render(request, "error.html", {"code": code, "message": shown}, viewer=viewer, status=code)
