"""The review list ("Perlu ditinjau"): comments the classifier was unsure about, decided by the escalation role.

A comment in the ``review`` tier waits here until the Redaktur (the SOP's escalation role) either

- **confirms** it: it is negative after all; a case opens (reason ``negative``) as if the model had been sure, or
- **dismisses** it: not negative; it is relabelled neutral or positive (the likelier of the two, unless the
  Redaktur names one), and a question among them moves to the questions list for the response role.

Either way the choice is a label correction (:class:`~humas.store.models.LabelFeedback`) that the learning loop
retrains on, and an entry in the audit register. Decisions take many comments at once and are all-or-nothing:
every comment is checked (exists, still on the list, the actor holds the escalation role of its SOP) before
anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from humas import authz
from humas.authz import Actor
from humas.env import Env
from humas.errors import InvalidInput, InvalidTransition, NotFound
from humas.escalation.cases import open_cases, path_for
from humas.store import audit
from humas.store.models import TO_REVIEW, Case, Comment, LabelFeedback

#: The most comments one decision takes (a page of the list).
MAX_BATCH = 200
#: A dismissed comment at least this likely to be a question goes to the questions list.
QUESTION_AFTER_DISMISS = 0.5

Outcome = Literal["confirmed", "dismissed"]


@dataclass
class ReviewResult:
    """What one decision did: the comments decided and, for confirmations, the cases opened."""

    outcome: Outcome
    comments: list[int] = field(default_factory=list)
    cases: list[int] = field(default_factory=list)
    questions: list[int] = field(default_factory=list)


def to_review(limit: int = 100, offset: int = 0) -> tuple[int, int]:
    """(limit, offset) checked for the list query; InvalidInput otherwise."""
    if not 1 <= limit <= 500 or offset < 0:
        raise InvalidInput("limit must be 1-500 and offset >= 0")
    return limit, offset


def pending(session: Session, *, limit: int = 100, offset: int = 0) -> list[Comment]:
    """Comments on the review list, the likeliest negatives first (then oldest first)."""
    limit, offset = to_review(limit, offset)
    q = (select(Comment).where(text(TO_REVIEW))  # the partial index's own text (models.TO_REVIEW)
         .order_by(Comment.p_negative.desc(), Comment.id).limit(limit).offset(offset))
    return list(session.execute(q).scalars())


def pending_count(session: Session) -> int:
    q = select(func.count()).select_from(Comment).where(text(TO_REVIEW))
    return int(session.execute(q).scalar_one())


class Review:
    """Decisions on the review list, in the caller's transaction (``session``)."""

    def __init__(self, env: Env, session: Session) -> None:
        self.env = env
        self.s = session

    def _take(self, actor: Actor, comment_ids: Sequence[int], doing: str) -> list[Comment]:
        ids = list(dict.fromkeys(comment_ids))
        if not ids:
            raise InvalidInput("choose at least one comment")
        if len(ids) > MAX_BATCH:
            raise InvalidInput(f"at most {MAX_BATCH} comments at once, got {len(ids)}")
        comments = {c.id: c for c in self.s.execute(
            select(Comment).where(Comment.id.in_(ids)).with_for_update(of=Comment)).scalars()}
        missing = [i for i in ids if i not in comments]
        if missing:
            raise NotFound(f"no comment {', '.join(map(str, missing))}")
        done = [i for i in ids if comments[i].tier != "review" or comments[i].reviewed_at is not None]
        if done:
            raise InvalidTransition(f"comment {', '.join(map(str, done))} is not on the review list (any more)")
        for comment in comments.values():
            role = path_for(self.env, self.s, comment.post).escalation_role
            authz.require_role(actor, role, f"{doing} comment {comment.id}", self.env.sops.role_label(role))
        return [comments[i] for i in ids]

    def _decide(self, actor: Actor, comment: Comment, outcome: Outcome, label: str) -> None:
        now = self.env.clock()
        self.s.add(LabelFeedback(comment_id=comment.id, text=comment.text, old_label=comment.label, label=label,
                                 user_id=actor.id, created_at=now))
        old = comment.label
        comment.label = label
        comment.reviewed_at, comment.reviewed_by_id, comment.review_outcome = now, actor.id, outcome
        role = path_for(self.env, self.s, comment.post).escalation_role
        audit.append(self.s, actor=actor.name, action=f"comment.review_{outcome}", role=role,
                     subject_type="comment", subject_id=comment.id, at=now,
                     data={"old_label": old, "label": label, "p_negative": comment.p_negative})

    def confirm(self, actor: Actor, comment_ids: Sequence[int]) -> ReviewResult:
        """These comments are negative: relabel them and open their cases."""
        comments = self._take(actor, comment_ids, "confirm")
        now = self.env.clock()
        result = ReviewResult("confirmed")
        for comment in comments:
            self._decide(actor, comment, "confirmed", "negative")
            comment.escalate, comment.triaged_at = True, now
            result.comments.append(comment.id)
        opened = open_cases(self.env, self.s, [(c, "negative") for c in comments], now)
        result.cases = [case.id for case in opened]
        return result

    def dismiss(self, actor: Actor, comment_ids: Sequence[int], label: str | None = None) -> ReviewResult:
        """These comments are not negative: relabel them (``label`` or the likelier of neutral/positive)."""
        if label is not None and label not in ("neutral", "positive"):
            raise InvalidInput(f"a dismissed comment is neutral or positive, not {label!r}")
        comments = self._take(actor, comment_ids, "dismiss")
        result = ReviewResult("dismissed")
        for comment in comments:
            chosen = label or ("positive" if (comment.p_positive or 0.0) > (comment.p_neutral or 0.0) else "neutral")
            self._decide(actor, comment, "dismissed", chosen)
            result.comments.append(comment.id)
            if (comment.p_question or 0.0) >= QUESTION_AFTER_DISMISS:
                comment.tier = "question"
                result.questions.append(comment.id)
        return result


def open_case_of(session: Session, comment_id: int) -> Case | None:
    return session.execute(select(Case).where(Case.comment_id == comment_id)).scalar_one_or_none()
