"""The platform adapter contract: one small Protocol over humas dataclasses.

Adapters take and return these dataclasses, never vendor JSON. Each adapter maps vendor errors onto
:mod:`humas.errors` in exactly one function (``_raise_for``) and never sleeps on a rate limit: it raises
:class:`~humas.errors.RateLimited` and the queue moves the job's ``run_at``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from humas.platforms import Platform as Platform  # re-exported: adapters name the platform from here


@dataclass(frozen=True)
class PlatformLimits:
    """What a platform accepts; checked by :func:`check_limits` when content is submitted and again at scheduling."""

    text_max: int | None = None
    text_counter: str = "chars"  # "chars" | "x-weighted" | "utf8-bytes"
    title_max: int | None = None
    forbidden_chars: str = ""
    hashtags_max: int | None = None
    mentions_max: int | None = None
    media_required: bool = False
    video_required: bool = False
    image_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif", "image/webp")
    video_types: tuple[str, ...] = ("video/mp4", "video/quicktime")
    media_max: int | None = None
    image_bytes_max: int | None = None
    aspect_min: float | None = None  # width / height
    aspect_max: float | None = None
    image_width_min: int | None = None
    image_width_max: int | None = None
    reply_max: int | None = None


@dataclass(frozen=True)
class MediaFile:
    """A media file as humas stores it (content-addressed)."""

    path: Path
    sha256: str
    mime: str
    size: int
    width: int | None = None
    height: int | None = None

    @property
    def is_video(self) -> bool:
        return self.mime.startswith("video/")

    @property
    def is_image(self) -> bool:
        return self.mime.startswith("image/")


@dataclass(frozen=True)
class PostDraft:
    """What would be posted to one platform: checked by ``validate`` before approval."""

    text: str
    title: str = ""
    media: Sequence[MediaFile] = ()
    link: str | None = None


@dataclass(frozen=True)
class Problem:
    """One reason a platform would reject a draft; ``rule`` is a stable id, ``message`` is for people."""

    rule: str
    message: str


@dataclass(frozen=True)
class PublishRequest:
    """One publication of one content version to one account.

    ``idempotency_key`` is stable across retries of the same job (``post:<content>:<account>``); adapters whose
    platform has no idempotency support use the text and the time window to recognise their own post.
    """

    idempotency_key: str
    account: str
    draft: PostDraft
    not_before: datetime | None = None  # the scheduled time; a post found before it is not ours
    privacy: str = "public"


class Checkpoint(Protocol):
    """Progress an adapter saves *before* an irreversible step (IG container id, YouTube session URI).

    ``save`` commits immediately so that a crash after it still leaves the value for ``find_published``.
    """

    def get(self, key: str) -> Any: ...

    def save(self, key: str, value: Any) -> None: ...


class DictCheckpoint:
    """A checkpoint held in memory; for tests and one-shot calls."""

    def __init__(self, data: Mapping[str, Any] | None = None, on_save: Callable[[dict[str, Any]], None] | None = None):
        self.data: dict[str, Any] = dict(data or {})
        self._on_save = on_save

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def save(self, key: str, value: Any) -> None:
        self.data[key] = value
        if self._on_save is not None:
            self._on_save(dict(self.data))


@dataclass(frozen=True)
class PublishResult:
    remote_id: str
    remote_url: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True)
class PlatformPostRef:
    """A published post on a platform."""

    account: str
    remote_id: str
    published_at: datetime | None = None


@dataclass(frozen=True)
class RemoteComment:
    remote_id: str
    post_remote_id: str
    text: str
    author_handle: str
    created_at: datetime
    author_id: str | None = None
    parent_remote_id: str | None = None  # None for a top-level comment
    is_own: bool = False  # written by the account itself (our replies): never escalated
    hidden: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class CommentPage:
    """One page of comments. ``cursor`` continues this page; ``None`` when there is no more for now.

    ``cost`` is the API budget the fetch used (YouTube units, X billed reads), for the monitor's budget.
    """

    comments: Sequence[RemoteComment]
    cursor: str | None = None
    cost: int = 1


@dataclass(frozen=True)
class CommentRef:
    account: str
    post_remote_id: str
    remote_id: str


@dataclass(frozen=True)
class ReplyResult:
    remote_id: str
    remote_url: str | None = None


@dataclass(frozen=True)
class AccountStatus:
    """The answer to a cheap authenticated call (``check``)."""

    ok: bool
    detail: str = ""
    expires_at: datetime | None = None


@runtime_checkable
class PlatformAdapter(Protocol):
    """One platform account. Every method may raise a :class:`humas.errors.PublishError` subclass."""

    platform: ClassVar[Platform]
    limits: ClassVar[PlatformLimits]

    def validate(self, draft: PostDraft) -> list[Problem]:
        """Everything the platform would reject in ``draft``; empty when it would accept it. No network."""
        ...

    def publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        """Post once. Saves progress to ``ckpt`` before each irreversible call.

        Raises ``RetryLater`` (retried), ``ContentRejected`` (never retried), ``AuthExpired`` (account paused),
        ``AlreadyPublished`` (done), ``OutcomeUnknown`` (in doubt: resolved by ``find_published``).
        """
        ...

    def find_published(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult | None:
        """Ask the platform whether ``req`` was already published; ``None`` when it surely was not."""
        ...

    def fetch_comments(self, ref: PlatformPostRef, cursor: str | None) -> CommentPage:
        """Comments and replies on one post after ``cursor`` (None: from the start)."""
        ...

    def reply(self, comment: CommentRef, text: str, ckpt: Checkpoint) -> ReplyResult:
        """Reply to a comment as the account. Same errors as ``publish``."""
        ...

    def hide_comment(self, comment: CommentRef) -> None:
        """Hide a comment; raises ``ContentRejected(rule="unsupported")`` where the platform cannot hide."""
        ...

    def check(self) -> AccountStatus:
        """A cheap authenticated call; says whether the credentials work and when they expire."""
        ...


@dataclass(frozen=True)
class Engagement:
    """A post's engagement figures as the platform gave them at ``fetched_at``; ``None``: the platform does not give
    that figure (X has no reach, WordPress no likes), or not to this token (insights need their own permission)."""

    fetched_at: datetime
    likes: int | None = None  # likes, or all reactions where the platform counts reactions (Facebook)
    comments: int | None = None  # the platform's own count, replies included where it counts them
    shares: int | None = None  # shares, reposts (X: retweets + quotes)
    views: int | None = None  # views or impressions, not unique
    reach: int | None = None  # unique accounts that saw the post

    @property
    def interactions(self) -> int:
        """Likes + comments + shares, the figures a platform did not give counting 0: how posts are ranked."""
        return sum(v for v in (self.likes, self.comments, self.shares) if v is not None)


@runtime_checkable
class EngagementReader(Protocol):
    """An optional adapter capability: reading engagement figures of published posts.

    The monitor checks it with ``isinstance`` and reads figures only from adapters that have it. ``engagement``
    may raise the same errors as ``fetch_comments``: ``AuthExpired`` as the adapter maps it, ``RateLimited`` /
    ``QuotaExhausted`` (the account waits); anything else leaves the figures out for that poll. A post the
    platform no longer has is simply missing from the answer, and so is a failed insights call's figure (reach
    ``None``): it never fails the others.
    """

    engagement_batch: ClassVar[int]  # the most ids one ``engagement`` call takes

    def engagement_cost(self, count: int) -> int:
        """The API budget (YouTube units, X billed reads, calls) one ``engagement`` call for ``count`` ids spends
        at most; known before the call, so the monitor keeps within its daily budget."""
        ...

    def engagement(self, remote_ids: Sequence[str]) -> dict[str, Engagement]:
        """Figures per remote id for at most ``engagement_batch`` of the account's posts."""
        ...


def count_or_none(value: Any) -> int | None:
    """A count from vendor JSON (numbers, numeric strings); ``None`` for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return n if n >= 0 else None


#: The adapter lookup the stages receive: account name -> its adapter (``ConfigError``/``Unavailable`` when it
#: cannot be built).
AdapterFor = Callable[[str], PlatformAdapter]


def reject_if_invalid(problems: list[Problem], *, platform: str, account: str) -> None:
    """The platform would refuse the draft: raise ``ContentRejected`` naming every problem (never retried)."""
    if problems:
        from humas.errors import ContentRejected

        raise ContentRejected("; ".join(p.message for p in problems), rule=problems[0].rule, platform=platform,
                              account=account)


def hashtags(text: str) -> list[str]:
    import re

    return re.findall(r"(?<![\w&])#\w+", text)


def mentions(text: str) -> list[str]:
    import re

    return re.findall(r"(?<![\w])@\w+", text)


def text_length(text: str, counter: str) -> int:
    if counter == "x-weighted":
        import warnings

        with warnings.catch_warnings():  # twitter-text-parser imports the deprecated pkg_resources
            warnings.simplefilter("ignore", UserWarning)
            from twitter_text import parse_tweet  # type: ignore[import-untyped]

        return int(parse_tweet(text).weightedLength)
    if counter == "utf8-bytes":
        return len(text.encode("utf-8"))
    return len(text)


def check_limits(limits: PlatformLimits, draft: PostDraft, platform_label: str) -> list[Problem]:
    """The shared checks every adapter's ``validate`` starts from; messages are Indonesian (users read them)."""
    problems: list[Problem] = []
    p = platform_label
    if limits.text_max is not None:
        n = text_length(draft.text, limits.text_counter)
        if n > limits.text_max:
            unit = "byte" if limits.text_counter == "utf8-bytes" else "karakter"
            problems.append(Problem("text_max", f"{p}: teks {n} {unit}, maksimal {limits.text_max}"))
    if limits.title_max is not None and len(draft.title) > limits.title_max:
        problems.append(Problem("title_max", f"{p}: judul {len(draft.title)} karakter, maksimal {limits.title_max}"))
    for ch in limits.forbidden_chars:
        if ch in draft.text or ch in draft.title:
            problems.append(Problem("forbidden_char", f"{p}: karakter '{ch}' tidak diperbolehkan"))
    if limits.hashtags_max is not None and len(hashtags(draft.text)) > limits.hashtags_max:
        problems.append(
            Problem("hashtags_max", f"{p}: {len(hashtags(draft.text))} tagar, maksimal {limits.hashtags_max}")
        )
    if limits.mentions_max is not None and len(mentions(draft.text)) > limits.mentions_max:
        problems.append(
            Problem("mentions_max", f"{p}: {len(mentions(draft.text))} mention, maksimal {limits.mentions_max}")
        )
    if limits.media_required and not draft.media:
        problems.append(Problem("media_required", f"{p}: wajib menyertakan foto atau video"))
    if limits.video_required and not any(m.is_video for m in draft.media):
        problems.append(Problem("video_required", f"{p}: wajib menyertakan video"))
    if limits.media_max is not None and len(draft.media) > limits.media_max:
        problems.append(Problem("media_max", f"{p}: {len(draft.media)} berkas media, maksimal {limits.media_max}"))
    for m in draft.media:
        name = m.path.name
        if m.is_image and m.mime not in limits.image_types:
            problems.append(Problem("image_type", f"{p}: format gambar {m.mime} ({name}) tidak diterima"))
        elif m.is_video and m.mime not in limits.video_types:
            problems.append(Problem("video_type", f"{p}: format video {m.mime} ({name}) tidak diterima"))
        elif not (m.is_image or m.is_video):
            problems.append(Problem("media_type", f"{p}: berkas {name} ({m.mime}) bukan foto atau video"))
        if m.is_image and limits.image_bytes_max is not None and m.size > limits.image_bytes_max:
            problems.append(Problem("image_bytes_max", f"{p}: gambar {name} melebihi {limits.image_bytes_max} byte"))
        if m.is_image and m.width and m.height:
            ratio = m.width / m.height
            if limits.aspect_min is not None and ratio < limits.aspect_min - 1e-3:
                problems.append(Problem("aspect_ratio", f"{p}: rasio gambar {name} {ratio:.2f} terlalu tinggi"))
            if limits.aspect_max is not None and ratio > limits.aspect_max + 1e-3:
                problems.append(Problem("aspect_ratio", f"{p}: rasio gambar {name} {ratio:.2f} terlalu lebar"))
            if limits.image_width_min is not None and m.width < limits.image_width_min:
                problems.append(Problem("image_width", f"{p}: lebar gambar {name} {m.width}px, minimal "
                                        f"{limits.image_width_min}px"))
    return problems


class SecretStore(Protocol):
    """Where adapters persist credentials that rotate (X OAuth 2.0 refresh tokens, instagrapi sessions).

    Values are secrets: never logged or printed. humas's implementation keeps them in the database.
    """

    def get(self, account: str, key: str) -> str | None: ...

    def set(self, account: str, key: str, value: str) -> None: ...


class MemorySecretStore:
    """A :class:`SecretStore` in memory, for tests and one-shot tools."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], str] = {}

    def get(self, account: str, key: str) -> str | None:
        return self._data.get((account, key))

    def set(self, account: str, key: str, value: str) -> None:
        self._data[(account, key)] = value
