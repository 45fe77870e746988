"""What a reply job's end means for its case: the reply-kind :class:`~humas.queue.completion.Completion`, run
inside the dispatcher's transaction (``session``).

* posted: the case becomes ``reply_posted``, its posting period closes, the reply is stored as the account's own
  comment (so polling recognises it and it is never classified), and the register says so.
* failed: the reply job is ``failed`` (the platform refused it, or retries ran out). The case stays ``approved``
  (the answer was approved, and the job is the one place it may still be sent from: ``humas queue retry`` sends
  it, never a second job) with the failure noted on the case, its posting period left open so the time standard
  shows it late, and the escalation and response roles notified.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from humas.env import Env
from humas.escalation.cases import SYSTEM, ResponsePath, close_period, record
from humas.escalation.notices import reply_failed
from humas.monitor.store import store_comments
from humas.notify import Notifier
from humas.publisher.base import RemoteComment
from humas.queue.jobs import Published, PublishedJob
from humas.store import audit
from humas.store.models import Case, CaseStatus, PublicationJob

log = logging.getLogger("humas.escalation")


class ReplyCompletion:
    """The completion of ``reply`` jobs (registered for that kind at the composition root)."""

    def __init__(self, env: Env, notifier: Notifier) -> None:
        self.env = env
        self.notifier = notifier

    def published(self, session: Session, done: Sequence[Published], now: datetime) -> None:
        for d in done:
            job = d.job
            audit.append(session, actor=SYSTEM, action="reply.published", subject_type="job", subject_id=job.id,
                         note=d.note, data={"case": job.case_id, "remote_id": job.remote_id}, at=now)
            self.posted(session, job, job.remote_id or "", job.remote_url)

    def failed(self, session: Session, job: PublicationJob, message: str, now: datetime, *, rejected: bool) -> None:
        self.refused(session, job, message, rejected=rejected)

    def posted(self, session: Session, job: PublicationJob | PublishedJob, remote_id: str,
               remote_url: str | None) -> None:
        """The reply of ``job`` is on the platform as ``remote_id``. Idempotent."""
        case = _case(session, job)
        if case is None or case.status == CaseStatus.REPLY_POSTED:
            return
        now = self.env.clock()
        close_period(self.env, session, case, now, "posted")
        case.status, case.closed_at = CaseStatus.REPLY_POSTED, now
        comment = case.comment
        if remote_id:
            store_comments(session, comment.post, [RemoteComment(
                remote_id=remote_id, post_remote_id=comment.post.remote_id, text=case.draft_text,
                author_handle=comment.account, created_at=now, parent_remote_id=comment.remote_id, is_own=True,
            )], source="reply", now=now)
        role = ResponsePath.of(self.env.sops.get(case.sop_id)).response_role
        record(session, case, "case.reply_posted", SYSTEM, now, role=role,
               data={"job": job.id, "remote_id": remote_id, "remote_url": remote_url})

    def refused(self, session: Session, job: PublicationJob, error: str, *, rejected: bool = False) -> None:
        """The reply of ``job`` could not be posted (job ``failed``): noted on the case, people notified.
        ``rejected``: the platform refused the reply itself, so retrying cannot help."""
        case = _case(session, job)
        if case is None or case.status != CaseStatus.APPROVED:
            return
        now = self.env.clock()
        path = ResponsePath.of(self.env.sops.get(case.sop_id))
        case.note = f"Balasan gagal diposting (job {job.id}): {error}"[:2000]
        record(session, case, "case.reply_failed", SYSTEM, now, role=path.response_role, note=error[:2000],
               data={"job": job.id})
        reply_failed(self.notifier, path, case, job.id, error, rejected=rejected)


def _case(session: Session, job: PublicationJob | PublishedJob) -> Case | None:
    case = session.get(Case, job.case_id) if job.case_id is not None else None
    if case is None:
        log.warning("reply job %s has no case (case_id=%s)", job.id, job.case_id)
    return case
