"""Request and response models of the API (the OpenAPI schema is generated from them).

Response models declare every key the services return today (``tests/api`` checks that none is left out) and allow
extra keys, so that a service adding one never breaks an answer. Request bodies refuse unknown keys. Ids are bounded
to what the database holds (:data:`MAX_ID`); a value the schema refuses is answered 400 with :class:`ErrorOut`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from humas.web.deps import Viewer, api_viewer

bearer = HTTPBearer(auto_error=False, description="A personal API token (create one under Akun in the web UI).")


def api_user(request: Request,
             _creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None) -> Viewer:
    return api_viewer(request)


ApiUser = Annotated[Viewer, Depends(api_user)]

#: The largest id (and offset) the database holds: id columns are ``INTEGER``, 32 bits on PostgreSQL. Larger values
#: are refused as invalid input (400) before any query, on SQLite too, so that both answer alike.
MAX_ID = 2**31 - 1

_DESCRIPTIONS = {
    400: "Invalid input: a parameter or body the schema refuses, or a value the service refuses",
    401: "Missing or invalid token",
    403: "Not allowed for this user's roles",
    404: "Not found",
    409: "Not possible in the current state",
    413: "The request body or a file is too large (rule limit.body_size or limit.media_size)",
    422: "Well-formed but breaks one of humas's limits (a text too long, not a photo or video); `rule` names it",
    500: "An unexpected server error (logged on the server)",
    503: "A component is unavailable (e.g. an account's adapter)",
}


def _clean(value: str) -> str:
    """Text humas can store on every database: no NUL characters and no lone surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


def _clean_any(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, list):
        return [_clean_any(v) for v in value]
    if isinstance(value, dict):
        return {_clean_any(k): _clean_any(v) for k, v in value.items()}
    return value


def _clean_optional(value: str | None) -> str | None:
    return None if value is None else _clean(value)


#: An optional query string: at most 200 characters of storable text.
QueryText = Annotated[str | None, Query(max_length=200), AfterValidator(_clean_optional)]
#: An id in a path: 1 .. 2^63-1 (what the database holds).
PathId = Annotated[int, Path(ge=1, le=MAX_ID, description="an id (1 .. 2^31-1)")]
#: An id in a request body.
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]


class _In(BaseModel):
    """A request body: unknown keys are refused, every string must be storable text (400 otherwise)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return _clean_any(value)


class _Out(BaseModel):
    """A response: every key the service returns is declared (tests/api checks it); extra keys pass through."""

    model_config = ConfigDict(extra="allow")


class ErrorOut(BaseModel):
    """Every 4xx and 5xx answer of the API."""

    error: str = Field(description="what went wrong, in English")
    rule: str | None = Field(None, description="the limit broken (422, 413), e.g. limit.caption")


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers of an operation besides those every operation may give (400, 401, 413, 500: added to the
    schema by :func:`humas.web.api.finish_schema`)."""
    return {c: {"description": _DESCRIPTIONS[c], "model": ErrorOut} for c in (401, *codes)}


class Me(_Out):
    id: int
    name: str
    display_name: str
    roles: list[str]
    language: str


class Requirements(_Out):
    fields: list[str]
    media_min: int
    caption_max: int | None
    text_max: int | None
    platform_limits: bool
    description: str


class StepOut(_Out):
    id: str
    label: str
    role: str
    action: str
    time_standard: str
    requires: Requirements
    on_reject: str | None
    when: str | None
    editable: bool
    approve_label: str
    reject_label: str
    output: str


class SopSummary(_Out):
    id: str
    name: str
    office: str
    steps: int


class SopOut(_Out):
    id: str
    name: str
    office: str
    reference: str
    description: str
    cadence: str
    roles: dict[str, str]
    steps: list[StepOut]
    response_steps: list[StepOut]
    direct_reply: bool


class MediaOut(_Out):
    sha256: str
    mime: str
    size: int
    width: int | None
    height: int | None
    name: str


class MediaListed(MediaOut):
    used_by: int = Field(description="how many contents use the file")


class ContentSummary(_Out):
    id: int
    sop: str
    title: str
    status: str
    step: str | None
    version: int
    updated_at: str
    accounts: list[str]


class ApprovalOut(_Out):
    step: str
    role: str
    user: str
    outcome: str
    at: str
    current_version: bool


class ContentOut(_Out):
    id: int
    sop: str
    sop_name: str
    title: str
    status: str
    step: str | None
    step_label: str | None
    step_role: str | None
    version: int
    version_hash: str
    text: str
    caption: str
    platform_captions: dict[str, str]
    accounts: list[str]
    flags: list[str]
    activity: str
    location: str
    media: list[MediaOut]
    created_by: str
    created_at: str
    updated_at: str
    due_at: str | None
    approvals: list[ApprovalOut]


class ContentCreate(_In):
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


class ContentEdit(_In):
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


class NoteIn(_In):
    note: str = ""


class HistoryOut(_Out):
    seq: int
    at: str
    actor: str
    role: str
    action: str
    step: Any = Field(description="the step (or steps) the entry concerns, when it names any")
    note: str
    version_hash: str | None
    data: dict[str, Any]


class ScheduleIn(_In):
    at: str = Field(description="'now', 'YYYY-MM-DD HH:MM' in the configured time zone, or ISO 8601 with offset "
                                "(years 1970-9998)")
    accounts: list[str] | None = None


class JobOut(_Out):
    id: int
    kind: str
    content_id: int | None
    case_id: int | None
    account: str
    platform: str
    status: str
    run_at: str
    attempts: int
    remote_id: str | None
    remote_url: str | None
    last_error: str
    published_at: str | None


class CommentOut(_Out):
    id: int
    text: str
    label: str | None
    p_negative: float | None
    escalate: bool | None
    tier: str | None
    p_question: float | None
    review_outcome: str | None
    abusive: bool | None
    account: str
    platform: str
    remote_id: str
    post_remote_id: str
    parent_remote_id: str | None
    author: str
    created_at: str
    hidden: bool
    deleted: bool
    case_id: int | None
    case_status: str | None


class CaseOut(_Out):
    id: int
    status: str
    reason: str
    sop: str
    comment_id: int
    text: str
    label: str | None
    account: str
    author: str
    remote_id: str
    comment_remote_id: str
    draft_text: str
    note: str
    reply_job_id: int | None
    opened_at: str


class DraftIn(_In):
    text: str


class ReasonIn(_In):
    reason: str


class LabelIn(_In):
    label: Literal["negative", "neutral", "positive"]


class ReviewIn(_In):
    """Comments of the review list to decide on (all or none); ``label`` only when dismissing."""

    comment_ids: list[BodyId] = Field(min_length=1, max_length=200)
    label: Literal["neutral", "positive"] | None = None


class ReviewListOut(_Out):
    total: int
    comments: list[CommentOut]


class ReviewOut(_Out):
    outcome: str
    comments: list[int]
    cases: list[int]
    questions: list[int]


class AuditOut(_Out):
    seq: int
    at: str
    actor: str
    role: str
    action: str
    subject_type: str
    subject_id: str
    version_hash: str | None
    note: str
    data: str = Field(description="the entry's data as canonical JSON text")
    prev_hash: str
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
    sop: str
    step: str
    step_label: str
    role: str
    role_label: str
    entered_at: str
    due_at: str | None
    overdue_by: str
    overdue_seconds: int
    must_act: list[str]


class AccountOut(_Out):
    name: str
    platform: str
    label: str
    imitates: str | None
    enabled: bool
    credentials: dict[str, str] = Field(description="credential sources only (env:NAME), never values")
    status: str
    paused_reason: str
    last_published_at: str | None
    token_expires_at: str | None
    last_check_at: str | None
    last_check_ok: bool | None
    last_check_detail: str


class AccountWeekOut(_Out):
    account: str
    posts: int
    comments: int
    labels: dict[str, int]
    cases: int


class StepTimesOut(_Out):
    sop: str
    step: str
    label: str
    count: int = Field(description="steps completed this week")
    within_standard: int
    late: int = Field(description="completed past the standard, plus those begun this week and still open past it")
    open_late: int = Field(description="begun this week, still open and past the standard now")
    average_minutes: float
    standard_minutes: float | None


class CadencePeriodOut(_Out):
    sop: str
    sop_name: str
    cadence: str = Field(description="the SOP's cadence as a duration, e.g. 1w")
    period: str = Field(description="2026-W49 (weeks), 2026-12 (months), a date (days), or start+cadence")
    period_title: str
    start: str
    end: str
    published: int = Field(description="contents under the SOP published in the period")
    in_pipeline: int = Field(description="contents on their way now (current period only; 0 for past ones)")
    status: Literal["met", "pending", "missed"]


class AccountEngagementOut(_Out):
    account: str
    posts: int = Field(description="posts published in the period")
    posts_measured: int = Field(description="of those, posts with engagement figures")
    likes: int | None = Field(description="sum of the posts' latest figures; null: no post has this figure")
    comments: int | None = Field(description="comments as the platform counts them")
    shares: int | None
    views: int | None
    reach: int | None


class PostEngagementOut(_Out):
    post_id: int
    account: str
    platform: str
    remote_id: str
    url: str | None
    content_id: int | None
    title: str
    published_at: str
    fetched_at: str = Field(description="when the figures were read from the platform")
    likes: int | None = Field(description="null: the platform does not give this figure")
    comments: int | None
    shares: int | None
    views: int | None
    reach: int | None


class ReportOut(_Out):
    week: str = Field(description="the ISO week, or 'DD-MM-YYYY s.d. DD-MM-YYYY' for a range of days")
    start: str
    end: str = Field(description="the day after the last one reported (exclusive)")
    accounts: list[AccountWeekOut]
    response_times: list[StepTimesOut]
    cadence: list[CadencePeriodOut] = Field(description="each cadence SOP's last 8 periods up to this week")
    overdue_now: int = Field(description="responses past their standard now (the cases `humas sla overdue` lists)")
    engagement: list[AccountEngagementOut] = Field(description="per account, over the posts published in the period")
    top_posts: list[PostEngagementOut] = Field(description="the 10 posts of the period with the most likes, comments "
                                               "and shares")


class HealthOut(_Out):
    ok: bool
    database: bool
    scheduler: dict[str, Any] | None = Field(description="the daemon's heartbeat inside humas run, else null")
