"""Scheduling, retrying and cancelling publications: what people do to the queue (CLI, web and API alike)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from humas import authz
from humas.authz import Actor
from humas.env import Env
from humas.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied, RequirementsNotMet
from humas.queue import jobs
from humas.queue.states import CANCELLABLE, TERMINAL_STATES
from humas.queue.states import check as check_transition
from humas.store import audit
from humas.store.models import Content, ContentStatus, JobState, PublicationJob
from humas.workflow.engine import PlatformCheck, Workflow

#: A time this far in the past still counts as "now" (the seconds between typing and pressing enter).
PAST_GRACE = timedelta(minutes=1)


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2}|Z)?")
#: The format the web interface displays (``01-12-2026 14:00``): day first, in the configured time zone.
_DISPLAYED = re.compile(r"(\d{2})[-/](\d{2})[-/](\d{4})[ T](\d{2}):(\d{2})(?::(\d{2}))?")


def parse_when(env: Env, text: str) -> datetime:
    """``now``/``sekarang``, ``YYYY-MM-DD HH:MM[:SS]`` or the browser's ``YYYY-MM-DDTHH:MM``, or the displayed
    ``DD-MM-YYYY HH:MM`` (all in the configured time zone), or ISO 8601 with an offset."""
    t = text.strip()
    if t.lower() in ("now", "sekarang"):
        return env.clock()
    displayed = _DISPLAYED.fullmatch(t)
    if displayed is not None:
        day, month, year, hour, minute, second = displayed.groups()
        t = f"{year}-{month}-{day} {hour}:{minute}" + (f":{second}" if second else "")
    elif not _ISO.fullmatch(t):
        zone = env.settings.time.timezone
        raise InvalidInput(
            f"invalid time '{text}' (expected 'now', 'YYYY-MM-DD HH:MM' or 'DD-MM-YYYY HH:MM' in {zone})"
        )
    try:
        dt = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"invalid time '{text}' (no such date or time)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=env.tz)
    # both databases store it as UTC: a year outside this range does not convert (checked before converting)
    if not 1970 <= dt.year <= 9998 or not 1970 <= dt.astimezone(UTC).year <= 9998:
        raise InvalidInput(f"invalid time '{text}' (the year must be 1970-9998)")
    return dt


def _publish_roles(env: Env, c: Content) -> set[str]:
    return {env.sops.get(c.sop_id).publish_role}


def schedule(env: Env, session: Session, actor: Actor, content_id: int, at: datetime,
             accounts: list[str] | None = None, *, platform_check: PlatformCheck) -> list[PublicationJob]:
    """One publication job per target account for approved content; checks limits again, queues nothing on error.

    The workflow closes the content's publish step (the queue never moves content itself).
    """
    wf = Workflow(env, session, platform_check=platform_check)
    c = wf.get(content_id)
    roles = _publish_roles(env, c)
    if not authz.may_operate_queue(actor, roles):
        raise PermissionDenied(f"user '{actor.name}' may not schedule content: that needs the role "
                               f"{', '.join(sorted(env.sops.role_label(r) for r in roles))} or admin")
    if c.status != ContentStatus.APPROVED:
        raise InvalidTransition(f"content {c.id} is {c.status}: only approved content can be scheduled")
    now = env.clock()
    if at < now - PAST_GRACE:
        raise InvalidInput(f"the time {env.local(at):%Y-%m-%d %H:%M} is in the past")
    targets = list(dict.fromkeys(accounts or c.accounts))
    if not targets:
        raise InvalidInput(f"content {c.id} has no target account: pass --account NAME")
    for name in targets:
        acc = env.settings.account(name)
        if not acc.enabled:
            raise InvalidInput(f"account {name} is disabled in the config")
    problems = platform_check(c, targets)
    if problems:
        raise RequirementsNotMet(f"content {c.id} cannot be scheduled: " + "; ".join(problems))
    created = []
    for name in targets:
        acc = env.settings.account(name)
        created.append(jobs.add_post_job(session, content_id=c.id, account=name, platform=acc.platform.value,
                                         version_hash=c.version_hash, run_at=max(at, now),
                                         created_by_id=actor.id, now=now))
    wf.scheduled(c, actor, {"accounts": targets, "at": env.local(at).isoformat(timespec="minutes"),
                            "jobs": [j.id for j in created]})
    return created


def _job(session: Session, job_id: int) -> PublicationJob:
    job = session.get(PublicationJob, job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found")
    return job


def _authorise(env: Env, session: Session, actor: Actor, job: PublicationJob, doing: str) -> None:
    roles: set[str] = set()
    if job.content_id is not None:
        c = session.get(Content, job.content_id)
        if c is not None:
            roles = _publish_roles(env, c)
    else:
        roles = {"tim_sosial_media"}
    if not authz.may_operate_queue(actor, roles):
        raise PermissionDenied(f"user '{actor.name}' may not {doing} job {job.id}: that needs the role "
                               f"{', '.join(sorted(env.sops.role_label(r) for r in roles))} or admin")


def retry(env: Env, session: Session, actor: Actor, job_id: int) -> PublicationJob:
    """Send a failed (or waiting, or in-doubt) job again now. An in-doubt job is first checked on the platform."""
    job = _job(session, job_id)
    _authorise(env, session, actor, job, "retry")
    if job.state not in (JobState.FAILED, JobState.RETRY_WAIT, JobState.IN_DOUBT):
        raise InvalidTransition(f"job {job.id} is {job.state}: only failed, waiting or in-doubt jobs can be retried")
    now = env.clock()
    before = job.state
    if job.state == JobState.FAILED:
        check_transition([job.state], JobState.SCHEDULED)
        job.state = JobState.SCHEDULED
        job.attempts = 0
    job.run_at, job.updated_at = now, now
    audit.append(session, actor=actor.name, action="job.retried", subject_type="job", subject_id=job.id,
                 data={"from": before, "account": job.account}, at=now)
    if job.content_id is not None:
        c = session.get(Content, job.content_id)
        if c is not None:
            Workflow(env, session).retrying(c)
    return job


def move(env: Env, session: Session, actor: Actor, job_id: int, at: datetime) -> PublicationJob:
    """Give a scheduled job another time (the calendar's drag and drop), with the scheduling form's checks: the
    same roles, not in the past. Only a job still waiting for its time moves: one the dispatcher has claimed meanwhile
    is refused (the update is conditional on the state, so the two cannot both win)."""
    job = _job(session, job_id)
    _authorise(env, session, actor, job, "reschedule")
    if job.state != JobState.SCHEDULED:
        raise InvalidTransition(f"job {job.id} is {job.state}: only a scheduled job can be moved")
    now = env.clock()
    if at < now - PAST_GRACE:
        raise InvalidInput(f"the time {env.local(at):%Y-%m-%d %H:%M} is in the past")
    before = job.run_at
    stmt = (update(PublicationJob).where(PublicationJob.id == job.id, PublicationJob.state == JobState.SCHEDULED)
            .values(run_at=max(at, now), updated_at=now).execution_options(synchronize_session=False))
    moved = cast("CursorResult[Any]", session.execute(stmt)).rowcount
    if moved != 1:
        raise InvalidTransition(f"job {job.id} was taken for sending meanwhile: it can no longer be moved")
    session.refresh(job)
    audit.append(session, actor=actor.name, action="job.rescheduled", subject_type="job", subject_id=job.id,
                 data={"account": job.account, "from": env.local(before).isoformat(timespec="minutes"),
                       "to": env.local(job.run_at).isoformat(timespec="minutes")}, at=now)
    return job


def cancel(env: Env, session: Session, actor: Actor, job_id: int) -> PublicationJob:
    job = _job(session, job_id)
    _authorise(env, session, actor, job, "cancel")
    if job.state not in CANCELLABLE:
        raise InvalidTransition(f"job {job.id} is {job.state} and cannot be cancelled")
    now = env.clock()
    before = job.state
    check_transition([job.state], JobState.CANCELLED)
    job.state, job.updated_at, job.lease_owner, job.lease_until = JobState.CANCELLED, now, None, None
    audit.append(session, actor=actor.name, action="job.cancelled", subject_type="job", subject_id=job.id,
                 data={"from": before, "account": job.account}, at=now)
    if job.content_id is not None:
        settle_contents(env, session, [job.content_id], actor.name)
    return job


def settle_contents(env: Env, session: Session, content_ids: Iterable[int], actor_name: str) -> None:
    """Each content none of whose jobs is pending: published if any went out, else back to approved
    (reschedulable). One read for all of them, one update per outcome."""
    wanted = sorted(set(content_ids))
    if not wanted:
        return
    states: dict[tuple[int, str], list[str]] = {}
    for content_id, version_hash, state in session.execute(  # a scheduled content and its jobs' states
            select(Content.id, Content.version_hash, PublicationJob.state)
            .outerjoin(PublicationJob, PublicationJob.content_id == Content.id)
            .where(Content.id.in_(wanted), Content.status == ContentStatus.SCHEDULED)):
        states.setdefault((content_id, version_hash), []).extend([state] if state is not None else [])
    published, unscheduled = [], []
    for content, mine in states.items():
        if any(s not in TERMINAL_STATES for s in mine):
            continue
        if JobState.PUBLISHED in mine:
            published.append(content)
        elif all(s == JobState.CANCELLED for s in mine):
            # every job cancelled: approved again, so it can be scheduled anew (add_post_job revives cancelled rows)
            unscheduled.append(content)
    wf = Workflow(env, session)
    wf.settled(published, ContentStatus.PUBLISHED, actor_name, "content.published")
    wf.settled(unscheduled, ContentStatus.APPROVED, actor_name, "content.unscheduled")


def list_jobs(session: Session, status: str | None = None, content_id: int | None = None) -> list[PublicationJob]:
    q = select(PublicationJob).order_by(PublicationJob.run_at, PublicationJob.id)
    if status:
        if status not in {s.value for s in JobState}:
            raise InvalidInput(f"unknown status '{status}' (one of: {', '.join(s.value for s in JobState)})")
        q = q.where(PublicationJob.state == status)
    if content_id is not None:
        q = q.where(PublicationJob.content_id == content_id)
    return list(session.execute(q).scalars())


def job_dict(env: Env, job: PublicationJob) -> dict[str, Any]:
    return {
        "id": job.id, "kind": job.kind, "content_id": job.content_id, "case_id": job.case_id,
        "account": job.account, "platform": job.platform, "status": job.state,
        "run_at": env.local_iso(job.run_at), "attempts": job.attempts,
        "remote_id": job.remote_id, "remote_url": job.remote_url, "last_error": job.last_error,
        "published_at": env.local_iso(job.published_at),
    }
