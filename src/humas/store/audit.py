"""The tamper-evident register: every transition appended to a hash chain.

``hash = sha256(prev_hash || canonical JSON of the entry)``; altering, deleting or reordering any entry breaks
every hash after it, and :func:`verify` names the first entry that no longer matches.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from humas.store.anchor import Anchor
from humas.store.dialect import lock_audit_chain
from humas.store.engine import Database
from humas.store.models import AuditEntry, table

log = logging.getLogger("humas.audit")

GENESIS = "0" * 64
CSV_FIELDS = ["seq", "at", "actor", "role", "action", "subject_type", "subject_id", "version_hash", "note", "data",
              "prev_hash", "hash"]


def _canonical(e: Any) -> bytes:
    """The hashed body of an entry: an :class:`AuditEntry`, a row read back, or one being appended."""
    at = e.at.astimezone(UTC).isoformat(timespec="microseconds")
    body = [e.seq, at, e.actor, e.role, e.action, e.subject_type, e.subject_id, e.version_hash, e.note, e.data]
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def entry_hash(prev_hash: str, e: Any) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + _canonical(e)).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One entry to append with :func:`append_many` (the arguments of :func:`append`, as a value)."""

    actor: str
    action: str
    role: str = ""
    subject_type: str = ""
    subject_id: str | int = ""
    version_hash: str = ""
    note: str = ""
    data: dict[str, Any] | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class Appended:
    """An entry as appended: its stored columns, hashed the same way as a row read back."""

    seq: int
    at: datetime
    actor: str
    role: str
    action: str
    subject_type: str
    subject_id: str
    version_hash: str
    note: str
    data: dict[str, Any]
    prev_hash: str
    hash: str = ""


def _appended(seq: int, prev_hash: str, e: Entry) -> Appended:
    row = Appended(seq=seq, at=(e.at or datetime.now(UTC)).astimezone(UTC), actor=e.actor, role=e.role,
                   action=e.action, subject_type=e.subject_type, subject_id=str(e.subject_id),
                   version_hash=e.version_hash, note=e.note,
                   data=json.loads(json.dumps(e.data or {}, ensure_ascii=False, default=str)), prev_hash=prev_hash)
    return replace(row, hash=entry_hash(prev_hash, row))


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    role: str = "",
    subject_type: str = "",
    subject_id: str | int = "",
    version_hash: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Appended:
    """Append one entry in the caller's transaction (it commits or rolls back with the change it records).

    The first append of a transaction takes the chain lock and reads the chain's head; later appends in the same
    transaction (still holding the lock) continue from the entry appended before them.
    """
    entry = Entry(actor=actor, action=action, role=role, subject_type=subject_type, subject_id=subject_id,
                  version_hash=version_hash, note=note, data=data, at=at)
    return append_many(session, [entry])[0]


def append_many(session: Session, entries: Sequence[Entry]) -> list[Appended]:
    """Append ``entries`` in order, as :func:`append` would one by one, with one ``INSERT`` and no ORM objects
    (the register entries of a batch: a send cycle's marks, a poll's cases). The session's pending ORM changes are
    flushed first, so an entry is written after the change it records and objects added before it have their ids."""
    if not entries:
        return []
    session.flush()
    seq, prev = _head(session)
    rows: list[Appended] = []
    for e in entries:
        seq += 1
        rows.append(_appended(seq, prev, e))
        prev = rows[-1].hash
    session.execute(insert(table(AuditEntry)), [vars(r) for r in rows])
    session.info[_HEAD] = (_transaction(session), seq, prev)
    return rows


_HEAD = "humas.audit.head"
_COMMITTING = "humas.audit.committing"


def _transaction(session: Session) -> object:
    """The innermost transaction: a head remembered in a savepoint is not trusted outside it."""
    return session.get_nested_transaction() or session.get_transaction()


def _head(session: Session) -> tuple[int, str]:
    """(seq, hash) of the chain's last entry, with the chain lock held until the transaction ends."""
    remembered = session.info.get(_HEAD)
    if remembered is not None and remembered[0] is _transaction(session):
        return remembered[1], remembered[2]
    lock_audit_chain(session)
    return head(session)


def anchor_commits(db: Database, anchor: Anchor) -> None:
    """After every commit that appended entries, advance ``anchor`` to the new head (a failure is logged only:
    the change is already committed, and the next commit anchors again)."""

    def before_commit(session: Session) -> None:
        remembered = session.info.pop(_HEAD, None)
        if remembered is None:
            return
        # the last append was in the transaction being committed: its head is exact; after one in a savepoint
        # (released, or rolled back) the database says what the head is
        exact = remembered[0] is session.get_transaction()
        session.info[_COMMITTING] = (remembered[1], remembered[2]) if exact else head(session)

    def after_commit(session: Session) -> None:
        committed = session.info.pop(_COMMITTING, None)
        if committed is None or committed[0] == 0:
            return
        try:
            anchor.advance(*committed)
        except Exception:  # never fail a committed change over its checkpoint
            log.exception("could not write the register's checkpoint %s", anchor.path)

    db.on_commit(after_commit, before=before_commit)


def head(session: Session) -> tuple[int, str]:
    """(seq, hash) of the register's last entry; (0, GENESIS) when it is empty."""
    last = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    return (last[0], last[1]) if last is not None else (0, GENESIS)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify(session: Session) -> VerifyResult:
    """The hash chain alone (``humas audit verify`` also checks the anchor and the facts: :mod:`.verify`)."""
    prev = GENESIS
    expected_seq = 1
    n = 0
    for e in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
        n += 1
        if e.seq != expected_seq:
            return VerifyResult(False, n, e.seq, f"entry {expected_seq} is missing")
        if e.prev_hash != prev:
            return VerifyResult(False, n, e.seq, "the link to the previous entry is broken")
        if entry_hash(prev, e) != e.hash:
            return VerifyResult(False, n, e.seq, "the entry's content does not match its hash")
        prev = e.hash
        expected_seq += 1
    return VerifyResult(True, n)


def entries(session: Session, *, since: datetime | None = None, until: datetime | None = None,
            **filters: str) -> Iterator[AuditEntry]:
    """The register in order; ``filters`` name columns to match, ``since`` (inclusive) and ``until`` (exclusive)
    bound the entries' time."""
    q = select(AuditEntry).order_by(AuditEntry.seq)
    for key, value in filters.items():
        if value:
            q = q.where(getattr(AuditEntry, key) == value)
    if since is not None:
        q = q.where(AuditEntry.at >= since)
    if until is not None:
        q = q.where(AuditEntry.at < until)
    yield from session.execute(q).scalars()


def row(e: AuditEntry, tz: Any = UTC) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at.astimezone(tz).isoformat(timespec="seconds"),
        "actor": e.actor,
        "role": e.role,
        "action": e.action,
        "subject_type": e.subject_type,
        "subject_id": e.subject_id,
        "version_hash": e.version_hash,
        "note": e.note,
        "data": json.dumps(e.data, ensure_ascii=False, sort_keys=True),
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def export_csv(session: Session, out: IO[str], tz: Any = UTC, *, since: datetime | None = None,
               until: datetime | None = None, **filters: str) -> int:
    """Write the register as CSV (Ponjong's "register dokumentasi dan konten"); returns the row count.

    Cells that a spreadsheet would run as a formula are prefixed with a quote: notes may hold public text.
    """
    w = csv.DictWriter(out, fieldnames=CSV_FIELDS)
    w.writeheader()
    n = 0
    for e in entries(session, since=since, until=until, **filters):
        w.writerow({k: _safe_cell(v) for k, v in row(e, tz).items()})
        n += 1
    return n


def _safe_cell(v: Any) -> Any:
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v
