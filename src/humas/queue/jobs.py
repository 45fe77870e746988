"""The job store: publication and reply jobs as rows, claimed with leases (:mod:`humas.store.leases`).

Every write after the claim is fenced on the claim's token: a worker that lost its lease changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Connection, Row, and_, bindparam, exists, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from humas.errors import InvalidInput
from humas.publisher.base import PublishResult
from humas.queue.states import check as check_transition
from humas.store.engine import Database
from humas.store.leases import LeaseTable, claim_params, new_token, owned_by
from humas.store.models import JOBS_DUE, JOBS_IN_FLIGHT, AccountState, JobState, PublicationJob, table

S = JobState
LEASES = LeaseTable(PublicationJob.id, PublicationJob.lease_owner, PublicationJob.lease_until)
JOBS = table(PublicationJob)  # the send cycle's own statements are Core: no ORM objects per job


def post_key(content_id: int, account: str) -> str:
    return f"post:{content_id}:{account}"


def reply_key(case_id: int) -> str:
    return f"reply:{case_id}"


def add_post_job(session: Session, *, content_id: int, account: str, platform: str, version_hash: str,
                 run_at: datetime, created_by_id: int | None, now: datetime) -> PublicationJob:
    """Queue one post of a content version to one account; a second one for the same pair is refused.

    A job that was cancelled is revived instead, so content can be scheduled again after a cancellation.
    """
    old = session.execute(
        select(PublicationJob).where(PublicationJob.dedupe_key == post_key(content_id, account))
    ).scalar_one_or_none()
    if old is not None and old.state == S.CANCELLED:
        old.state, old.run_at, old.version_hash, old.attempts = S.SCHEDULED, run_at, version_hash, 0
        old.checkpoint, old.last_error, old.remote_id, old.remote_url = {}, "", None, None
        old.created_by_id, old.updated_at = created_by_id, now
        return old
    job = PublicationJob(kind="post", dedupe_key=post_key(content_id, account), content_id=content_id,
                         account=account, platform=platform, version_hash=version_hash, run_at=run_at,
                         state=S.SCHEDULED, created_by_id=created_by_id, created_at=now, updated_at=now)
    return _insert(session, job, f"content {content_id} is already queued for account {account}")


def enqueue_reply(session: Session, *, case_id: int, account: str, platform: str, post_remote_id: str,
                  comment_remote_id: str, text: str, run_at: datetime, created_by_id: int | None,
                  now: datetime) -> PublicationJob:
    """Queue the approved reply of a case: same leases, retries and never-twice rule as posts."""
    job = PublicationJob(kind="reply", dedupe_key=reply_key(case_id), case_id=case_id, account=account,
                         platform=platform, run_at=run_at, state=S.SCHEDULED, created_by_id=created_by_id,
                         checkpoint={"reply": {"post_remote_id": post_remote_id, "comment_remote_id": comment_remote_id,
                                               "text": text}},
                         created_at=now, updated_at=now)
    return _insert(session, job, f"case {case_id} already has a reply queued")


def _insert(session: Session, job: PublicationJob, duplicate_message: str) -> PublicationJob:
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        raise InvalidInput(duplicate_message) from None
    return job


@dataclass(frozen=True)
class Claim:
    """A job this worker holds: ``token`` fences every write it makes about the job."""

    id: int
    token: str
    state_before: str


@dataclass(frozen=True)
class PublishedJob:
    """A job just marked ``published``, as its mark read it back: what the completions need of it."""

    id: int
    kind: str
    content_id: int | None
    case_id: int | None
    account: str
    platform: str
    remote_id: str | None
    remote_url: str | None
    published_at: datetime


@dataclass(frozen=True)
class Published:
    """A job its worker marked ``published`` (``result`` None: the platform reported a duplicate without an id)."""

    job: PublishedJob
    result: PublishResult | None
    note: str


_NOW: BindParameter[datetime] = bindparam("b_now")
_OTHER = aliased(PublicationJob)
# Built once (see LeaseTable.claim_statement); ``claimed_from`` = the state before this claim (SET reads the old
# row), so the worker knows an in-doubt job.
_CLAIM = LEASES.claim_statement(
    where=[
        and_(text(JOBS_DUE), PublicationJob.run_at <= _NOW),  # the due index's own text, see models.JOBS_DUE
        ~exists().where(AccountState.name == PublicationJob.account, AccountState.status == "paused"),
        ~exists().where(  # one call in flight per account; served by the partial index over in-flight rows
            _OTHER.account == PublicationJob.account, _OTHER.state.in_([S.SENDING, S.CLAIMED]),
            _OTHER.id != PublicationJob.id, or_(_OTHER.state == S.SENDING, _OTHER.lease_until >= _NOW)),
    ],
    order_by=[PublicationJob.run_at, PublicationJob.id],
    values={"state": S.CLAIMED, "updated_at": _NOW, "claimed_from": PublicationJob.state},
    returning=[PublicationJob.id, PublicationJob.claimed_from],
)


def claim(db: Database, owner: str, *, now: datetime, lease: timedelta, limit: int) -> list[Claim]:
    """Claim up to ``limit`` due jobs in one statement.

    Due: ``scheduled``/``retry_wait``/``in_doubt`` with ``run_at <= now`` (a claim whose owner died before sending
    is handed back by :func:`reap` first). Never ``sending``: that becomes ``in_doubt``. Paused accounts are
    skipped, and so is an account that already has a job in flight (one call in flight per account). The partial
    index on ``run_at`` over the due states lets the database stop after ``limit`` rows.
    """
    token = new_token(owner)
    with db.begin() as conn:
        rows = conn.execute(_CLAIM, {**claim_params(token, now + lease, limit), "b_now": now}).all()
    return [Claim(r[0], token, r[1]) for r in sorted(rows)]


def next_due(db: Database) -> datetime | None:
    """The earliest ``run_at`` of a job that can be due (the due partial index, first entry), or None."""
    with db.read() as s:
        return s.execute(select(PublicationJob.run_at).where(text(JOBS_DUE))
                         .order_by(PublicationJob.run_at).limit(1)).scalar_one_or_none()


def fenced(db: Database, c: Claim, *, states: Sequence[str], now: datetime, **values: Any) -> bool:
    """Write ``values`` only while ``c`` still holds the job in one of ``states``; True when it did.

    A new ``state`` must be a transition of :data:`humas.queue.states.TRANSITIONS` from every one of ``states``.
    """
    with db.begin() as conn:
        return fence(conn, c, states=states, now=now, **values)


def fence(session: Session | Connection, c: Claim, *, states: Sequence[str], now: datetime, **values: Any) -> bool:
    """:func:`fenced` in the caller's transaction."""
    if isinstance(values.get("state"), str):
        check_transition(states, values["state"])
    return LEASES.fenced(session, c.id, c.token, {"updated_at": now, **values},
                         where=[PublicationJob.state.in_(list(states))])


# Built once: the one statement a job costs on its own, and building it anew each time was a third of its cost.
_START_SENDING = (
    update(JOBS)
    .where(JOBS.c.id == bindparam("b_id"), JOBS.c.lease_owner == bindparam("b_token"),
           JOBS.c.state == S.CLAIMED, JOBS.c.lease_until >= bindparam("b_now"))
    .values(state=S.SENDING, attempts=JOBS.c.attempts + 1, lease_until=bindparam("b_until"),
            updated_at=bindparam("b_now"))
)


def start_sending(db: Database, c: Claim, *, now: datetime, lease: timedelta) -> bool:
    """The fenced step before the irreversible call: ``claimed → sending`` only if the lease is still ours."""
    with db.begin() as conn:
        res = conn.execute(_START_SENDING, {"b_id": c.id, "b_token": c.token, "b_now": now, "b_until": now + lease})
        return bool(res.rowcount == 1)


def reap(db: Database, *, now: datetime) -> int:
    """Expired leases. ``sending`` → ``in_doubt`` (its worker died mid-call; never retried blindly); ``claimed``
    → back to the state it was claimed from (its worker died before sending). Returns the in-doubt count."""
    with db.begin() as s:
        s.execute(
            update(PublicationJob)
            .where(text(JOBS_IN_FLIGHT), PublicationJob.state == S.CLAIMED, PublicationJob.lease_until < now)
            .values(state=PublicationJob.claimed_from, lease_owner=None, lease_until=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        res = s.execute(
            update(PublicationJob)
            .where(text(JOBS_IN_FLIGHT), PublicationJob.state == S.SENDING, PublicationJob.lease_until < now)
            .values(state=S.IN_DOUBT, run_at=now, lease_owner=None, lease_until=None, updated_at=now,
                    last_error="the worker stopped during the platform call; checking the platform before any retry")
            .execution_options(synchronize_session=False)
        )
        return int(res.rowcount)  # type: ignore[attr-defined]


def release(db: Database, owner: str, *, now: datetime) -> int:
    """Hand back every claim of this instance that has not started sending (clean shutdown)."""
    with db.session() as s:
        released = 0
        for before in (S.SCHEDULED, S.RETRY_WAIT, S.IN_DOUBT):
            res = s.execute(
                update(PublicationJob)
                .where(PublicationJob.state == S.CLAIMED, PublicationJob.lease_owner.like(owned_by(owner)),
                       PublicationJob.claimed_from == before)
                .values(state=before, lease_owner=None, lease_until=None, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            released += int(res.rowcount)  # type: ignore[attr-defined]
        return released


RESTORED = (S.SCHEDULED, S.RETRY_WAIT, S.CLAIMED, S.SENDING)


def in_doubt_after_restore(db: Database, *, now: datetime, taken_at: str) -> int:
    """After a restore: every job that was due, or in flight, when the backup was taken may have been posted since
    then, so it is ``in_doubt`` (the dispatcher asks the platform before posting anything). Jobs due later are
    left alone. Returns how many."""
    check_transition(RESTORED, S.IN_DOUBT)
    with db.session() as s:
        res = s.execute(
            update(PublicationJob)
            .where(PublicationJob.state.in_(list(RESTORED)),
                   or_(PublicationJob.run_at <= now, PublicationJob.state.in_([S.CLAIMED, S.SENDING])))
            .values(state=S.IN_DOUBT, run_at=now, lease_owner=None, lease_until=None, updated_at=now,
                    last_error=f"restored from a backup taken {taken_at}: checking the platform before any retry")
            .execution_options(synchronize_session=False)
        )
        return int(res.rowcount)  # type: ignore[attr-defined]


_CLAIMED = (select(JOBS.c.id, JOBS.c.kind, JOBS.c.account, JOBS.c.checkpoint, JOBS.c.content_id, JOBS.c.dedupe_key,
                   JOBS.c.created_at)
            .where(JOBS.c.id.in_(bindparam("b_ids", expanding=True))))


def claimed(session: Session, claims: Sequence[Claim]) -> Sequence[Row[*tuple[Any, ...]]]:
    """What the dispatcher needs of its claimed jobs to send them (id, kind, account, checkpoint, content_id,
    dedupe_key, created_at), in one statement built once."""
    return session.execute(_CLAIMED, {"b_ids": [c.id for c in claims]}).all()


_MARK_PUBLISHED = (
    update(JOBS)
    .where(JOBS.c.id.in_(bindparam("b_ids", expanding=True)),
           ((JOBS.c.lease_owner == bindparam("b_token"))
            & ((JOBS.c.id.in_(bindparam("b_sending", expanding=True)) & (JOBS.c.state == S.SENDING))
               | (JOBS.c.id.in_(bindparam("b_claimed", expanding=True)) & (JOBS.c.state == S.CLAIMED))))
           | (JOBS.c.state == S.IN_DOUBT))
    .values(state=S.PUBLISHED, lease_owner=None, lease_until=None, updated_at=bindparam("b_now"))
    .returning(JOBS.c.id, JOBS.c.kind, JOBS.c.content_id, JOBS.c.case_id, JOBS.c.account, JOBS.c.platform)
)
_PUBLISHED_FACTS = (
    update(JOBS).where(JOBS.c.id == bindparam("b_id"))
    .values(remote_id=bindparam("b_remote_id"), remote_url=bindparam("b_remote_url"),
            published_at=bindparam("b_published_at"), last_error=bindparam("b_last_error"))
)


def mark_published(session: Session, token: str, *, sending: Sequence[int], claimed: Sequence[int],
                   now: datetime) -> dict[int, Any]:
    """``published``, in one fenced statement: the jobs of ``sending`` this claim holds ``sending``, those of
    ``claimed`` it holds ``claimed`` (found on the platform while resolving), and any of them ``in_doubt`` (a
    worker that lost the lease meanwhile marked it so; the post is out all the same). Returns the rows written
    (id, kind, content_id, case_id, account, platform) by id; the others belong to another worker now."""
    check_transition([S.SENDING, S.CLAIMED, S.IN_DOUBT], S.PUBLISHED)
    rows = session.execute(_MARK_PUBLISHED, {"b_ids": [*sending, *claimed], "b_token": token,
                                             "b_sending": list(sending), "b_claimed": list(claimed),
                                             "b_now": now})
    return {r.id: r for r in rows}


def write_published(session: Session, published: Sequence[Published]) -> None:
    """Each published job's own facts (its remote id and URL, when, the note), in one executemany."""
    session.execute(_PUBLISHED_FACTS, [
        {"b_id": p.job.id, "b_remote_id": p.job.remote_id, "b_remote_url": p.job.remote_url,
         "b_published_at": p.job.published_at, "b_last_error": p.note} for p in published])
