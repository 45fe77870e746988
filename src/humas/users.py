"""The people who use humas: argon2 passwords, the first admin, web sessions, personal API tokens, the acting user.

Passwords are stored only as argon2id hashes (``User.password_hash``); API tokens only as the sha256 of the token
(``ApiToken.token_hash``), web sessions only as the sha256 of the session id (``WebSession.sid_hash``). Nothing here
logs a password, a token or a session id.

Setting a password (:func:`set_password`) and deactivating a user (:func:`set_active`) end the user's web sessions
here, in the library, so that the CLI, the pages and the API share it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from humas.authz import ADMIN, Actor
from humas.clock import Clock, utcnow
from humas.errors import InvalidInput, NotFound
from humas.store import audit
from humas.store.engine import Database
from humas.store.models import ApiToken, User, UserRole, WebSession

log = logging.getLogger("humas.users")

# argon2id with OWASP's first recommended setting (19 MiB, 2 passes, 1 lane; Password Storage Cheat Sheet). The
# library's default (RFC 9106's low-memory profile) takes 64 MiB per hash: a third of the daemon's peak memory at
# every login. Hashes made with other settings still verify and are rehashed at the next login (needs_rehash).
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_PASSWORD = 10
TOKEN_PREFIX = "hms_"
SECRET_FILE = "web-secret.key"


# --- passwords --------------------------------------------------------------------------------------------------


@functools.cache
def _dummy_hash() -> str:
    """What an unknown name's password is checked against, so that a login takes as long whether the name exists
    or not; made on first use (an argon2 hash costs 0.1 s, which no CLI command should pay at start-up)."""
    return _HASHER.hash("humas-timing-equaliser")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password_rules(user_name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters")
    if password.strip().lower() == user_name.lower():
        raise InvalidInput("the password must not be the user name")


def set_password(session: Session, user: User, password: str, *, must_change: bool = False,
                 now: datetime | None = None, keep_session: int | None = None) -> None:
    """Set ``user``'s password (argon2id) and end the user's web sessions, all but ``keep_session`` (the id of the
    session the user changed their own password in). ``must_change``: a new one must be chosen at the next login.

    For ``humas user password NAME``, the admin's reset and the user's own change: the caller checks who may do it
    and audits it. ``now`` is recorded as the sessions' end (default: the wall clock).
    """
    check_password_rules(user.name, password)
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    session.flush()
    end_sessions(session, user.id, now or utcnow(), reason="password", keep=keep_session)


def set_active(session: Session, user: User, active: bool, *, now: datetime | None = None) -> None:
    """Activate or deactivate ``user``; deactivating ends every web session of the user (the caller audits)."""
    user.active = active
    session.flush()
    if not active:
        end_sessions(session, user.id, now or utcnow(), reason="deactivated")


def verify_password(user: User | None, password: str) -> bool:
    """True when ``password`` is ``user``'s; takes as long for an unknown user (no user-name oracle)."""
    if user is None or not user.password_hash or not user.active:
        with contextlib.suppress(VerificationError):
            _HASHER.verify(_dummy_hash(), password + "x")
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
            end_sessions(s, user.id, clock(), reason="password")
            audit.append(s, actor="system", action="user.first_admin", subject_type="user", subject_id="admin",
                         note="one-time password created at first start", at=clock())
    except IntegrityError:
        return None
    announce(f"humas: first start: user 'admin' has the one-time password {password} "
             "(it is shown only now; a new password must be chosen at the first login)")
    log.warning("first start: created user 'admin' with a one-time password (printed once on standard output)")
    return password


# --- web sessions -----------------------------------------------------------------------------------------------

SESSION_TOUCH = timedelta(minutes=1)  # last_seen_at is written at most this often, so reads stay reads
SESSION_PURGE = timedelta(days=31)  # rows older than the longest allowed session are deleted at the user's next login


@dataclass(frozen=True)
class SessionPolicy:
    """How long a web session lives: ``idle`` since it was last seen, ``max_age`` since it began."""

    idle: timedelta
    max_age: timedelta


def session_id_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


def start_session(session: Session, user: User, now: datetime, *, user_agent: str = "",
                  address: str = "") -> tuple[WebSession, str]:
    """A new web session of ``user``; the session id is returned once (for the cookie) and stored only hashed."""
    session.execute(delete(WebSession).where(WebSession.user_id == user.id,
                                             WebSession.created_at < now - SESSION_PURGE))
    sid = secrets.token_urlsafe(32)
    row = WebSession(sid_hash=session_id_hash(sid), user_id=user.id, created_at=now, last_seen_at=now,
                     user_agent=user_agent[:200], address=address[:64])
    session.add(row)
    session.flush()
    return row, sid


def session_over(row: WebSession, now: datetime, policy: SessionPolicy) -> str | None:
    """Why ``row`` no longer signs anyone in (``ended_at``'s reason, ``idle`` or ``expired``), ``None`` while live."""
    if row.ended_at is not None:
        return row.end_reason or "ended"
    if now - row.created_at >= policy.max_age:
        return "expired"
    if now - row.last_seen_at >= policy.idle:
        return "idle"
    return None


def resume_session(session: Session, sid: str, now: datetime, policy: SessionPolicy) -> tuple[WebSession, User] | None:
    """The live session with id ``sid`` and its active user, or ``None`` (signed out).

    A session found timed out, or whose user is inactive, is ended on the way. ``last_seen_at`` moves only when it
    is at least :data:`SESSION_TOUCH` old.
    """
    row = session.execute(select(WebSession).where(WebSession.sid_hash == session_id_hash(sid))).scalar_one_or_none()
    if row is None:
        return None
    reason = session_over(row, now, policy)
    if reason is not None:
        if row.ended_at is None:
            row.ended_at, row.end_reason = now, reason
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        row.ended_at, row.end_reason = now, "deactivated"
        return None
    if now - row.last_seen_at >= SESSION_TOUCH:
        row.last_seen_at = now
    return row, user


def end_session(session: Session, sid: str, now: datetime, reason: str = "logout") -> None:
    """End the session with id ``sid`` (logout); unknown or already ended: nothing happens."""
    session.execute(update(WebSession)
                    .where(WebSession.sid_hash == session_id_hash(sid), WebSession.ended_at.is_(None))
                    .values(ended_at=now, end_reason=reason))


def end_sessions(session: Session, user_id: int, now: datetime, *, reason: str, keep: int | None = None) -> int:
    """End every session of the user except ``keep``; returns how many were still open."""
    stmt = (update(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
            .values(ended_at=now, end_reason=reason))
    if keep is not None:
        stmt = stmt.where(WebSession.id != keep)
    result = cast("CursorResult[Any]", session.execute(stmt))
    return int(result.rowcount or 0)


def end_own_session(session: Session, user: User, session_id: int, now: datetime) -> None:
    """End one of ``user``'s own sessions (the Akun page)."""
    row = session.get(WebSession, session_id)
    if row is None or row.user_id != user.id:
        raise NotFound(f"session {session_id} not found")
    if row.ended_at is None:
        row.ended_at, row.end_reason = now, "ended_by_user"


def live_sessions(session: Session, user_id: int, now: datetime, policy: SessionPolicy) -> list[WebSession]:
    """The user's sessions that still sign in, most recently seen first."""
    rows = session.execute(
        select(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None),
                                 WebSession.created_at > now - policy.max_age)
        .order_by(WebSession.last_seen_at.desc(), WebSession.id.desc())
    ).scalars()
    return [r for r in rows if session_over(r, now, policy) is None]


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
