"""The only place where SQLite and PostgreSQL differ in humas's SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, text
from sqlalchemy.orm import QueryableAttribute, Session

AUDIT_LOCK_KEY = 0x68756D73  # "hums"; with the schema's hash as the second key, one register lock per installation


def lock_audit_chain(session: Session) -> None:
    """Serialise appends to the audit chain for the rest of this transaction.

    PostgreSQL: a transaction-scoped advisory lock keyed by the schema too, so installations in other schemas of
    the same database (other offices) do not wait for each other. SQLite: nothing to do, every write transaction
    already holds the database's single write lock (``BEGIN IMMEDIATE``).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK, {"k": AUDIT_LOCK_KEY})


# During an upgrade an older daemon takes the old single-key lock; the register's unique seq still refuses a second
# entry with the same number, so the chain cannot fork: one of the two transactions fails and rolls back.
_LOCK = text("SELECT pg_advisory_xact_lock(CAST(:k AS integer), hashtext(current_schema()))")


def contains(column: ColumnElement[Any] | QueryableAttribute[Any], needle: str) -> ColumnElement[bool]:
    """Case-insensitive "``needle`` occurs in ``column``", with ``%``, ``_`` and ``\\`` in the needle taken
    literally (ILIKE on PostgreSQL, LIKE with its ASCII case folding on SQLite)."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")
