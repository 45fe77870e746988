"""Komentar (the inbox of public comments with sentiment badges and thread context), Eskalasi (the Redaktur's
cases: draft, approve, reject a reply; dismiss; hide the comment; correct the sentiment) and Perlu ditinjau (the
review list: comments the model was unsure about, confirmed negative or dismissed in bulk).

Public comment text is untrusted: it only ever reaches the templates as data, which autoescape. The actions go
through :class:`humas.escalation.cases.Cases`, which checks the SOP's response and escalation roles.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from humas import authz
from humas.app import App
from humas.errors import InvalidInput
from humas.escalation import review
from humas.escalation.cases import ResponsePath, open_period, path_for
from humas.escalation.views import COMMENT_STATES, comment_query
from humas.sop.duration import format_duration
from humas.store.dialect import contains
from humas.store.models import Case, CaseStatus, Comment, Content, Post, User
from humas.web.deps import Viewer, flash, humas, page_router, page_viewer, redirect, render
from humas.web.i18n import translator
from humas.web.paging import day_range, fetch, page_number, search_text

router = page_router()
ViewerDep = Annotated[Viewer, Depends(page_viewer)]
ACTIVE_CASES = (CaseStatus.OPEN, CaseStatus.REPLY_DRAFTED, CaseStatus.REJECTED, CaseStatus.APPROVED)
LABELS = ("negative", "neutral", "positive")


def _require_responses(app: App, viewer: Viewer) -> None:
    authz.require_view(viewer.actor, app.sops.response_roles(), "see public comments and cases")


def thread(s: Session, comment: Comment) -> dict[str, Any]:
    """The comment's context: its post (and content), the comment it answers, and the answers to it."""
    parent = None
    if comment.parent_remote_id:
        parent = s.execute(select(Comment).where(Comment.platform == comment.platform,
                                                 Comment.remote_id == comment.parent_remote_id)).scalar_one_or_none()
    replies = list(s.execute(select(Comment).where(Comment.platform == comment.platform,
                                                   Comment.parent_remote_id == comment.remote_id)
                             .order_by(Comment.created_at)).scalars())
    post: Post = comment.post
    content = s.get(Content, post.content_id) if post.content_id is not None else None
    return {"post": post, "content": content, "parent": parent, "replies": replies}


@router.get("/komentar")
def comments(request: Request, viewer: ViewerDep, account: str = "", label: str = "", state: str = "", q: str = "",
             dari: str = "", sampai: str = "", halaman: str = "1") -> Response:
    app = humas(request)
    _require_responses(app, viewer)
    search = search_text(q)
    days = day_range(dari, sampai, app.tz)
    with app.db.read() as s:
        query = comment_query(account=account or None, label=label or None, state=state or None, search=search,
                              since=days.since, until=days.until)
        page = fetch(s, query.order_by(Comment.created_at.desc(), Comment.id.desc()), page_number(halaman),
                     scalars=False, params={"account": account, "label": label, "state": state, "q": search,
                                            "dari": dari, "sampai": sampai})
        parents = _parents(s, [c for c, _ in page.rows])
        return render(request, "comments.html", {
            "rows": [{"c": c, "case": case, "parent": parents.get((c.platform, c.parent_remote_id or ""))}
                     for c, case in page.rows],
            "page": page, "account": account, "label": label, "state": state, "labels": LABELS, "q": search,
            "dari": dari, "sampai": sampai, "date_problem": days.problem,
            "states": [*COMMENT_STATES, *[c.value for c in CaseStatus]],
            "accounts": [a.name for a in app.settings.accounts],
        }, viewer=viewer)


def _parents(s: Session, items: list[Comment]) -> dict[tuple[str, str], Comment]:
    keys = {(c.platform, c.parent_remote_id) for c in items if c.parent_remote_id}
    if not keys:
        return {}
    ids = sorted({k[1] for k in keys})
    found = s.execute(select(Comment).where(Comment.remote_id.in_(ids))).scalars()
    return {(c.platform, c.remote_id): c for c in found if (c.platform, c.remote_id) in keys}


@router.get("/komentar/{comment_id}")
def comment_detail(request: Request, comment_id: int, viewer: ViewerDep) -> Response:
    app = humas(request)
    _require_responses(app, viewer)
    with app.db.read() as s:
        cases = app.cases(s)
        c = cases.comment(comment_id)
        case = s.execute(select(Case).where(Case.comment_id == c.id)).scalar_one_or_none()
        path = path_for(app.env, s, c.post)
        return render(request, "comment.html", {
            "c": c, "case": case, "t": thread(s, c), "labels": LABELS,
            "can_reply": path.response_role in viewer.roles and case is None and not c.deleted,
            "can_relabel": path.escalation_role in viewer.roles,
        }, viewer=viewer)


@router.post("/komentar/{comment_id}/balas")
def reply_direct(request: Request, comment_id: int, viewer: ViewerDep, text: Annotated[str, Form()] = "") -> Response:
    app = humas(request)
    with app.db.session() as s:
        case = app.cases(s).reply_direct(viewer.actor, comment_id, text)
        case_id = case.id
    flash(request, translator(viewer.language)("Aksi kasus tersimpan."))
    return redirect(f"/eskalasi/{case_id}")


@router.post("/komentar/{comment_id}/label")
def relabel_comment(request: Request, comment_id: int, viewer: ViewerDep,
                    label: Annotated[str, Form()] = "") -> Response:
    app = humas(request)
    with app.db.session() as s:
        app.cases(s).relabel_comment(viewer.actor, comment_id, label)
    flash(request, translator(viewer.language)("Aksi kasus tersimpan."))
    return redirect(f"/komentar/{comment_id}")


# --- Eskalasi ---------------------------------------------------------------------------------------------------


@router.get("/eskalasi")
def cases_page(request: Request, viewer: ViewerDep, status: str = "active", account: str = "", q: str = "",
               dari: str = "", sampai: str = "", halaman: str = "1") -> Response:
    app = humas(request)
    _require_responses(app, viewer)
    now = app.clock()
    search = search_text(q)
    days = day_range(dari, sampai, app.tz)
    with app.db.read() as s:
        query = select(Case).join(Comment, Comment.id == Case.comment_id).order_by(Case.opened_at.desc(),
                                                                                   Case.id.desc())
        if status == "active":
            query = query.where(Case.status.in_(list(ACTIVE_CASES)))
        elif status:
            query = query.where(Case.status == status)
        if account:
            query = query.where(Comment.account == account)
        if search:
            query = query.where(or_(contains(Comment.text, search), contains(Comment.author_handle, search),
                                    contains(Case.draft_text, search)))
        if days.since is not None:
            query = query.where(Case.opened_at >= days.since)
        if days.until is not None:
            query = query.where(Case.opened_at < days.until)
        page = fetch(s, query, page_number(halaman), params={"status": status, "account": account, "q": search,
                                                             "dari": dari, "sampai": sampai})
        rows = []
        for case in page.rows:
            period = open_period(app.env, s, case.id)
            left = app.env.timer.time_left(period, now) if period is not None else None
            rows.append({"case": case, "left": None if left is None else format_duration(abs(left)),
                         "overdue": left is not None and left.total_seconds() < 0})
        return render(request, "cases.html", {
            "rows": rows, "page": page, "status": status, "account": account, "q": search, "dari": dari,
            "sampai": sampai, "date_problem": days.problem,
            "statuses": ["active", *[c.value for c in CaseStatus]], "accounts": [a.name for a in app.settings.accounts],
        }, viewer=viewer)


@router.get("/eskalasi/{case_id}")
def case_detail(request: Request, case_id: int, viewer: ViewerDep) -> Response:
    app = humas(request)
    _require_responses(app, viewer)
    now = app.clock()
    with app.db.read() as s:
        cases = app.cases(s)
        case = cases.get(case_id)
        path: ResponsePath = cases.path(case)
        period = open_period(app.env, s, case.id)
        left = app.env.timer.time_left(period, now) if period is not None else None
        status = CaseStatus(case.status)
        open_states = {CaseStatus.OPEN, CaseStatus.REPLY_DRAFTED, CaseStatus.REJECTED}
        is_responder = path.response_role in viewer.roles
        is_escalation = path.escalation_role in viewer.roles
        return render(request, "case.html", {
            "case": case, "c": case.comment, "t": thread(s, case.comment), "path": path, "period": period,
            "left": None if left is None else format_duration(abs(left)),
            "overdue": left is not None and left.total_seconds() < 0, "labels": LABELS,
            "can_draft": is_responder and status in open_states,
            "can_decide": is_escalation and status == CaseStatus.REPLY_DRAFTED,
            "can_close": is_escalation and status in open_states,
            "can_dismiss": is_escalation and (status in open_states or cases.reply_gave_up(case)),
            "can_relabel": is_escalation,
            "drafted_by": s.get(User, case.drafted_by_id) if case.drafted_by_id else None,
            "decided_by": s.get(User, case.decided_by_id) if case.decided_by_id else None,
        }, viewer=viewer)


def _case_action(request: Request, viewer: Viewer, case_id: int, action: str, **kw: str) -> Response:
    app = humas(request)
    with app.db.session() as s:
        cases = app.cases(s)
        if action == "draft":
            cases.draft(viewer.actor, case_id, kw["text"])
        elif action == "approve":
            cases.approve(viewer.actor, case_id, kw.get("note", ""))
        elif action == "reject":
            cases.reject(viewer.actor, case_id, kw.get("note", ""))
        elif action == "dismiss":
            cases.dismiss(viewer.actor, case_id, kw.get("reason", ""))
        elif action == "hide":
            cases.hide(viewer.actor, case_id)
        elif action == "relabel":
            cases.relabel(viewer.actor, case_id, kw.get("label", ""))
    flash(request, translator(viewer.language)("Aksi kasus tersimpan."))
    return redirect(f"/eskalasi/{case_id}")


@router.post("/eskalasi/{case_id}/draf")
def draft(request: Request, case_id: int, viewer: ViewerDep, text: Annotated[str, Form()] = "") -> Response:
    return _case_action(request, viewer, case_id, "draft", text=text)


@router.post("/eskalasi/{case_id}/setujui")
def approve(request: Request, case_id: int, viewer: ViewerDep, note: Annotated[str, Form()] = "") -> Response:
    return _case_action(request, viewer, case_id, "approve", note=note)


@router.post("/eskalasi/{case_id}/tolak")
def reject(request: Request, case_id: int, viewer: ViewerDep, note: Annotated[str, Form()] = "") -> Response:
    return _case_action(request, viewer, case_id, "reject", note=note)


@router.post("/eskalasi/{case_id}/abaikan")
def dismiss(request: Request, case_id: int, viewer: ViewerDep, reason: Annotated[str, Form()] = "") -> Response:
    return _case_action(request, viewer, case_id, "dismiss", reason=reason)


@router.post("/eskalasi/{case_id}/sembunyikan")
def hide(request: Request, case_id: int, viewer: ViewerDep) -> Response:
    return _case_action(request, viewer, case_id, "hide")


@router.post("/eskalasi/{case_id}/label")
def relabel(request: Request, case_id: int, viewer: ViewerDep, label: Annotated[str, Form()] = "") -> Response:
    return _case_action(request, viewer, case_id, "relabel", label=label)


# --- Perlu ditinjau -------------------------------------------------------------------------------------------------

REVIEW_PAGE = 50


@router.get("/ditinjau")
def review_page(request: Request, viewer: ViewerDep, offset: int = 0) -> Response:
    """The review list: comments the model was unsure about, the likeliest negatives first, decided in bulk."""
    app = humas(request)
    _require_responses(app, viewer)
    offset = max(0, offset)
    with app.db.read() as s:
        rows = review.pending(s, limit=REVIEW_PAGE, offset=offset)
        total = review.pending_count(s)
        may_decide = {c.id: path_for(app.env, s, c.post).escalation_role in viewer.roles for c in rows}
        return render(request, "review.html", {
            "rows": rows, "total": total, "offset": offset, "page": REVIEW_PAGE, "may_decide": may_decide,
            "any_decide": any(may_decide.values()),
        }, viewer=viewer)


@router.post("/ditinjau")
def review_decide(request: Request, viewer: ViewerDep, ids: Annotated[list[int] | None, Form()] = None,
                  action: Annotated[str, Form()] = "", one: Annotated[str, Form()] = "") -> Response:
    """``action`` confirm|dismiss over the ticked ``ids``, or ``one`` = "confirm:ID" / "dismiss:ID" (a row's button)."""
    _ = translator(viewer.language)
    chosen = list(ids or [])
    if one:
        action, _sep, raw = one.partition(":")
        chosen = [int(raw)] if raw.isdigit() else []
    if action not in ("confirm", "dismiss"):
        raise InvalidInput(_("Pilih tindakan: negatif atau bukan negatif."))
    if not chosen:
        raise InvalidInput(_("Pilih minimal satu komentar."))
    app = humas(request)
    with app.db.session() as s:
        svc = app.review(s)
        result = svc.confirm(viewer.actor, chosen) if action == "confirm" else svc.dismiss(viewer.actor, chosen)
    if action == "confirm":
        flash(request, _("{n} komentar dikonfirmasi negatif; kasus dibuka.").format(n=len(result.comments)))
    else:
        flash(request, _("{n} komentar ditandai bukan negatif.").format(n=len(result.comments)))
    return redirect("/ditinjau")
