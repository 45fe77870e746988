"""From stored comments to labels and cases: classify what is pending, open cases, notify, auto-hide.

Pending comments are the public ones (not the account's own, not deleted) without ``classified_at``. Each batch is
one transaction that takes its rows with ``FOR UPDATE SKIP LOCKED`` (SQLite: the database write lock), so several
daemons (or a webhook next to a daemon) never classify one comment twice, and a daemon killed mid-batch leaves the
rows pending for the next run. Notifications and auto-hiding happen after the commit: no network call while the
transaction holds its locks, and no message about something that was rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from humas.app import App
from humas.errors import ContentRejected, HumasError
from humas.escalation.cases import SYSTEM, AdapterFor, ResponsePath, mark_hidden, open_cases, record
from humas.escalation.classify import classifier_for, db_batch_size
from humas.publisher.base import CommentRef
from humas.sentiment.base import Classifier, Prediction
from humas.store.models import Case, CaseStatus, Comment

log = logging.getLogger("humas.escalation")


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
class PipelineReport:
    classified: int = 0
    by_label: dict[str, int] = field(default_factory=dict)
    cases: list[int] = field(default_factory=list)
    hidden: list[int] = field(default_factory=list)
    hide_failed: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"classified": self.classified, "by_label": dict(self.by_label), "cases": list(self.cases),
                "hidden": list(self.hidden), "hide_failed": list(self.hide_failed)}


def reason_for(p: Prediction) -> str:
    """Why a comment is escalated: abusive words first, then a negative label, else a problem needing an answer."""
    if p.abusive:
        return "abusive"
    if p.label == "negative":
        return "negative"
    return "needs_answer"


class Escalator:
    """Classifies pending comments and opens their cases. ``classifier``: the App's, built on first use."""

    def __init__(
        self,
        app: App,
        *,
        classifier: Classifier | None = None,
        notify_case: Callable[[OpenedCase], object] | None = None,
        adapter_for: AdapterFor | None = None,
    ) -> None:
        self.app = app
        self._classifier = classifier
        self._notify_case = notify_case
        self.adapter_for = adapter_for or app.adapters.get

    @property
    def classifier(self) -> Classifier:
        if self._classifier is None:
            self._classifier = classifier_for(self.app)
        return self._classifier

    def notify_case(self, opened: OpenedCase) -> None:
        send = self._notify_case or self.app.notifier.case_opened
        send(opened)

    def process_pending(self, now: datetime | None = None, *, limit: int | None = None) -> PipelineReport:
        """Classify pending comments in batches until none is left (or ``limit`` were done)."""
        report = PipelineReport()
        size = db_batch_size(self.app)
        while limit is None or report.classified < limit:
            take = size if limit is None else min(size, limit - report.classified)
            try:
                opened = self._batch(now or self.app.clock(), take, report)
            except IntegrityError:  # a case opened meanwhile by someone else: the batch is retried next run
                log.warning("classification batch rolled back (a concurrent case); retried on the next run")
                break
            if opened is None:
                break
            self._after_commit(opened, report)
        return report

    def _batch(self, now: datetime, take: int, report: PipelineReport) -> list[OpenedCase] | None:
        with self.app.db.session() as s:
            ids = list(s.execute(
                select(Comment.id)
                .where(Comment.classified_at.is_(None), Comment.is_own.is_(False), Comment.deleted.is_(False))
                .order_by(Comment.id)
                .limit(take)
                .with_for_update(skip_locked=True)
            ).scalars())
            if not ids:
                return None
            comments = list(s.execute(select(Comment).where(Comment.id.in_(ids)).order_by(Comment.id)).scalars())
            predictions = self.classifier.classify([c.text for c in comments])
            flagged: list[tuple[Comment, str]] = []
            for comment, p in zip(comments, predictions, strict=True):
                comment.label = p.label
                comment.p_negative = p.probabilities.get("negative")
                comment.p_neutral = p.probabilities.get("neutral")
                comment.p_positive = p.probabilities.get("positive")
                comment.escalate, comment.abusive, comment.classified_at = p.needs_escalation, p.abusive, now
                report.classified += 1
                report.by_label[p.label] = report.by_label.get(p.label, 0) + 1
                if p.needs_escalation or p.abusive:
                    flagged.append((comment, reason_for(p)))
            by_id = {c.id: c for c, _ in flagged}
            opened = []
            for case in open_cases(self.app, s, flagged, now):
                comment = by_id[case.comment_id]
                role = ResponsePath.of(self.app.sops.get(case.sop_id)).escalation_role
                opened.append(OpenedCase(case.id, comment.id, comment.account, comment.post.remote_id,
                                         comment.post.remote_url, case.reason, role, comment.text,
                                         comment.author_handle, comment.abusive))
        return opened

    def _after_commit(self, opened: list[OpenedCase], report: PipelineReport) -> None:
        auto_hide = self.app.settings.sentiment.auto_hide_abusive
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
        with self.app.db.session() as s:
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
        now = self.app.clock()
        with self.app.db.session() as s:
            case = s.get(Case, case_id)
            if case is None or case.status != CaseStatus.OPEN:
                return False
            role = ResponsePath.of(self.app.sops.get(case.sop_id)).escalation_role
            if problem:
                case.note = f"Gagal disembunyikan otomatis: {problem}"
                record(s, case, "case.auto_hide_failed", SYSTEM, now, role=role, note=problem)
                return False
            mark_hidden(s, case, SYSTEM, role, now, note="disembunyikan otomatis: kata kasar")
        return True
