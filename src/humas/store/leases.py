"""Leases: the one claim mechanism for work that several daemons share (publication jobs, per-account polling).

A claim is one atomic statement, ``UPDATE … SET owner = token, until = now + lease WHERE key IN (SELECT key …
ORDER BY … LIMIT n FOR UPDATE SKIP LOCKED) RETURNING …`` (SQLAlchemy leaves the lock clause out on SQLite, where
the database-wide write lock of ``BEGIN IMMEDIATE`` does the same job), so two workers never hold one row. Every
later write is fenced on the claim's token (the owner plus a fresh nonce): a worker that lost its lease changes
nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Update, bindparam, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session


def new_token(owner: str) -> str:
    """A claim token: the instance plus a fresh nonce, so each claim fences only itself."""
    return f"{owner}#{uuid.uuid4().hex[:12]}"


def owned_by(owner: str) -> str:
    """The ``LIKE`` pattern of every token of ``owner``."""
    return f"{owner}#%"


@dataclass(frozen=True)
class LeaseTable:
    """A table whose rows are claimed: its key column and the two lease columns."""

    key: InstrumentedAttribute[Any]
    owner: InstrumentedAttribute[Any]
    until: InstrumentedAttribute[Any]

    @property
    def model(self) -> Any:
        return self.key.class_

    def claim(self, session: Session | Connection, token: str, *, where: Sequence[ColumnElement[bool]],
              order_by: Sequence[Any], limit: int, until: datetime, values: Mapping[str, Any] | None = None,
              returning: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Lease up to ``limit`` rows matching ``where`` (in ``order_by`` order) to ``token`` until ``until``,
        writing ``values`` as well, in one statement; returns ``returning`` of each claimed row."""
        stmt = self.claim_statement(where=where, order_by=order_by, values=values, returning=returning)
        return [tuple(r) for r in session.execute(stmt, claim_params(token, until, limit)).all()]

    def claim_statement(self, *, where: Sequence[ColumnElement[bool]], order_by: Sequence[Any],
                        values: Mapping[str, Any] | None = None, returning: Sequence[Any] = ()) -> Update:
        """:meth:`claim`'s statement, to build once and run with :func:`claim_params` (and the binds of
        ``where``): a claim that runs many times a second should not build and hash its statement each time."""
        pick = (
            select(self.key).where(*where).order_by(*order_by).limit(bindparam("b_limit"))
            .with_for_update(skip_locked=True).scalar_subquery()
        )
        return (
            update(self.model)
            .where(self.key.in_(pick))
            .values({self.owner.key: bindparam("b_token"), self.until.key: bindparam("b_until"), **(values or {})})
            .returning(*(returning or (self.key,)))
            .execution_options(synchronize_session=False)
        )

    def fenced(self, session: Session | Connection, key: Any, token: str, values: Mapping[str, Any],
               where: Sequence[ColumnElement[bool]] = ()) -> bool:
        """Write ``values`` to the row only while ``token`` still holds it (and ``where`` holds); True when it did."""
        res = session.execute(
            update(self.model)
            .where(self.key == key, self.owner == token, *where)
            .values(dict(values))
            .execution_options(synchronize_session=False)
        )
        return bool(res.rowcount == 1)  # type: ignore[attr-defined]

    def release_values(self) -> dict[str, None]:
        """The values that hand a row back (no owner, no lease)."""
        return {self.owner.key: None, self.until.key: None}


def claim_params(token: str, until: datetime, limit: int) -> dict[str, Any]:
    """The binds of a :meth:`LeaseTable.claim_statement`."""
    return {"b_token": token, "b_until": until, "b_limit": limit}
