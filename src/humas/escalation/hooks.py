"""What the dispatcher calls when a reply job ends, inside its own transaction (``session``).

* :func:`reply_posted`: the case becomes ``reply_posted``, its posting period closes, the reply is stored as the
  account's own comment (so polling recognises it and it is never classified), and the register says so.
* :func:`reply_failed`: the reply job is ``failed`` (the platform refused it, or retries ran out). The case stays
  ``approved`` (the answer was approved, and the job is the one place it may still be sent from: ``humas queue
  retry`` sends it, never a second job) with the failure noted on the case, its posting period left open so the
  time standard shows it late, and the escalation and response roles notified.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from humas.app import App
from humas.escalation.cases import SYSTEM, ResponsePath, close_period, record
from humas.monitor.store import store_comments
from humas.publisher.base import RemoteComment
from humas.store.models import Case, CaseStatus, PublicationJob

log = logging.getLogger("humas.escalation")


def _case(session: Session, job: PublicationJob) -> Case | None:
    case = session.get(Case, job.case_id) if job.case_id is not None else None
    if case is None:
        log.warning("reply job %s has no case (case_id=%s)", job.id, job.case_id)
    return case


def reply_posted(app: App, session: Session, job: PublicationJob, remote_id: str, remote_url: str | None) -> None:
    """The reply of ``job`` is on the platform as ``remote_id``. Idempotent."""
    case = _case(session, job)
    if case is None or case.status == CaseStatus.REPLY_POSTED:
        return
    now = app.clock()
    close_period(session, case, now, "posted")
    case.status, case.closed_at = CaseStatus.REPLY_POSTED, now
    comment = case.comment
    if remote_id:
        store_comments(session, comment.post, [RemoteComment(
            remote_id=remote_id, post_remote_id=comment.post.remote_id, text=case.draft_text,
            author_handle=comment.account, created_at=now, parent_remote_id=comment.remote_id, is_own=True,
        )], source="reply", now=now)
    role = ResponsePath.of(app.sops.get(case.sop_id)).response_role
    record(session, case, "case.reply_posted", SYSTEM, now, role=role,
           data={"job": job.id, "remote_id": remote_id, "remote_url": remote_url})


def reply_failed(app: App, session: Session, job: PublicationJob, error: str) -> None:
    """The reply of ``job`` could not be posted (job ``failed``): noted on the case, people notified."""
    case = _case(session, job)
    if case is None or case.status != CaseStatus.APPROVED:
        return
    now = app.clock()
    path = ResponsePath.of(app.sops.get(case.sop_id))
    case.note = f"Balasan gagal diposting (job {job.id}): {error}"[:2000]
    record(session, case, "case.reply_failed", SYSTEM, now, role=path.response_role, note=error[:2000],
           data={"job": job.id})
    notifier = app.notifier
    title = f"Balasan kasus #{case.id} gagal diposting"
    body = (f"Balasan yang sudah disetujui untuk komentar di akun {case.comment.account} gagal diposting.\n"
            f"Alasan: {error}\nPeriksa job {job.id} lalu kirim ulang dengan: humas queue retry {job.id}")
    for role in dict.fromkeys((path.response_role, path.escalation_role)):
        notifier.notify_role(role, title, body)
