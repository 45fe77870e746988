"""The people who use humas: argon2 passwords, the first admin, personal API tokens, the acting user.

Passwords are stored only as argon2id hashes (``User.password_hash``); API tokens only as the sha256 of the token
(``ApiToken.token_hash``). Nothing here logs a password or a token.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from humas.authz import ADMIN, Actor
from humas.clock import Clock
from humas.errors import InvalidInput, NotFound
from humas.store import audit
from humas.store.engine import Database
from humas.store.models import ApiToken, User, UserRole

log = logging.getLogger("humas.users")

_HASHER = PasswordHasher()  # argon2id with the library's current defaults (RFC 9106 low-memory profile)
_DUMMY_HASH = _HASHER.hash("humas-timing-equaliser")
MIN_PASSWORD = 10
TOKEN_PREFIX = "hms_"
SECRET_FILE = "web-secret.key"


# --- passwords --------------------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password_rules(user_name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters")
    if password.strip().lower() == user_name.lower():
        raise InvalidInput("the password must not be the user name")


def set_password(session: Session, user: User, password: str, *, must_change: bool = False) -> None:
    """Set ``user``'s password (argon2id). ``must_change``: the user must choose a new one at the next login.

    For ``humas user password NAME`` and the admin's reset: the caller checks who may do it and audits it.
    """
    check_password_rules(user.name, password)
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    session.flush()


def verify_password(user: User | None, password: str) -> bool:
    """True when ``password`` is ``user``'s; takes as long for an unknown user (no user-name oracle)."""
    if user is None or not user.password_hash or not user.active:
        with contextlib.suppress(VerificationError):
            _HASHER.verify(_DUMMY_HASH, password + "x")
        return False
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return True


def needs_rehash(user: User) -> bool:
    return bool(user.password_hash) and _HASHER.check_needs_rehash(str(user.password_hash))


def one_time_password() -> str:
    return secrets.token_urlsafe(12)


# --- the first admin --------------------------------------------------------------------------------------------


def ensure_admin(db: Database, clock: Clock, announce: Callable[[str], None] = print) -> str | None:
    """On first start (no active user has a password) give user ``admin`` a one-time password and announce it once.

    Returns the password (``None`` when nothing was done). The user must change it at the first login. Two
    instances starting together on one PostgreSQL database: the second one finds the first one's admin.
    """
    try:
        with db.session() as s:
            has_password = s.execute(
                select(User.id).where(User.password_hash.is_not(None), User.active.is_(True)).limit(1)
            ).first()
            if has_password is not None:
                return None
            user = s.execute(select(User).where(User.name == "admin")).scalar_one_or_none()
            if user is None:
                user = User(name="admin", display_name="Administrator", created_at=clock())
                s.add(user)
            if ADMIN not in user.role_ids:
                user.roles.append(UserRole(role=ADMIN))
            user.active = True
            password = one_time_password()
            user.password_hash = hash_password(password)
            user.must_change_password = True
            s.flush()
            audit.append(s, actor="system", action="user.first_admin", subject_type="user", subject_id="admin",
                         note="one-time password created at first start", at=clock())
    except IntegrityError:
        return None
    announce(f"humas: first start: user 'admin' has the one-time password {password} "
             "(it is shown only now; a new password must be chosen at the first login)")
    log.warning("first start: created user 'admin' with a one-time password (printed once on standard output)")
    return password


# --- API tokens -------------------------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, user: User, name: str, now: datetime) -> tuple[ApiToken, str]:
    """A new personal API token; the token itself is returned once and never stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("a token needs a name of 1 to 100 characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(token), created_at=now)
    session.add(row)
    session.flush()
    audit.append(session, actor=user.name, action="token.created", subject_type="user", subject_id=user.name,
                 data={"token_id": row.id, "name": name}, at=now)
    return row, token


def user_for_token(session: Session, token: str, now: datetime) -> User | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = session.execute(
        select(ApiToken).where(ApiToken.token_hash == token_hash(token), ApiToken.revoked.is_(False))
    ).scalar_one_or_none()
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        row.last_used_at = now  # coarse, so that reads do not become a write per request
    return user


def revoke_token(session: Session, user: User, token_id: int, now: datetime) -> None:
    """Revoke one of ``user``'s own tokens."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(f"token {token_id} not found")
    row.revoked = True
    audit.append(session, actor=user.name, action="token.revoked", subject_type="user", subject_id=user.name,
                 data={"token_id": token_id}, at=now)


# --- the acting user --------------------------------------------------------------------------------------------


def find_actor(session: Session, name: str | None) -> Actor:
    """The active user ``name`` as an :class:`~humas.authz.Actor` (``--as NAME`` / ``HUMAS_USER``)."""
    if not name:
        raise NotFound("no acting user: pass --as NAME or set HUMAS_USER")
    user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
    if user is None or not user.active:
        raise NotFound(f"unknown user '{name}' (add it with: humas user add {name} --role ROLE)")
    return Actor(id=user.id, name=user.name, roles=frozenset(user.role_ids))
