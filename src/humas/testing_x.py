"""A loopback fake of the X API v2 (``platform-apis.md`` §1), shipped with humas for its own tests and for users' tests.

:class:`FakeXServer` extends :class:`~humas.testing_oauth.FakeXOAuth` (OAuth 2.0 with PKCE, the token endpoint with
refresh-token rotation, ``GET /2/users/me``), so one real HTTP server on 127.0.0.1 is both X's token endpoint and its
API. Pass ``fake.url`` as the account's ``options.api_base``: the real :class:`~humas.publisher.x.XAdapter` then sends
every call there, tweepy's included.
"""

from __future__ import annotations

import base64
import email.message
import email.utils
import hashlib
import html
import json
import math
import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from humas.errors import NotFound
from humas.testing import (  # one rule for the fakes' times: timezone-aware, kept in UTC
    DroppingServer,
    Fault,
    LoopbackAnswer,
    _aware,
    _multipart,
)
from humas.testing_oauth import FakeXOAuth, OAuthCall

__all__ = ["ALL_SCOPES", "PROBLEM", "FakeXServer", "XCall", "XMedia", "XTweet", "XUser", "snowflake"]

SNOWFLAKE_EPOCH_MS = 1288834974657
PROBLEM = "https://api.twitter.com/2/problems/"
SEARCH_WINDOW = timedelta(days=7)  # recent search covers the last 7 days (§1.2)
WINDOW = timedelta(minutes=15)
# Per-user limits of the endpoints the adapter calls, per 15 minutes (docs.x.com rate-limit table, §1.4).
RATE_LIMITS: dict[str, int] = {
    "POST /2/tweets": 100,
    "DELETE /2/tweets": 50,
    "GET /2/tweets/search/recent": 300,
    "GET /2/users/tweets": 900,
    "GET /2/tweets": 900,
    "GET /2/users/me": 75,
    "PUT /2/tweets/hidden": 50,
    "media": 500,
}
# OAuth 2.0 scopes each endpoint needs (X's authentication mapping); a token without them gets a bare 403.
READ = ("tweet.read", "users.read")
SCOPES: dict[str, tuple[str, ...]] = {
    "POST /2/tweets": (*READ, "tweet.write"),
    "DELETE /2/tweets": (*READ, "tweet.write"),
    "PUT /2/tweets/hidden": (*READ, "tweet.moderate.write"),
    "media": ("media.write",),
}
ALL_SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access", "media.write", "tweet.moderate.write")
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
TOO_LONG = ("Your Tweet text is too long. For more information on how Twitter determines text length see "
            "https://github.com/twitter/twitter-text.")
REPLY_NOT_ALLOWED = ("Reply to this conversation is not allowed because you have not been mentioned or otherwise "
                     "engaged by the author of the post you are replying to.")
REPLY_TARGET_GONE = "You attempted to reply to a Tweet that is deleted or not visible to you."
MEDIA_TYPES = {"image/jpeg": "tweet_image", "image/png": "tweet_image", "image/webp": "tweet_image",
               "image/gif": "tweet_gif", "video/mp4": "tweet_video", "video/quicktime": "tweet_video"}
MEDIA_MAX = {"tweet_image": 5 * 2**20, "tweet_gif": 15 * 2**20, "tweet_video": 512 * 2**20}
_URL = re.compile(r"https?://\S+")
_MENTION = re.compile(r"@(\w{1,15})")
_TCO = "https://t.co/"


def snowflake(at: datetime, seq: int) -> str:
    """An X id minted at ``at`` (ids are Twitter snowflakes: milliseconds since 2010-11-04 shifted by 22 bits)."""
    ms = int(_aware(at).timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
    return str((ms << 22) | (seq & 0x3FFFFF))


def x_time(at: datetime) -> str:
    """X's ``created_at`` format: ``2026-11-20T10:00:00.000Z``."""
    return _aware(at).strftime("%Y-%m-%dT%H:%M:%S.") + f"{_aware(at).microsecond // 1000:03d}Z"


def x_text(text: str) -> str:
    """``text`` as X gives it back: every URL twitter-text finds (``kota.go.id`` too, without a scheme) as a t.co
    link, ``& < >`` escaped."""
    spans = [(m.start(), m.end()) for m in _URL.finditer(text)]
    try:
        from twitter_text import extract_urls_with_indices  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - a dependency of humas
        pass
    else:
        spans = [(int(u["indices"][0]), int(u["indices"][1])) for u in extract_urls_with_indices(text)]
    out, last = [], 0
    for start, end in spans:
        out += [html.escape(text[last:start], quote=False), _tco(text[start:end])]
        last = end
    return "".join([*out, html.escape(text[last:], quote=False)])


def weighted_length(text: str) -> int:
    """twitter-text v3 weighted length (URL 23, emoji and CJK 2) when twitter-text-parser is installed, else len."""
    try:
        from twitter_text import parse_tweet  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - a dependency of humas
        return len(text)
    return int(parse_tweet(text).weightedLength)


@dataclass
class XUser:
    id: str
    username: str
    name: str


@dataclass
class XTweet:
    """A post the fake holds. ``text`` is as X gives it back (``& < >`` escaped, URLs as t.co links, a t.co link for
    attached media); ``sent_text`` as it was sent. Metrics are set by tests (``reply_count`` is counted)."""

    id: str
    text: str
    sent_text: str
    author_id: str
    created_at: datetime
    conversation_id: str
    in_reply_to_tweet_id: str | None = None
    in_reply_to_user_id: str | None = None
    media_ids: tuple[str, ...] = ()
    reply_settings: str = "everyone"
    hidden: bool = False
    like_count: int = 0
    retweet_count: int = 0
    quote_count: int = 0
    impression_count: int = 0


@dataclass
class XMedia:
    """An upload session (INITIALIZE / APPEND / FINALIZE); ``ready_at`` when processing ends (videos, GIFs)."""

    id: str
    media_type: str
    category: str
    total_bytes: int
    owner: str
    expires_at: datetime
    segments: dict[int, bytes] = field(default_factory=dict)
    finalized_at: datetime | None = None
    ready_at: datetime | None = None
    failure: str | None = None  # processing ends "failed" with this message

    @property
    def media_key(self) -> str:
        return ("3_" if self.category == "tweet_image" else "16_" if self.category == "tweet_gif" else "7_") + self.id

    @property
    def data(self) -> bytes:
        return b"".join(self.segments[i] for i in sorted(self.segments))


@dataclass(frozen=True)
class XCall(OAuthCall):
    """One request as the fake received it: ``params`` query and form merged, ``body`` the JSON body (if any),
    ``files`` the multipart file fields (name -> size in bytes), ``bearer`` whether an ``Authorization: Bearer``
    header came."""

    body: dict[str, Any] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    bearer: bool = False


class FakeXServer(FakeXOAuth, DroppingServer):
    """X API v2 on 127.0.0.1 with an in-memory store, for what :class:`~humas.publisher.x.XAdapter` calls (§1.2–1.4):

    * ``POST /2/tweets`` (``text``, ``media.media_ids``, ``reply.in_reply_to_tweet_id``, ``reply_settings``) -> 201
      ``{"data": {"id", "text", "edit_history_tweet_ids"}}``; ``DELETE /2/tweets/:id``;
    * ``GET /2/tweets/search/recent`` (``conversation_id:``, ``from:``, ``is:reply`` and words; ``since_id``,
      ``max_results`` 10–100, ``next_token``; last 7 days, newest first), ``GET /2/users/:id/tweets``
      (``start_time``, ``exclude``, ``pagination_token``), ``GET /2/tweets?ids=`` (``public_metrics``; unknown ids in
      ``errors``), with ``tweet.fields``, ``expansions=author_id`` and ``includes.users``;
    * ``PUT /2/tweets/:id/hidden`` (only replies in the account's own conversations);
    * media v2: ``POST /2/media/upload/initialize``, ``/{id}/append`` (multipart ``media`` + ``segment_index``),
      ``/{id}/finalize`` (videos and GIFs then process for :attr:`processing_seconds`), ``GET /2/media/upload?
      command=STATUS&media_id=``.

    Checks as X makes them: a bearer token from the token endpoint, not expired (401), with the endpoint's scopes
    (bare 403), per-user 15-minute rate limits (429 with ``x-rate-limit-*``; posting also sends
    ``x-user-limit-24hour-*``), 280 weighted characters (403), the same text twice (403 duplicate), media ids that
    are this user's, processed and not expired (400), a reply to a deleted post (403) and, with
    :attr:`restrict_replies`, the reply restriction some API plans have (403; allowed only where the post replied to
    is the account's own, answers it, or mentions it). Error bodies are X's problem shapes (``title``, ``detail``,
    ``type``, ``status``) or ``{"errors": [...]}``.

    Scripting: :meth:`fail_next` (any status, 429 with a reset), :meth:`drop_next` and :meth:`delay_next` (with
    ``apply``, the request is carried out and its answer lost), :meth:`expire_access_tokens`,
    :meth:`revoke_refresh_tokens`; :attr:`on_tweet_created` runs after a post is stored (the public replying).
    Every request is recorded in ``calls`` (:attr:`api_calls` the API's), an exception raised while answering in
    ``server_errors`` (answered 500).
    """

    thread_name = "fake-x-api"
    verbs: ClassVar[frozenset[str]] = frozenset({"GET", "POST", "PUT", "DELETE"})

    def __init__(self, *, client_id: str = "fake-x-client", client_secret: str | None = "fake-x-secret",
                 user_id: str = "1590000000000000001", username: str = "humaskota",
                 clock: Callable[[], datetime] | None = None, processing_seconds: float = 10.0,
                 restrict_replies: bool = False, rate_limits: dict[str, int] | None = None) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret, user_id=user_id, username=username,
                         clock=clock)
        self.processing_seconds = processing_seconds
        self.restrict_replies = restrict_replies
        self.rate_limits = dict(RATE_LIMITS if rate_limits is None else rate_limits)
        self.users: dict[str, XUser] = {user_id: XUser(user_id, username, "Humas Kota")}
        self.tweets: dict[str, XTweet] = {}
        self.media: dict[str, XMedia] = {}
        self.server_errors: list[Exception] = []
        self.on_tweet_created: Callable[[XTweet], None] | None = None
        self._windows: dict[str, tuple[datetime, int]] = {}  # endpoint -> (window start, calls in it)
        self._tokens: dict[str, str] = {}  # pagination token -> id to continue below
        self._seq = 0

    # --- scripting ----------------------------------------------------------------------------------------------

    def fail_next(self, status: int, detail: str | None = None, *, method: str | None = None,
                  path: str | None = None, times: int = 1, reset_in: timedelta = timedelta(minutes=15),
                  body: dict[str, Any] | None = None) -> None:
        """The next ``times`` matching requests (``path``: a regex searched in the path) get HTTP ``status`` with
        X's problem body (``detail`` or the status's title; ``body`` replaces it); a 429 carries
        ``x-rate-limit-remaining: 0`` and ``x-rate-limit-reset`` ``reset_in`` from now. Nothing is carried out."""
        answer = _problem(status, detail) if body is None else body
        headers = {"content-type": "application/problem+json" if body is None else "application/json"}
        if status == 429:
            reset = int((self.clock() + reset_in).timestamp())
            headers |= {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}
        with self._lock:
            self._faults.extend(Fault(method, path, LoopbackAnswer(status, dict(headers), json.dumps(answer).encode()))
                                for _ in range(times))

    def delay_next(self, seconds: float, *, apply: bool = True, method: str | None = None,
                   path: str | None = None) -> None:
        """The next matching request is answered ``seconds`` late (a client with a shorter timeout gets a
        ReadTimeout); with ``apply`` (default) it is carried out at once, as X does before the answer is lost."""
        with self._lock:
            self._faults.append(Fault(method, path, delay=seconds, apply=apply))

    def issue_tokens(self, scopes: list[str] | None = None) -> dict[str, Any]:
        """The token endpoint's answer to a completed connection with ``scopes`` (default: every scope humas asks
        for), without the browser: ``access_token``, ``refresh_token`` (with ``offline.access``), ``expires_in``."""
        with self._lock:
            return self._grant(list(scopes if scopes is not None else ALL_SCOPES), refresh=True)

    def revoke_refresh_tokens(self) -> None:
        """Every refresh token stops working (the person revoked the app): refreshes get ``invalid_grant``."""
        with self._lock:
            self.refresh_tokens.clear()

    def add_user(self, username: str, name: str | None = None) -> XUser:
        with self._lock:
            existing = next((u for u in self.users.values() if u.username == username), None)
            if existing is not None:
                return existing
            self._seq += 1
            user = XUser(str(900000 + self._seq), username, name or username)
            self.users[user.id] = user
            return user

    def add_tweet(self, text: str, *, author: str | None = None, created_at: datetime | None = None) -> XTweet:
        """A post made elsewhere (by the account itself unless ``author``, a username, is given)."""
        with self._lock:
            user = self.add_user(author) if author else self.users[self.user_id]
            return self._store(user.id, text, (), None, "everyone", _aware(created_at) if created_at else None)

    def add_reply(self, to: str, text: str, *, author: str = "warga", created_at: datetime | None = None) -> XTweet:
        """A reply by ``author`` (a username, created on first use) to the post ``to``."""
        with self._lock:
            if to not in self.tweets:
                raise NotFound(f"fake X: no post {to!r}")
            user = self.add_user(author)
            return self._store(user.id, text, (), to, "everyone", _aware(created_at) if created_at else None)

    def delete_tweet(self, tweet_id: str) -> None:
        with self._lock:
            self.tweets.pop(tweet_id, None)

    def own_tweets(self, *, replies: bool = False) -> list[XTweet]:
        """The account's posts (with ``replies``: its replies), oldest first."""
        with self._lock:
            return sorted((t for t in self.tweets.values() if t.author_id == self.user_id
                           and (t.in_reply_to_tweet_id is not None) == replies), key=lambda t: int(t.id))

    @property
    def api_calls(self) -> list[XCall]:
        """The API's calls (not the OAuth endpoints'), oldest first."""
        with self._lock:
            return [c for c in self.calls if isinstance(c, XCall) and c.path != self.token_path]

    # --- the wire -----------------------------------------------------------------------------------------------

    def _answer(self, method: str, target: str, headers: email.message.Message, body: bytes) -> LoopbackAnswer:
        return self._serve(method, target, dict(headers.items()), body)

    def _serve(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> LoopbackAnswer:
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        lower = {k.lower(): v for k, v in headers.items()}
        ctype = lower.get("content-type", "")
        body: dict[str, Any] = {}
        files: dict[str, tuple[str, str, bytes]] = {}
        if raw and ctype.startswith("application/json"):
            try:
                loaded = json.loads(raw)
            except ValueError:
                return self._wire(400, _problem(400, "Request body is not valid JSON."))
            body = loaded if isinstance(loaded, dict) else {}
        elif raw and ctype.startswith("multipart/form-data"):
            form, files = _multipart(ctype, raw)
            params.update(form)
        elif raw:
            params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        auth = lower.get("authorization", "")
        basic: tuple[str, str] | None = None
        if auth.startswith("Basic "):
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            basic = (user, pw)
        with self._lock:
            self.calls.append(XCall(method, path, dict(params), basic[0] if basic else None, body=body,
                                    files={k: len(v[2]) for k, v in files.items()},
                                    bearer=auth.startswith("Bearer ")))
            fault = self._take_fault(method, path)
            if fault is not None:
                if not (fault.drop or fault.delay):
                    return fault.answer
                if not fault.apply:  # lost on the way in: nothing is carried out
                    return fault.late(self._wire(503, _problem(503)))
            try:
                answer = self._route(method, path, params, body, files, auth, basic)
            except Exception as exc:  # a bug in the fake or a malformed request: kept, answered as X's 500
                self.server_errors.append(exc)
                answer = self._wire(500, _problem(500))
            return fault.late(answer) if fault is not None else answer

    def _route(self, method: str, path: str, params: dict[str, str], body: dict[str, Any],
               files: dict[str, tuple[str, str, bytes]], auth: str,
               basic: tuple[str, str] | None) -> LoopbackAnswer:
        if path == self.authorize_path and method == "GET":
            return self._oauth(self._authorize(params))
        if path == self.token_path and method == "POST":
            if self._failures:
                status, err = self._failures.pop(0)
                return self._wire(status, err)
            return self._oauth(self._token(params, basic))
        token = self.access_tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if token is None or token.expires_at <= self.clock():
            return self._wire(401, _problem(401))
        endpoint, args = _endpoint(method, path)
        if endpoint is None:
            return self._wire(404, _problem(404, f"The requested resource {path} was not found."))
        missing = [s for s in SCOPES.get(endpoint, READ) if s not in token.scopes]
        if missing:
            return self._wire(403, _problem(403))  # X names no scope: a bare "Forbidden"
        limited = self._count(endpoint)
        if limited is not None:
            return limited
        status, answer = self._call(endpoint, args, params, body, files)
        rate = self._rate_headers(endpoint)
        if endpoint == "POST /2/tweets":
            rate |= self._daily_headers()
        return self._wire(status, answer, rate)

    def _call(self, endpoint: str, args: list[str], params: dict[str, str], body: dict[str, Any],
              files: dict[str, tuple[str, str, bytes]]) -> tuple[int, Any]:
        if endpoint == "GET /2/users/me":
            me = self.users[self.user_id]
            return 200, {"data": {"id": me.id, "name": me.name, "username": me.username}}
        if endpoint == "POST /2/tweets":
            return self._create(body)
        if endpoint == "DELETE /2/tweets":
            tweet = self.tweets.get(args[0])
            if tweet is None or tweet.author_id != self.user_id:
                return 403 if tweet else 404, _problem(403 if tweet else 404)
            del self.tweets[args[0]]
            return 200, {"data": {"deleted": True}}
        if endpoint == "GET /2/tweets/search/recent":
            return self._search(params)
        if endpoint == "GET /2/users/tweets":
            return self._timeline(args[0], params)
        if endpoint == "GET /2/tweets":
            return self._lookup(params)
        if endpoint == "PUT /2/tweets/hidden":
            return self._hide(args[0], body)
        return self._media_call(args, params, body, files)

    # --- posts --------------------------------------------------------------------------------------------------

    def _create(self, body: dict[str, Any]) -> tuple[int, Any]:
        text = body.get("text")
        media_ids = tuple(str(m) for m in (body.get("media") or {}).get("media_ids") or [])
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if not isinstance(text, str | None) or (not text and not media_ids):
            return 400, _invalid({"text": [str(text)]}, "One or more parameters to your request was invalid.")
        text = text or ""
        if weighted_length(text) > 280:
            return 403, _problem(403, TOO_LONG)
        if media_ids:
            bad = self._bad_media(media_ids)
            if bad:
                return 400, _invalid({"media.media_ids": bad}, "Your media IDs are invalid.")
        if reply_to is not None:
            target = self.tweets.get(str(reply_to))
            if target is None:
                return 403, _problem(403, REPLY_TARGET_GONE)
            if self.restrict_replies and not self._may_reply(target):
                return 403, _problem(403, REPLY_NOT_ALLOWED)
        if any(t.sent_text == text and t.author_id == self.user_id for t in self.tweets.values()):
            return 403, _problem(403, DUPLICATE)
        tweet = self._store(self.user_id, text, media_ids, str(reply_to) if reply_to else None,
                            str(body.get("reply_settings") or "everyone"), None)
        if self.on_tweet_created is not None and tweet.in_reply_to_tweet_id is None:
            self.on_tweet_created(tweet)
        return 201, {"data": {"id": tweet.id, "text": tweet.text, "edit_history_tweet_ids": [tweet.id]}}

    def _may_reply(self, target: XTweet) -> bool:
        """The reply restriction as developers report it (§1.4): the account was mentioned or engaged."""
        me = self.users[self.user_id].username.lower()
        mentioned = any(m.lower() == me for m in _MENTION.findall(target.sent_text))
        return target.author_id == self.user_id or target.in_reply_to_user_id == self.user_id or mentioned

    def _bad_media(self, media_ids: tuple[str, ...]) -> list[str]:
        now = self.clock()
        bad = [m for m in media_ids if (media := self.media.get(m)) is None or media.owner != self.user_id
               or media.expires_at <= now or media.finalized_at is None or self._state(media)[0] != "succeeded"]
        kinds = [self.media[m].category for m in media_ids if m in self.media]
        if not bad and (len(media_ids) > 4 or (len(media_ids) > 1 and any(k != "tweet_image" for k in kinds))):
            bad = list(media_ids)  # at most 4 photos, or 1 GIF, or 1 video
        return bad

    def _store(self, author: str, text: str, media_ids: tuple[str, ...], reply_to: str | None,
               reply_settings: str, created: datetime | None) -> XTweet:
        self._seq += 1
        at = created or self.clock()
        tweet_id = snowflake(at, self._seq)
        target = self.tweets.get(reply_to) if reply_to else None
        shown = x_text(text)
        if media_ids:
            shown = f"{shown} {_tco('media:' + ','.join(media_ids))}".strip()
        tweet = XTweet(tweet_id, shown, text, author, at, target.conversation_id if target else tweet_id,
                       target.id if target else None, target.author_id if target else None, media_ids,
                       reply_settings)
        self.tweets[tweet.id] = tweet
        return tweet

    def _hide(self, tweet_id: str, body: dict[str, Any]) -> tuple[int, Any]:
        if not isinstance(body.get("hidden"), bool):
            return 400, _invalid({"hidden": [str(body.get("hidden"))]}, "The `hidden` field must be a boolean.")
        tweet = self.tweets.get(tweet_id)
        if tweet is None:
            return 404, _not_found(tweet_id, "id")
        root = self.tweets.get(tweet.conversation_id)
        if tweet.in_reply_to_tweet_id is None or root is None or root.author_id != self.user_id \
                or tweet.author_id == self.user_id:
            return 403, _problem(403)  # only others' replies in the account's own conversations
        tweet.hidden = body["hidden"]
        return 200, {"data": {"hidden": tweet.hidden}}

    # --- reads --------------------------------------------------------------------------------------------------

    def _search(self, params: dict[str, str]) -> tuple[int, Any]:
        query = params.get("query", "").strip()
        if not query or len(query) > 512:
            return 400, _invalid({"query": [query]}, "Invalid query length.")
        max_results = _int(params.get("max_results"), 10)
        if not 10 <= max_results <= 100:
            return 400, _invalid({"max_results": [str(max_results)]},
                                 "The `max_results` query parameter value must be between 10 and 100")
        now = self.clock()
        since = params.get("since_id")
        if since and _snowflake_time(since) < now - SEARCH_WINDOW:
            return 400, _invalid({"since_id": [since]}, f"Invalid 'since_id':'{since}'. 'since_id' must be a "
                                 "tweet id created after the start of the 7-day search window.")
        held = [t for t in self.tweets.values() if t.created_at >= now - SEARCH_WINDOW and _matches(query, t, self)]
        if since:
            held = [t for t in held if int(t.id) > int(since)]
        return self._page(held, params, max_results, "next_token")

    def _timeline(self, user_id: str, params: dict[str, str]) -> tuple[int, Any]:
        if user_id not in self.users:
            return 200, {"errors": [_not_found(user_id, "id", "user")["errors"][0]]}
        max_results = _int(params.get("max_results"), 10)
        if not 5 <= max_results <= 100:
            return 400, _invalid({"max_results": [str(max_results)]},
                                 "The `max_results` query parameter value must be between 5 and 100")
        exclude = set(params.get("exclude", "").split(","))
        held = [t for t in self.tweets.values() if t.author_id == user_id
                and not ("replies" in exclude and t.in_reply_to_tweet_id is not None)]
        if start := params.get("start_time"):
            held = [t for t in held if t.created_at >= _parse_time(start)]
        if since := params.get("since_id"):
            held = [t for t in held if int(t.id) > int(since)]
        return self._page(held, params, max_results, "pagination_token")

    def _page(self, held: list[XTweet], params: dict[str, str], max_results: int, token_param: str,
              ) -> tuple[int, Any]:
        held.sort(key=lambda t: int(t.id), reverse=True)  # newest first
        if token := params.get(token_param):
            below = self._tokens.get(token)
            if below is None:
                return 400, _invalid({token_param: [token]}, f"The `{token_param}` query parameter value "
                                     f"'{token}' is not valid for this endpoint.")
            held = [t for t in held if int(t.id) < int(below)]
        chunk = held[:max_results]
        meta: dict[str, Any] = {"result_count": len(chunk)}
        if chunk:
            meta |= {"newest_id": chunk[0].id, "oldest_id": chunk[-1].id}
        if len(held) > max_results:
            next_token = secrets.token_hex(8)
            self._tokens[next_token] = chunk[-1].id
            meta["next_token"] = next_token
        answer: dict[str, Any] = {}
        if chunk:
            answer["data"] = [self._tweet_json(t, params) for t in chunk]
            if includes := self._includes(chunk, params):
                answer["includes"] = includes
        answer["meta"] = meta
        return 200, answer

    def _lookup(self, params: dict[str, str]) -> tuple[int, Any]:
        ids = [i for i in params.get("ids", "").split(",") if i]
        if not 1 <= len(ids) <= 100:
            return 400, _invalid({"ids": ids}, "The number of values in the `ids` query parameter list must be "
                                 "between 1 and 100")
        found = [self.tweets[i] for i in ids if i in self.tweets]
        answer: dict[str, Any] = {}
        if found:
            answer["data"] = [self._tweet_json(t, params) for t in found]
            if includes := self._includes(found, params):
                answer["includes"] = includes
        missing = [i for i in ids if i not in self.tweets]
        if missing:
            answer["errors"] = [_not_found(i, "ids")["errors"][0] for i in missing]
        return 200, answer

    def _tweet_json(self, t: XTweet, params: dict[str, str]) -> dict[str, Any]:
        fields = set(params.get("tweet.fields", "").split(","))
        out: dict[str, Any] = {"id": t.id, "text": t.text, "edit_history_tweet_ids": [t.id]}
        every: dict[str, Any] = {
            "author_id": t.author_id,
            "conversation_id": t.conversation_id,
            "created_at": x_time(t.created_at),
            "reply_settings": t.reply_settings,
            "public_metrics": {
                "retweet_count": t.retweet_count, "reply_count": sum(
                    1 for o in self.tweets.values() if o.in_reply_to_tweet_id == t.id),
                "like_count": t.like_count, "quote_count": t.quote_count, "bookmark_count": 0,
                "impression_count": t.impression_count},
        }
        if t.in_reply_to_tweet_id is not None:
            every["in_reply_to_user_id"] = t.in_reply_to_user_id
            every["referenced_tweets"] = [{"type": "replied_to", "id": t.in_reply_to_tweet_id}]
        if t.media_ids:
            every["attachments"] = {"media_keys": [self.media[m].media_key for m in t.media_ids if m in self.media]}
        out |= {k: v for k, v in every.items() if k in fields}
        return out

    def _includes(self, tweets: list[XTweet], params: dict[str, str]) -> dict[str, Any]:
        if "author_id" not in params.get("expansions", "").split(","):
            return {}
        seen: dict[str, XUser] = {}
        for t in tweets:
            if t.author_id in self.users:
                seen.setdefault(t.author_id, self.users[t.author_id])
        return {"users": [{"id": u.id, "name": u.name, "username": u.username} for u in seen.values()]}

    # --- media --------------------------------------------------------------------------------------------------

    def _media_call(self, args: list[str], params: dict[str, str], body: dict[str, Any],
                    files: dict[str, tuple[str, str, bytes]]) -> tuple[int, Any]:
        step = args[-1] if args else ""
        if step == "initialize":  # a JSON body
            return self._initialize({**params, **{k: str(v) for k, v in body.items()}})
        if step == "status":
            if params.get("command") != "STATUS":
                return 400, _invalid({"command": [params.get("command", "")]}, "command must be STATUS")
            media = self.media.get(params.get("media_id", ""))
            if media is None or media.owner != self.user_id:
                return 400, _invalid({"media_id": [params.get("media_id", "")]}, "Your media ID is invalid.")
            return 200, {"data": self._media_json(media, status=True)}
        media = self.media.get(args[0])
        if media is None or media.owner != self.user_id or media.expires_at <= self.clock():
            return 400, _invalid({"id": [args[0]]}, "Your media ID is invalid.")
        if step == "append":
            index = _int(params.get("segment_index"), -1)
            if "media" not in files or not 0 <= index <= 999 or media.finalized_at is not None:
                return 400, _invalid({"segment_index": [params.get("segment_index", "")]},
                                     "One or more parameters to your request was invalid.")
            if len(files["media"][2]) > 5 * 2**20:
                return 400, _invalid({"media": ["…"]}, "Segment size must be <= 5 MB.")
            media.segments[index] = files["media"][2]
            return 200, {"data": {"expires_at": int(media.expires_at.timestamp())}}
        # finalize
        size = sum(len(s) for s in media.segments.values())
        if size != media.total_bytes or sorted(media.segments) != list(range(len(media.segments))):
            return 400, _invalid({"id": [media.id]}, f"File size mismatch: expected {media.total_bytes} bytes, "
                                 f"got {size} in {len(media.segments)} segments.")
        if media.finalized_at is None:
            media.finalized_at = self.clock()
            if media.category != "tweet_image":
                media.ready_at = media.finalized_at + timedelta(seconds=self.processing_seconds)
        return 200, {"data": self._media_json(media, status=False)}

    def _initialize(self, params: dict[str, str]) -> tuple[int, Any]:
        media_type = str(params.get("media_type", ""))
        category = str(params.get("media_category") or MEDIA_TYPES.get(media_type, ""))
        total = _int(params.get("total_bytes"), -1)
        if media_type not in MEDIA_TYPES or category != MEDIA_TYPES[media_type]:
            return 400, _invalid({"media_type": [media_type], "media_category": [category]},
                                 "Unsupported media_type or media_category.")
        if not 0 < total <= MEDIA_MAX[category]:
            return 400, _invalid({"total_bytes": [str(total)]}, f"total_bytes must be between 1 and "
                                 f"{MEDIA_MAX[category]} for {category}.")
        self._seq += 1
        media = XMedia(snowflake(self.clock(), self._seq), media_type, category, total, self.user_id,
                       self.clock() + timedelta(days=1))
        self.media[media.id] = media
        return 200, {"data": {"id": media.id, "media_key": media.media_key, "expires_after_secs": 86400}}

    def fail_processing(self, media_id: str, message: str = "Unsupported video format") -> None:
        """Processing of ``media_id`` ends ``failed`` (STATUS answers ``InvalidMedia`` with ``message``)."""
        with self._lock:
            self.media[media_id].failure = message

    def _state(self, media: XMedia) -> tuple[str, int]:
        """(``state``, ``progress_percent``) of a finalized upload at the fake's clock."""
        if media.ready_at is None:
            return "succeeded", 100
        if media.failure:
            return "failed", 30
        left = (media.ready_at - self.clock()).total_seconds()
        if left <= 0:
            return "succeeded", 100
        done = 1 - left / max(self.processing_seconds, 1e-9)
        return ("pending" if done <= 0 else "in_progress"), max(0, min(99, int(done * 100)))

    def _media_json(self, media: XMedia, *, status: bool) -> dict[str, Any]:
        expires = max(0, int((media.expires_at - self.clock()).total_seconds()))
        out: dict[str, Any] = {"id": media.id, "media_key": media.media_key, "expires_after_secs": expires}
        if not status:
            out["size"] = media.total_bytes
        if media.ready_at is None:
            return out
        state, percent = self._state(media)
        info: dict[str, Any] = {"state": state, "progress_percent": percent}
        if state in ("pending", "in_progress"):
            assert media.ready_at is not None
            info["check_after_secs"] = max(1, math.ceil((media.ready_at - self.clock()).total_seconds()))
        if state == "failed":
            info["error"] = {"code": 1, "name": "InvalidMedia", "message": media.failure}
        out["processing_info"] = info
        return out

    # --- rate limits and answers --------------------------------------------------------------------------------

    def _count(self, endpoint: str) -> LoopbackAnswer | None:
        """Count the call in its 15-minute window; a 429 with X's headers once the window's limit is spent."""
        now = self.clock()
        start, used = self._windows.get(endpoint, (now, 0))
        if now >= start + WINDOW:
            start, used = now, 0
        limit = self.rate_limits.get(endpoint)
        if limit is not None and used >= limit:
            return self._wire(429, _problem(429), self._rate_headers(endpoint))
        self._windows[endpoint] = (start, used + 1)
        return None

    def _rate_headers(self, endpoint: str) -> dict[str, str]:
        limit = self.rate_limits.get(endpoint)
        if limit is None:
            return {}
        start, used = self._windows.get(endpoint, (self.clock(), 0))
        return {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(max(0, limit - used)),
                "x-rate-limit-reset": str(int((start + WINDOW).timestamp()))}

    def _daily_headers(self) -> dict[str, str]:
        day = self.clock().replace(hour=0, minute=0, second=0, microsecond=0)
        posted = sum(1 for t in self.tweets.values() if t.author_id == self.user_id and t.created_at >= day)
        return {"x-user-limit-24hour-limit": "17", "x-user-limit-24hour-remaining": str(max(0, 17 - posted)),
                "x-user-limit-24hour-reset": str(int((day + timedelta(days=1)).timestamp()))}

    def _oauth(self, answer: tuple[int, dict[str, str], bytes]) -> LoopbackAnswer:
        return LoopbackAnswer(*answer)

    def _wire(self, status: int, body: Any, headers: dict[str, str] | None = None) -> LoopbackAnswer:
        problem = status >= 400 and isinstance(body, dict) and "title" in body
        head = {"content-type": "application/problem+json" if problem else "application/json; charset=utf-8",
                "date": email.utils.formatdate(usegmt=True), **(headers or {})}
        return LoopbackAnswer(status, head, json.dumps(body).encode())


def _endpoint(method: str, path: str) -> tuple[str | None, list[str]]:
    """The rate-limit/scope key of a request and its path arguments (``None``: no such endpoint)."""
    if path == "/2/users/me" and method == "GET":
        return "GET /2/users/me", []
    if path == "/2/tweets":
        return {"POST": "POST /2/tweets", "GET": "GET /2/tweets"}.get(method), []
    if path == "/2/tweets/search/recent" and method == "GET":
        return "GET /2/tweets/search/recent", []
    if (m := re.fullmatch(r"/2/tweets/(\d+)", path)) and method == "DELETE":
        return "DELETE /2/tweets", [m.group(1)]
    if (m := re.fullmatch(r"/2/tweets/(\d+)/hidden", path)) and method == "PUT":
        return "PUT /2/tweets/hidden", [m.group(1)]
    if (m := re.fullmatch(r"/2/users/(\d+)/tweets", path)) and method == "GET":
        return "GET /2/users/tweets", [m.group(1)]
    if path == "/2/media/upload/initialize" and method == "POST":
        return "media", ["initialize"]
    if path == "/2/media/upload" and method == "GET":
        return "media", ["status"]
    if (m := re.fullmatch(r"/2/media/upload/(\d+)/(append|finalize)", path)) and method == "POST":
        return "media", [m.group(1), m.group(2)]
    return None, []


def _matches(query: str, t: XTweet, fake: FakeXServer) -> bool:
    """The search operators humas uses (``conversation_id:``, ``from:``, ``is:reply``) and plain words (AND)."""
    for term in query.split():
        negate, term = term.startswith("-"), term.lstrip("-")
        key, _, value = term.partition(":")
        if key == "conversation_id" and value:
            ok = t.conversation_id == value
        elif key == "from" and value:
            ok = fake.users.get(t.author_id, XUser("", "", "")).username.lower() == value.lower()
        elif term == "is:reply":
            ok = t.in_reply_to_tweet_id is not None
        else:
            ok = term.lower() in html.unescape(t.text).lower()
        if ok == negate:
            return False
    return True


def _problem(status: int, detail: str | None = None) -> dict[str, Any]:
    """X's problem body for a status (``type`` ``about:blank``, as X sends for these)."""
    title = {400: "Invalid Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found Error",
             429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
             503: "Service Unavailable"}.get(status, "Error")
    return {"title": title, "detail": detail or title, "type": "about:blank", "status": status}


def _invalid(parameters: dict[str, list[str]], message: str) -> dict[str, Any]:
    """A 400 ``invalid-request`` body: ``{"errors": [{"parameters", "message"}], "title", "detail", "type"}``."""
    return {"errors": [{"parameters": parameters, "message": message}], "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.", "type": f"{PROBLEM}invalid-request"}


def _not_found(value: str, parameter: str, resource: str = "tweet") -> dict[str, Any]:
    noun = "tweet" if resource == "tweet" else "user"
    return {"errors": [{"value": value, "detail": f"Could not find {noun} with {parameter}: [{value}].",
                        "title": "Not Found Error", "resource_type": resource, "parameter": parameter,
                        "resource_id": value, "type": f"{PROBLEM}resource-not-found"}]}


def _tco(url: str) -> str:
    """The t.co link X shows for ``url`` (stable per URL): ten letters and digits, as X's are (a ``-`` or ``_`` at
    the end, which base64 would give, is not part of a URL for twitter-text)."""
    digest = int.from_bytes(hashlib.sha256(url.encode()).digest(), "big")
    alphabet = string.digits + string.ascii_letters
    return _TCO + "".join(alphabet[(digest >> (6 * i)) % 62] for i in range(10))


def _snowflake_time(post_id: str) -> datetime:
    try:
        return datetime.fromtimestamp(((int(post_id) >> 22) + SNOWFLAKE_EPOCH_MS) / 1000, tz=UTC)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _int(value: object, default: int) -> int:
    try:
        return int(str(value)) if value is not None else default
    except ValueError:
        return default
