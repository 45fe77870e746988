"""Cases: public comments the SOP's escalation role must see, from opening to a posted (or no) reply.

```
open ──draft──▶ reply_drafted ──approve──▶ approved ──(dispatcher: posted)──▶ reply_posted
  ▲               │   ▲    │
  │          reject   draft (a new version, before the decision)
  │               ▼   │
  │            rejected ──draft──▶ reply_drafted
open | reply_drafted | rejected ──dismiss──▶ dismissed      (escalation role, with a reason)
open | reply_drafted | rejected ──hide──▶ hidden            (escalation role; the platform hides the comment)
```

Drafting belongs to the SOP's ``response_role`` (default ``tim_sosial_media``); approving, rejecting, dismissing,
hiding and relabelling to its ``escalation_role`` (default ``redaktur``). Approval queues the reply through the
publishing queue (:func:`humas.queue.jobs.enqueue_reply`: one reply job per case, ever). Time at each state is
measured against the SOP's ``response_steps`` (StepPeriods with ``subject_type="case"``), and every transition is
appended to the audit register (``subject_type="case"``). Every method runs in the caller's transaction and checks
everything before it writes anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from humas import authz, limits
from humas.authz import Actor
from humas.config import Settings
from humas.env import Env
from humas.errors import ContentRejected, InvalidInput, InvalidTransition, NotFound
from humas.publisher.base import AdapterFor, CommentRef, Platform, text_length
from humas.publisher.limits import LIMITS
from humas.queue.jobs import enqueue_reply
from humas.sentiment.base import LABELS
from humas.sop.model import SOP, Step
from humas.store import audit
from humas.store.models import (
    Case,
    CaseStatus,
    Comment,
    Content,
    JobState,
    LabelFeedback,
    Post,
    PublicationJob,
    StepPeriod,
)

SYSTEM = "humas"
DEFAULT_RESPONSE_ROLE = "tim_sosial_media"
DEFAULT_ESCALATION_ROLE = "redaktur"
REASONS = ("negative", "abusive", "needs_answer", "direct")

C = CaseStatus
DRAFTABLE = frozenset({C.OPEN, C.REJECTED, C.REPLY_DRAFTED})
CLOSABLE = frozenset({C.OPEN, C.REPLY_DRAFTED, C.REJECTED})
#: an approved reply whose job ended without posting (the platform refused it, or it was cancelled): the case may be
#: closed by hand, e.g. after answering on the platform itself
REPLY_GAVE_UP = frozenset({JobState.FAILED, JobState.CANCELLED})
FINAL = frozenset({C.REPLY_POSTED, C.DISMISSED, C.HIDDEN})


@dataclass(frozen=True)
class ResponsePath:
    """An SOP's response steps as the three moments of a case: drafting, approval, posting (each may be absent)."""

    sop: SOP
    draft: Step | None
    review: Step | None
    post: Step | None

    @property
    def response_role(self) -> str:
        return self.sop.response_role or (self.draft.role if self.draft else DEFAULT_RESPONSE_ROLE)

    @property
    def escalation_role(self) -> str:
        return self.sop.escalation_role or (self.review.role if self.review else DEFAULT_ESCALATION_ROLE)

    @classmethod
    def of(cls, sop: SOP) -> ResponsePath:
        steps = sop.response_steps
        draft = next((s for s in steps if s.action == "respond"), None)
        review = next((s for s in steps if s.action == "review"), None)
        post = None
        if review is not None:
            after = steps[steps.index(review) + 1 :]
            post = next((s for s in after if s.action == "respond"), None)
        return cls(sop, draft, review, post)


def sop_for_post(env: Env, session: Session, post: Post) -> SOP:
    """The SOP of the content the post came from; the installation's default SOP otherwise."""
    sop_id = env.settings.default_sop
    if post.content_id is not None:
        content = session.get(Content, post.content_id)
        if content is not None:
            sop_id = content.sop_id
    try:
        return env.sops.get(sop_id)
    except NotFound:
        return env.sops.get(env.settings.default_sop)


def path_for(env: Env, session: Session, post: Post) -> ResponsePath:
    return ResponsePath.of(sop_for_post(env, session, post))


def open_period(env: Env, session: Session, case_id: int) -> StepPeriod | None:
    return env.timer.current(session, "case", case_id)


def enter_step(env: Env, session: Session, case: Case, step: Step | None, now: datetime) -> None:
    """Start measuring ``step`` for the case (nothing when the SOP has no such response step)."""
    if step is not None:
        env.timer.enter(session, "case", case.id, case.sop_id, step, now)


def close_period(env: Env, session: Session, case: Case, now: datetime, outcome: str, by: int | None = None) -> None:
    env.timer.close(session, "case", case.id, now, outcome, by)


def entry(case: Case, action: str, actor: str, now: datetime, *, role: str = "", note: str = "",
          data: dict[str, object] | None = None) -> audit.Entry:
    """A register entry about a case (its status after the transition always included)."""
    return audit.Entry(actor=actor, action=action, role=role, subject_type="case", subject_id=case.id, note=note,
                       data={"status": case.status, "comment": case.comment_id, **(data or {})}, at=now)


def record(session: Session, case: Case, action: str, actor: str, now: datetime, *, role: str = "", note: str = "",
           data: dict[str, object] | None = None) -> None:
    """Append one :func:`entry` about a case."""
    audit.append_many(session, [entry(case, action, actor, now, role=role, note=note, data=data)])


def open_cases(env: Env, session: Session, items: Sequence[tuple[Comment, str]], now: datetime) -> list[Case]:
    """Open a case for each (comment, reason), the system's action after classification; comments that already
    have a case are skipped. A few statements for the whole batch: the cases, their timers and their register
    entries are each inserted together."""
    for _, reason in items:
        if reason not in REASONS:
            raise InvalidInput(f"unknown case reason {reason!r}")
    ids = [c.id for c, _ in items]
    have = set(session.execute(select(Case.comment_id).where(Case.comment_id.in_(ids))).scalars()) if ids else set()
    paths: dict[int, ResponsePath] = {}
    opened: list[tuple[Case, Comment, ResponsePath]] = []
    for comment, reason in items:
        if comment.id in have:
            continue
        have.add(comment.id)
        path = paths.get(comment.post_id) or paths.setdefault(comment.post_id, path_for(env, session, comment.post))
        opened.append((Case(comment_id=comment.id, status=C.OPEN, reason=reason, sop_id=path.sop.id, opened_at=now),
                       comment, path))
    if not opened:
        return []
    session.add_all([case for case, _, _ in opened])
    session.flush()
    session.add_all([env.timer.period("case", case.id, case.sop_id, path.draft, now)
                     for case, _, path in opened if path.draft is not None])
    session.flush()  # the batch's timers, inserted together
    audit.append_many(session, [
        entry(case, "case.opened", SYSTEM, now, role=path.escalation_role,
              data={"reason": case.reason, "label": comment.label, "p_negative": comment.p_negative,
                    "account": comment.account, "post": comment.post.remote_id, "comment_remote_id": comment.remote_id})
        for case, comment, path in opened])
    return [case for case, _, _ in opened]


def open_case(env: Env, session: Session, comment: Comment, reason: str, now: datetime) -> Case | None:
    """Open the comment's case; None when it already has one."""
    cases = open_cases(env, session, [(comment, reason)], now)
    return cases[0] if cases else None


def check_reply_text(settings: Settings, account: str, text: str) -> str:
    """The reply as it will be sent (stripped); InvalidInput when empty or too long for the platform."""
    body = text.strip()
    if not body:
        raise InvalidInput("the reply is empty (--text)")
    limits.check_text("reply", body)
    platform = settings.account(account).behaves_like
    platform_limits = LIMITS.get(platform)
    if platform_limits is not None and platform_limits.reply_max is not None:
        n = text_length(body, "x-weighted" if platform is Platform.X else "chars")
        if n > platform_limits.reply_max:
            raise InvalidInput(f"the reply has {n} characters; {platform.value} accepts at most "
                               f"{platform_limits.reply_max}")
    return body


class Cases:
    """The people's side of cases, in one transaction (``session``); see the module docstring."""

    def __init__(self, env: Env, session: Session, adapter_for: AdapterFor) -> None:
        self.env = env
        self.s = session
        self.adapter_for = adapter_for

    # --- lookups ------------------------------------------------------------------------------------------------

    def get(self, case_id: int) -> Case:
        case = self.s.get(Case, case_id)
        if case is None:
            raise NotFound(f"no case {case_id}")
        return case

    def comment(self, comment_id: int) -> Comment:
        comment = self.s.get(Comment, comment_id)
        if comment is None:
            raise NotFound(f"no comment {comment_id}")
        return comment

    def path(self, case: Case) -> ResponsePath:
        try:
            return ResponsePath.of(self.env.sops.get(case.sop_id))
        except NotFound:
            return path_for(self.env, self.s, case.comment.post)

    def _require(self, actor: Actor, role: str, doing: str) -> None:
        authz.require_role(actor, role, doing, self.env.sops.role_label(role))

    @staticmethod
    def _state(case: Case, allowed: frozenset[CaseStatus], verb: str) -> None:
        if case.status not in allowed:
            raise InvalidTransition(f"case {case.id} is {case.status}: it cannot be {verb} now")

    def reply_gave_up(self, case: Case) -> bool:
        """True when ``case`` was approved but its reply job ended without posting: it may be dismissed."""
        if case.status != C.APPROVED or case.reply_job_id is None:
            return False
        job = self.s.get(PublicationJob, case.reply_job_id)
        return job is not None and job.state in REPLY_GAVE_UP

    # --- transitions --------------------------------------------------------------------------------------------

    def draft(self, actor: Actor, case_id: int, text: str) -> Case:
        """Write (or rewrite) the answer; the case goes to the escalation role for approval."""
        case = self.get(case_id)
        path = self.path(case)
        self._require(actor, path.response_role, f"draft the answer to case {case.id}")
        self._state(case, DRAFTABLE, "drafted")
        body = check_reply_text(self.env.settings, case.comment.account, text)
        now = self.env.clock()
        again = case.status == C.REPLY_DRAFTED
        case.draft_text, case.drafted_by_id, case.drafted_at = body, actor.id, now
        if not again:
            close_period(self.env, self.s, case, now, "drafted", actor.id)
            case.status = C.REPLY_DRAFTED
            enter_step(self.env, self.s, case, path.review, now)
        record(self.s, case, "case.redrafted" if again else "case.drafted", actor.name, now,
               role=path.response_role, data={"text": body})
        return case

    def approve(self, actor: Actor, case_id: int, note: str = "") -> Case:
        """Approve the drafted answer and queue it for posting (once: a second reply job is refused)."""
        limits.check_text("note", note)
        case = self.get(case_id)
        path = self.path(case)
        self._require(actor, path.escalation_role, f"approve the answer of case {case.id}")
        self._state(case, frozenset({C.REPLY_DRAFTED}), "approved")
        return self._approve(actor, case, path, note)

    def _approve(self, actor: Actor, case: Case, path: ResponsePath, note: str, action: str = "case.approved") -> Case:
        now = self.env.clock()
        comment = case.comment
        post = comment.post
        job = enqueue_reply(self.s, case_id=case.id, account=post.account, platform=post.platform,
                            post_remote_id=post.remote_id, comment_remote_id=comment.remote_id,
                            text=case.draft_text, run_at=now, created_by_id=actor.id, now=now)
        close_period(self.env, self.s, case, now, "approved", actor.id)
        case.status, case.decided_by_id, case.decided_at = C.APPROVED, actor.id, now
        case.reply_job_id = job.id
        case.note = note  # an earlier rejection's note is answered now (the register keeps it)
        enter_step(self.env, self.s, case, path.post, now)
        record(self.s, case, action, actor.name, now, role=path.escalation_role, note=note,
               data={"job": job.id, "text": case.draft_text})
        return case

    def reject(self, actor: Actor, case_id: int, note: str) -> Case:
        """Send the draft back to the response role with a note saying what to change."""
        limits.check_text("note", note)
        case = self.get(case_id)
        path = self.path(case)
        self._require(actor, path.escalation_role, f"reject the answer of case {case.id}")
        self._state(case, frozenset({C.REPLY_DRAFTED}), "rejected")
        if not note.strip():
            raise InvalidInput("a rejection needs a note (--note) saying what to change")
        now = self.env.clock()
        close_period(self.env, self.s, case, now, "rejected", actor.id)
        case.status, case.decided_by_id, case.decided_at, case.note = C.REJECTED, actor.id, now, note.strip()
        back = path.draft
        if path.review is not None and path.review.on_reject is not None:
            back = path.sop.step(path.review.on_reject)
        enter_step(self.env, self.s, case, back, now)
        record(self.s, case, "case.rejected", actor.name, now, role=path.escalation_role, note=case.note)
        return case

    def dismiss(self, actor: Actor, case_id: int, reason: str) -> Case:
        """Close the case without an answer (spam, already answered elsewhere...), with the reason."""
        limits.check_text("reason", reason)
        case = self.get(case_id)
        path = self.path(case)
        self._require(actor, path.escalation_role, f"dismiss case {case.id}")
        if not self.reply_gave_up(case):
            self._state(case, CLOSABLE, "dismissed")
        if not reason.strip():
            raise InvalidInput("dismissing a case needs a reason (--reason)")
        now = self.env.clock()
        close_period(self.env, self.s, case, now, "dismissed", actor.id)
        case.status, case.note, case.closed_at = C.DISMISSED, reason.strip(), now
        case.decided_by_id, case.decided_at = actor.id, now
        record(self.s, case, "case.dismissed", actor.name, now, role=path.escalation_role, note=case.note)
        return case

    def hide(self, actor: Actor, case_id: int) -> Case:
        """Hide the comment on the platform and close the case; a clear error where the platform cannot hide."""
        case = self.get(case_id)
        path = self.path(case)
        self._require(actor, path.escalation_role, f"hide the comment of case {case.id}")
        self._state(case, CLOSABLE, "hidden")
        comment = case.comment
        try:
            self.adapter_for(comment.account).hide_comment(
                CommentRef(comment.account, comment.post.remote_id, comment.remote_id))
        except ContentRejected as exc:
            if exc.rule == "unsupported":
                raise InvalidTransition(
                    f"account {comment.account} cannot hide comments on its platform ({exc.message}); "
                    f"answer the comment or dismiss case {case.id}"
                ) from exc
            raise
        mark_hidden(self.env, self.s, case, actor.name, path.escalation_role, self.env.clock(), by=actor.id)
        return case

    def relabel(self, actor: Actor, case_id: int, label: str) -> Case:
        """Correct the comment's sentiment label; the correction feeds ``sentiment train --include-feedback``."""
        case = self.get(case_id)
        path = self.path(case)
        self._require(actor, path.escalation_role, f"correct the label of case {case.id}")
        old = self._relabel(actor, case.comment, label)
        record(self.s, case, "case.relabelled", actor.name, self.env.clock(), role=path.escalation_role,
               data={"old_label": old, "label": label})
        return case

    def relabel_comment(self, actor: Actor, comment_id: int, label: str) -> Comment:
        """Correct the label of a comment that has no case (a missed negative, say)."""
        comment = self.comment(comment_id)
        path = path_for(self.env, self.s, comment.post)
        self._require(actor, path.escalation_role, f"correct the label of comment {comment.id}")
        old = self._relabel(actor, comment, label)
        audit.append(self.s, actor=actor.name, action="comment.relabelled", role=path.escalation_role,
                     subject_type="comment", subject_id=comment.id, data={"old_label": old, "label": label},
                     at=self.env.clock())
        return comment

    def _relabel(self, actor: Actor, comment: Comment, label: str) -> str | None:
        if label not in LABELS:
            raise InvalidInput(f"unknown label {label!r} (use {', '.join(LABELS)})")
        if comment.is_own:
            raise InvalidInput(f"comment {comment.id} is the account's own reply; it has no sentiment label")
        old = comment.label
        self.s.add(LabelFeedback(comment_id=comment.id, text=comment.text, old_label=old, label=label,
                                 user_id=actor.id, created_at=self.env.clock()))
        comment.label = label
        return old

    def reply_direct(self, actor: Actor, comment_id: int, text: str) -> Case:
        """Answer a comment that was not escalated.

        Where the SOP allows direct answers (``direct_reply``), the reply is queued at once; otherwise it goes to
        the escalation role as a drafted case. Either way it is a case with reason ``direct``, so the comment is
        answered once through the publishing queue.
        """
        comment = self.comment(comment_id)
        path = path_for(self.env, self.s, comment.post)
        self._require(actor, path.response_role, f"answer comment {comment.id}")
        if comment.is_own:
            raise InvalidInput(f"comment {comment.id} is the account's own reply")
        if comment.deleted:
            raise InvalidTransition(f"comment {comment.id} was deleted on the platform")
        existing = self.s.execute(select(Case).where(Case.comment_id == comment.id)).scalar_one_or_none()
        if existing is not None:
            if existing.reason == "direct":
                raise InvalidTransition(f"comment {comment.id} is already answered (case {existing.id}, "
                                        f"{existing.status})")
            raise InvalidTransition(
                f"comment {comment.id} is escalated as case {existing.id} ({existing.status}): draft the answer "
                f"with 'humas cases draft {existing.id}' for the {self.env.sops.role_label(path.escalation_role)}'s "
                "approval"
            )
        if comment.classified_at is None:
            raise InvalidTransition(f"comment {comment.id} is not classified yet; try again after the monitor's "
                                    "next run")
        if comment.escalate or comment.abusive:
            raise InvalidTransition(f"comment {comment.id} is flagged and needs the "
                                    f"{self.env.sops.role_label(path.escalation_role)}'s approval")
        if comment.tier == "review" and comment.reviewed_at is None:
            raise InvalidTransition(f"comment {comment.id} waits on the review list: the "
                                    f"{self.env.sops.role_label(path.escalation_role)} decides first")
        body = check_reply_text(self.env.settings, comment.account, text)
        now = self.env.clock()
        case = Case(comment_id=comment.id, status=C.REPLY_DRAFTED, reason="direct", sop_id=path.sop.id,
                    opened_at=now, draft_text=body, drafted_by_id=actor.id, drafted_at=now)
        try:
            with self.s.begin_nested():
                self.s.add(case)
                self.s.flush()
        except IntegrityError:
            raise InvalidTransition(f"comment {comment.id} got a case meanwhile; see 'humas cases list'") from None
        if path.sop.direct_reply:
            return self._approve(actor, case, path, "", action="case.direct_reply")
        enter_step(self.env, self.s, case, path.review, now)
        record(self.s, case, "case.drafted", actor.name, now, role=path.response_role,
               data={"text": body, "direct": True})
        return case


def mark_hidden(env: Env, session: Session, case: Case, actor: str, role: str, now: datetime, *,
                by: int | None = None, note: str = "") -> None:
    """The comment is hidden on the platform: close the case (``hidden``)."""
    close_period(env, session, case, now, "hidden", by)
    case.status, case.closed_at = C.HIDDEN, now
    if by is not None:
        case.decided_by_id, case.decided_at = by, now
    if note:
        case.note = note
    case.comment.hidden = True
    record(session, case, "case.hidden", actor, now, role=role, note=note)
