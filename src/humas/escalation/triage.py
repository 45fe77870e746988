"""From classified comments to cases: open a case for each flagged comment, notify, auto-hide abusive ones.

The classification stage leaves comments classified (``classified_at``) and, where they need the escalation
role, flagged (``escalate``: negative or a problem needing an answer; ``abusive``). Each batch here is one
transaction that takes flagged rows without ``triaged_at`` with ``FOR UPDATE SKIP LOCKED`` (SQLite: the database
write lock), opens their cases and marks them triaged, so several daemons never open one case twice and a daemon
killed mid-batch leaves the rows for the next run. Comments that are not flagged are never written again here.
Notifications and auto-hiding happen after the commit: no network call while the transaction holds its locks, and
no message about something that was rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError

from humas.env import Env
from humas.errors import ContentRejected, HumasError
from humas.escalation.cases import SYSTEM, ResponsePath, mark_hidden, open_cases, record
from humas.publisher.base import AdapterFor, CommentRef
from humas.store.models import Case, CaseStatus, Comment

log = logging.getLogger("humas.escalation")
BATCH = 500


@dataclass(frozen=True)
class OpenedCase:
    """What the escalation role is told about a new case."""

    case_id: int
    comment_id: int
    account: str
    post_remote_id: str
    post_url: str | None
    reason: str
    role: str
    text: str
    author: str
    abusive: bool


@dataclass
class TriageReport:
    triaged: int = 0
    cases: list[int] = field(default_factory=list)
    hidden: list[int] = field(default_factory=list)
    hide_failed: list[int] = field(default_factory=list)


def untriaged(limit: int) -> Select[int]:
    """Flagged comments without a case yet, oldest first; served by the partial index over exactly these rows."""
    return (select(Comment.id)
            .where(Comment.classified_at.is_not(None), Comment.triaged_at.is_(None),
                   or_(Comment.escalate, Comment.abusive))
            .order_by(Comment.id)
            .limit(limit))


def reason_for(c: Comment) -> str:
    """Why a comment is escalated: abusive words first, then negative (the case tier)."""
    if c.abusive:
        return "abusive"
    if c.label == "negative" or c.tier == "case":
        return "negative"
    return "needs_answer"  # flagged before triage tiers existed: a calm report of a problem


class Escalator:
    """Opens the cases of classified comments. ``notify_case`` tells the escalation role about each new case."""

    def __init__(self, env: Env, *, adapter_for: AdapterFor, notify_case: Callable[[OpenedCase], object]) -> None:
        self.env = env
        self.adapter_for = adapter_for
        self.notify_case = notify_case

    def run(self, now: datetime | None = None) -> TriageReport:
        """Triage classified comments in batches until none is left."""
        report = TriageReport()
        while True:
            try:
                opened = self._batch(now or self.env.clock(), report)
            except IntegrityError:  # a case opened meanwhile by someone else: the batch is retried next run
                log.warning("escalation batch rolled back (a concurrent case); retried on the next run")
                break
            if opened is None:
                break
            self._after_commit(opened, report)
        return report

    def _batch(self, now: datetime, report: TriageReport) -> list[OpenedCase] | None:
        with self.env.db.session() as s:
            ids = list(s.execute(untriaged(BATCH).with_for_update(skip_locked=True)).scalars())
            if not ids:
                return None
            comments = list(s.execute(select(Comment).where(Comment.id.in_(ids)).order_by(Comment.id)).scalars())
            flagged: list[tuple[Comment, str]] = []
            for comment in comments:
                comment.triaged_at = now
                flagged.append((comment, reason_for(comment)))
            report.triaged += len(comments)
            by_id = {c.id: c for c, _ in flagged}
            opened = []
            for case in open_cases(self.env, s, flagged, now):
                comment = by_id[case.comment_id]
                role = ResponsePath.of(self.env.sops.get(case.sop_id)).escalation_role
                opened.append(OpenedCase(case.id, comment.id, comment.account, comment.post.remote_id,
                                         comment.post.remote_url, case.reason, role, comment.text,
                                         comment.author_handle, comment.abusive))
        return opened

    def _after_commit(self, opened: list[OpenedCase], report: TriageReport) -> None:
        auto_hide = self.env.settings.sentiment.auto_hide_abusive
        for oc in opened:
            report.cases.append(oc.case_id)
            if auto_hide and oc.abusive:
                if self.auto_hide(oc.case_id):
                    report.hidden.append(oc.case_id)
                else:
                    report.hide_failed.append(oc.case_id)
            try:
                self.notify_case(oc)
            except Exception:  # a notification never stops the pipeline
                log.exception("case %s: notification failed", oc.case_id)

    def auto_hide(self, case_id: int) -> bool:
        """Hide an abusive comment on the platform; where it cannot be hidden the case stays open with a note."""
        with self.env.db.session() as s:
            case = s.get(Case, case_id)
            if case is None or case.status != CaseStatus.OPEN:
                return False
            comment = case.comment
            ref = CommentRef(comment.account, comment.post.remote_id, comment.remote_id)
        try:
            self.adapter_for(ref.account).hide_comment(ref)
            problem = ""
        except ContentRejected as exc:
            problem = ("platform ini tidak mendukung menyembunyikan komentar" if exc.rule == "unsupported"
                       else exc.message)
        except HumasError as exc:
            problem = exc.message
        now = self.env.clock()
        with self.env.db.session() as s:
            case = s.get(Case, case_id)
            if case is None or case.status != CaseStatus.OPEN:
                return False
            role = ResponsePath.of(self.env.sops.get(case.sop_id)).escalation_role
            if problem:
                case.note = f"Gagal disembunyikan otomatis: {problem}"
                record(s, case, "case.auto_hide_failed", SYSTEM, now, role=role, note=problem)
                return False
            mark_hidden(self.env, s, case, SYSTEM, role, now, note="disembunyikan otomatis: kata kasar")
        return True
