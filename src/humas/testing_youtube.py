"""A loopback fake of the YouTube Data API v3 (``platform-apis.md`` §4), shipped with humas for its own tests and for
users' tests: :class:`FakeYouTubeServer` is a real HTTP server on 127.0.0.1 that is at once Google's token endpoint
(it extends :class:`~humas.testing_oauth.FakeGoogleOAuth`) and the Data API, so the real
:class:`~humas.publisher.youtube.YouTubeAdapter` runs against it with one option, ``api_base = fake.url``.

Documented errors are injected by reason (:data:`YOUTUBE_ERRORS`, :func:`youtube_error`), transport failures by
:meth:`FakeYouTubeServer.drop_next` and :meth:`FakeYouTubeServer.delay_next`; quota is counted per the documented unit
costs (:data:`COSTS`) and refused with ``quotaExceeded`` once the day's pool or the ``videos.insert`` bucket is spent.
"""

from __future__ import annotations

import base64
import email.message
import hashlib
import html
import json
import re
import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from humas.errors import NotFound
from humas.testing import (  # one rule for the fakes' times: timezone-aware, kept in UTC
    DroppingServer,
    Fault,
    LoopbackAnswer,
    _aware,
)
from humas.testing_oauth import FakeGoogleOAuth, _Token

__all__ = ["COSTS", "YOUTUBE_ERRORS", "FakeYouTubeServer", "YouTubeCall", "YouTubeComment", "YouTubeVideo",
           "youtube_error"]

API = "/youtube/v3"
UPLOAD_PATH = "/upload/youtube/v3/videos"
PACIFIC = ZoneInfo("America/Los_Angeles")  # the quota day resets at midnight Pacific Time (§4.4)
CHUNK_UNIT = 256 * 1024  # every resumable chunk but the last is a multiple of 256 KiB (§4.2)
EMBEDDED_REPLIES = 5  # commentThreads.list embeds only a subset of a thread's replies (§4.3)
TITLE_MAX = 100  # characters
DESCRIPTION_MAX = 5000  # bytes
COMMENT_MAX = 10_000  # characters
CATEGORIES = frozenset({"1", "2", "10", "15", "17", "19", "20", "22", "23", "24", "25", "26", "27", "28", "29"})
PRIVACY = ("private", "unlisted", "public")
MODERATION = ("published", "heldForReview", "rejected")

SCOPE_UPLOAD = "https://www.googleapis.com/auth/youtube.upload"
SCOPE_FORCE_SSL = "https://www.googleapis.com/auth/youtube.force-ssl"
SCOPE_YOUTUBE = "https://www.googleapis.com/auth/youtube"
SCOPE_READONLY = "https://www.googleapis.com/auth/youtube.readonly"
_READ = frozenset({SCOPE_READONLY, SCOPE_YOUTUBE, SCOPE_FORCE_SSL})
_WRITE_COMMENTS = frozenset({SCOPE_FORCE_SSL})

#: quota units per method (§4.4); ``videos.insert`` is 1 call from its own bucket of 100 a day, not from the pool
COSTS: dict[str, int] = {
    "channels.list": 1, "videos.list": 1, "commentThreads.list": 1, "comments.list": 1, "comments.insert": 50,
    "comments.setModerationStatus": 50, "videos.insert": 1,
}
DAILY_UNITS = 10_000
DAILY_INSERTS = 100

_GRPC = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
         409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}

# Documented reasons (§4.4 and the Data API's error pages): reason -> (HTTP status, domain, message)
YOUTUBE_ERRORS: dict[str, tuple[int, str, str]] = {
    "quotaExceeded": (403, "youtube.quota", "The request cannot be completed because you have exceeded your "
                                            "<a href=\"/youtube/v3/getting-started#quota\">quota</a>."),
    "rateLimitExceeded": (429, "global", "Resource has been exhausted (e.g. check quota)."),
    "uploadLimitExceeded": (400, "youtube.video", "The user has exceeded the number of videos they may upload."),
    "forbidden": (403, "youtube.video", "Access forbidden. The request may not be properly authorized."),
    "insufficientPermissions": (403, "global", "Request had insufficient authentication scopes."),
    "commentsDisabled": (403, "youtube.commentThread", "The video identified by the <code>videoId</code> parameter "
                                                       "has disabled comments."),
    "videoNotFound": (404, "youtube.commentThread", "The video identified by the <code>videoId</code> parameter "
                                                    "could not be found."),
    "commentNotFound": (404, "youtube.comment", "One or more of the comments identified by the <code>id</code> "
                                                "parameter could not be found."),
    "parentCommentNotFound": (404, "youtube.comment", "The specified parent comment could not be found."),
    "operationNotSupported": (400, "youtube.comment", "The API user is not able to insert a comment in reply to "
                                                      "the comment identified by the parentId property."),
    "commentTextRequired": (400, "youtube.comment", "The comment resource that is being inserted must specify a "
                                                    "value for the <code>snippet.textOriginal</code> property."),
    "commentTextTooLong": (400, "youtube.comment", "The comment resource that is being inserted contains too many "
                                                   "characters in the <code>snippet.textOriginal</code> property."),
    "banWithoutReject": (400, "youtube.comment", "The <code>banAuthor</code> parameter can only be used if the "
                                                 "<code>moderationStatus</code> parameter value is "
                                                 "<code>rejected</code>."),
    "invalidTitle": (400, "youtube.video", "The request metadata specifies an invalid or empty video title."),
    "invalidDescription": (400, "youtube.video", "The request metadata specifies an invalid video description."),
    "invalidCategoryId": (400, "youtube.video", "The <code>snippet.categoryId</code> property specifies an invalid "
                                                "category ID."),
    "invalidVideoMetadata": (400, "youtube.video", "The request metadata is invalid."),
    "processingFailure": (400, "youtube.commentThread", "The API server failed to successfully process the "
                                                        "request."),
    "invalidPageToken": (400, "global", "The request specifies an invalid page token."),
    "missingRequiredParameter": (400, "global", "No filter selected."),
    "badRequest": (400, "global", "Bad Request"),
    "notFound": (404, "global", "Not Found"),
    "backendError": (503, "global", "Backend Error"),
    "internalError": (500, "global", "Internal Error"),
}


def youtube_error(reason: str, message: str | None = None, *, status: int | None = None) -> tuple[int, dict[str, Any]]:
    """(HTTP status, Google error envelope) for a documented ``reason``:
    ``{"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}}``."""
    known_status, domain, known_message = YOUTUBE_ERRORS.get(reason, (400, "global", reason))
    code = status or known_status
    text = message or known_message
    return code, {"error": {"code": code, "message": text,
                            "errors": [{"message": text, "domain": domain, "reason": reason}],
                            "status": _GRPC.get(code, "UNKNOWN")}}


@dataclass
class YouTubeVideo:
    """A video on the fake channel (uploaded through the resumable protocol, or added by a test)."""

    id: str
    title: str
    description: str
    published_at: datetime
    privacy_status: str = "public"
    category_id: str = "25"
    tags: tuple[str, ...] = ()
    made_for_kids: bool = False
    data: bytes = b""
    mime: str = "video/mp4"
    comments_disabled: bool = False
    view_count: int = 0
    like_count: int | None = 0  # None: the channel hides it


@dataclass
class YouTubeComment:
    """A top-level comment (its thread has the same id) or a reply (``parent_id``, id ``<thread>.<reply>``)."""

    id: str
    video_id: str
    text: str
    author_name: str
    author_channel_id: str
    published_at: datetime
    parent_id: str | None = None
    moderation_status: str = "published"
    like_count: int = 0
    seq: int = 0


@dataclass
class _Upload:
    id: str
    metadata: dict[str, Any]
    total: int | None
    mime: str
    received: bytearray = field(default_factory=bytearray)
    video_id: str | None = None


@dataclass(frozen=True)
class YouTubeCall:
    """One request to the Data API or the upload host: ``params`` the query, ``body`` the JSON body (None when there
    is none or it is media), ``size`` the body's bytes, ``units`` the quota units billed, ``status`` the answer
    (0: the connection was dropped without one)."""

    method: str
    path: str
    params: dict[str, str]
    body: Any
    size: int
    content_range: str | None
    units: int
    status: int


@dataclass
class _ChunkFault(Fault):
    keep: int | None = None  # with drop on an upload PUT: store only this many bytes of the chunk


class FakeYouTubeServer(FakeGoogleOAuth, DroppingServer):
    """Google's token endpoint and the YouTube Data API v3 on one loopback server (pass ``fake.url`` as the
    account's ``api_base``; the token endpoint is ``<api_base>/token``, the upload host the same server).

    Served, with the documented JSON shapes (``kind``, ``etag``, ``id``, ``snippet``, ``status``, ``statistics``,
    ``pageInfo``, ``nextPageToken``):

    * ``POST /token`` and ``GET /o/oauth2/v2/auth`` (inherited), ``GET /youtube/v3/channels?mine=true``;
    * ``POST /upload/youtube/v3/videos?uploadType=resumable`` (JSON metadata, ``X-Upload-Content-Length``/``-Type``)
      -> ``200`` with the session URI in ``Location``; ``PUT <session URI>`` with ``Content-Range: bytes a-b/total``
      -> ``308 Resume Incomplete`` + ``Range: bytes=0-N`` until the last byte, then ``200`` with the video resource;
      ``Content-Range: bytes */total`` asks where the upload stands; an unknown session is ``404``;
    * ``GET /youtube/v3/videos?id=…&part=…`` (snippet, status, statistics);
    * ``GET /youtube/v3/commentThreads?videoId=…`` newest first (``order=time``), ``maxResults`` (default 20, at
      most 100), ``pageToken``, ``moderationStatus`` (default ``published``), ``textFormat``; at most 5 replies
      embedded; ``GET /youtube/v3/comments?parentId=…`` (all replies, oldest first) or ``?id=…``;
    * ``POST /youtube/v3/comments?part=snippet`` (a reply as the channel; replies to replies are refused),
      ``POST /youtube/v3/comments/setModerationStatus?id=…&moderationStatus=…[&banAuthor=true]`` -> ``204``.

    Every Data API call needs a live access token (else 401 ``authError``: :meth:`expire_access_tokens`) with a
    scope that allows it (else 403 ``insufficientPermissions``); the session URI is the upload's own credential.
    Calls are billed per :data:`COSTS` (failed ones too) against ``unit_limit`` a Pacific day and uploads against
    ``insert_limit``; ``upload_limit`` caps the channel's uploads over a rolling day (``uploadLimitExceeded``).
    ``fail_next`` / ``fail_next_http`` / ``drop_next`` / ``delay_next`` inject faults (the token endpoint too).
    Data API and upload requests are recorded in ``api_calls`` (the token endpoint's in the inherited ``calls``),
    and an exception raised while answering in ``server_errors`` (answered 503 ``backendError``).
    """

    thread_name = "fake-youtube"
    verbs: ClassVar[frozenset[str]] = frozenset({"GET", "POST", "PUT", "DELETE"})
    reasons: ClassVar[Mapping[int, str]] = {308: "Resume Incomplete"}  # the resumable upload's answer (§4.2)

    default_scopes: ClassVar[tuple[str, ...]] = (SCOPE_UPLOAD, SCOPE_FORCE_SSL)

    def __init__(self, *, client_id: str = "fake-google.apps.googleusercontent.com",
                 client_secret: str | None = "fake-google-secret", channel_id: str = "UCfakeHumasKota00000000",
                 channel_title: str = "Humas Kota", clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret, channel_id=channel_id,
                         channel_title=channel_title, clock=clock)
        self.videos: dict[str, YouTubeVideo] = {}
        self.comments: dict[str, YouTubeComment] = {}
        self.uploads: dict[str, _Upload] = {}
        self.api_calls: list[YouTubeCall] = []
        self.server_errors: list[Exception] = []
        self.banned_authors: set[str] = set()
        self.unit_limit = DAILY_UNITS
        self.insert_limit = DAILY_INSERTS
        self.upload_limit: int | None = None
        self.units_used = 0
        self.inserts_used = 0
        self.units_by_method: Counter[str] = Counter()
        #: called (under the fake's lock) with each video once its last byte is stored
        self.on_video_created: Callable[[YouTubeVideo], None] | None = None
        self._seq = 0
        self._quota_day: date | None = None

    # --- scripting ----------------------------------------------------------------------------------------------

    def issue_refresh_token(self, scopes: list[str] | None = None) -> str:
        """A refresh token as connecting the channel would give it (``scopes``: default upload + force-ssl)."""
        with self._lock:
            token = f"{self.prefix}-rt-" + secrets.token_urlsafe(24)
            self.refresh_tokens[token] = list(scopes if scopes is not None else self.default_scopes)
            return token

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token stops working (the person revoked access): refreshes get ``invalid_grant``."""
        with self._lock:
            self.refresh_tokens.clear()

    def add_video(self, title: str, *, description: str = "", published_at: datetime | None = None,
                  comments_disabled: bool = False) -> YouTubeVideo:
        """A public video on the channel, as if uploaded elsewhere."""
        with self._lock:
            video = YouTubeVideo(self._video_id(), title, description,
                                 _aware(published_at) if published_at else self.clock(),
                                 comments_disabled=comments_disabled)
            self.videos[video.id] = video
            return video

    def add_comment(self, video_id: str, text: str, *, author_name: str = "@warga",
                    author_channel_id: str | None = None, parent_id: str | None = None,
                    published_at: datetime | None = None) -> YouTubeComment:
        """A comment (or a reply, ``parent_id`` = the thread) by a member of the public; a banned author's is
        ``rejected`` at once."""
        with self._lock:
            if video_id not in self.videos:
                raise NotFound(f"fake youtube: no video {video_id!r}")
            if parent_id is not None and parent_id not in self.comments:
                raise NotFound(f"fake youtube: no thread {parent_id!r}")
            author = author_channel_id or "UC" + hashlib.sha256(author_name.encode()).hexdigest()[:22]
            comment = self._new_comment(video_id, text, author_name, author, parent_id,
                                        _aware(published_at) if published_at else self.clock())
            if author in self.banned_authors:
                comment.moderation_status = "rejected"
            return comment

    def comments_on(self, video_id: str) -> list[YouTubeComment]:
        """The comments and replies held for a video, oldest first (whatever their moderation status)."""
        with self._lock:
            return sorted((c for c in self.comments.values() if c.video_id == video_id), key=lambda c: c.seq)

    def own_comments(self) -> list[YouTubeComment]:
        """The comments the channel itself wrote (humas's replies)."""
        with self._lock:
            return sorted((c for c in self.comments.values() if c.author_channel_id == self.channel_id),
                          key=lambda c: c.seq)

    def expire_upload_sessions(self) -> None:
        """Every resumable session is forgotten (its URI answers 404, as after about a week)."""
        with self._lock:
            self.uploads.clear()

    def fail_next(self, reason: str, *, status: int | None = None, message: str | None = None,
                  method: str | None = None, path: str | None = None, times: int = 1) -> None:
        """The next ``times`` matching requests (``path``: a regex searched in the path) get the error envelope of
        ``reason`` (:data:`YOUTUBE_ERRORS`); nothing is stored and no quota is billed."""
        code, envelope = youtube_error(reason, message, status=status)
        body = json.dumps(envelope).encode()
        with self._lock:
            self._faults.extend(Fault(method, path, LoopbackAnswer(code, dict(_JSON_HEADERS), body))
                                for _ in range(times))

    def fail_next_http(self, status: int, body: bytes = b"", *, headers: dict[str, str] | None = None,
                       method: str | None = None, path: str | None = None) -> None:
        """The next matching request gets a bare HTTP ``status`` (a proxy's answer: no Google envelope)."""
        with self._lock:
            answer = LoopbackAnswer(status, dict(headers or {"Content-Type": "text/html"}), body)
            self._faults.append(Fault(method, path, answer))

    def drop_next(self, *, apply: bool = False, keep: int | None = None, method: str | None = None,
                  path: str | None = None) -> None:
        """The next matching request is read and the connection closed without an answer; with ``apply`` it is
        carried out first (the write happened, its answer is lost); ``keep``: an upload PUT stores only the first
        ``keep`` bytes of its chunk (an upload interrupted mid-chunk)."""
        with self._lock:
            self._faults.append(_ChunkFault(method, path, drop=True, apply=apply or keep is not None, keep=keep))

    def delay_next(self, seconds: float, *, method: str | None = None, path: str | None = None) -> None:
        """The next matching request is carried out and answered ``seconds`` late (past a client's timeout)."""
        with self._lock:
            self._faults.append(Fault(method, path, delay=seconds, apply=True))

    # --- the wire -----------------------------------------------------------------------------------------------

    def _answer(self, method: str, target: str, headers: email.message.Message, body: bytes) -> LoopbackAnswer:
        return self._serve(method, target, dict(headers.items()), body)

    def _serve(self, method: str, target: str, headers: dict[str, str], body: bytes) -> LoopbackAnswer:
        parts = urlsplit(target)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            fault = self._take_fault(method, path)
            oauth = path in (self.authorize_path, self.token_path)
            if fault is not None and not fault.apply:
                if not oauth:
                    self._record(method, path, query, headers, body, 0, fault.answer.status)
                return fault.late(fault.answer)
            if oauth:
                status, out_headers, payload = self._dispatch(method, target, headers, body)
            else:
                units = 0
                try:
                    status, out_headers, payload, units = self._api(
                        method, path, query, headers, body, fault.keep if isinstance(fault, _ChunkFault) else None)
                except Exception as exc:  # a bug in the fake or a malformed request: Google's backendError, kept
                    self.server_errors.append(exc)
                    status, out_headers, payload = _answer(*youtube_error("backendError"))
                self._record(method, path, query, headers, body, units,
                             0 if fault is not None and fault.drop else status)
            answer = LoopbackAnswer(status, out_headers, payload)
            return fault.late(answer) if fault is not None else answer

    def _record(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes,
                units: int, status: int) -> None:
        parsed: Any = None
        if body and _header(headers, "content-type").startswith("application/json"):
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        self.api_calls.append(YouTubeCall(method, path, dict(query), parsed, len(body),
                                          _header(headers, "content-range") or None, units, status))

    def _method_name(self, method: str, path: str) -> str | None:
        return {
            ("POST", UPLOAD_PATH): "videos.insert",
            ("GET", f"{API}/channels"): "channels.list",
            ("GET", f"{API}/videos"): "videos.list",
            ("GET", f"{API}/commentThreads"): "commentThreads.list",
            ("GET", f"{API}/comments"): "comments.list",
            ("POST", f"{API}/comments"): "comments.insert",
            ("POST", f"{API}/comments/setModerationStatus"): "comments.setModerationStatus",
        }.get((method, path))

    def _bill(self, name: str) -> int:
        """Units to bill ``name`` (a method of :data:`COSTS`); -1 when the day's quota refuses the call."""
        day = self.clock().astimezone(PACIFIC).date()
        if day != self._quota_day:  # a new Pacific day: the pools are full again
            self._quota_day, self.units_used, self.inserts_used = day, 0, 0
            self.units_by_method.clear()
        if name == "videos.insert":
            if self.inserts_used >= self.insert_limit:
                return -1
            self.inserts_used += 1
            self.units_by_method[name] += 1
            return 0  # its own bucket: nothing from the unit pool
        cost = COSTS[name]
        if self.units_used + cost > self.unit_limit:
            return -1
        self.units_used += cost
        self.units_by_method[name] += cost
        return cost

    def _api(self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes,
             keep: int | None) -> tuple[int, dict[str, str], bytes, int]:
        """(status, headers, body, units billed) of a Data API or upload request."""
        if method == "PUT" and path == UPLOAD_PATH:  # the session URI is the upload's credential; not billed
            return (*self._put(query, headers, body, keep), 0)
        auth = _header(headers, "authorization")
        token = self.access_tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if token is None or token.expires_at <= self.clock():
            return (*self._unauthorized(), 0)
        name = self._method_name(method, path)
        if name is None:
            return (*_answer(*youtube_error("notFound", f"Not Found: {method} {path}")), 0)
        units = self._bill(name)
        if units < 0:
            return (*_answer(*youtube_error("quotaExceeded")), 0)
        allowed = {"videos.insert": _READ | {SCOPE_UPLOAD}, "comments.insert": _WRITE_COMMENTS,
                   "comments.setModerationStatus": _WRITE_COMMENTS}.get(name, _READ)
        if not allowed & set(token.scopes):
            return (*_answer(*youtube_error("insufficientPermissions")), units)
        if name == "channels.list":
            return (*self._resource(method, path, query, token), units)
        handlers: dict[str, Callable[[Any], tuple[int, Any]]] = {
            "videos.insert": lambda data: self._start_upload(query, headers, data),
            "videos.list": lambda _: self._list_videos(query),
            "commentThreads.list": lambda _: self._list_threads(query),
            "comments.list": lambda _: self._list_comments(query),
            "comments.insert": lambda data: self._insert_comment(query, data),
            "comments.setModerationStatus": lambda _: self._moderate(query),
        }
        try:
            data = json.loads(body) if body else None
            status, answer = handlers[name](data)
        except ValueError:
            status, answer = youtube_error("badRequest", "Invalid JSON payload received.")
        except _Refused as refused:
            status, answer = refused.status, refused.body
        if status == 200 and name == "videos.insert":
            return 200, {"Location": str(answer), "Content-Type": "text/plain"}, b"", units
        if status == 204:
            return 204, {}, b"", units
        return (*_answer(status, answer), units)

    def _resource(self, method: str, path: str, params: dict[str, str],
                  token: _Token) -> tuple[int, dict[str, str], bytes]:
        if path == f"{API}/channels" and params.get("mine") != "true":
            return _answer(*youtube_error("missingRequiredParameter"))
        return super()._resource(method, path, params, token)

    # --- uploads ------------------------------------------------------------------------------------------------

    def _start_upload(self, query: dict[str, str], headers: dict[str, str], data: Any) -> tuple[int, Any]:
        if query.get("uploadType") != "resumable":
            return youtube_error("badRequest", "This fake serves uploadType=resumable only.")
        if "snippet" not in query.get("part", "").split(","):
            return youtube_error("missingRequiredParameter", "Required parameter: part")
        meta: dict[str, Any] = data if isinstance(data, dict) else {}
        snippet = _obj(meta.get("snippet"))
        status = _obj(meta.get("status"))
        title = str(snippet.get("title") or "")
        description = str(snippet.get("description") or "")
        if not title.strip() or len(title) > TITLE_MAX or "<" in title or ">" in title:
            return youtube_error("invalidTitle")
        if len(description.encode()) > DESCRIPTION_MAX or "<" in description or ">" in description:
            return youtube_error("invalidDescription")
        if str(snippet.get("categoryId") or "22") not in CATEGORIES:
            return youtube_error("invalidCategoryId")
        if status.get("privacyStatus", "public") not in PRIVACY:
            return youtube_error("invalidVideoMetadata")
        mime = _header(headers, "x-upload-content-type") or "application/octet-stream"
        if not mime.startswith("video/") and mime != "application/octet-stream":
            return youtube_error("badRequest", f"Media type '{mime}' is not supported.")
        if self.upload_limit is not None:
            day_ago = self.clock() - timedelta(days=1)
            if sum(1 for v in self.videos.values() if v.published_at > day_ago) >= self.upload_limit:
                return youtube_error("uploadLimitExceeded")
        length = _header(headers, "x-upload-content-length")
        upload = _Upload("up-" + secrets.token_urlsafe(12), meta, int(length) if length.isdigit() else None, mime)
        self.uploads[upload.id] = upload
        return 200, f"{self.url}{UPLOAD_PATH}?uploadType=resumable&upload_id={upload.id}&part={query['part']}"

    def _put(self, query: dict[str, str], headers: dict[str, str], body: bytes,
             keep: int | None) -> tuple[int, dict[str, str], bytes]:
        upload = self.uploads.get(query.get("upload_id", ""))
        if upload is None:
            return _answer(*youtube_error("notFound", "The upload session was not found."))
        ranged = re.fullmatch(r"bytes (\*|(\d+)-(\d+))/(\d+|\*)", _header(headers, "content-range").strip())
        if ranged is None:  # one PUT with the whole file
            ranged = re.fullmatch(r"(.)(\d+)-(\d+)/(\d+)", f"b0-{len(body) - 1}/{len(body)}")
            assert ranged is not None
        total = int(ranged.group(4)) if ranged.group(4) != "*" else upload.total
        if upload.total is None:
            upload.total = total
        if total is None or total != upload.total:
            return _answer(*youtube_error("badRequest", "Content-Range total does not match the upload's size."))
        if ranged.group(1) != "*" and upload.video_id is None:
            first, last = int(ranged.group(2)), int(ranged.group(3))
            if len(body) != last - first + 1 or first > len(upload.received) or last >= total:
                return _answer(*youtube_error("badRequest", "Content-Range does not match the bytes sent."))
            if last + 1 < total and len(body) % CHUNK_UNIT:
                return _answer(*youtube_error("badRequest", "Chunks must be multiples of 262144 bytes."))
            del upload.received[first:]
            upload.received += body if keep is None else body[:keep]
        if upload.video_id is None and len(upload.received) == total:
            upload.video_id = self._create_video(upload).id
        if upload.video_id is not None:
            return _answer(200, self._video_json(self.videos[upload.video_id], "snippet,status"))
        headers_out = {"Content-Type": "text/plain"}
        if upload.received:
            headers_out["Range"] = f"bytes=0-{len(upload.received) - 1}"
        return 308, headers_out, b""

    def _create_video(self, upload: _Upload) -> YouTubeVideo:
        snippet = _obj(upload.metadata.get("snippet"))
        status = _obj(upload.metadata.get("status"))
        video = YouTubeVideo(self._video_id(), str(snippet.get("title") or ""), str(snippet.get("description") or ""),
                             self.clock(), privacy_status=str(status.get("privacyStatus") or "public"),
                             category_id=str(snippet.get("categoryId") or "22"),
                             tags=tuple(str(t) for t in snippet.get("tags") or ()),
                             made_for_kids=bool(status.get("selfDeclaredMadeForKids")),
                             data=bytes(upload.received), mime=upload.mime)
        self.videos[video.id] = video
        if self.on_video_created is not None:
            self.on_video_created(video)
        return video

    # --- reads --------------------------------------------------------------------------------------------------

    def _list_videos(self, query: dict[str, str]) -> tuple[int, Any]:
        if not query.get("id"):
            return youtube_error("missingRequiredParameter")
        part = query.get("part") or "snippet"
        items = [self._video_json(self.videos[i], part) for i in query["id"].split(",") if i in self.videos]
        return 200, {"kind": "youtube#videoListResponse", "etag": _etag(items), "items": items,
                     "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}}

    def _list_threads(self, query: dict[str, str]) -> tuple[int, Any]:
        video = self.videos.get(query.get("videoId", ""))
        if not query.get("videoId"):
            return youtube_error("missingRequiredParameter")
        if video is None:
            return youtube_error("videoNotFound")
        if video.comments_disabled:
            return youtube_error("commentsDisabled")
        wanted = query.get("moderationStatus", "published")
        tops = [c for c in self.comments.values()
                if c.video_id == video.id and c.parent_id is None and c.moderation_status == wanted]
        tops.sort(key=lambda c: (c.published_at, c.seq), reverse=True)  # order=time (and relevance) newest first
        chunk, token = self._page(tops, query)
        plain = query.get("textFormat") == "plainText"
        parts = query.get("part", "snippet").split(",")
        items = []
        for top in chunk:
            replies = self._replies(top.id)
            thread: dict[str, Any] = {"kind": "youtube#commentThread", "id": top.id}
            thread["snippet"] = {"channelId": self.channel_id, "videoId": video.id,
                                 "topLevelComment": self._comment_json(top, plain), "canReply": True,
                                 "totalReplyCount": len(replies), "isPublic": True}
            if "replies" in parts and replies:
                thread["replies"] = {"comments": [self._comment_json(r, plain) for r in replies[:EMBEDDED_REPLIES]]}
            thread["etag"] = _etag(thread)
            items.append(thread)
        return 200, self._list_body("youtube#commentThreadListResponse", items, token, query)

    def _list_comments(self, query: dict[str, str]) -> tuple[int, Any]:
        plain = query.get("textFormat") == "plainText"
        if query.get("id"):
            found = [self.comments[i] for i in query["id"].split(",") if i in self.comments]
            return 200, self._list_body("youtube#commentListResponse",
                                        [self._comment_json(c, plain, owner_view=False) for c in found], None, query)
        parent = self.comments.get(query.get("parentId", ""))
        if not query.get("parentId"):
            return youtube_error("missingRequiredParameter")
        if parent is None:
            return youtube_error("commentNotFound")
        chunk, token = self._page(self._replies(parent.id), query)
        items = [self._comment_json(c, plain) for c in chunk]
        return 200, self._list_body("youtube#commentListResponse", items, token, query)

    def _replies(self, thread_id: str) -> list[YouTubeComment]:
        return sorted((c for c in self.comments.values()
                       if c.parent_id == thread_id and c.moderation_status == "published"), key=lambda c: c.seq)

    def _page(self, held: list[YouTubeComment], query: dict[str, str]) -> tuple[list[YouTubeComment], str | None]:
        """(items, next page token) of ``held`` after ``pageToken`` (the seq of the last one given)."""
        size = max(1, min(_int(query.get("maxResults")) or 20, 100))
        start = 0
        if query.get("pageToken"):
            seq = _token_seq(query["pageToken"])
            index = next((i for i, c in enumerate(held) if c.seq == seq), None)
            if index is None:
                raise _Refused(*youtube_error("invalidPageToken"))
            start = index + 1
        chunk = held[start:start + size]
        more = start + size < len(held)
        return chunk, _page_token(chunk[-1].seq) if more and chunk else None

    def _list_body(self, kind: str, items: list[dict[str, Any]], token: str | None,
                   query: dict[str, str]) -> dict[str, Any]:
        body: dict[str, Any] = {"kind": kind, "etag": _etag(items)}
        if token:
            body["nextPageToken"] = token
        body["pageInfo"] = {"totalResults": len(items), "resultsPerPage": _int(query.get("maxResults")) or 20}
        body["items"] = items
        return body

    # --- writes -------------------------------------------------------------------------------------------------

    def _insert_comment(self, query: dict[str, str], data: Any) -> tuple[int, Any]:
        if "snippet" not in query.get("part", "").split(","):
            return youtube_error("missingRequiredParameter", "Required parameter: part")
        snippet = _obj(_obj(data).get("snippet"))
        parent = self.comments.get(str(snippet.get("parentId") or ""))
        if parent is None:
            return youtube_error("parentCommentNotFound")
        if parent.parent_id is not None:  # threads are one level deep
            return youtube_error("operationNotSupported")
        if self.videos[parent.video_id].comments_disabled:
            return youtube_error("commentsDisabled")
        text = str(snippet.get("textOriginal") or "")
        if not text.strip():
            return youtube_error("commentTextRequired")
        if len(text) > COMMENT_MAX:
            return youtube_error("commentTextTooLong")
        reply = self._new_comment(parent.video_id, text, self.channel_title, str(self.channel_id), parent.id,
                                  self.clock())
        return 200, self._comment_json(reply, plain=False)

    def _moderate(self, query: dict[str, str]) -> tuple[int, Any]:
        ids = [i for i in query.get("id", "").split(",") if i]
        status = query.get("moderationStatus", "")
        if not ids or not status:
            return youtube_error("missingRequiredParameter")
        if status not in MODERATION:
            return youtube_error("badRequest", f"Invalid value for moderationStatus: {status}")
        ban = query.get("banAuthor", "false").lower() == "true"
        if ban and status != "rejected":
            return youtube_error("banWithoutReject")
        found = [self.comments.get(i) for i in ids]
        if any(c is None for c in found):
            return youtube_error("commentNotFound")
        for c in found:
            assert c is not None
            c.moderation_status = status
            if ban:
                self.banned_authors.add(c.author_channel_id)
        return 204, None

    # --- store helpers ------------------------------------------------------------------------------------------

    def _video_id(self) -> str:
        self._seq += 1
        return f"yt{self._seq:09d}"  # 11 characters, as YouTube's ids

    def _new_comment(self, video_id: str, text: str, author_name: str, author: str, parent_id: str | None,
                     created: datetime) -> YouTubeComment:
        self._seq += 1
        cid = f"{parent_id}.{self._seq:010d}r" if parent_id else f"Ugx{self._seq:010d}AaABAg"
        comment = YouTubeComment(cid, video_id, text, author_name, author, created, parent_id, seq=self._seq)
        self.comments[cid] = comment
        return comment

    def _video_json(self, v: YouTubeVideo, part: str) -> dict[str, Any]:
        parts = set(part.split(","))
        out: dict[str, Any] = {"kind": "youtube#video", "id": v.id}
        if "snippet" in parts:
            out["snippet"] = {"publishedAt": _time(v.published_at), "channelId": self.channel_id, "title": v.title,
                              "description": v.description, "channelTitle": self.channel_title,
                              "categoryId": v.category_id, "liveBroadcastContent": "none",
                              **({"tags": list(v.tags)} if v.tags else {})}
        if "status" in parts:
            out["status"] = {"uploadStatus": "uploaded", "privacyStatus": v.privacy_status, "license": "youtube",
                             "embeddable": True, "publicStatsViewable": True,
                             "selfDeclaredMadeForKids": v.made_for_kids}
        if "statistics" in parts:
            stats: dict[str, str] = {"viewCount": str(v.view_count), "favoriteCount": "0"}
            if v.like_count is not None:
                stats["likeCount"] = str(v.like_count)
            if not v.comments_disabled:
                stats["commentCount"] = str(sum(1 for c in self.comments.values()
                                                if c.video_id == v.id and c.moderation_status == "published"))
            out["statistics"] = stats
        out["etag"] = _etag(out)
        return out

    def _comment_json(self, c: YouTubeComment, plain: bool, *, owner_view: bool = True) -> dict[str, Any]:
        snippet: dict[str, Any] = {
            "channelId": self.channel_id, "videoId": c.video_id,
            "textDisplay": c.text if plain else html.escape(c.text).replace("\n", "<br>"),
            "authorDisplayName": c.author_name,
            "authorProfileImageUrl": "https://yt3.ggpht.com/fake",
            "authorChannelUrl": f"http://www.youtube.com/channel/{c.author_channel_id}",
            "authorChannelId": {"value": c.author_channel_id},
            "canRate": True, "viewerRating": "none", "likeCount": c.like_count,
            "publishedAt": _time(c.published_at), "updatedAt": _time(c.published_at),
        }
        if c.author_channel_id == self.channel_id:  # textOriginal reaches only the comment's author
            snippet["textOriginal"] = c.text
        if owner_view:  # the owner sees it; never with the id filter
            snippet["moderationStatus"] = c.moderation_status
        if c.parent_id is not None:
            snippet["parentId"] = c.parent_id
        out: dict[str, Any] = {"kind": "youtube#comment", "id": c.id, "snippet": snippet}
        out["etag"] = _etag(out)
        return out


_JSON_HEADERS = {"Content-Type": "application/json; charset=UTF-8"}


class _Refused(Exception):
    """A documented error answer raised from deep in a handler."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _answer(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, dict(_JSON_HEADERS), json.dumps(body).encode()


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _header(headers: dict[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name), "")


def _etag(obj: Any) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).digest()[:12]).decode()


def _time(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _page_token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"fake-page:{seq}".encode()).decode()


def _token_seq(token: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return _int(text.removeprefix("fake-page:")) if text.startswith("fake-page:") else None
