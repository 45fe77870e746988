"""API: content through its SOP, media upload, scheduling and the queue."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session

from humas.app import App
from humas.errors import InvalidInput
from humas.queue import service as queue
from humas.store.models import Content, ContentStatus, JobState, MediaBlob
from humas.web import library
from humas.web.api.schemas import (
    MAX_ID,
    ApiUser,
    ContentCreate,
    ContentEdit,
    ContentOut,
    ContentSummary,
    HistoryOut,
    JobOut,
    MediaListed,
    MediaOut,
    NoteIn,
    PathId,
    QueryText,
    ScheduleIn,
    errors,
)
from humas.web.deps import humas
from humas.web.paging import search_text
from humas.web.views import saved_uploads, workflow
from humas.workflow.engine import ContentChanges

router = APIRouter()
Body = NoteIn | None


def _media_paths(app: App, s: Session, shas: list[str]) -> list[Path]:
    out = []
    for sha in shas:
        if s.get(MediaBlob, sha) is None or not app.media.path_for(sha).is_file():
            raise InvalidInput(f"unknown media {sha!r}: upload it first with POST /api/v1/media")
        out.append(app.media.path_for(sha))
    return out


def _when(app: App, text: str) -> datetime:
    """``ScheduleIn.at`` as an aware time; years outside 1970-9998 are invalid input (they do not convert)."""
    when = queue.parse_when(app.env, text)
    if not 1970 <= when.year <= 9998 or not 1970 <= when.astimezone(UTC).year <= 9998:
        raise InvalidInput(f"invalid time '{text}' (the year must be 1970-9998)")
    return when


def _file_name(name: str | None) -> str:
    """The uploaded file's name as storable text (no NUL, no lone surrogates)."""
    cleaned = (name or "").replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return cleaned[:255] or "file"


def summary(app: App, c: Content) -> dict[str, Any]:
    return {"id": c.id, "sop": c.sop_id, "title": c.title, "status": c.status, "step": c.step_id,
            "version": c.version, "updated_at": app.local(c.updated_at).isoformat(timespec="seconds"),
            "accounts": list(c.accounts)}


@router.get("/content", response_model=list[ContentSummary], tags=["content"], responses=errors(),
            summary="List content")
def list_content(request: Request, viewer: ApiUser, status: ContentStatus | None = None,
                 sop: QueryText = None) -> list[dict[str, Any]]:
    app = humas(request)
    with app.db.read() as s:
        q = select(Content).order_by(Content.id)
        if status:
            q = q.where(Content.status == status)
        if sop:
            q = q.where(Content.sop_id == sop)
        return [summary(app, c) for c in s.execute(q).scalars()]


@router.post("/content", response_model=ContentOut, status_code=201, tags=["content"],
             responses=errors(403, 404, 422, 503), summary="Create a draft at the SOP's first step")
def create_content(request: Request, viewer: ApiUser, body: ContentCreate) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        wf = workflow(app, s)
        c = wf.create(viewer.actor, sop_id=body.sop or app.settings.default_sop, title=body.title,
                      text=body.text, caption=body.caption, media=_media_paths(app, s, body.media),
                      accounts=body.accounts, activity=body.activity, location=body.location,
                      flags=body.flags, platform_captions=body.platform_captions)
        return wf.describe(c)


@router.get("/content/{content_id}", response_model=ContentOut, tags=["content"], responses=errors(404),
            summary="Show content")
def show_content(request: Request, viewer: ApiUser, content_id: PathId) -> dict[str, Any]:
    app = humas(request)
    with app.db.read() as s:
        wf = workflow(app, s)
        return wf.describe(wf.get(content_id))


@router.patch("/content/{content_id}", response_model=ContentOut, tags=["content"],
              responses=errors(403, 404, 409, 422, 503), summary="Edit content (after an approval it goes back)")
def edit_content(request: Request, viewer: ApiUser, content_id: PathId, body: ContentEdit) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        wf = workflow(app, s)
        changes = ContentChanges(
            title=body.title, text=body.text, caption=body.caption, accounts=body.accounts,
            activity=body.activity, location=body.location, platform_captions=body.platform_captions,
            media=None if body.media is None else _media_paths(app, s, body.media),
            set_flags=body.set_flags, clear_flags=body.clear_flags)
        return wf.describe(wf.edit(viewer.actor, content_id, changes))


@router.get("/content/{content_id}/history", response_model=list[HistoryOut], tags=["content"],
            responses=errors(404), summary="The content's audit history")
def content_history(request: Request, viewer: ApiUser, content_id: PathId) -> list[dict[str, Any]]:
    app = humas(request)
    with app.db.read() as s:
        wf = workflow(app, s)
        return wf.history(wf.get(content_id))


def transition(verb: str, summary_text: str) -> None:
    @router.post(f"/content/{{content_id}}/{verb}", response_model=ContentOut, tags=["content"],
                 responses=errors(403, 404, 409, 422, 503), summary=summary_text, name=f"content_{verb}")
    def _do(request: Request, viewer: ApiUser, content_id: PathId, body: Body = None) -> dict[str, Any]:
        app = humas(request)
        note = body.note if body else ""
        with app.db.session() as s:
            wf = workflow(app, s)
            fn = {"submit": wf.submit, "approve": wf.approve, "reject": wf.reject, "cancel": wf.cancel}[verb]
            return wf.describe(fn(viewer.actor, content_id, note))


transition("submit", "Submit the draft to the next step (requirements and platform limits checked)")
transition("approve", "Approve the current review step")
transition("reject", "Reject the current review step (a note is required)")
transition("cancel", "Cancel the content (its author or an admin)")


@router.post("/content/{content_id}/schedule", response_model=list[JobOut], status_code=201, tags=["queue"],
             responses=errors(403, 404, 409, 422, 503), summary="Schedule approved content: one job per account")
def schedule_content(request: Request, viewer: ApiUser, content_id: PathId,
                     body: ScheduleIn) -> list[dict[str, Any]]:
    app = humas(request)
    when = _when(app, body.at)
    with app.db.session() as s:
        created = queue.schedule(app.env, s, viewer.actor, content_id, when, body.accounts,
                                 platform_check=app.platform_check)
        return [queue.job_dict(app.env, j) for j in created]


@router.post("/media", response_model=MediaOut, status_code=201, tags=["content"], responses=errors(422),
             summary="Upload a photo or video; use its sha256 in content")
def upload_media(request: Request, viewer: ApiUser,
                 file: Annotated[UploadFile, File(description="the media file")]) -> dict[str, Any]:
    app = humas(request)
    with saved_uploads([(_file_name(file.filename), file.file)]) as paths, app.db.session() as s:
        [blob] = library.add(app, s, viewer.actor, paths)
        return _media(blob, None)


def _media(blob: MediaBlob, uses: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {"sha256": blob.sha256, "mime": blob.mime, "size": blob.size, "width": blob.width,
                           "height": blob.height, "name": blob.original_name}
    if uses is not None:
        out["used_by"] = uses
    return out


@router.get("/media", response_model=list[MediaListed], tags=["content"], responses=errors(),
            summary="The media library, newest first, with how many contents use each file")
def list_media(request: Request, viewer: ApiUser,
               kind: Annotated[Literal["foto", "video"] | None, Query(description="photos or videos only")] = None,
               q: QueryText = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> list[dict[str, Any]]:
    app = humas(request)
    with app.db.read() as s:
        rows = s.execute(library.query(kind or "", search_text(q or "")).offset(offset).limit(limit)).all()
        return [_media(blob, uses) for blob, uses in rows]


@router.get("/queue", response_model=list[JobOut], tags=["queue"], responses=errors(),
            summary="Publication jobs")
def list_queue(request: Request, viewer: ApiUser, status: JobState | None = None) -> list[dict[str, Any]]:
    app = humas(request)
    with app.db.read() as s:
        return [queue.job_dict(app.env, j) for j in queue.list_jobs(s, status)]


@router.post("/queue/{job_id}/retry", response_model=JobOut, tags=["queue"], responses=errors(403, 404, 409),
             summary="Retry a failed, waiting or in-doubt job now")
def retry_job(request: Request, viewer: ApiUser, job_id: PathId) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        return queue.job_dict(app.env, queue.retry(app.env, s, viewer.actor, job_id))


@router.post("/queue/{job_id}/cancel", response_model=JobOut, tags=["queue"], responses=errors(403, 404, 409),
             summary="Cancel a job that has not been published")
def cancel_job(request: Request, viewer: ApiUser, job_id: PathId) -> dict[str, Any]:
    app = humas(request)
    with app.db.session() as s:
        return queue.job_dict(app.env, queue.cancel(app.env, s, viewer.actor, job_id))
