"""YouTube Data API v3 adapter: google-auth ``AuthorizedSession`` plus our own small REST wrapper (platform-apis.md §4).

Everything, token refresh included, goes through ``requests`` (``responses`` intercepts it); google-api-python-client
is not used because it runs on httplib2 (§4.1).

Uploads use the resumable protocol (§4.2, :mod:`.youtube_upload`): the session URI is checkpointed before the first
byte is sent, so an interrupted upload resumes instead of creating the video twice. The adapter never sleeps: it
retries an interrupted chunk at most :attr:`YouTubeAdapter.max_resumes` times per call, then raises.

"Hide" on YouTube is ``comments.setModerationStatus(heldForReview)``: the comment is held for review, visible only to
the channel in YouTube Studio, from where it can be approved again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Any, ClassVar, NoReturn
from zoneinfo import ZoneInfo

import requests
from google.auth.exceptions import RefreshError, TransportError
from google.auth.transport.requests import AuthorizedSession
from google.auth.transport.requests import Request as GoogleRequest
from google.oauth2.credentials import Credentials

from humas.errors import (
    AuthExpired,
    ConfigError,
    ContentRejected,
    NetworkError,
    PlatformUnavailable,
    PublishError,
    QuotaExhausted,
    RateLimited,
    RetryLater,
)
from humas.publisher import http
from humas.publisher.base import (
    AccountStatus,
    Checkpoint,
    CommentPage,
    CommentRef,
    Engagement,
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
    count_or_none,
)
from humas.publisher.limits import LIMITS
from humas.publisher.youtube_upload import CHUNK_UNIT, UPLOAD_PATH, ResumableUpload
from humas.publisher.youtube_upload import UPLOAD_URL as UPLOAD_URL

# Hosts (an account's ``options.api_base`` / ``upload_base`` / ``token_url`` replace them; platform-apis.md §4.5)
GOOGLEAPIS = "https://www.googleapis.com"
API_PATH = "/youtube/v3"
API = f"{GOOGLEAPIS}{API_PATH}"
TOKEN_URI = "https://oauth2.googleapis.com/token"
PACIFIC = ZoneInfo("America/Los_Angeles")  # the quota day (§4.4)

KEY_REFRESH = "oauth2_refresh_token"
KEY_SEED = "oauth2_refresh_token_seed"  # the configured token the stored one descends from

# Quota units per call (§4.4). Uploaded chunks and upload-status queries are not billed separately. videos.insert is
# not billed in units: it has its own bucket of 100 calls a day (counted in ``inserts_used``).
COST_LIST = 1
COST_WRITE = 50  # comments.insert, comments.setModerationStatus
# commentThreads are ordered by their top-level comment's time; timestamps are to the second: re-read a little.
COMMENT_OVERLAP = timedelta(minutes=2)

_PRIVACY_ORDER = ("private", "unlisted", "public")
TESTING_NOTE = "refresh tokens of OAuth apps left in 'Testing' status expire after 7 days: publish the consent screen"


def next_quota_reset(now: datetime) -> datetime:
    """The next midnight America/Los_Angeles, when the daily quota resets, in UTC."""
    local = now.astimezone(PACIFIC)
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=PACIFIC).astimezone(UTC)


def video_title(draft: PostDraft) -> str:
    """The title posted: ``draft.title``, else the first non-empty line of the text; at most 100 characters."""
    title = draft.title.strip() or next((ln.strip() for ln in draft.text.splitlines() if ln.strip()), "")
    return title[:100]


def _privacy_rank(privacy: str) -> int:
    return _PRIVACY_ORDER.index(privacy) if privacy in _PRIVACY_ORDER else 0  # unknown: treat as private


def _snake(reason: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", reason).lower()


class YouTubeAdapter:
    """One YouTube channel, authorised by an OAuth 2.0 refresh token (scopes youtube.upload + youtube.force-ssl)."""

    platform: ClassVar[Platform] = Platform.YOUTUBE
    limits: ClassVar[PlatformLimits] = LIMITS[Platform.YOUTUBE]

    max_resumes = 3  # interrupted chunks recovered within one publish call (no sleeping)
    reply_pages_max = 5  # comments.list pages per thread whose replies were not all embedded

    def __init__(
        self,
        account: str,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        channel_id: str | None = None,
        secret_store: SecretStore | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], datetime] = http.utcnow,
        chunk_size: int = 8 * 1024 * 1024,
        privacy: str = "public",
        category_id: str = "25",  # News & Politics
        timeout: float = 60.0,
        api_base: str | None = None,
        upload_base: str | None = None,
        token_url: str | None = None,
    ) -> None:
        """``api_base``, ``upload_base``, ``token_url``: the account's ``options`` of those names (a fake or proxy
        Google host). ``None`` means Google's hosts; a custom ``api_base`` alone also takes the uploads and the
        token endpoint (``<api_base>/token``), so that one option moves every call."""
        if chunk_size <= 0 or chunk_size % CHUNK_UNIT:
            raise ConfigError(f"YouTube account {account}: chunk_size must be a multiple of {CHUNK_UNIT} bytes")
        if privacy not in _PRIVACY_ORDER:
            raise ConfigError(f"YouTube account {account}: privacy must be one of {', '.join(_PRIVACY_ORDER)}")
        self.account = account
        self.channel_id = channel_id
        self.units_used = 0  # the 10,000-unit daily pool
        self.inserts_used = 0  # videos.insert calls: a bucket of its own, 100 a day by default
        self._clock = clock
        self._chunk_size = chunk_size
        self._privacy = privacy
        self._category_id = category_id
        self._timeout = timeout
        root = api_base.rstrip("/") if api_base else None
        self._api = f"{root or GOOGLEAPIS}{API_PATH}"
        self._upload_url = f"{(upload_base.rstrip('/') if upload_base else root) or GOOGLEAPIS}{UPLOAD_PATH}"
        self.token_url = token_url or (f"{root}/token" if root else TOKEN_URI)
        self._store = secret_store
        self._configured_refresh = refresh_token
        if secret_store is not None and secret_store.get(account, KEY_SEED) == refresh_token:
            # a token Google rotated from the configured one; a newly configured token (re-auth) wins over it
            refresh_token = secret_store.get(account, KEY_REFRESH) or refresh_token
        self._refresh_in_use = refresh_token
        self._creds = Credentials(  # type: ignore[no-untyped-call]
            token=None,
            refresh_token=refresh_token,
            client_id=client_id,
            client_secret=client_secret,
            token_uri=self.token_url,
        )
        base = session if session is not None else requests.Session()
        self._http = AuthorizedSession(self._creds, auth_request=GoogleRequest(base))  # type: ignore[no-untyped-call]
        for prefix, adapter in base.adapters.items():  # same transport as the injected session
            self._http.mount(prefix, adapter)
        self._http.headers.update(base.headers)

    def __repr__(self) -> str:
        return f"YouTubeAdapter(account={self.account!r}, channel_id={self.channel_id!r})"

    # --- validate -------------------------------------------------------------------------------------------------

    def validate(self, draft: PostDraft) -> list[Problem]:
        problems = check_limits(self.limits, draft, "YouTube")
        if not video_title(draft):
            problems.append(Problem("title_required", "YouTube: judul video wajib diisi"))
        return problems

    # --- publish --------------------------------------------------------------------------------------------------

    def publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        if video_id := ckpt.get("video_id"):
            return self._result(str(video_id))
        video = self._video(req.draft)
        return self._done(self._resumable().upload(ckpt, video, self._metadata(req)), ckpt)

    def find_published(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult | None:
        if video_id := ckpt.get("video_id"):
            return self._result(str(video_id))
        resource = self._resumable().find(ckpt, partial(self._video, req.draft))
        return self._done(resource, ckpt) if resource is not None else None

    def _metadata(self, req: PublishRequest) -> dict[str, Any]:
        privacy = min(self._privacy, req.privacy, key=_privacy_rank)  # the stricter of account and request
        return {
            "snippet": {
                "title": video_title(req.draft),
                "description": req.draft.text,
                "categoryId": self._category_id,
            },
            "status": {"privacyStatus": privacy, "selfDeclaredMadeForKids": False},
        }

    def _resumable(self) -> ResumableUpload:
        return ResumableUpload(
            self._send,
            self._error_for,
            upload_url=self._upload_url,
            chunk_size=self._chunk_size,
            max_resumes=self.max_resumes,
            platform=self.platform,
            account=self.account,
        )

    def _done(self, resource: dict[str, Any], ckpt: Checkpoint) -> PublishResult:
        video_id = str(resource["id"])
        ckpt.save("video_id", video_id)
        published = (resource.get("snippet") or {}).get("publishedAt")
        return PublishResult(
            video_id, _watch_url(video_id), published_at=_parse_time(published) if published else self._clock()
        )

    def _result(self, video_id: str) -> PublishResult:
        return PublishResult(video_id, _watch_url(video_id))

    def _video(self, draft: PostDraft) -> MediaFile:
        videos = [m for m in draft.media if m.is_video]
        if len(videos) != 1 or len(draft.media) != 1:
            raise ContentRejected(
                "YouTube: wajib tepat satu video", rule="video_required", platform=self.platform, account=self.account
            )
        return videos[0]

    # --- comments -------------------------------------------------------------------------------------------------

    def fetch_comments(self, ref: PlatformPostRef, cursor: str | None) -> CommentPage:
        """One page of threads (newest first) with all their replies, newer than the cursor's time watermark.

        ``order=time`` lists threads by their top-level comment's time, newest first, so a poll stops at the first
        thread older than the watermark (the newest thread of the last complete walk, less a small overlap; the
        monitor dedupes on the comment id): quota grows with new comments, not with all comments, and new ones
        never wait behind a re-read of old ones. A walk longer than one call continues from ``pageToken``.
        The cursor is JSON ``{"since": <unix>}``, plus ``page``/``top`` while a walk is under way.
        Limitation: a new reply under a thread older than the watermark is not seen (platform-apis.md §4.3).
        """
        spent = self.units_used
        own = self._own_channel()
        state = _load_cursor(cursor)
        since: int | None = state.get("since")
        top: int | None = state.get("top")  # the newest thread of the walk under way
        floor = datetime.fromtimestamp(since, UTC) - COMMENT_OVERLAP if since is not None else None
        params: dict[str, Any] = {
            "part": "snippet,replies",
            "videoId": ref.remote_id,
            "order": "time",
            "textFormat": "plainText",
            "maxResults": 100,
        }
        if state.get("page"):
            params["pageToken"] = state["page"]
        body = self._get(f"{self._api}/commentThreads", params)
        comments: list[RemoteComment] = []
        older = False
        for thread in body.get("items") or []:
            snippet = thread.get("snippet") or {}
            first = snippet["topLevelComment"]
            created = _parse_time((first.get("snippet") or {})["publishedAt"])
            if floor is not None and created < floor:
                older = True  # newest first: every later thread is older still
                break
            top = max(top or 0, int(created.timestamp()))
            comments.append(self._comment(first, ref, None, own))
            replies = (thread.get("replies") or {}).get("comments") or []
            if int(snippet.get("totalReplyCount") or 0) > len(replies):  # commentThreads embeds only a subset
                replies = self._replies(thread["id"])
            comments.extend(self._comment(r, ref, thread["id"], own) for r in replies)
        nxt = body.get("nextPageToken")
        if older or not nxt:  # the walk is complete: its newest thread is the next watermark
            mark = max(since or 0, top or 0)
            new_state: dict[str, Any] = {"since": mark} if mark else {}
        else:
            new_state = {k: v for k, v in (("since", since), ("top", top), ("page", nxt)) if v is not None}
        new_cursor = json.dumps(new_state, sort_keys=True) if new_state else None
        return CommentPage(comments, cursor=new_cursor, cost=self.units_used - spent)

    def _replies(self, parent_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(self.reply_pages_max):
            params: dict[str, Any] = {
                "part": "snippet",
                "parentId": parent_id,
                "maxResults": 100,
                "textFormat": "plainText",
            }
            if token:
                params["pageToken"] = token
            body = self._get(f"{self._api}/comments", params)
            out.extend(body.get("items") or [])
            if not (token := body.get("nextPageToken")):
                break
        return out

    def reply(self, comment: CommentRef, text: str, ckpt: Checkpoint) -> ReplyResult:
        # "reply_id" is what the dispatcher resolves a reply in doubt by; "comment_id": checkpoints before it
        if comment_id := ckpt.get("reply_id") or ckpt.get("comment_id"):
            return ReplyResult(str(comment_id), _watch_url(comment.post_remote_id, str(comment_id)))
        # YouTube threads are one level deep: a reply to a reply goes to its thread ("<thread>.<reply>" ids)
        parent = comment.remote_id.split(".", 1)[0]
        resp = self._call(
            "POST",
            f"{self._api}/comments",
            cost=COST_WRITE,
            params={"part": "snippet"},
            json={"snippet": {"parentId": parent, "textOriginal": text}},
        )
        comment_id = str(http.json_body(resp)["id"])
        ckpt.save("reply_id", comment_id)
        return ReplyResult(comment_id, _watch_url(comment.post_remote_id, comment_id))

    def hide_comment(self, comment: CommentRef) -> None:
        """Hold the comment for review (YouTube's "hide"; reversible in YouTube Studio)."""
        self._call(
            "POST",
            f"{self._api}/comments/setModerationStatus",
            cost=COST_WRITE,
            idempotent=True,
            params={"id": comment.remote_id, "moderationStatus": "heldForReview"},
        )

    # --- engagement -----------------------------------------------------------------------------------------------

    engagement_batch: ClassVar[int] = 50  # videos.list takes up to 50 ids

    def engagement_cost(self, count: int) -> int:
        return COST_LIST if count else 0

    def engagement(self, remote_ids: Sequence[str]) -> dict[str, Engagement]:
        """``videos.list(part=statistics)`` for up to 50 videos in one call (1 unit, counted in ``units_used``):
        views, likes, comments. YouTube gives no shares or reach through the Data API; a hidden like count or
        disabled comments leave that figure ``None``; a deleted video is missing from the answer."""
        ids = list(remote_ids)[: self.engagement_batch]
        if not ids:
            return {}
        # no maxResults: videos.list refuses it together with id
        body = self._get(f"{self._api}/videos", {"part": "statistics", "id": ",".join(ids)})
        now = self._clock()
        out: dict[str, Engagement] = {}
        for item in body.get("items") or []:
            stats = item.get("statistics") if isinstance(item, dict) else None
            if not isinstance(stats, dict) or not item.get("id"):
                continue
            out[str(item["id"])] = Engagement(
                fetched_at=now,
                likes=count_or_none(stats.get("likeCount")),
                comments=count_or_none(stats.get("commentCount")),
                views=count_or_none(stats.get("viewCount")),
            )
        return out

    def check(self) -> AccountStatus:
        try:
            channel = self._mine()
        except AuthExpired as exc:
            return AccountStatus(ok=False, detail=f"{exc.message}; {TESTING_NOTE}")
        if channel is None:
            return AccountStatus(ok=False, detail="YouTube: this Google account has no channel")
        # refresh tokens do not expire on their own (unless the app is in Testing mode): expires_at stays None
        return AccountStatus(ok=True, detail=f"channel {channel}; {TESTING_NOTE}")

    def _own_channel(self) -> str | None:
        if self.channel_id is None:
            self.channel_id = self._mine()
        return self.channel_id

    def _mine(self) -> str | None:
        items = self._get(f"{self._api}/channels", {"part": "id", "mine": "true"}).get("items") or []
        return str(items[0]["id"]) if items else None

    def _comment(self, c: dict[str, Any], ref: PlatformPostRef, parent: str | None, own: str | None) -> RemoteComment:
        s = c.get("snippet") or {}
        author = (s.get("authorChannelId") or {}).get("value")
        return RemoteComment(
            remote_id=str(c["id"]),
            post_remote_id=ref.remote_id,
            text=s.get("textDisplay") or s.get("textOriginal") or "",  # textOriginal only reaches the author
            author_handle=s.get("authorDisplayName") or author or "",
            created_at=_parse_time(s["publishedAt"]),
            author_id=author,
            parent_remote_id=parent,
            is_own=author is not None and author == own,
            hidden=s.get("moderationStatus") in ("heldForReview", "likelySpam", "rejected"),
        )

    # --- transport ------------------------------------------------------------------------------------------------

    def _get(self, url: str, params: dict[str, Any]) -> dict[str, Any]:
        return http.json_body(self._call("GET", url, cost=COST_LIST, params=params))

    def _call(
        self, method: str, url: str, *, cost: int, idempotent: bool | None = None, **kwargs: Any
    ) -> requests.Response:
        """:meth:`_send`, raising the mapped error for an answer that is not a success."""
        resp = self._send(method, url, cost=cost, idempotent=idempotent, **kwargs)
        if not resp.ok:
            self._raise_for(resp)
        return resp

    def _send(
        self,
        method: str,
        url: str,
        *,
        cost: int = 0,
        inserts: int = 0,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """One call through the AuthorizedSession (which refreshes the token and retries once on 401).

        ``cost``: units from the daily pool; ``inserts``: videos.insert calls (their own bucket, §4.4)."""
        self.units_used += cost  # invalid requests are billed too (§4.4)
        self.inserts_used += inserts
        try:
            resp = http.request(
                self._http,
                method,
                url,
                timeout=self._timeout,
                idempotent=idempotent,
                platform=self.platform,
                account=self.account,
                **kwargs,
            )
        except (RefreshError, TransportError) as exc:
            self._raise_for(exc)
        self._keep_rotated_refresh_token()
        return resp

    def _keep_rotated_refresh_token(self) -> None:
        """Google may return a new refresh token on refresh; keep it (seeded by the configured one) for restarts."""
        current = self._creds.refresh_token
        if self._store is None or not current or current == self._refresh_in_use:
            return
        self._store.set(self.account, KEY_REFRESH, current)
        self._store.set(self.account, KEY_SEED, self._configured_refresh)
        self._refresh_in_use = current

    def _error_for(self, failure: requests.Response | RefreshError | TransportError) -> PublishError:
        """The humas error for a YouTube failure (§4.4); the single mapping, used by :meth:`_raise_for`. Messages
        are Indonesian (people read them on the job and the paused account), with YouTube's own detail kept."""
        err: PublishError
        now = self._clock()
        if isinstance(failure, RefreshError):
            text = str(failure)
            if "invalid_grant" in text or not failure.retryable:
                err = AuthExpired(f"YouTube: token penyegaran ditolak Google ({text[:200]}); admin perlu "
                                  "menghubungkan ulang kanal")
            else:
                err = PlatformUnavailable(f"YouTube: endpoint token Google gagal, dicoba lagi ({text[:200]})")
        elif isinstance(failure, TransportError):
            err = NetworkError("YouTube: endpoint token Google tidak terjangkau, dicoba lagi")
        else:
            status = failure.status_code
            error = http.json_body(failure).get("error")
            error = error if isinstance(error, dict) else {}
            reasons = [str(e.get("reason")) for e in error.get("errors") or [] if isinstance(e, dict)]
            reason = reasons[0] if reasons else ""
            detail = str(error.get("message") or failure.reason or f"HTTP {status}")
            if reason in ("quotaExceeded", "dailyLimitExceeded"):
                err = QuotaExhausted(f"YouTube: kuota harian API habis, terbuka lagi tengah malam waktu Pasifik "
                                     f"({detail})", resets_at=next_quota_reset(now))
            elif reason == "uploadLimitExceeded":  # per-channel cap over a rolling day
                err = QuotaExhausted(f"YouTube: batas unggah video kanal tercapai, dicoba lagi 24 jam kemudian "
                                     f"({detail})", resets_at=now + timedelta(hours=24))
            elif reason in ("rateLimitExceeded", "userRateLimitExceeded") or status == 429:
                err = RateLimited(f"YouTube: terlalu banyak permintaan, dicoba lagi sebentar lagi ({detail})",
                                  reset_at=now + timedelta(minutes=1))
            elif reason == "commentsDisabled":
                err = ContentRejected(f"YouTube: komentar dinonaktifkan ({detail})", rule="comments_disabled")
            elif status == 401 or reason in (
                "insufficientPermissions",
                "authError",
                "youtubeSignupRequired",
                "accountSuspended",
                "accountClosed",
            ):
                # insufficientPermissions = the consent lacks a scope: only re-authorising fixes it
                err = AuthExpired(f"YouTube: otorisasi ditolak ({reason or status}: {detail}); admin perlu "
                                  "menghubungkan ulang kanal")
            elif reason == "processingFailure" or status in (408, 409):
                err = RetryLater(f"YouTube: permintaan gagal diproses, dicoba lagi ({detail})")
            elif status >= 500:
                err = PlatformUnavailable(f"YouTube: galat server {status}, dicoba lagi ({detail})")
            elif status == 404:
                err = ContentRejected(f"YouTube: tidak ditemukan ({detail})", rule="not_found")
            else:  # invalidTitle, invalidDescription, commentTextTooLong, forbidden, ...
                err = ContentRejected(f"YouTube menolak: {detail}", rule=_snake(reason) if reason else "invalid")
        err.platform, err.account = self.platform, self.account
        return err

    def _raise_for(self, failure: requests.Response | RefreshError | TransportError) -> NoReturn:
        """Raise the mapped error, from ``failure`` when it is an exception."""
        raise self._error_for(failure) from (failure if isinstance(failure, BaseException) else None)


def _load_cursor(cursor: str | None) -> dict[str, Any]:
    """The comment cursor's state; a bare ``nextPageToken`` (cursors saved before the watermark) continues its walk."""
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        return {"page": cursor}
    if not isinstance(state, dict):
        return {}
    out: dict[str, Any] = {k: int(state[k]) for k in ("since", "top") if isinstance(state.get(k), int | float)}
    if isinstance(state.get("page"), str) and state["page"]:
        out["page"] = state["page"]
    return out


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _watch_url(video_id: str, comment_id: str | None = None) -> str:
    return f"https://www.youtube.com/watch?v={video_id}" + (f"&lc={comment_id}" if comment_id else "")
