"""Instagram through the private mobile API (instagrapi): an opt-in fallback for accounts the Graph API cannot
serve (personal, non-business accounts).

Read ``docs/instagram-private.md`` before enabling it: this breaks Instagram's Terms of Use, and accounts get
challenges, "action blocked" and bans, especially from datacenter IPs (``platform-apis.md`` §3.2). It is an
optional extra, ``pip install 'humas[instagram-private]'``; instagrapi is imported only when an adapter is built.

The adapter never asks a person anything: challenge and password prompts raise ``AuthExpired`` (instagrapi's
defaults call ``input()``), and the automatic challenge flow is off.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import requests

from humas.errors import (
    AuthExpired,
    ContentRejected,
    NetworkError,
    OutcomeUnknown,
    PlatformUnavailable,
    PublishError,
    RateLimited,
    RetryLater,
    Unavailable,
)
from humas.publisher import http
from humas.publisher.base import (
    AccountStatus,
    Checkpoint,
    CommentPage,
    CommentRef,
    MediaFile,
    Platform,
    PlatformLimits,
    PlatformPostRef,
    PostDraft,
    Problem,
    PublishRequest,
    PublishResult,
    RemoteComment,
    ReplyResult,
    SecretStore,
    check_limits,
    reject_if_invalid,
)
from humas.publisher.graph import Clock, mask, normalise
from humas.publisher.http import utcnow
from humas.publisher.limits import LIMITS

SETTINGS_KEY = "instagrapi_settings"
INSTALL_HINT = "pip install 'humas[instagram-private]'"
FIND_SLACK = timedelta(minutes=10)
RECENT_MEDIA = 20
REPLY_THREADS = 20  # replies cost one request per thread: only the newest threads are read each poll
COMMENT_OVERLAP = timedelta(minutes=2)
# How long to leave the account alone after each kind of push-back (style guideline 7: the queue waits, not us).
WAIT_PLEASE_WAIT = timedelta(minutes=15)
WAIT_THROTTLED = timedelta(minutes=30)
WAIT_RATE_LIMIT = timedelta(hours=1)
WAIT_FEEDBACK = timedelta(hours=24)  # feedback_required = "action blocked": hours to days

_AUTH = {
    "LoginRequired",
    "ChallengeError",
    "ChallengeRequired",
    "BadPassword",
    "BadCredentials",
    "TwoFactorRequired",
    "AccountSuspended",
    "SentryBlock",
    "ReloginAttemptExceeded",
    "CaptchaChallengeRequired",
    "ProxyAddressIsBlocked",
    "ClientForbiddenError",
    "ClientUnauthorizedError",
    "ClientLoginRequired",
}
_NOT_FOUND = {"NotFoundError", "MediaUnavailable", "CommentNotFound", "CommentUnavailable", "InvalidMediaId"}
# Raised after the upload went through but configure did not clearly succeed: the post may exist.
_MAYBE_POSTED = {
    "PhotoConfigureError",
    "VideoConfigureError",
    "AlbumConfigureError",
    "ClipConfigureError",
    "IGTVConfigureError",
    "ClientIncompleteReadError",
    "ClientJSONDecodeError",
}
_NOT_POSTED = {"PhotoNotUpload", "VideoNotUpload", "ClipNotUpload", "IGTVNotUpload"}


def default_client_factory() -> Any:
    """instagrapi's ``Client`` with its default (curl_cffi) transport; imported only here."""
    try:
        from instagrapi import Client  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        raise Unavailable(f"Instagram (API privat) memerlukan instagrapi: {INSTALL_HINT}") from exc
    return Client()


def _refuse_challenge(username: str, choice: Any = None) -> NoReturn:
    raise AuthExpired(
        f"Instagram meminta verifikasi (challenge) untuk {username}; selesaikan di aplikasi lalu hubungkan ulang",
        platform=Platform.INSTAGRAM_PRIVATE.value,
    )


def _refuse_password(username: str) -> NoReturn:
    raise AuthExpired(
        f"Instagram meminta kata sandi baru untuk {username}; ganti di aplikasi lalu perbarui konfigurasi",
        platform=Platform.INSTAGRAM_PRIVATE.value,
    )


class InstagramPrivateAdapter:
    """One Instagram account driven through instagrapi; same limits as the official Instagram adapter."""

    platform: ClassVar[Platform] = Platform.INSTAGRAM_PRIVATE
    limits: ClassVar[PlatformLimits] = LIMITS[Platform.INSTAGRAM]

    def __init__(
        self,
        account: str,
        *,
        username: str,
        password: str,
        totp_seed: str | None,
        secret_store: SecretStore,
        client_factory: Callable[[], Any] | None = None,
        clock: Clock = utcnow,
    ) -> None:
        if client_factory is None:
            try:
                import instagrapi  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
            except ImportError as exc:
                raise Unavailable(f"Instagram (API privat) memerlukan instagrapi: {INSTALL_HINT}") from exc
            client_factory = default_client_factory
        self.account = account
        self.username = username
        self._password = password
        self._totp_seed = totp_seed
        self.secrets = secret_store
        self._factory = client_factory
        self.clock = clock
        self._client: Any = None

    def __repr__(self) -> str:
        return f"InstagramPrivateAdapter(account={self.account!r}, username={self.username!r}, password='****')"

    # --- session --------------------------------------------------------------------------------------------

    def _login(self) -> Any:
        """A logged-in client: the stored session (device + cookies) is reused; a fresh login only when it is
        rejected. Settings are saved back after every login, since Instagram rotates cookies."""
        if self._client is not None:
            return self._client
        cl = self._factory()
        cl.with_challenge_flow = False  # else instagrapi resolves challenges itself (network + input())
        cl.challenge_code_handler = _refuse_challenge
        cl.change_password_handler = _refuse_password
        saved = self.secrets.get(self.account, SETTINGS_KEY)
        try:
            settings = json.loads(saved) if saved else None
        except ValueError:
            settings = None  # unreadable: log in afresh (a new device for Instagram, so a challenge is likelier)
        if isinstance(settings, dict):
            cl.set_settings(settings)
        with self._mapped(write=False):
            code = cl.totp_generate_code(self._totp_seed) if self._totp_seed else ""
            cl.login(self.username, self._password, verification_code=code)
        self._save_settings(cl)
        self._client = cl
        return cl

    def _save_settings(self, cl: Any) -> None:
        self.secrets.set(self.account, SETTINGS_KEY, json.dumps(cl.get_settings(), default=str))

    def _forget_client(self) -> None:
        self._client = None

    @contextmanager
    def _mapped(self, *, write: bool) -> Iterator[None]:
        try:
            yield
        except PublishError:
            raise
        except Exception as exc:
            self._raise_for(exc, write=write)

    def _raise_for(self, exc: Exception, *, write: bool) -> NoReturn:
        """The one translation of instagrapi (and raw requests) failures; matched by class name along the MRO so
        that instagrapi is only ever imported lazily. ``write``: the call may have created something."""
        if isinstance(exc, requests.RequestException):  # instagrapi lets ReadTimeout & co. through unwrapped
            raise http.transport_error(
                exc, idempotent=not write, platform=self.platform.value, account=self.account
            ) from exc
        names = {c.__name__ for c in type(exc).__mro__}
        now = self.clock()
        msg = f"instagram-private: {type(exc).__name__}: {self._clean(str(exc))}"
        p, a = self.platform.value, self.account
        if type(exc) is ValueError and "file format" in str(exc):  # instagrapi checks suffixes before any request
            raise ContentRejected(msg, rule="media_type", platform=p, account=a) from exc
        if names & _AUTH:
            self._forget_client()
            raise AuthExpired(msg, platform=p, account=a) from exc
        if "FeedbackRequired" in names:
            raise RateLimited(
                f"{msg} (aksi diblokir Instagram)", reset_at=now + WAIT_FEEDBACK, platform=p, account=a
            ) from exc
        if "PleaseWaitFewMinutes" in names:
            raise RateLimited(msg, reset_at=now + WAIT_PLEASE_WAIT, platform=p, account=a) from exc
        if "ClientThrottledError" in names:
            raise RateLimited(msg, reset_at=now + WAIT_THROTTLED, platform=p, account=a) from exc
        if "RateLimitError" in names:
            raise RateLimited(msg, reset_at=now + WAIT_RATE_LIMIT, platform=p, account=a) from exc
        if names & _NOT_FOUND:
            raise ContentRejected(msg, rule="not_found", platform=p, account=a) from exc
        if "CommentsDisabled" in names:
            raise ContentRejected(msg, rule="comments_disabled", platform=p, account=a) from exc
        if "VideoTooLongException" in names:
            raise ContentRejected(msg, rule="video_too_long", platform=p, account=a) from exc
        if "ClientConnectionError" in names:
            # instagrapi wraps every requests.ConnectionError as "<Class> <text>": only a connect failure is safe.
            if not write or str(exc).startswith(("ConnectTimeout", "SSLError", "ProxyError")):
                raise NetworkError(msg, platform=p, account=a) from exc
            raise OutcomeUnknown(msg, platform=p, account=a) from exc
        if names & _MAYBE_POSTED and write:
            raise OutcomeUnknown(msg, platform=p, account=a) from exc
        if names & _NOT_POSTED:
            raise RetryLater(msg, retry_after=None, platform=p, account=a) from exc
        if "ClientRequestTimeout" in names:
            raise (
                OutcomeUnknown(msg, platform=p, account=a) if write else NetworkError(msg, platform=p, account=a)
            ) from exc
        status = getattr(exc, "code", None)
        if isinstance(status, int) and status >= 500:
            raise PlatformUnavailable(msg, platform=p, account=a) from exc
        if write:
            # Unknown failure of a call that may have posted: never retry blindly, let find_published decide.
            raise OutcomeUnknown(msg, platform=p, account=a) from exc
        raise PlatformUnavailable(msg, platform=p, account=a) from exc

    def _clean(self, text: str) -> str:
        for secret in (self._password, self._totp_seed):
            if secret:
                text = text.replace(secret, mask(secret))
        return text[:500]

    def _kw(self) -> dict[str, str]:
        return {"platform": self.platform.value, "account": self.account}

    # --- validate / publish ---------------------------------------------------------------------------------

    def validate(self, draft: PostDraft) -> list[Problem]:
        return check_limits(self.limits, draft, "Instagram")

    def publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        done = ckpt.get("media_id")
        if done:
            return PublishResult(str(done), ckpt.get("media_url"))
        reject_if_invalid(self.validate(req.draft), **self._kw())
        cl = self._login()
        draft = req.draft
        caption = caption_of(draft)
        ckpt.save("sent_at", self.clock().isoformat())
        with _named_copies(draft.media) as paths, self._mapped(write=True):
            if len(paths) > 1:
                media = cl.album_upload(paths, caption)
            elif draft.media[0].is_video:
                media = cl.clip_upload(paths[0], caption)
            else:
                media = cl.photo_upload(paths[0], caption)
        self._save_settings(cl)
        media_id, url = str(media.id), _url(media)
        ckpt.save("media_id", media_id)
        ckpt.save("media_url", url)
        return PublishResult(media_id, url, _aware(getattr(media, "taken_at", None)) or self.clock())

    def find_published(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult | None:
        done = ckpt.get("media_id")
        if done:
            return PublishResult(str(done), ckpt.get("media_url"))
        cl = self._login()
        want = normalise(caption_of(req.draft))
        candidates = [t for t in (req.not_before, _parse(ckpt.get("sent_at"))) if t is not None]
        since = (min(candidates) if candidates else self.clock() - timedelta(days=2)) - FIND_SLACK
        with self._mapped(write=False):
            medias = cl.user_medias_v1(cl.user_id, amount=RECENT_MEDIA)
        for media in medias:
            taken = _aware(getattr(media, "taken_at", None))
            if taken is not None and taken < since:
                continue
            if normalise(str(getattr(media, "caption_text", "") or "")) == want:
                media_id, url = str(media.id), _url(media)
                ckpt.save("media_id", media_id)
                ckpt.save("media_url", url)
                return PublishResult(media_id, url, taken)
        return None

    # --- comments -------------------------------------------------------------------------------------------

    def fetch_comments(self, ref: PlatformPostRef, cursor: str | None) -> CommentPage:
        """Top-level comments plus the replies of the newest ``REPLY_THREADS`` threads, newer than the time
        watermark in ``cursor`` (JSON ``{"since": <unix time>}``) minus a small overlap; the monitor dedupes."""
        cl = self._login()
        since = _since_of(cursor)
        floor = datetime.fromtimestamp(since, UTC) - COMMENT_OVERLAP if since else None
        calls = 1
        with self._mapped(write=False):
            top = list(cl.media_comments(ref.remote_id, amount=0))
            threads = sorted(top, key=lambda c: c.created_at_utc, reverse=True)[:REPLY_THREADS]
            replies: list[tuple[Any, str]] = []
            for c in threads:
                replies += [(r, str(c.pk)) for r in cl.media_comment_replies(ref.remote_id, c.pk)]
                calls += 1
        own = str(cl.user_id) if cl.user_id else None
        comments: list[RemoteComment] = []
        newest = since or 0
        for c, thread in [*((c, None) for c in top), *replies]:
            created = _aware(c.created_at_utc)
            if created is None or (floor is not None and created < floor):
                continue
            author_id = str(c.user.pk)
            comments.append(
                RemoteComment(
                    remote_id=str(c.pk),
                    post_remote_id=ref.remote_id,
                    text=str(c.text or ""),
                    author_handle=str(c.user.username or "(tidak diketahui)"),
                    created_at=created,
                    author_id=author_id,
                    parent_remote_id=str(c.replied_to_comment_id or thread or "") or None,
                    is_own=author_id == own or c.user.username == self.username,
                )
            )
            newest = max(newest, int(created.timestamp()))
        return CommentPage(comments, json.dumps({"since": newest}) if newest else None, cost=calls)

    def reply(self, comment: CommentRef, text: str, ckpt: Checkpoint) -> ReplyResult:
        done = ckpt.get("reply_id")
        if done:
            return ReplyResult(str(done))
        if not comment.remote_id.isdigit():
            raise ContentRejected(f"id komentar tidak dikenal: {comment.remote_id}", rule="not_found", **self._kw())
        cl = self._login()
        with self._mapped(write=True):
            result = cl.media_comment(comment.post_remote_id, text, replied_to_comment_id=int(comment.remote_id))
        reply_id = str(result.pk)
        ckpt.save("reply_id", reply_id)
        return ReplyResult(reply_id)

    def hide_comment(self, comment: CommentRef) -> None:
        raise ContentRejected(
            "Instagram (API privat) tidak dapat menyembunyikan komentar", rule="unsupported", **self._kw()
        )

    def check(self) -> AccountStatus:
        try:
            cl = self._login()
            with self._mapped(write=False):
                info = cl.account_info()
        except AuthExpired as exc:
            return AccountStatus(False, exc.message)
        return AccountStatus(True, f"@{info.username} (API privat)")


def caption_of(draft: PostDraft) -> str:
    if draft.link and draft.link not in draft.text:
        return f"{draft.text}\n\n{draft.link}".strip()
    return draft.text


def _url(media: Any) -> str | None:
    code = getattr(media, "code", None)
    return f"https://www.instagram.com/p/{code}/" if code else None


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return _aware(datetime.fromisoformat(str(value)))
    except ValueError:
        return None


def _since_of(cursor: str | None) -> int | None:
    try:
        state = json.loads(cursor) if cursor else None
    except ValueError:
        return None
    value = state.get("since") if isinstance(state, dict) else None
    return int(value) if isinstance(value, int | float) else None


_SUFFIX = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
}


@contextmanager
def _named_copies(media: Sequence[MediaFile]) -> Iterator[list[Path]]:
    """instagrapi picks the upload type from the file suffix; humas stores files by hash, maybe without one."""
    with tempfile.TemporaryDirectory(prefix="humas-ig-") as tmp:
        paths: list[Path] = []
        for i, m in enumerate(media):
            suffix = _SUFFIX.get(m.mime, m.path.suffix)
            if m.path.suffix.lower() == suffix:
                paths.append(m.path)
                continue
            link = Path(tmp) / f"{i}{suffix}"
            link.symlink_to(m.path.resolve())
            paths.append(link)
        yield paths
