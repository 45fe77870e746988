"""API: public comments and the Redaktur's cases (the same rules as the pages and the CLI)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select

from humas import authz
from humas.errors import InvalidInput
from humas.escalation.views import comment_query
from humas.store.models import Case, CaseStatus, Comment
from humas.web.api.schemas import ApiUser, CaseOut, CommentOut, DraftIn, LabelIn, NoteIn, ReasonIn, errors
from humas.web.deps import Viewer, humas

router = APIRouter()
LABELS = ("negative", "neutral", "positive")


def comment_dict(c: Comment, case: Case | None = None) -> dict[str, Any]:
    return {
        "id": c.id, "text": c.text, "label": c.label, "p_negative": c.p_negative, "escalate": c.escalate,
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


@router.get("/comments", response_model=list[CommentOut], tags=["comments"], responses=errors(400, 403),
            summary="Public comments, newest first")
def comments(request: Request, viewer: ApiUser, account: str | None = None, label: str | None = None,
             flagged: bool = False, limit: int = 200) -> list[dict[str, Any]]:
    _require(request, viewer)
    if label and label not in LABELS:
        raise InvalidInput(f"unknown label '{label}' (use {', '.join(LABELS)})")
    app = humas(request)
    with app.db.read() as s:
        q = comment_query(account=account, label=label, state="flagged" if flagged else None)
        q = q.order_by(Comment.created_at.desc()).limit(max(1, min(limit, 1000)))
        return [comment_dict(c, case) for c, case in s.execute(q).all()]


@router.get("/cases", response_model=list[CaseOut], tags=["cases"], responses=errors(400, 403),
            summary="Cases for the Redaktur")
def cases(request: Request, viewer: ApiUser, status: str | None = None) -> list[dict[str, Any]]:
    _require(request, viewer)
    if status and status not in {x.value for x in CaseStatus}:
        raise InvalidInput(f"unknown status '{status}' (one of: {', '.join(x.value for x in CaseStatus)})")
    app = humas(request)
    with app.db.read() as s:
        q = select(Case).order_by(Case.id)
        if status:
            q = q.where(Case.status == status)
        return [case_dict(c) for c in s.execute(q).scalars()]


@router.get("/cases/{case_id}", response_model=CaseOut, tags=["cases"], responses=errors(403, 404),
            summary="One case")
def case(request: Request, viewer: ApiUser, case_id: int) -> dict[str, Any]:
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


ACTION_ERRORS = errors(400, 403, 404, 409)


@router.post("/cases/{case_id}/draft", summary="Draft (or redraft) the reply",
             response_model=CaseOut, tags=["cases"], responses=ACTION_ERRORS)
def draft(request: Request, viewer: ApiUser, case_id: int, body: DraftIn) -> dict[str, Any]:
    return _act(request, viewer, case_id, "draft", body.text)


@router.post("/cases/{case_id}/approve", summary="Approve the reply: it is queued for posting",
             response_model=CaseOut, tags=["cases"], responses=ACTION_ERRORS)
def approve(request: Request, viewer: ApiUser, case_id: int, body: NoteIn | None = None) -> dict[str, Any]:
    return _act(request, viewer, case_id, "approve", body.note if body else "")


@router.post("/cases/{case_id}/reject", summary="Reject the reply, with a note",
             response_model=CaseOut, tags=["cases"], responses=ACTION_ERRORS)
def reject(request: Request, viewer: ApiUser, case_id: int, body: NoteIn) -> dict[str, Any]:
    return _act(request, viewer, case_id, "reject", body.note)


@router.post("/cases/{case_id}/dismiss", summary="Close the case without a reply, with a reason",
             response_model=CaseOut, tags=["cases"], responses=ACTION_ERRORS)
def dismiss(request: Request, viewer: ApiUser, case_id: int, body: ReasonIn) -> dict[str, Any]:
    return _act(request, viewer, case_id, "dismiss", body.reason)


@router.post("/cases/{case_id}/hide", summary="Hide the comment on the platform and close the case",
             response_model=CaseOut, tags=["cases"], responses=ACTION_ERRORS)
def hide(request: Request, viewer: ApiUser, case_id: int) -> dict[str, Any]:
    return _act(request, viewer, case_id, "hide")


@router.post("/cases/{case_id}/relabel", summary="Correct the comment's sentiment label",
             response_model=CaseOut, tags=["cases"], responses=ACTION_ERRORS)
def relabel(request: Request, viewer: ApiUser, case_id: int, body: LabelIn) -> dict[str, Any]:
    return _act(request, viewer, case_id, "relabel", body.label)
