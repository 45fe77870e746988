"""Comments and cases as plain rows (dicts) for the CLI's ``--json``, the web pages and the API.

Comment text is untrusted: these rows carry it verbatim; whoever renders them escapes it (rich ``Text``, Jinja2
autoescape).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from humas.env import Env
from humas.errors import InvalidInput
from humas.sentiment.base import LABELS
from humas.store.dialect import contains
from humas.store.models import Case, CaseStatus, Comment, Post, StepPeriod

ACTIVE = (CaseStatus.OPEN, CaseStatus.REPLY_DRAFTED, CaseStatus.REJECTED, CaseStatus.APPROVED)
#: Comment filters besides a case status: escalated or abusive, on the review list, questions without an answer,
#: without a case, hidden on the platform.
COMMENT_STATES = ("flagged", "to_review", "question", "no_case", "hidden")


def _probs(c: Comment) -> dict[str, float] | None:
    if c.classified_at is None:
        return None
    return {"negative": round(c.p_negative or 0.0, 4), "neutral": round(c.p_neutral or 0.0, 4),
            "positive": round(c.p_positive or 0.0, 4)}


def comment_row(env: Env, c: Comment, case: Case | None = None) -> dict[str, Any]:
    return {
        "id": c.id, "text": c.text, "label": c.label, "remote_id": c.post.remote_id,
        "comment_remote_id": c.remote_id, "parent_remote_id": c.parent_remote_id, "author": c.author_handle,
        "created_at": env.local_iso(c.created_at), "account": c.account, "platform": c.platform,
        "escalate": c.escalate, "abusive": c.abusive, "probabilities": _probs(c), "source": c.source,
        "tier": c.tier, "p_question": None if c.p_question is None else round(c.p_question, 4),
        "review_outcome": c.review_outcome, "reviewed_at": env.local_iso(c.reviewed_at),
        "is_own": c.is_own, "hidden": c.hidden, "deleted": c.deleted, "post_url": c.post.remote_url,
        "case_id": case.id if case else None, "case_status": case.status if case else None,
    }


def comment_query(*, own: bool = False, account: str | None = None, label: str | None = None,
                  state: str | None = None, post_remote_id: str | None = None, search: str | None = None,
                  since: datetime | None = None, until: datetime | None = None) -> Select[Comment, Case]:
    """The one query behind every comment list (CLI, pages, API): comments with their case, if any.

    ``label``: a label or ``unclassified``. ``state``: ``flagged`` (escalated or abusive), ``flagged_or_case``,
    ``to_review`` (the review list), ``question`` (questions not answered yet), ``no_case``, ``hidden`` or a case
    status. ``own``: include the accounts' own replies. ``search``: in the text or the author's handle (case
    insensitive, taken literally). ``since``/``until``: written at or after / before. Unknown values are the
    caller's to refuse; callers add the order and the limit.
    """
    q = select(Comment, Case).outerjoin(Case, Case.comment_id == Comment.id)
    if not own:
        q = q.where(Comment.is_own.is_(False))
    if account:
        q = q.where(Comment.account == account)
    if label in LABELS:
        q = q.where(Comment.label == label)
    elif label == "unclassified":
        q = q.where(Comment.label.is_(None))
    if state == "flagged":
        q = q.where(or_(Comment.escalate.is_(True), Comment.abusive.is_(True)))
    elif state == "flagged_or_case":
        q = q.where(or_(Comment.escalate.is_(True), Comment.abusive.is_(True), Case.id.is_not(None)))
    elif state == "to_review":
        q = q.where(Comment.tier == "review", Comment.reviewed_at.is_(None))
    elif state == "question":
        q = q.where(Comment.tier == "question", Case.id.is_(None), Comment.deleted.is_(False))
    elif state == "no_case":
        q = q.where(Case.id.is_(None))
    elif state == "hidden":
        q = q.where(Comment.hidden.is_(True))
    elif state in {c.value for c in CaseStatus}:
        q = q.where(Case.status == state)
    if post_remote_id:
        q = q.join(Post, Post.id == Comment.post_id).where(Post.remote_id == post_remote_id)
    if search:
        q = q.where(or_(contains(Comment.text, search), contains(Comment.author_handle, search)))
    if since is not None:
        q = q.where(Comment.created_at >= since)
    if until is not None:
        q = q.where(Comment.created_at < until)
    return q


def list_comments(env: Env, s: Session, *, flagged: bool = False, account: str | None = None,
                  post_remote_id: str | None = None, limit: int = 100, own: bool = False) -> list[dict[str, Any]]:
    """The latest ``limit`` comments, oldest first. ``flagged``: escalated, abusive or with a case."""
    if account:
        env.settings.account(account)
    q = comment_query(own=own, account=account, state="flagged_or_case" if flagged else None,
                      post_remote_id=post_remote_id)
    rows = s.execute(q.order_by(Comment.id.desc()).limit(limit)).all()
    return [comment_row(env, c, case) for c, case in reversed(rows)]


def case_row(env: Env, case: Case, due: datetime | None = None, step: str | None = None) -> dict[str, Any]:
    c = case.comment
    return {
        "id": case.id, "status": case.status, "reason": case.reason, "comment_id": c.id, "text": c.text,
        "label": c.label, "probabilities": _probs(c), "author": c.author_handle, "account": c.account,
        "remote_id": c.post.remote_id, "post_url": c.post.remote_url, "comment_remote_id": c.remote_id,
        "parent_remote_id": c.parent_remote_id, "sop": case.sop_id, "draft": case.draft_text or None,
        "note": case.note or None, "opened_at": env.local_iso(case.opened_at), "due_at": env.local_iso(due),
        "step": step, "drafted_at": env.local_iso(case.drafted_at), "decided_at": env.local_iso(case.decided_at),
        "closed_at": env.local_iso(case.closed_at), "reply_job_id": case.reply_job_id,
    }


def parse_status(status: str | None) -> list[str] | None:
    if status is None or status == "all":
        return None
    if status == "active":
        return [str(s) for s in ACTIVE]
    known = [str(s) for s in CaseStatus]
    if status not in known:
        raise InvalidInput(f"unknown case status '{status}' (use {', '.join(known)}, active or all)")
    return [status]


def list_cases(env: Env, s: Session, *, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    q = select(Case)
    wanted = parse_status(status)
    if wanted is not None:
        q = q.where(Case.status.in_(wanted))
    cases = list(s.execute(q.order_by(Case.id.desc()).limit(limit)).scalars())[::-1]
    open_by_case: dict[int, StepPeriod] = {}
    if cases:
        periods = s.execute(
            select(StepPeriod).where(StepPeriod.subject_type == "case",
                                     StepPeriod.subject_id.in_([c.id for c in cases]),
                                     StepPeriod.completed_at.is_(None)).order_by(StepPeriod.id)
        ).scalars()
        open_by_case = {p.subject_id: p for p in periods}
    out = []
    for case in cases:
        p = open_by_case.get(case.id)
        out.append(case_row(env, case, p.due_at if p else None, p.step_id if p else None))
    return out


def thread(env: Env, s: Session, case: Case) -> list[dict[str, Any]]:
    """The case's comment with its parent and the other replies under the same parent (the context to answer in)."""
    c = case.comment
    root = c.parent_remote_id or c.remote_id
    rows = s.execute(
        select(Comment).where(Comment.post_id == c.post_id,
                              or_(Comment.remote_id == root, Comment.parent_remote_id == root))
        .order_by(Comment.created_at, Comment.id)
    ).scalars()
    return [comment_row(env, r) for r in rows]
