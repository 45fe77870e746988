"""What happens when a job ends, by kind: the table the dispatcher completes jobs through.

The dispatcher knows how to send a job and which outcome it had; what that outcome means for the stage the job
came from (a post for content, a reply for a case) is that stage's business. The composition root registers one
:class:`Completion` per job kind; each runs inside the dispatcher's transaction for the outcome, after the job's
own state was written. The posts of one claimed batch are completed together, in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from humas.accounts.state import AccountStates
from humas.env import Env
from humas.notify import Notifier
from humas.queue.jobs import Published
from humas.queue.service import settle_contents
from humas.queue.states import TERMINAL_STATES
from humas.store import audit
from humas.store.models import Content, ContentStatus, JobState, Post, PublicationJob, table
from humas.workflow.engine import Workflow

SYSTEM = "humas"


class Completion(Protocol):
    """One job kind's outcomes. Both run in the dispatcher's transaction (``session``) and must be idempotent."""

    def published(self, session: Session, done: Sequence[Published], now: datetime) -> None:
        """These jobs' posts or replies are on the platform (their rows already say ``published``)."""
        ...

    def failed(self, session: Session, job: PublicationJob, message: str, now: datetime, *, rejected: bool) -> None:
        """The job is ``failed`` for good (``rejected``: the platform refused the content itself)."""
        ...


Completions = Mapping[str, Completion]


class PostCompletion:
    """A post of approved content: the post is recorded for the monitor, the account's pacing counts it, and the
    workflow settles the content once none of its jobs is pending."""

    def __init__(self, env: Env, states: AccountStates, notifier: Notifier | None = None) -> None:
        self.env = env
        self.states = states
        self.notifier = notifier

    def published(self, session: Session, done: Sequence[Published], now: datetime) -> None:
        posts = [{"job_id": d.job.id, "content_id": d.job.content_id, "account": d.job.account,
                  "platform": d.job.platform, "remote_id": d.result.remote_id, "remote_url": d.result.remote_url,
                  "published_at": d.job.published_at, "next_poll_at": now}
                 for d in done if d.result is not None and d.result.remote_id]
        if posts:  # for the monitor, in one statement
            session.execute(insert(table(Post)), posts)
        self.states.record_published(session, [d.job.account for d in done], now)
        audit.append_many(session, [
            audit.Entry(actor=SYSTEM, action="job.published", subject_type="job", subject_id=d.job.id, note=d.note,
                        data={"content": d.job.content_id, "account": d.job.account, "remote_id": d.job.remote_id,
                              "remote_url": d.job.remote_url}, at=now)
            for d in done])
        settle_contents(self.env, session, [d.job.content_id for d in done if d.job.content_id is not None], SYSTEM)

    def failed(self, session: Session, job: PublicationJob, message: str, now: datetime, *, rejected: bool) -> None:
        if job.content_id is None:
            return
        settle_contents(self.env, session, [job.content_id], SYSTEM)
        if rejected:
            self._return_to_editor(session, job, message)

    def _return_to_editor(self, session: Session, job: PublicationJob, message: str) -> None:
        content = session.get(Content, job.content_id)
        if content is None or content.status != ContentStatus.SCHEDULED:
            return
        states = set(session.execute(select(PublicationJob.state).where(PublicationJob.content_id == content.id))
                     .scalars())
        if JobState.PUBLISHED in states or not states <= set(TERMINAL_STATES):
            return  # some account published it, or other jobs are pending: the content stays where it is
        # nothing went out and nothing is pending: back to the step that owns editing, with the platform's words
        Workflow(self.env, session, notifier=self.notifier).return_to_editor(content, SYSTEM,
                                                                             f"{job.account}: {message}")
