"""API: public comments and the Redaktur's cases (the same rules as the pages and the CLI)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from humas import authz
from humas.errors import InvalidInput
from humas.escalation.review import pending, pending_count
from humas.escalation.views import COMMENT_STATES, comment_query
from humas.store.models import Case, CaseStatus, Comment
from humas.web.api.schemas import (
    MAX_ID,
    ApiUser,
    CaseOut,
    CommentOut,
    DraftIn,
    LabelIn,
    NoteIn,
    PathId,
    QueryText,
    ReasonIn,
    ReviewIn,
    ReviewListOut,
    ReviewOut,
    errors,
)
from humas.web.deps import Viewer, humas

router = APIRouter()


def comment_dict(c: Comment, case: Case | None = None) -> dict[str, Any]:
    return {
        "id": c.id, "text": c.text, "label": c.label, "p_negative": c.p_negative, "escalate": c.escalate,
        "tier": c.tier, "p_question": c.p_question, "review_outcome": c.review_outcome,
        "abusive": c.abusive, "account": c.account, "platform": c.platform, "remote_id": c.remote_id,
        "post_remote_id": c.post.remote_id, "parent_remote_id": c.parent_remote_id, "author": c.author_handle,
        "created_at": c.created_at.isoformat(timespec="seconds"), "hidden": c.hidden, "deleted": c.deleted,
        "case_id": case.id if case else None, "case_status": case.status if case else None,
    }


def case_dict(case: Case) -> dict[str, Any]:
    c = case.comment
    return {
        "id": case.id, "status": case.status, "reason": case.reason, "sop": case.sop_id, "comment_id": c.id,
        "text": c.text, "label": c.label, "account": c.account, "author": c.author_handle,
        "remote_id": c.post.remote_id, "comment_remote_id": c.remote_id, "draft_text": case.draft_text,
        "note": case.note, "reply_job_id": case.reply_job_id,
        "opened_at": case.opened_at.isoformat(timespec="seconds"),
    }


def _require(request: Request, viewer: Viewer) -> None:
    authz.require_view(viewer.actor, humas(request).sops.response_roles(), "see public comments and cases")


@router.get("/comments", response_model=list[CommentOut], tags=["comments"], responses=errors(403),
            summary="Public comments, newest first", name="list_comments")
def comments(request: Request, viewer: ApiUser, account: QueryText = None,
             label: Literal["negative", "neutral", "positive"] | None = None, flagged: bool = False,
             state: QueryText = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    """``state``: one of the comment states (``flagged``, ``to_review``, ``question``, ``no_case``, ``hidden``) or a
    case status."""
    _require(request, viewer)
    states = [*COMMENT_STATES, *(x.value for x in CaseStatus)]
    if state and state not in states:
        raise InvalidInput(f"unknown state '{state}' (use {', '.join(states)})")
    app = humas(request)
    with app.db.read() as s:
        q = comment_query(account=account, label=label, state=state or ("flagged" if flagged else None))
        q = q.order_by(Comment.created_at.desc()).limit(limit)
        return [comment_dict(c, case) for c, case in s.execute(q).all()]


@router.get("/cases", response_model=list[CaseOut], tags=["cases"], responses=errors(403),
            summary="Cases for the Redaktur", name="list_cases")
def cases(request: Request, viewer: ApiUser, status: CaseStatus | None = None) -> list[dict[str, Any]]:
    _require(request, viewer)
    app = humas(request)
    with app.db.read() as s:
        q = select(Case).order_by(Case.id)
        if status:
            q = q.where(Case.status == status)
        return [case_dict(c) for c in s.execute(q).scalars()]


@router.get("/cases/{case_id}", response_model=CaseOut, tags=["cases"], responses=errors(403, 404),
            summary="One case", name="show_case")
def case(request: Request, viewer: ApiUser, case_id: PathId) -> dict[str, Any]:
    _require(request, viewer)
    app = humas(request)
    with app.db.read() as s:
        return case_dict(app.cases(s).get(case_id))


def _act(request: Request, viewer: Viewer, case_id: int, action: str, value: str = "") -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        svc = app.cases(s)
        if action == "draft":
            c = svc.draft(viewer.actor, case_id, value)
        elif action == "approve":
            c = svc.approve(viewer.actor, case_id, value)
        elif action == "reject":
            c = svc.reject(viewer.actor, case_id, value)
        elif action == "dismiss":
            c = svc.dismiss(viewer.actor, case_id, value)
        elif action == "hide":
            c = svc.hide(viewer.actor, case_id)
        else:
            c = svc.relabel(viewer.actor, case_id, value)
        return case_dict(c)


ACTION_ERRORS = errors(403, 404, 409, 422, 503)
REVIEW_ERRORS = errors(403, 404, 409)


@router.post("/cases/{case_id}/draft", summary="Draft (or redraft) the reply",
             response_model=CaseOut, tags=["cases"], responses=ACTION_ERRORS, name="case_draft")
def draft(request: Request, viewer: ApiUser, case_id: PathId, body: DraftIn) -> dict[str, Any]:
    return _act(request, viewer, case_id, "draft", body.text)


@router.post("/cases/{case_id}/approve", summary="Approve the reply: it is queued for posting",
             response_model=CaseOut, tags=["cases"], responses=ACTION_ERRORS, name="case_approve")
def approve(request: Request, viewer: ApiUser, case_id: PathId, body: NoteIn | None = None) -> dict[str, Any]:
    return _act(request, viewer, case_id, "approve", body.note if body else "")


@router.post("/cases/{case_id}/reject", summary="Reject the reply, with a note",
             response_model=CaseOut, tags=["cases"], responses=ACTION_ERRORS, name="case_reject")
def reject(request: Request, viewer: ApiUser, case_id: PathId, body: NoteIn) -> dict[str, Any]:
    return _act(request, viewer, case_id, "reject", body.note)


@router.post("/cases/{case_id}/dismiss", summary="Close the case without a reply, with a reason",
             response_model=CaseOut, tags=["cases"], responses=ACTION_ERRORS, name="case_dismiss")
def dismiss(request: Request, viewer: ApiUser, case_id: PathId, body: ReasonIn) -> dict[str, Any]:
    return _act(request, viewer, case_id, "dismiss", body.reason)


@router.post("/cases/{case_id}/hide", summary="Hide the comment on the platform and close the case",
             response_model=CaseOut, tags=["cases"], responses=errors(403, 404, 409, 503), name="case_hide")
def hide(request: Request, viewer: ApiUser, case_id: PathId) -> dict[str, Any]:
    return _act(request, viewer, case_id, "hide")


@router.post("/cases/{case_id}/relabel", summary="Correct the comment's sentiment label",
             response_model=CaseOut, tags=["cases"], responses=errors(403, 404, 409), name="case_relabel")
def relabel(request: Request, viewer: ApiUser, case_id: PathId, body: LabelIn) -> dict[str, Any]:
    return _act(request, viewer, case_id, "relabel", body.label)


@router.get("/review", response_model=ReviewListOut, tags=["review"], responses=errors(403),
            summary="The review list (Perlu ditinjau): comments the model was unsure about, likeliest negatives first")
def review_list(request: Request, viewer: ApiUser, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> dict[str, Any]:
    _require(request, viewer)
    app = humas(request)
    with app.db.read() as s:
        return {"total": pending_count(s),
                "comments": [comment_dict(c) for c in pending(s, limit=limit, offset=offset)]}


@router.post("/review/confirm", response_model=ReviewOut, tags=["review"], responses=REVIEW_ERRORS,
             summary="These comments are negative: a case opens for each (all or none)")
def review_confirm(request: Request, viewer: ApiUser, body: ReviewIn) -> dict[str, Any]:
    if body.label is not None:
        raise InvalidInput("a confirmed comment is negative: leave out label")
    app = humas(request)
    with app.db.session() as s:
        return vars(app.review(s).confirm(viewer.actor, body.comment_ids))


@router.post("/review/dismiss", response_model=ReviewOut, tags=["review"], responses=REVIEW_ERRORS,
             summary="These comments are not negative (all or none); questions go to the response role")
def review_dismiss(request: Request, viewer: ApiUser, body: ReviewIn) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        return vars(app.review(s).dismiss(viewer.actor, body.comment_ids, body.label))
