"""Storing comments exactly once, whoever saw them first (polling or a webhook).

``comments`` is UNIQUE on (platform, remote_id). :func:`store_comments` is the one insert-or-ignore helper for
both databases: it reads which ids exist, inserts the rest inside a savepoint, and when a concurrent writer
got there first (IntegrityError) retries row by row, each in its own savepoint, so one duplicate never loses
the others. Existing rows only take the platform's newer facts: hidden, deleted, edited text.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from humas.publisher.base import RemoteComment
from humas.store.models import Case, Comment, Post

log = logging.getLogger("humas.monitor")

ID_MAX = 128
HANDLE_MAX = 200
_CHUNK = 500


@dataclass
class StoreResult:
    """What :func:`store_comments` did: the ids of the ``new`` rows it inserted, ``updated`` existing rows."""

    new: list[int] = field(default_factory=list)
    updated: int = 0
    seen: int = 0


def _row(post: Post, rc: RemoteComment, source: str, now: datetime) -> dict[str, Any]:
    return {
        "post_id": post.id, "platform": post.platform, "account": post.account, "remote_id": rc.remote_id,
        "parent_remote_id": (rc.parent_remote_id or None) and rc.parent_remote_id[:ID_MAX],
        "author_handle": (rc.author_handle or "")[:HANDLE_MAX],
        "author_id": (rc.author_id or None) and rc.author_id[:ID_MAX],
        "text": rc.text or "", "created_at": rc.created_at, "fetched_at": now, "source": source,
        "is_own": rc.is_own, "hidden": rc.hidden, "deleted": rc.deleted,
    }


def _insert(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` in a savepoint, as one statement (a row's defaults filled in as an ORM insert would)."""
    with session.begin_nested():
        return list(session.scalars(insert(Comment).returning(Comment.id, sort_by_parameter_order=True), rows))


def existing(session: Session, platform: str, remote_ids: Iterable[str]) -> dict[str, Comment]:
    """The stored comments of ``platform`` with these remote ids, by remote id."""
    ids = list(dict.fromkeys(remote_ids))
    out: dict[str, Comment] = {}
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        q = select(Comment).where(Comment.platform == platform, Comment.remote_id.in_(chunk))
        out.update({c.remote_id: c for c in session.execute(q).scalars()})
    return out


def _refresh(session: Session, stored: Comment, rc: RemoteComment) -> bool:
    """Take the platform's newer facts into a stored comment; True when anything changed."""
    changed = False
    if rc.deleted and not stored.deleted:
        stored.deleted, changed = True, True
    if rc.hidden and not stored.hidden:  # never un-hidden from a poll: not every platform reports the flag
        stored.hidden, changed = True, True
    if rc.text and rc.text != stored.text and not rc.deleted:
        stored.text, changed = rc.text, True
        has_case = session.execute(select(Case.id).where(Case.comment_id == stored.id)).first() is not None
        if not has_case and not stored.is_own:
            stored.classified_at = stored.triaged_at = None  # edited before anyone acted on it: classify again
    return changed


def store_comments(
    session: Session, post: Post, comments: Sequence[RemoteComment], *, source: str, now: datetime
) -> StoreResult:
    """Insert every comment of ``post`` not stored yet (platform + remote id), in the caller's transaction."""
    result = StoreResult(seen=len(comments))
    latest: dict[str, RemoteComment] = {}
    for rc in comments:
        if not rc.remote_id or len(rc.remote_id) > ID_MAX:
            log.warning("post %s: comment with an unusable id skipped (%d characters)", post.id, len(rc.remote_id))
            continue
        latest[rc.remote_id] = rc
    known = existing(session, post.platform, latest)
    fresh = [rc for rid, rc in latest.items() if rid not in known]
    for rid, stored in known.items():
        if _refresh(session, stored, latest[rid]):
            result.updated += 1
    if not fresh:
        return result
    rows = [_row(post, rc, source, now) for rc in fresh]
    try:
        result.new.extend(_insert(session, rows))
        return result
    except IntegrityError:
        pass  # someone stored some of them meanwhile: row by row below
    for row in rows:
        try:
            result.new.extend(_insert(session, [row]))
        except IntegrityError:
            continue
    return result
