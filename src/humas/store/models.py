"""humas's tables (SQLAlchemy 2 typed ORM). Migrations in ``store/migrations`` are generated from these."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from humas.clock import utcnow


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite keeps no zone: values are stored as naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


def table(model: type[Base]) -> Table:
    """A model's table, for Core statements on hot paths (no ORM objects, no unit of work)."""
    return cast(Table, model.__table__)


class ContentStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class JobState(enum.StrEnum):
    """Publication job states; the allowed transitions are in :mod:`humas.queue.states`."""

    SCHEDULED = "scheduled"
    CLAIMED = "claimed"
    SENDING = "sending"
    PUBLISHED = "published"
    RETRY_WAIT = "retry_wait"
    FAILED = "failed"
    IN_DOUBT = "in_doubt"
    CANCELLED = "cancelled"


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    REPLY_DRAFTED = "reply_drafted"
    APPROVED = "approved"
    REJECTED = "rejected"
    REPLY_POSTED = "reply_posted"
    DISMISSED = "dismissed"
    HIDDEN = "hidden"


# --- people -------------------------------------------------------------------------------------------------------


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(8), default="id")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def role_ids(self) -> set[str]:
        return {r.role for r in self.roles}


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(64), primary_key=True)
    user: Mapped[User] = relationship(back_populates="roles")


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class WebSession(Base):
    """A signed-in browser. Only the sha256 of its session id is stored; the id lives in the browser's cookie.

    A session ends when ``ended_at`` is set (logout, password set, deactivation, timeout) or when it was idle longer
    than ``web.session_idle_minutes`` or started longer than ``web.session_max_hours`` ago (checked per request).
    """

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str] = mapped_column(String(16), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(64), default="")


# --- content and its SOP ----------------------------------------------------------------------------------------


class MediaBlob(Base):
    """A media file stored content-addressed under ``<data_dir>/media/<sha[:2]>/<sha>``."""

    __tablename__ = "media_blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    original_name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Content(Base):
    __tablename__ = "contents"
    id: Mapped[int] = mapped_column(primary_key=True)
    sop_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text, default="")
    caption: Mapped[str] = mapped_column(Text, default="")
    platform_captions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    accounts: Mapped[list[Any]] = mapped_column(default=list)
    activity: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(300), default="")
    flags: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default=ContentStatus.DRAFT, index=True)
    step_id: Mapped[str | None] = mapped_column(String(64), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    version_hash: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    media: Mapped[list[ContentMedia]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ContentMedia.position"
    )
    created_by: Mapped[User] = relationship(lazy="joined")


class ContentMedia(Base):
    __tablename__ = "content_media"
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("media_blobs.sha256"))
    blob: Mapped[MediaBlob] = relationship(lazy="joined")


class ContentVersion(Base):
    """A snapshot of every version, so approvers see the diff against the last approved one."""

    __tablename__ = "content_versions"
    __table_args__ = (UniqueConstraint("content_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    version_hash: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Decision(Base):
    """One approval or rejection at one step, bound to the content version it judged."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(16))  # submitted | approved | rejected
    version_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    valid: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[User] = relationship(lazy="joined")


class StepPeriod(Base):
    """Time spent at one SOP step (content steps and response steps alike), against its time standard."""

    __tablename__ = "step_periods"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # content | case
    subject_id: Mapped[int] = mapped_column(Integer)
    sop_id: Mapped[str] = mapped_column(String(64))
    step_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column(default=None)  # None: the SOP sets no time for this step
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    notified_overdue: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_step_periods_subject", "subject_type", "subject_id"),
        Index("ix_step_periods_open", "completed_at", "due_at"),
    )


class AuditEntry(Base):
    """The hash-chained register: ``hash = sha256(prev_hash + canonical(entry))``."""

    __tablename__ = "audit_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(16), default="")
    subject_id: Mapped[str] = mapped_column(String(64), default="")
    version_hash: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


# --- publishing ---------------------------------------------------------------------------------------------------


class AccountState(Base):
    __tablename__ = "account_states"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | paused
    paused_reason: Mapped[str] = mapped_column(Text, default="")
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    last_published_at: Mapped[datetime | None] = mapped_column(default=None)
    day: Mapped[str] = mapped_column(String(10), default="")
    published_today: Mapped[int] = mapped_column(Integer, default=0)
    token_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_check_at: Mapped[datetime | None] = mapped_column(default=None)
    last_check_ok: Mapped[bool | None] = mapped_column(Boolean, default=None)
    last_check_detail: Mapped[str] = mapped_column(Text, default="")


class AccountSecret(Base):
    """Credentials that rotate (X OAuth 2.0 refresh tokens, instagrapi sessions). Never printed."""

    __tablename__ = "account_secrets"
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# The partial indexes' conditions. Queries that want an index repeat the very same text (SQLite uses a partial index
# only when the query's WHERE holds the index's term literally: bound parameters or another order do not match).
JOBS_DUE = "state IN ('scheduled', 'retry_wait', 'in_doubt')"
JOBS_IN_FLIGHT = "state IN ('claimed', 'sending')"


class PublicationJob(Base):
    """One post (or one reply) to one account. ``dedupe_key`` makes a second queueing impossible."""

    __tablename__ = "publication_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), default="post")  # post | reply
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    content_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id"), default=None, index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)  # no FK: cases -> posts -> jobs
    account: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    version_hash: Mapped[str] = mapped_column(String(64), default="")
    run_at: Mapped[datetime] = mapped_column()
    state: Mapped[str] = mapped_column(String(16), default=JobState.SCHEDULED)
    claimed_from: Mapped[str] = mapped_column(String(16), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    checkpoint: Mapped[dict[str, Any]] = mapped_column(default=dict)
    remote_id: Mapped[str | None] = mapped_column(String(128), default=None)
    remote_url: Mapped[str | None] = mapped_column(String(500), default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        # the claim's ordered scan touches only jobs that can be due
        Index("ix_publication_jobs_due", "run_at", "id", postgresql_where=text(JOBS_DUE), sqlite_where=text(JOBS_DUE)),
        Index("ix_publication_jobs_account_state", "account", "state"),
        Index("ix_publication_jobs_in_flight", "account", postgresql_where=text(JOBS_IN_FLIGHT),
              sqlite_where=text(JOBS_IN_FLIGHT)),
    )


class Post(Base):
    """A post humas published, watched by the monitor."""

    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("account", "remote_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("publication_jobs.id"), unique=True)
    content_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id"), default=None, index=True)
    account: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    remote_id: Mapped[str] = mapped_column(String(128))
    remote_url: Mapped[str | None] = mapped_column(String(500), default=None)
    published_at: Mapped[datetime] = mapped_column()
    next_poll_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    poll_cursor: Mapped[str | None] = mapped_column(Text, default=None)
    last_polled_at: Mapped[datetime | None] = mapped_column(default=None)


class PollLease(Base):
    """Monitoring work for one account, claimed like publication jobs so two daemons never poll it twice."""

    __tablename__ = "poll_leases"
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_run_at: Mapped[datetime] = mapped_column()
    lease_owner: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    budget_day: Mapped[str] = mapped_column(String(10), default="")
    budget_used: Mapped[int] = mapped_column(Integer, default=0)


# --- responses ----------------------------------------------------------------------------------------------------


#: Comments the classification stage flagged and escalation has not opened a case for yet (its partial index), as
#: each database writes the query's condition (SQLite uses a partial index only for the very same terms).
UNTRIAGED = "classified_at IS NOT NULL AND triaged_at IS NULL AND (escalate OR abusive)"
UNTRIAGED_SQLITE = "classified_at IS NOT NULL AND triaged_at IS NULL AND (escalate = 1 OR abusive = 1)"
# the review list ("Perlu ditinjau"): comments the model was unsure about, not yet confirmed or dismissed
TO_REVIEW = "tier = 'review' AND reviewed_at IS NULL"


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        UniqueConstraint("platform", "remote_id"),
        Index("ix_comments_pending", "classified_at"),
        # flagged by classification, no case opened yet: the hand-over from the classification stage to escalation
        Index("ix_comments_untriaged", "id", postgresql_where=text(UNTRIAGED), sqlite_where=text(UNTRIAGED_SQLITE)),
        Index("ix_comments_to_review", "id", postgresql_where=text(TO_REVIEW), sqlite_where=text(TO_REVIEW)),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(64), index=True)
    remote_id: Mapped[str] = mapped_column(String(128))
    parent_remote_id: Mapped[str | None] = mapped_column(String(128), default=None)
    author_handle: Mapped[str] = mapped_column(String(200), default="")
    author_id: Mapped[str | None] = mapped_column(String(128), default=None)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(16), default="poll")  # poll | webhook | reply
    is_own: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    label: Mapped[str | None] = mapped_column(String(16), default=None, index=True)
    p_negative: Mapped[float | None] = mapped_column(Float, default=None)
    p_neutral: Mapped[float | None] = mapped_column(Float, default=None)
    p_positive: Mapped[float | None] = mapped_column(Float, default=None)
    escalate: Mapped[bool] = mapped_column(Boolean, default=False)
    abusive: Mapped[bool] = mapped_column(Boolean, default=False)
    classified_at: Mapped[datetime | None] = mapped_column(default=None)
    triaged_at: Mapped[datetime | None] = mapped_column(default=None)  # a flagged comment's case was opened
    # the classifier's triage tier (sentiment.base.TIERS); escalate == (tier == "case")
    tier: Mapped[str | None] = mapped_column(String(16), default=None)
    p_question: Mapped[float | None] = mapped_column(Float, default=None)
    # a review-tier comment confirmed (a case opens) or dismissed by the escalation role
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    review_outcome: Mapped[str | None] = mapped_column(String(16), default=None)  # confirmed | dismissed
    post: Mapped[Post] = relationship(lazy="joined")


class Case(Base):
    """A comment the redaktur must see: a negative, abusive or problem-reporting one."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN, index=True)
    reason: Mapped[str] = mapped_column(String(32))  # negative | abusive | needs_answer
    sop_id: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    draft_text: Mapped[str] = mapped_column(Text, default="")
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    drafted_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    reply_job_id: Mapped[int | None] = mapped_column(Integer, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    comment: Mapped[Comment] = relationship(lazy="joined")


class LabelFeedback(Base):
    """A redaktur's correction of a comment's sentiment label; ``sentiment train --include-feedback`` uses it."""

    __tablename__ = "label_feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    old_label: Mapped[str | None] = mapped_column(String(16), default=None)
    label: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- monthly content plans (humas.planning) ------------------------------------------------------------------------

import datetime as _dt  # noqa: E402  (kept inside this section: an item's activity day is a calendar date)

from sqlalchemy import Date  # noqa: E402


class PlanStatus(enum.StrEnum):
    """Where a monthly plan stands; ``returned``: a review sent it back to an earlier step."""

    DRAFT = "draft"  # at the first plan step (the meeting)
    PROPOSING = "proposing"  # at a later submit step (the item list)
    IN_REVIEW = "in_review"
    RETURNED = "returned"
    APPROVED = "approved"


class ContentPlan(Base):
    """One SOP's plan for one month (``YYYY-MM``): the meeting, the proposed items, the approval.

    ``list_hash`` identifies the item list (and the meeting) as it stands; decisions record the hash they judged.
    """

    __tablename__ = "content_plans"
    __table_args__ = (UniqueConstraint("sop_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sop_id: Mapped[str] = mapped_column(String(64))
    month: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16), default=PlanStatus.DRAFT)
    step_id: Mapped[str | None] = mapped_column(String(64), default=None)
    meeting_at: Mapped[datetime | None] = mapped_column(default=None)
    meeting_place: Mapped[str] = mapped_column(String(300), default="")
    list_version: Mapped[int] = mapped_column(Integer, default=1)
    list_hash: Mapped[str] = mapped_column(String(64), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    items: Mapped[list[PlanItem]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="[PlanItem.activity_date, PlanItem.id]"
    )
    created_by: Mapped[User] = relationship(lazy="joined")


class PlanItem(Base):
    """A proposed content item ("Daftar Usulan Materi"): an activity of the month; ``content_id`` once approved."""

    __tablename__ = "plan_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("content_plans.id", ondelete="CASCADE"), index=True)
    activity: Mapped[str] = mapped_column(String(300))
    activity_date: Mapped[_dt.date] = mapped_column(Date)
    unit: Mapped[str] = mapped_column(String(200), default="")
    channels: Mapped[list[Any]] = mapped_column(default=list)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    content_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id"), default=None, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner: Mapped[User] = relationship(lazy="joined")


class PlanDecision(Base):
    """A submit, approval or rejection at one plan step, bound to the list hash it judged."""

    __tablename__ = "plan_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("content_plans.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(16))  # submitted | approved | rejected
    list_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    valid: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[User] = relationship(lazy="joined")


# --- documentation equipment and the leaders' agenda (humas.documentation) -----------------------------------------

#: the inventory round in progress (one per SOP at a time): the condition of its partial unique index
ROUND_OPEN = "status = 'open'"


class EquipmentItem(Base):
    """A piece of documentation equipment (a camera, a drone, a memory card…). Retired items stay for history.

    ``condition`` and ``readiness`` are the latest known: from the item's last inventory check, or from a return
    that reported damage (``readiness`` is None until the item is first checked).
    """

    __tablename__ = "equipment_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    serial: Mapped[str | None] = mapped_column(String(100), unique=True, default=None)
    storage: Mapped[str] = mapped_column(String(200))
    condition: Mapped[str] = mapped_column(String(16), default="baik")
    readiness: Mapped[str | None] = mapped_column(String(16), default=None)
    checked_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InventoryRound(Base):
    """One walk through the SOP's ``inventory_steps``: dispositions, the check of every active item, the record.

    ``step_id`` is the open step (None once finished or cancelled); ``assignees`` maps a step id to the id of the
    user a disposition named for it.
    """

    __tablename__ = "inventory_rounds"
    __table_args__ = (
        Index("ux_inventory_rounds_open", "sop_id", unique=True, postgresql_where=text(ROUND_OPEN),
              sqlite_where=text(ROUND_OPEN)),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    sop_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | finished | cancelled
    step_id: Mapped[str | None] = mapped_column(String(64), default=None)
    assignees: Mapped[dict[str, Any]] = mapped_column(default=dict)
    report_note: Mapped[str] = mapped_column(Text, default="")
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column()
    finished_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class InventoryCheck(Base):
    """One item's check in one round (checked again: the row is updated); its readiness follows humas's rules."""

    __tablename__ = "inventory_checks"
    __table_args__ = (UniqueConstraint("round_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("inventory_rounds.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("equipment_items.id"), index=True)
    present: Mapped[bool] = mapped_column(Boolean)
    condition: Mapped[str] = mapped_column(String(16))
    battery_percent: Mapped[int | None] = mapped_column(Integer, default=None)
    memory_free_gb: Mapped[float | None] = mapped_column(Float, default=None)
    memory_free_percent: Mapped[int | None] = mapped_column(Integer, default=None)
    readiness: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime] = mapped_column()


class InventoryReminder(Base):
    """A due-round reminder sent to the SOP's first inventory role; ``due_key`` makes a second sending impossible
    (several daemons share one database)."""

    __tablename__ = "inventory_reminders"
    id: Mapped[int] = mapped_column(primary_key=True)
    due_key: Mapped[str] = mapped_column(String(128), unique=True)
    sent_at: Mapped[datetime] = mapped_column()


class AgendaEntry(Base):
    """An activity of a leader (Bupati, Wakil Bupati, Sekretaris Daerah, another) to be documented.

    ``content_id``: the media SOP's content opened from this entry (its first step, the agenda).
    """

    __tablename__ = "agenda_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    leader: Mapped[str] = mapped_column(String(32))  # bupati | wakil_bupati | sekda | lainnya
    leader_name: Mapped[str] = mapped_column(String(200), default="")
    activity: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned | cancelled
    note: Mapped[str] = mapped_column(Text, default="")
    content_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id"), unique=True, default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgendaAssignment(Base):
    """A staff member assigned to document an agenda entry."""

    __tablename__ = "agenda_assignments"
    __table_args__ = (UniqueConstraint("entry_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("agenda_entries.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column()


class EquipmentLoan(Base):
    """An item checked out for an agenda entry (held by one of its staff) until it is returned."""

    __tablename__ = "equipment_loans"
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("agenda_entries.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("equipment_items.id"), index=True)
    holder_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    checked_out_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    checked_out_at: Mapped[datetime] = mapped_column()
    returned_at: Mapped[datetime | None] = mapped_column(default=None)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    return_condition: Mapped[str | None] = mapped_column(String(16), default=None)
    return_note: Mapped[str] = mapped_column(Text, default="")


# --- OAuth connect flows (issue 14) ---------------------------------------------------------------------------------


class OAuthFlow(Base):
    """A connect flow someone started (``humas.accounts.connect``): single use, bound to that person, short-lived.
    Only the sha256 of its ``state`` is stored; the PKCE verifier is encrypted like the account secrets."""

    __tablename__ = "oauth_flows"
    id: Mapped[int] = mapped_column(primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    via: Mapped[str] = mapped_column(String(8))  # web | cli
    redirect_uri: Mapped[str] = mapped_column(String(500))
    verifier: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class AccountConnection(Base):
    """An account connected through its platform's OAuth flow: who connected it, when, as whom, what was granted.
    The tokens themselves are in ``account_secrets``, encrypted."""

    __tablename__ = "account_connections"
    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    identity: Mapped[str] = mapped_column(String(300), default="")
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    missing_scopes: Mapped[list[Any]] = mapped_column(default=list)
    connected_at: Mapped[datetime] = mapped_column()
    connected_by: Mapped[str] = mapped_column(String(64))


# --- engagement (issue 15) ---


class PostMetric(Base):
    """A published post's engagement figures as its platform gave them (``None``: that platform or token does not
    give the figure). The row with the latest ``hour`` is the post's current figure; history keeps at most one row
    per post and hour (UTC), a later fetch in the same hour updates it (``humas.monitor.engagement``)."""

    __tablename__ = "post_metrics"
    __table_args__ = (UniqueConstraint("post_id", "hour"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    hour: Mapped[datetime] = mapped_column()  # fetched_at truncated to the hour
    fetched_at: Mapped[datetime] = mapped_column()
    likes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    comments: Mapped[int | None] = mapped_column(BigInteger, default=None)
    shares: Mapped[int | None] = mapped_column(BigInteger, default=None)
    views: Mapped[int | None] = mapped_column(BigInteger, default=None)
    reach: Mapped[int | None] = mapped_column(BigInteger, default=None)
