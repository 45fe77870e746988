"""Admin: users and their SOP roles (add, set roles, reset password, (de)activate: the last two end the user's
sessions); platform accounts ("Akun platform", ``/admin/akun``): connect, reconnect and disconnect through the
platforms' OAuth flows, with granted scopes, token expiry and the last check, checked on demand. Every action
requires the admin role (``authz.require_admin``)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from humas import authz, users
from humas.accounts import overview as accounts
from humas.accounts.connect import ConnectRefused, missing_scope_message
from humas.errors import ConfigError, InvalidInput, NotFound
from humas.store import audit
from humas.store.models import User, UserRole
from humas.web.deps import Viewer, flash, humas, page_router, page_viewer, redirect, render
from humas.web.i18n import said, translator
from humas.web.security import CSP

router = page_router()
ViewerDep = Annotated[Viewer, Depends(page_viewer)]
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
ACCOUNTS_PAGE = "/admin/akun"


def _user(s: Session, name: str) -> User:
    user = s.execute(select(User).where(User.name == name)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"unknown user '{name}'")
    return user


def _page(request: Request, viewer: Viewer, notice: str | None = None, status: int = 200) -> Response:
    app = humas(request)
    authz.require_admin(viewer.actor, "open the admin page")
    with app.db.session() as s:
        users = list(s.execute(select(User).order_by(User.name)).scalars())
        return render(request, "admin.html", {
            "users": users, "roles": sorted(app.sops.roles.items()), "accounts": accounts.overview(app.settings, s),
            "notice": notice,
        }, viewer=viewer, status=status)


@router.get("/admin")
def admin(request: Request, viewer: ViewerDep) -> Response:
    return _page(request, viewer)


@router.post("/admin/pengguna")
def add_user(request: Request, viewer: ViewerDep, name: Annotated[str, Form()] = "",
             display_name: Annotated[str, Form()] = "", roles: Annotated[list[str] | None, Form()] = None) -> Response:
    app = humas(request)
    authz.require_admin(viewer.actor, "add users")
    _ = translator(viewer.language)
    name = name.strip()
    if not NAME.fullmatch(name):
        raise InvalidInput(f"invalid user name '{name}' (letters, digits, . _ - ; at most 64)")
    wanted = list(dict.fromkeys(roles or []))
    for r in wanted:
        app.sops.check_role(r)
    password = users.one_time_password()
    with app.db.session() as s:
        if s.execute(select(User).where(User.name == name)).scalar_one_or_none() is not None:
            raise InvalidInput(f"user '{name}' already exists")
        user = User(name=name, display_name=display_name.strip() or name, created_at=app.clock())
        user.roles = [UserRole(role=r) for r in wanted]
        s.add(user)
        s.flush()
        users.set_password(s, user, password, must_change=True)
        audit.append(s, actor=viewer.name, action="user.added", subject_type="user", subject_id=name,
                     data={"roles": sorted(wanted)}, at=app.clock())
    # shown on this page only, never put into the (signed, not encrypted) session cookie
    return _page(request, viewer, _("Kata sandi sekali pakai untuk {name}: {password} (catat sekarang; tidak "
                                    "ditampilkan lagi)", name=name, password=password))


@router.post("/admin/pengguna/{name}/peran")
def set_roles(request: Request, name: str, viewer: ViewerDep,
              roles: Annotated[list[str] | None, Form()] = None) -> Response:
    app = humas(request)
    authz.require_admin(viewer.actor, "set roles")
    wanted = set(roles or [])
    for r in wanted:
        app.sops.check_role(r)
    if name == viewer.name and authz.ADMIN not in wanted:
        raise InvalidInput("you cannot remove your own admin role (ask another admin)")
    with app.db.session() as s:
        user = _user(s, name)
        have = user.role_ids
        user.roles = [ur for ur in user.roles if ur.role in wanted] + [UserRole(role=r) for r in sorted(wanted - have)]
        audit.append(s, actor=viewer.name, action="user.roles", subject_type="user", subject_id=name,
                     data={"added": sorted(wanted - have), "removed": sorted(have - wanted)}, at=app.clock())
    flash(request, translator(viewer.language)("Peran disimpan."))
    return redirect("/admin")


@router.post("/admin/pengguna/{name}/sandi")
def reset_password(request: Request, name: str, viewer: ViewerDep) -> Response:
    app = humas(request)
    authz.require_admin(viewer.actor, "reset passwords")
    _ = translator(viewer.language)
    password = users.one_time_password()
    with app.db.session() as s:
        user = _user(s, name)
        users.set_password(s, user, password, must_change=True, now=app.clock())  # ends all of the user's sessions
        audit.append(s, actor=viewer.name, action="user.password_reset", subject_type="user", subject_id=name,
                     at=app.clock())
    return _page(request, viewer, _("Kata sandi sekali pakai untuk {name}: {password} (catat sekarang; tidak "
                                    "ditampilkan lagi)", name=name, password=password))


@router.post("/admin/pengguna/{name}/aktif")
def set_active(request: Request, name: str, viewer: ViewerDep, active: Annotated[str, Form()] = "0") -> Response:
    app = humas(request)
    authz.require_admin(viewer.actor, "activate or deactivate users")
    if name == viewer.name:
        raise InvalidInput("you cannot deactivate yourself")
    with app.db.session() as s:
        user = _user(s, name)
        users.set_active(s, user, active == "1", now=app.clock())  # deactivating ends all of the user's sessions
        audit.append(s, actor=viewer.name, action="user.activated" if user.active else "user.deactivated",
                     subject_type="user", subject_id=name, at=app.clock())
    flash(request, translator(viewer.language)("Status pengguna disimpan."))
    return redirect("/admin")


@router.post("/admin/akun/{name}/periksa")
def check(request: Request, name: str, viewer: ViewerDep) -> Response:
    app = humas(request)
    authz.require_admin(viewer.actor, "check platform accounts")
    with app.db.session() as s:
        r = accounts.check(s, app.account_states, app.adapters.get, name, app.clock())
        ok, detail = r.ok, r.detail
    text = (detail or ("ok" if ok else "?"))[:200]
    flash(request, translator(viewer.language)("Pemeriksaan akun: {detail}", detail=text), "ok" if ok else "error")
    return redirect(ACCOUNTS_PAGE)


# --- Akun platform: connecting accounts through their OAuth flows (humas.accounts.connect) ----------------------


@router.get(ACCOUNTS_PAGE)
def platform_accounts(request: Request, viewer: ViewerDep) -> Response:
    app = humas(request)
    authz.require_admin(viewer.actor, "open the platform accounts page")
    try:
        callback = app.connector.redirect_uri()
    except ConfigError:
        callback = None
    with app.db.read() as s:
        rows = app.connector.status(s)
    page = render(request, "admin_accounts.html", {"accounts": rows, "callback": callback}, viewer=viewer)
    # "Hubungkan" posts here and is answered with a redirect to the platform's consent page: CSP's form-action
    # covers redirects after a form, so this page names those origins (and only them)
    origins = " ".join(app.connector.authorize_origins())
    page.headers["content-security-policy"] = CSP.replace("form-action 'self'", f"form-action 'self' {origins}")
    return page


@router.post(ACCOUNTS_PAGE + "/{name}/hubungkan")
def connect_start(request: Request, name: str, viewer: ViewerDep) -> Response:
    """Start connecting ``name``: the browser goes to the platform, which sends it back to the callback."""
    app = humas(request)
    with app.db.session() as s:
        started = app.connector.start(s, viewer.actor, name, via="web")
    return redirect(started.authorize_url)


@router.get(ACCOUNTS_PAGE + "/callback")
def connect_callback(request: Request, viewer: ViewerDep) -> Response:
    """Where the platform sends the browser back (``web.public_base_url`` + this path, registered with it)."""
    app = humas(request)
    authz.require_admin(viewer.actor, "connect platform accounts")
    _ = translator(viewer.language)
    try:
        done = app.connector.complete(viewer.actor, str(request.url))
    except ConnectRefused as exc:
        flash(request, said(exc, viewer.language), "error")
        return redirect(ACCOUNTS_PAGE)
    flash(request, _("Akun {name} terhubung sebagai {who}.", name=done.account, who=done.identity))
    if done.missing_scopes:
        flash(request, missing_scope_message(done.missing_scopes), "warn")
    return redirect(ACCOUNTS_PAGE)


@router.post(ACCOUNTS_PAGE + "/{name}/putuskan")
def disconnect(request: Request, name: str, viewer: ViewerDep) -> Response:
    app = humas(request)
    with app.db.session() as s:
        app.connector.disconnect(s, viewer.actor, name)
    flash(request, translator(viewer.language)("Akun {name} diputuskan; tokennya dihapus.", name=name))
    return redirect(ACCOUNTS_PAGE)
