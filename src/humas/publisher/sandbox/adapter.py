"""The :class:`PlatformAdapter` over the sandbox: an account that behaves like one on the platform it imitates."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, cast

from humas.errors import AlreadyPublished, ConfigError, ContentRejected, InvalidInput, NotFound
from humas.publisher.base import (
    AccountStatus,
    Checkpoint,
    CommentPage,
    CommentRef,
    Engagement,
    Platform,
    PlatformLimits,
    PlatformPostRef,
    PostDraft,
    Problem,
    PublishRequest,
    PublishResult,
    RemoteComment,
    ReplyResult,
    check_limits,
    reject_if_invalid,
)
from humas.publisher.http import utcnow
from humas.publisher.limits import LIMITS
from humas.publisher.sandbox.failures import FailurePlan, raise_for
from humas.publisher.sandbox.imitation import rules_for
from humas.publisher.sandbox.server import PAGE_SIZE, SandboxPlatform

FIND_WINDOW = timedelta(hours=48)
_SANDBOX = Platform.SANDBOX.value


class SandboxAdapter:
    """A sandbox account that behaves like an account on the platform it ``imitates``.

    ``limits`` is a class variable in :class:`PlatformAdapter`, but here it depends on ``imitates``; so
    ``SandboxAdapter(...)`` returns an instance of a subclass per imitated platform whose class variable ``limits``
    holds that platform's limits. The Protocol is satisfied for the type checker and at run time, and
    ``type(adapter).limits`` tells the truth.

    ``latency_ms`` is the platform's own response time, slept on every call; it is never a rate-limit wait.
    """

    platform: ClassVar[Platform] = Platform.SANDBOX
    limits: ClassVar[PlatformLimits]
    imitates: ClassVar[Platform]

    def __new__(cls, account: str, *, imitates: Platform, **kwargs: Any) -> SandboxAdapter:
        rules_for(imitates)
        sub = _adapter_class(imitates)
        if not issubclass(sub, cls):
            raise ConfigError(f"{cls.__name__} cannot imitate {imitates.value!r}")
        return super().__new__(sub)

    def __init__(
        self,
        account: str,
        *,
        imitates: Platform,
        db_path: Path,
        latency_ms: int = 0,
        failures: FailurePlan | None = None,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.account = account
        self.latency_ms = latency_ms
        self.failures = failures
        self.clock = clock
        self.server = SandboxPlatform(db_path, clock)
        self._sleep = sleep
        self._label = f"Sandbox ({rules_for(imitates).label})"

    def __repr__(self) -> str:
        return f"SandboxAdapter(account={self.account!r}, imitates={self.imitates.value!r})"

    def close(self) -> None:
        self.server.close()

    def validate(self, draft: PostDraft) -> list[Problem]:
        """The imitated platform's limits plus its rules that are not plain limits."""
        problems = check_limits(self.limits, draft, self._label)
        if self.imitates is Platform.X and any(m.is_video for m in draft.media) and len(draft.media) > 1:
            problems.append(Problem("media_mix", f"{self._label}: satu video saja, tanpa foto atau video lain"))
        if self.imitates is Platform.YOUTUBE and not draft.title.strip():
            problems.append(Problem("title_required", f"{self._label}: wajib mengisi judul video"))
        return problems

    def publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        """Post once, as the imitated platform would; see :class:`FailurePlan` for injected failures.

        Half the latency passes before the post is stored (the request travelling) and half after (the answer
        travelling back), so a worker killed in the second half leaves a stored post it never heard about.
        """
        done = _checkpointed(ckpt)
        if done is not None:  # the same job again: the answer is already known, the platform is not asked
            return done
        self._latency(0.5)
        mode = self.server.take_failure(self.account, "publish")
        if mode is None and self.failures is not None:
            mode = self.failures.draw()
        if mode is not None and mode != "timeout_after_send":
            raise_for(mode, account=self.account, clock=self.clock)
        reject_if_invalid(self.validate(req.draft), platform=_SANDBOX, account=self.account)
        post = self.server.create_post(
            self.account, req.draft.text, imitates=self.imitates, title=req.draft.title, media=req.draft.media,
            idempotency_key=req.idempotency_key,
        )
        if mode is not None:  # timeout_after_send: stored, but the answer never arrives (nothing to checkpoint)
            raise_for(mode, account=self.account, clock=self.clock)
        self._latency(0.5)
        ckpt.save(CKPT_POST, {"remote_id": post.remote_id, "url": post.url,
                              "created_at": post.created_at.isoformat()})
        return PublishResult(post.remote_id, post.url, post.created_at)

    def find_published(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult | None:
        """The checkpointed answer, else search the account's posts since ``req.not_before`` (else the last 48 h)
        by key, then by text."""
        done = _checkpointed(ckpt)
        if done is not None:
            return done
        self._latency()
        since = req.not_before or self.clock() - FIND_WINDOW
        post = self.server.find_post(
            self.account, self.imitates, since=since, idempotency_key=req.idempotency_key,
            text=req.draft.text, title=req.draft.title,
        )
        return None if post is None else PublishResult(post.remote_id, post.url, post.created_at)

    def fetch_comments(self, ref: PlatformPostRef, cursor: str | None) -> CommentPage:
        """Comments after ``cursor`` (a sequence number), oldest first, 50 a page; ``NotFound`` for an unknown post."""
        self._latency()
        try:
            after = int(cursor) if cursor else 0
        except ValueError:
            raise InvalidInput(f"sandbox: invalid comment cursor {cursor!r}") from None
        if self.server.get_post(ref.remote_id).account != self.account:
            raise NotFound(f"sandbox: post {ref.remote_id!r} does not belong to account {self.account!r}")
        rows = self.server.comments(ref.remote_id, after, PAGE_SIZE + 1)
        page = rows[:PAGE_SIZE]
        comments = [
            RemoteComment(
                remote_id=c.remote_id, post_remote_id=c.post_remote_id, text=c.text, author_handle=c.author,
                created_at=c.created_at, parent_remote_id=c.parent_remote_id, is_own=c.is_own, hidden=c.hidden,
                deleted=c.deleted,
            )
            for c in page
        ]
        return CommentPage(comments, str(page[-1].seq) if len(rows) > PAGE_SIZE else None, cost=1)

    def reply(self, comment: CommentRef, text: str, ckpt: Checkpoint) -> ReplyResult:
        """Reply as the account. The key saved in ``ckpt`` ("reply_key") makes a retry answer ``AlreadyPublished``."""
        self._latency()
        done = ckpt.get("reply_id")
        if done is not None:
            raise AlreadyPublished(
                "sandbox: this reply was already posted", remote_id=str(done), platform=_SANDBOX, account=self.account
            )
        mode = self.server.take_failure(self.account, "reply")
        if mode is not None and mode != "timeout_after_send":
            raise_for(mode, account=self.account, clock=self.clock)
        if self.limits.reply_max is not None and len(text) > self.limits.reply_max:
            raise ContentRejected(
                f"{self._label}: balasan {len(text)} karakter, maksimal {self.limits.reply_max}", rule="reply_max",
                platform=_SANDBOX, account=self.account,
            )
        key = ckpt.get("reply_key")
        if key is None:
            key = f"reply:{uuid.uuid4().hex}"
            ckpt.save("reply_key", key)
        created = self.server.add_reply(self.account, comment.remote_id, text, idempotency_key=str(key))
        ckpt.save("reply_id", created.remote_id)
        if mode is not None:
            raise_for(mode, account=self.account, clock=self.clock)
        return ReplyResult(created.remote_id, self.server.comment_url(created.remote_id))

    def hide_comment(self, comment: CommentRef) -> None:
        """Hide a comment on one of the account's posts; ``NotFound`` when there is no such comment."""
        self._latency()
        if self.server.get_post(comment.post_remote_id).account != self.account:
            raise NotFound(f"sandbox: post {comment.post_remote_id!r} does not belong to account {self.account!r}")
        self.server.hide(comment.remote_id)

    engagement_batch: ClassVar[int] = 50

    def engagement_cost(self, count: int) -> int:
        return 1 if count else 0

    def engagement(self, remote_ids: Sequence[str]) -> dict[str, Engagement]:
        """Figures derived from each post's public comments (deterministic, so a demo shows numbers that grow as the
        simulated public writes), with the fields the imitated platform gives (:func:`sandbox_figures`). Posts that
        are unknown or another account's are left out."""
        self._latency()
        out: dict[str, Engagement] = {}
        for remote_id in remote_ids:
            try:
                if self.server.get_post(remote_id).account != self.account:
                    continue
            except NotFound:
                continue
            public, after = 0, 0
            while batch := self.server.comments(remote_id, after, 500):
                public += sum(1 for c in batch if not c.is_own and not c.deleted)
                after = batch[-1].seq
            out[remote_id] = sandbox_figures(self.imitates, remote_id, public, self.clock())
        return out

    def check(self) -> AccountStatus:
        """Always fine: the sandbox needs no credentials."""
        self._latency()
        return AccountStatus(ok=True, detail="sandbox")

    def _latency(self, share: float = 1.0) -> None:
        if self.latency_ms > 0:
            self._sleep(self.latency_ms * share / 1000)


@cache
def _adapter_class(imitates: Platform) -> type[SandboxAdapter]:
    name = f"Sandbox{rules_for(imitates).label}Adapter"
    return cast(type[SandboxAdapter], type(name, (SandboxAdapter,), {"limits": LIMITS[imitates], "imitates": imitates}))


def sandbox_figures(imitates: Platform, remote_id: str, comments: int, now: datetime) -> Engagement:
    """Likes, shares, views and reach that follow from ``comments`` and a per-post seed; each figure only where the
    imitated platform gives it (X: no reach, Instagram: no shares, YouTube: neither)."""
    seed = int(hashlib.sha256(remote_id.encode()).hexdigest()[:8], 16)
    likes = 3 * comments + seed % 5
    shares = comments // 3 + seed % 2
    views = 9 * likes + 20 + seed % 50
    reach = views * 7 // 10
    keep = {
        Platform.FACEBOOK: {"likes", "shares", "reach"},
        Platform.INSTAGRAM: {"likes", "views", "reach"},
        Platform.X: {"likes", "shares", "views"},
        Platform.YOUTUBE: {"likes", "views"},
    }.get(imitates, {"likes"})
    figures = {"likes": likes, "shares": shares, "views": views, "reach": reach}
    return Engagement(fetched_at=now, comments=comments, **{k: (v if k in keep else None) for k, v in figures.items()})


CKPT_POST = "sandbox_post"  # the platform's answer to a publish, saved once it arrived


def _checkpointed(ckpt: Checkpoint) -> PublishResult | None:
    saved = ckpt.get(CKPT_POST)
    if not isinstance(saved, dict):
        return None
    return PublishResult(str(saved["remote_id"]), str(saved["url"]), datetime.fromisoformat(str(saved["created_at"])))
