"""Admin: users and their SOP roles (add, set roles, reset password, (de)activate); platform accounts with token
status and expiry, checked on demand. Every action requires the admin role (``authz.require_admin``)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from humas import authz
from humas.app import App
from humas.errors import HumasError, InvalidInput, NotFound
from humas.store.models import AccountState, User, UserRole
from humas.web import auth
from humas.web.deps import Viewer, flash, humas, page_viewer, redirect, render
from humas.web.i18n import translator
from humas.web.pages import page_router
from humas.workflow import audit

router = page_router()
ViewerDep = Annotated[Viewer, Depends(page_viewer)]
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _user(s: Session, name: str) -> User:
    user = s.execute(select(User).where(User.name == name)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"unknown user '{name}'")
    return user


def accounts_overview(app: App, s: Session) -> list[dict[str, Any]]:
    """Each configured account: platform, credential sources (never values), pause and token status."""
    states = {a.name: a for a in s.execute(select(AccountState)).scalars()}
    out = []
    for acc in app.settings.accounts:
        st = states.get(acc.name)
        out.append({
            "name": acc.name, "label": acc.label or acc.name, "platform": acc.platform.value,
            "imitates": acc.imitates.value if acc.imitates else None, "enabled": acc.enabled,
            "credentials": {k: v.source for k, v in acc.credentials.items()},
            "status": st.status if st else "active", "paused_reason": st.paused_reason if st else "",
            "token_expires_at": st.token_expires_at if st else None,
            "last_check_at": st.last_check_at if st else None, "last_check_ok": st.last_check_ok if st else None,
            "last_check_detail": st.last_check_detail if st else "",
        })
    return out


def check_account(app: App, s: Session, name: str) -> tuple[bool, str]:
    """``adapter.check()`` now; the answer is stored on the account's state (ok, detail, expiry)."""
    acc = app.settings.account(name)
    try:
        result = app.adapters.get(name).check()
        ok, detail, expires = result.ok, result.detail, result.expires_at
    except HumasError as exc:
        ok, detail, expires = False, exc.message, None
    st = s.get(AccountState, name)
    if st is None:
        st = AccountState(name=name, platform=acc.platform.value)
        s.add(st)
    st.last_check_at, st.last_check_ok, st.last_check_detail = app.clock(), ok, detail[:1000]
    if expires is not None:
        st.token_expires_at = expires
    return ok, detail


def _page(request: Request, viewer: Viewer, notice: str | None = None, status: int = 200) -> Response:
    app = humas(request)
    authz.require_admin(viewer.actor, "open the admin page")
    with app.db.session() as s:
        users = list(s.execute(select(User).order_by(User.name)).scalars())
        return render(request, "admin.html", {
            "users": users, "roles": sorted(app.sops.roles.items()), "accounts": accounts_overview(app, s),
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
    password = auth.one_time_password()
    with app.db.session() as s:
        if s.execute(select(User).where(User.name == name)).scalar_one_or_none() is not None:
            raise InvalidInput(f"user '{name}' already exists")
        user = User(name=name, display_name=display_name.strip() or name, created_at=app.clock())
        user.roles = [UserRole(role=r) for r in wanted]
        s.add(user)
        s.flush()
        auth.set_password(s, user, password, must_change=True)
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
    password = auth.one_time_password()
    with app.db.session() as s:
        user = _user(s, name)
        auth.set_password(s, user, password, must_change=True)
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
        user.active = active == "1"
        audit.append(s, actor=viewer.name, action="user.activated" if user.active else "user.deactivated",
                     subject_type="user", subject_id=name, at=app.clock())
    flash(request, translator(viewer.language)("Status pengguna disimpan."))
    return redirect("/admin")


@router.post("/admin/akun/{name}/periksa")
def check(request: Request, name: str, viewer: ViewerDep) -> Response:
    app = humas(request)
    authz.require_admin(viewer.actor, "check platform accounts")
    with app.db.session() as s:
        ok, detail = check_account(app, s, name)
    text = (detail or ("ok" if ok else "?"))[:200]
    flash(request, translator(viewer.language)("Pemeriksaan akun: {detail}", detail=text), "ok" if ok else "error")
    return redirect("/admin#akun")
