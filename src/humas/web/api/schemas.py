"""Request and response models of the API (the OpenAPI schema is generated from them).

Response models allow extra keys: they name what clients can rely on, the services may add more.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from humas.web.deps import Viewer, api_viewer

bearer = HTTPBearer(auto_error=False, description="A personal API token (create one under Akun in the web UI).")


def api_user(request: Request,
             _creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None) -> Viewer:
    return api_viewer(request)


ApiUser = Annotated[Viewer, Depends(api_user)]

_DESCRIPTIONS = {400: "Invalid input", 401: "Missing or invalid token", 403: "Not allowed for this user's roles",
                 404: "Not found", 409: "Not possible in the current state"}


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorOut(BaseModel):
    error: str


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {c: {"description": _DESCRIPTIONS[c], "model": ErrorOut} for c in (401, *codes)}


class Me(_Out):
    id: int
    name: str
    display_name: str
    roles: list[str]
    language: str


class StepOut(_Out):
    id: str
    label: str
    role: str
    time_standard: str


class SopSummary(_Out):
    id: str
    name: str
    office: str
    steps: int


class SopOut(_Out):
    id: str
    name: str
    steps: list[StepOut]


class MediaOut(_Out):
    sha256: str
    mime: str
    size: int


class ContentSummary(_Out):
    id: int
    sop: str
    title: str
    status: str
    step: str | None
    version: int
    updated_at: str


class ContentOut(_Out):
    id: int
    sop: str
    title: str
    status: str
    step: str | None
    version: int
    version_hash: str
    text: str
    caption: str
    accounts: list[str]
    media: list[dict[str, Any]]


class ContentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sop: str | None = Field(None, description="SOP id (default: the config's default_sop)")
    title: str
    text: str = ""
    caption: str = ""
    platform_captions: dict[str, str] | None = None
    media: list[str] = Field(default_factory=list, description="sha256 of files uploaded with POST /media")
    accounts: list[str] = Field(default_factory=list)
    activity: str = ""
    location: str = ""
    flags: list[str] = Field(default_factory=list)


class ContentEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    text: str | None = None
    caption: str | None = None
    platform_captions: dict[str, str] | None = None
    media: list[str] | None = Field(None, description="replaces all media (sha256 of uploaded files)")
    accounts: list[str] | None = None
    activity: str | None = None
    location: str | None = None
    set_flags: list[str] = Field(default_factory=list)
    clear_flags: list[str] = Field(default_factory=list)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = ""


class HistoryOut(_Out):
    seq: int
    at: str
    actor: str
    role: str
    action: str
    note: str


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: str = Field(description="'now', 'YYYY-MM-DD HH:MM' in the configured time zone, or ISO 8601 with offset")
    accounts: list[str] | None = None


class JobOut(_Out):
    id: int
    content_id: int | None
    account: str
    platform: str
    status: str
    run_at: str
    attempts: int
    remote_id: str | None
    remote_url: str | None
    last_error: str


class CommentOut(_Out):
    id: int
    text: str
    label: str | None
    account: str
    remote_id: str
    post_remote_id: str


class CaseOut(_Out):
    id: int
    status: str
    reason: str
    text: str
    label: str | None
    comment_id: int
    remote_id: str
    draft_text: str
    note: str


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str


class LabelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str


class AuditOut(_Out):
    seq: int
    at: str
    actor: str
    action: str
    subject_type: str
    subject_id: str
    hash: str


class VerifyOut(_Out):
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str
    findings: list[str]
    head_seq: int
    anchored_seq: int | None


class OverdueOut(_Out):
    subject_type: str
    subject_id: int
    title: str
    step: str
    role: str
    overdue_by: str
    must_act: list[str]


class AccountOut(_Out):
    name: str
    platform: str
    status: str
    credentials: dict[str, str]


class ReportOut(_Out):
    week: str
    accounts: list[dict[str, Any]]
    response_times: list[dict[str, Any]]
