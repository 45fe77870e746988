"""``humas user``: users and their SOP roles."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from humas.cli.common import JSON_OPTION, emit_json, get_app, ok
from humas.errors import InvalidInput, NotFound
from humas.store.models import User, UserRole

user_app = typer.Typer(help="Users and their SOP roles.", no_args_is_help=True)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Login name (letters, digits, . _ -)."),
    role: list[str] = typer.Option(..., "--role", help="An SOP role id (see 'humas sop roles'); repeatable."),
    display_name: str = typer.Option("", "--display-name"),
) -> None:
    """Add a user with one or more roles (a shell user on the server is trusted as an administrator)."""
    import re

    app = get_app(ctx)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", name):
        raise InvalidInput(f"invalid user name '{name}' (letters, digits, . _ - ; at most 64)")
    for r in role:
        app.sops.check_role(r)
    with app.db.session() as s:
        if s.execute(select(User).where(User.name == name)).scalar_one_or_none() is not None:
            raise InvalidInput(f"user '{name}' already exists (use 'humas user roles {name} --add ROLE')")
        user = User(name=name, display_name=display_name or name, created_at=app.clock())
        user.roles = [UserRole(role=r) for r in dict.fromkeys(role)]
        s.add(user)
        from humas.store import audit

        s.flush()
        audit.append(s, actor="cli", action="user.added", subject_type="user", subject_id=name,
                     data={"roles": sorted(set(role))}, at=app.clock())
    ok(f"user {name} added with role(s): {', '.join(dict.fromkeys(role))}")


@user_app.command("roles")
def user_roles(
    ctx: typer.Context,
    name: str,
    add: list[str] = typer.Option([], "--add"),
    remove: list[str] = typer.Option([], "--remove"),
) -> None:
    """Grant or withdraw roles."""
    app = get_app(ctx)
    for r in add:
        app.sops.check_role(r)
    with app.db.session() as s:
        user = app_user(s, name)
        have = user.role_ids
        for r in add:
            if r not in have:
                user.roles.append(UserRole(role=r))
        user.roles = [ur for ur in user.roles if ur.role not in set(remove)]
        from humas.store import audit

        audit.append(s, actor="cli", action="user.roles", subject_type="user", subject_id=name,
                     data={"added": add, "removed": remove}, at=app.clock())
        ok(f"{name}: {', '.join(sorted(r.role for r in user.roles)) or '(no role)'}")


@user_app.command("password")
def user_password(
    ctx: typer.Context,
    name: str,
    stdin: bool = typer.Option(False, "--stdin", help="Read the password from standard input (for scripts)."),
    temporary: bool = typer.Option(False, "--temporary", help="The user must choose a new one at the next login."),
) -> None:
    """Set a user's web password (asked twice without echo; never an argument, so it stays out of shell history)."""
    import getpass
    import sys

    from humas.store import audit
    from humas.users import set_password

    if stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise InvalidInput("the two passwords differ")
    app = get_app(ctx)
    with app.db.session() as s:
        user = app_user(s, name)
        set_password(s, user, password, must_change=temporary)
        audit.append(s, actor="cli", action="user.password_changed", subject_type="user", subject_id=name,
                     at=app.clock())
    ok(f"password of {name} set" + (" (to be changed at the next login)" if temporary else ""))


@user_app.command("list")
def user_list(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List users and roles."""
    app = get_app(ctx)
    with app.db.session() as s:
        rows: list[dict[str, Any]] = [
            {"name": u.name, "display_name": u.display_name, "roles": sorted(u.role_ids), "active": u.active}
            for u in s.execute(select(User).order_by(User.name)).scalars()
        ]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        ok(f"{r['name']:<20} {', '.join(r['roles'])}")  # roles: list[str]


def app_user(s: Session, name: str) -> User:
    user = s.execute(select(User).where(User.name == name)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"unknown user '{name}'")
    return user
