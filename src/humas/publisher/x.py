"""X (Twitter) API v2 adapter: tweepy ``Client`` for posts/search/hide, our own v2 chunked media upload.

Hosts (platform-apis.md §1.1, §6): tweepy hard-codes ``https://api.twitter.com``; the media upload and the OAuth 2.0
token endpoint use ``https://api.x.com`` (the host of X's current v2 docs). Both are served.

Auth: OAuth 1.0a user context when the four consumer/access keys are given (tokens never expire); otherwise OAuth 2.0
user context whose rotating tokens live in the :class:`SecretStore`. Either way the credentials are applied by our
session wrapper at request time, never handed to tweepy: tweepy logs request headers at DEBUG level (§9 of style.md),
and a refreshed token is used without rebuilding the client. tweepy is always called with ``user_auth=False``.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar, NoReturn

import requests
import tweepy
from requests_oauthlib import OAuth1

from humas.errors import (
    AlreadyPublished,
    AuthExpired,
    ConfigError,
    ContentRejected,
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
)
from humas.publisher.limits import LIMITS

API = "https://api.x.com"
TOKEN_URL = f"{API}/2/oauth2/token"
MEDIA_URL = f"{API}/2/media/upload"
MiB = 1024 * 1024

KEY_ACCESS = "oauth2_access_token"
KEY_REFRESH = "oauth2_refresh_token"
KEY_EXPIRES = "oauth2_expires_at"

TWEET_FIELDS = ["author_id", "conversation_id", "created_at", "in_reply_to_user_id", "referenced_tweets"]
# 403 bodies that mean "this account/app cannot post at all" rather than "this post is refused" (§1.4): the account
# is paused (AuthExpired) so an admin fixes the app permissions / enrolment / suspension; retrying cannot help.
ACCOUNT_403 = (
    "suspended",
    "locked",
    "oauth1-permissions",
    "client-not-enrolled",
    "client-forbidden",
    "unsupported-authentication",
    "appropriate oauth1 app permissions",
)
_URL = re.compile(r"https?://\S+")
_SNOWFLAKE_EPOCH_MS = 1288834974657


def snowflake_time(post_id: str | int) -> datetime:
    """When an X id was minted (ids are Twitter snowflakes)."""
    return datetime.fromtimestamp(((int(post_id) >> 22) + _SNOWFLAKE_EPOCH_MS) / 1000, tz=UTC)


def normalise_text(text: str) -> str:
    """Text as compared by :meth:`XAdapter.find_published`: X escapes ``& < >``, rewrites URLs to t.co, appends
    a t.co link for attached media and may change whitespace; so: unescape, drop URLs, collapse whitespace, NFC."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    return " ".join(_URL.sub(" ", text).split())


def compose_text(draft: PostDraft) -> str:
    """What is posted: the text, plus the link on its own line when the text does not already contain it."""
    if draft.link and draft.link not in draft.text:
        return f"{draft.text.rstrip()}\n{draft.link}"
    return draft.text


def _media_category(m: MediaFile) -> str:
    if m.mime == "image/gif":
        return "tweet_gif"
    return "tweet_video" if m.is_video else "tweet_image"


class XAdapter:
    """One X account. See the module docstring for hosts and auth."""

    platform: ClassVar[Platform] = Platform.X
    limits: ClassVar[PlatformLimits] = LIMITS[Platform.X]

    find_pages_max = 5  # timeline pages (100 posts each) searched by find_published
    comment_pages_max = 10  # search pages (100 replies each) per fetch_comments call
    default_lookback = timedelta(days=2)  # find_published window when the request has no not_before

    def __init__(
        self,
        account: str,
        *,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        access_token: str | None = None,
        access_token_secret: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        secret_store: SecretStore | None = None,
        user_id: str | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], datetime] = http.utcnow,
        timeout: float = http.DEFAULT_TIMEOUT,
        media_chunk_size: int = 4 * MiB,
    ) -> None:
        self.account = account
        self._clock = clock
        self._timeout = timeout
        self._session = session if session is not None else requests.Session()
        self._user_id = user_id
        self._username: str | None = None
        self._media_chunk_size = media_chunk_size
        oauth1 = (consumer_key, consumer_secret, access_token, access_token_secret)
        self._oauth1: OAuth1 | None = None
        if any(oauth1):
            if not all(oauth1):
                raise ConfigError(f"X account {account}: OAuth 1.0a needs consumer key/secret and access token/secret")
            self._oauth1 = OAuth1(consumer_key, consumer_secret, access_token, access_token_secret)
        elif not (client_id and secret_store is not None):
            raise ConfigError(f"X account {account}: give OAuth 1.0a keys, or OAuth 2.0 client_id and secret store")
        self._client_id = client_id
        self._client_secret = client_secret
        self._store = secret_store
        # bearer_token is a placeholder: _prepare() replaces the header with the real credentials on every call
        self._client = tweepy.Client(bearer_token="set-per-request", return_type=dict, wait_on_rate_limit=False)
        self._client.session = http.DefaultTimeout(self._session, timeout, prepare=self._prepare)

    def __repr__(self) -> str:
        return f"XAdapter(account={self.account!r}, auth={'oauth1' if self._oauth1 else 'oauth2'!r})"

    # --- validate -------------------------------------------------------------------------------------------------

    def validate(self, draft: PostDraft) -> list[Problem]:
        problems = check_limits(self.limits, PostDraft(compose_text(draft), draft.title, draft.media), "X")
        videos = [m for m in draft.media if m.is_video]
        gifs = [m for m in draft.media if m.mime == "image/gif"]
        if videos and len(draft.media) > 1:
            problems.append(Problem("media_mix", "X: satu video saja, tanpa foto lain"))
        elif gifs and len(draft.media) > 1:
            problems.append(Problem("media_mix", "X: satu GIF saja, tanpa foto lain"))
        return problems

    # --- publish --------------------------------------------------------------------------------------------------

    def publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        if tweet_id := ckpt.get("tweet_id"):
            return self._result(str(tweet_id))
        media_ids = self._upload_media(req.draft.media, ckpt)
        try:
            resp = self._call(
                lambda: self._client.create_tweet(
                    text=compose_text(req.draft), media_ids=media_ids or None, user_auth=False
                )
            )
        except AlreadyPublished as exc:
            found = self._find_quietly(req, ckpt)
            raise AlreadyPublished(
                exc.message,
                remote_id=found.remote_id if found else None,
                remote_url=found.remote_url if found else None,
                platform=self.platform,
                account=self.account,
            ) from exc
        tweet_id = str(resp["data"]["id"])
        ckpt.save("tweet_id", tweet_id)
        return self._result(tweet_id)

    def find_published(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult | None:
        if tweet_id := ckpt.get("tweet_id"):
            return self._result(str(tweet_id))
        user_id = self._me()
        start = req.not_before or (self._clock() - self.default_lookback)
        wanted = normalise_text(compose_text(req.draft))
        token: str | None = None
        for _ in range(self.find_pages_max):
            page = self._call(
                partial(
                    self._client.get_users_tweets,
                    user_id,
                    start_time=start,
                    max_results=100,
                    exclude=["retweets", "replies"],
                    tweet_fields=["created_at"],
                    pagination_token=token,
                    user_auth=False,
                ),
                idempotent=True,
            )
            for tweet in page.get("data") or []:
                if normalise_text(tweet.get("text", "")) == wanted:
                    ckpt.save("tweet_id", str(tweet["id"]))
                    return self._result(str(tweet["id"]))
            token = (page.get("meta") or {}).get("next_token")
            if not token:
                break
        return None

    # --- comments -------------------------------------------------------------------------------------------------

    def fetch_comments(self, ref: PlatformPostRef, cursor: str | None) -> CommentPage:
        """Replies in the post's conversation newer than ``cursor``.

        ``cursor`` is the newest reply id seen (pass it back next time), or ``None`` while no reply was ever seen.
        When one call stops at :attr:`comment_pages_max`, the cursor also carries the search position
        (``newest:since:next_token``) and the next call continues there. Recent search covers 7 days only.
        """
        newest, since, token = [*(cursor or "").split(":", 2), "", ""][:3]
        if not token:  # a plain cursor: the newest id seen so far
            since, newest = newest, ""
        if since and snowflake_time(since) < self._clock() - timedelta(days=6, hours=23):
            since = ""  # X answers 400 to a since_id older than the 7-day search window
        own = self._me()
        comments: list[RemoteComment] = []
        cost = 0
        for _ in range(self.comment_pages_max):
            page = self._call(
                partial(
                    self._client.search_recent_tweets,
                    f"conversation_id:{ref.remote_id} is:reply",
                    since_id=since or None,
                    next_token=token or None,
                    max_results=100,
                    tweet_fields=TWEET_FIELDS,
                    expansions=["author_id"],
                    user_fields=["username"],
                    user_auth=False,
                ),
                idempotent=True,
            )
            data: list[dict[str, Any]] = page.get("data") or []
            cost += len(data)  # X bills reads per post returned (§1.4)
            users = {u["id"]: u.get("username", u["id"]) for u in (page.get("includes") or {}).get("users", [])}
            comments.extend(self._comment(ref, t, users, own) for t in data)
            newest = newest or (page.get("meta") or {}).get("newest_id") or ""
            token = (page.get("meta") or {}).get("next_token") or ""
            if not token:
                return CommentPage(comments, cursor=newest or since or None, cost=cost)
        return CommentPage(comments, cursor=f"{newest}:{since}:{token}", cost=cost)

    def reply(self, comment: CommentRef, text: str, ckpt: Checkpoint) -> ReplyResult:
        if tweet_id := ckpt.get("tweet_id"):
            return ReplyResult(str(tweet_id), self._url(str(tweet_id)))
        resp = self._call(
            lambda: self._client.create_tweet(text=text, in_reply_to_tweet_id=comment.remote_id, user_auth=False)
        )
        tweet_id = str(resp["data"]["id"])
        ckpt.save("tweet_id", tweet_id)
        return ReplyResult(tweet_id, self._url(tweet_id))

    def hide_comment(self, comment: CommentRef) -> None:
        # OAuth 2.0 needs the tweet.moderate.write scope; only replies to the account's own posts can be hidden
        self._call(lambda: self._client.hide_reply(comment.remote_id, user_auth=False), idempotent=True)

    def check(self) -> AccountStatus:
        try:
            self._me(force=True)
        except AuthExpired as exc:
            return AccountStatus(ok=False, detail=exc.message)
        how = "OAuth 1.0a" if self._oauth1 else "OAuth 2.0"
        # OAuth 1.0a tokens never expire; OAuth 2.0 access tokens are refreshed here, refresh tokens have no set expiry
        return AccountStatus(ok=True, detail=f"@{self._username} (id {self._user_id}), {how}")

    # --- media ----------------------------------------------------------------------------------------------------

    def _upload_media(self, media: Sequence[MediaFile], ckpt: Checkpoint) -> list[str]:
        """Media ids for ``media``, uploading what the checkpoint does not already hold.

        An uploaded id is saved before anything can fail after it; one still processing raises ``RetryLater`` at
        X's ``check_after_secs`` (we never sleep), and the next attempt asks STATUS for the same id.
        """
        saved: list[dict[str, Any] | None] = list(ckpt.get("x_media") or [])
        saved += [None] * (len(media) - len(saved))
        now = self._clock().timestamp()
        ids: list[str] = []
        for i, m in enumerate(media):
            entry = saved[i]
            if entry is None or entry.get("sha256") != m.sha256 or entry.get("expires_at", 0) < now + 300:
                entry = saved[i] = self._upload_one(m)
                ckpt.save("x_media", [dict(e) if e else None for e in saved])
                if entry["state"] != "succeeded":
                    raise self._processing_later(entry)
            elif entry["state"] != "succeeded":
                entry = saved[i] = self._media_status(entry)
                ckpt.save("x_media", [dict(e) if e else None for e in saved])
                if entry["state"] != "succeeded":
                    raise self._processing_later(entry)
            ids.append(entry["id"])
        return ids

    def _processing_later(self, entry: dict[str, Any]) -> RetryLater:
        retry_at = self._clock() + timedelta(seconds=max(1, int(entry["check_after_secs"])))
        return RetryLater(
            f"X: media {entry['id']} still processing",
            retry_after=retry_at,
            platform=self.platform,
            account=self.account,
        )

    def _upload_one(self, m: MediaFile) -> dict[str, Any]:
        init = self._media_call(
            "POST",
            f"{MEDIA_URL}/initialize",
            json={"media_type": m.mime, "total_bytes": m.size, "media_category": _media_category(m)},
        )
        media_id = str(init["data"]["id"])
        with m.path.open("rb") as f:
            for index, chunk in enumerate(iter(lambda: f.read(self._media_chunk_size), b"")):
                self._media_call(
                    "POST",
                    f"{MEDIA_URL}/{media_id}/append",
                    files={"media": ("chunk", chunk, "application/octet-stream")},
                    data={"segment_index": str(index)},
                )
        fin = self._media_call("POST", f"{MEDIA_URL}/{media_id}/finalize")["data"]
        ttl = int(fin.get("expires_after_secs") or init["data"].get("expires_after_secs") or 86400)
        entry = {
            "sha256": m.sha256,
            "id": media_id,
            "expires_at": int(self._clock().timestamp()) + ttl,
            "state": "succeeded",
            "check_after_secs": 0,
        }
        return self._processing(entry, fin.get("processing_info"))

    def _media_status(self, entry: dict[str, Any]) -> dict[str, Any]:
        data = self._media_call("GET", MEDIA_URL, params={"command": "STATUS", "media_id": entry["id"]})["data"]
        return self._processing(dict(entry), data.get("processing_info") or {"state": "succeeded"})

    def _processing(self, entry: dict[str, Any], info: dict[str, Any] | None) -> dict[str, Any]:
        if not info:
            return entry
        entry["state"] = info.get("state", "succeeded")
        entry["check_after_secs"] = int(info.get("check_after_secs") or 5)
        if entry["state"] == "failed":
            err = info.get("error") or {}
            raise ContentRejected(
                f"X menolak media: {err.get('message') or err.get('name') or 'pemrosesan gagal'}",
                rule="media_processing",
                platform=self.platform,
                account=self.account,
            )
        return entry

    def _media_call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        # upload steps post nothing by themselves: a retry at worst leaves an unused media id (idempotent)
        for attempt in (1, 2):
            resp = http.request(
                self._session,
                method,
                url,
                idempotent=True,
                timeout=self._timeout,
                platform=self.platform,
                account=self.account,
                **self._prepare(dict(kwargs)),
            )
            if resp.status_code == 401 and attempt == 1 and self._oauth1 is None:
                self._refresh()
                continue
            if not resp.ok:
                self._raise_for(resp)
            return http.json_body(resp)
        raise AssertionError("unreachable")

    # --- auth -----------------------------------------------------------------------------------------------------

    def _prepare(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        headers = dict(kwargs.get("headers") or {})
        headers.pop("Authorization", None)
        if self._oauth1 is not None:
            kwargs["auth"] = self._oauth1
        else:
            headers["Authorization"] = f"Bearer {self._access_token()}"
        kwargs["headers"] = headers
        return kwargs

    def _access_token(self) -> str:
        assert self._store is not None
        token = self._store.get(self.account, KEY_ACCESS)
        expires = self._store.get(self.account, KEY_EXPIRES)
        if token and expires and datetime.fromisoformat(expires) > self._clock() + timedelta(seconds=60):
            return token
        return self._refresh()

    def _refresh(self) -> str:
        """Swap the stored refresh token for a new access token; X rotates refresh tokens, so store the new one."""
        assert self._store is not None and self._client_id is not None
        refresh_token = self._store.get(self.account, KEY_REFRESH)
        if not refresh_token:
            raise AuthExpired(
                f"X account {self.account}: no OAuth 2.0 refresh token stored; authorise it again",
                platform=self.platform,
                account=self.account,
            )
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        auth: tuple[str, str] | None = None
        if self._client_secret:
            auth = (self._client_id, self._client_secret)  # confidential client: HTTP Basic (§1.1)
        else:
            form["client_id"] = self._client_id
        # idempotent=True: a lost refresh answer posts nothing; if X rotated anyway the next refresh gets
        # invalid_request/invalid_grant and the account is paused for re-authorisation
        resp = http.request(
            self._session,
            "POST",
            TOKEN_URL,
            data=form,
            auth=auth,
            idempotent=True,
            timeout=self._timeout,
            platform=self.platform,
            account=self.account,
        )
        if not resp.ok:
            self._raise_for(resp)
        body = http.json_body(resp)
        if new_refresh := body.get("refresh_token"):
            self._store.set(self.account, KEY_REFRESH, new_refresh)
        access = str(body["access_token"])
        expires_at = self._clock() + timedelta(seconds=int(body.get("expires_in") or 7200))
        self._store.set(self.account, KEY_ACCESS, access)
        self._store.set(self.account, KEY_EXPIRES, expires_at.isoformat())
        return access

    def _me(self, force: bool = False) -> str:
        if self._user_id and not force:
            return self._user_id
        data = self._call(lambda: self._client.get_me(user_fields=["username"], user_auth=False), idempotent=True)[
            "data"
        ]
        self._user_id, self._username = str(data["id"]), data.get("username")
        return self._user_id

    # --- helpers --------------------------------------------------------------------------------------------------

    def _call(self, fn: Callable[[], Any], *, idempotent: bool = False) -> Any:
        """Run one tweepy call; with OAuth 2.0 a 401 refreshes the token and retries once (nothing was posted)."""
        for attempt in (1, 2):
            try:
                return fn()
            except tweepy.Unauthorized as exc:
                if attempt == 1 and self._oauth1 is None:
                    self._refresh()
                    continue
                self._raise_for(exc, idempotent=idempotent)
            except (tweepy.HTTPException, requests.RequestException) as exc:
                self._raise_for(exc, idempotent=idempotent)
        raise AssertionError("unreachable")

    def _find_quietly(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult | None:
        try:
            return self.find_published(req, ckpt)
        except PublishError:
            return None

    def _comment(self, ref: PlatformPostRef, t: dict[str, Any], users: dict[str, str], own: str) -> RemoteComment:
        parent = next((r["id"] for r in t.get("referenced_tweets") or [] if r.get("type") == "replied_to"), None)
        author = str(t.get("author_id") or "")
        created = t.get("created_at")
        return RemoteComment(
            remote_id=str(t["id"]),
            post_remote_id=ref.remote_id,
            text=html.unescape(t.get("text", "")),
            author_handle=users.get(author, author),
            created_at=datetime.fromisoformat(created) if created else snowflake_time(t["id"]),
            author_id=author or None,
            parent_remote_id=None if parent in (None, ref.remote_id) else str(parent),
            is_own=author == own,
        )

    def _url(self, tweet_id: str) -> str:
        return f"https://x.com/{self._username or 'i'}/status/{tweet_id}"

    def _result(self, tweet_id: str) -> PublishResult:
        return PublishResult(tweet_id, self._url(tweet_id), published_at=snowflake_time(tweet_id))

    def _raise_for(
        self,
        failure: tweepy.HTTPException | requests.Response | requests.RequestException,
        *,
        idempotent: bool = False,
    ) -> NoReturn:
        """The one place X failures become humas errors (§1.4); raised from ``failure`` when it is an exception."""
        if isinstance(failure, requests.RequestException):
            raise http.transport_error(
                failure, idempotent=idempotent, platform=self.platform, account=self.account
            ) from failure
        resp = failure.response if isinstance(failure, tweepy.HTTPException) else failure
        cause = failure if isinstance(failure, BaseException) else None
        status = resp.status_code
        body = http.json_body(resp)
        detail = _message(body) or resp.reason or f"HTTP {status}"
        lowered = f"{detail} {body.get('type', '')} {body.get('reason', '')}".lower()
        err: PublishError
        if isinstance(body.get("error"), str) and status in (400, 401):
            # OAuth token endpoint: invalid_grant / invalid_request ("token was invalid") / invalid_client
            err = AuthExpired(f"X: OAuth 2.0 refresh refused ({body['error']}); authorise the account again")
        elif status == 401:
            err = AuthExpired(f"X: credentials refused ({detail})")
        elif status == 403 and "duplicate" in lowered:
            err = AlreadyPublished(f"X: {detail}")
        elif status == 403 and any(k in lowered for k in ACCOUNT_403):
            err = AuthExpired(f"X: account or app cannot post ({detail})")
        elif status in (402, 403) and "credit" in lowered:
            err = QuotaExhausted(f"X: API credits exhausted ({detail})")
        elif status == 403:
            err = ContentRejected(f"X menolak: {detail}", rule="forbidden")
        elif status == 429:
            err = RateLimited(f"X: rate limit reached ({detail})", reset_at=self._reset_at(resp))
        elif status >= 500:
            err = PlatformUnavailable(f"X: server error {status} ({detail})")
        elif status == 404:
            err = ContentRejected(f"X: tidak ditemukan ({detail})", rule="not_found")
        else:
            err = ContentRejected(f"X menolak: {detail}", rule="invalid")
        err.platform, err.account = self.platform, self.account
        raise err from cause

    def _reset_at(self, resp: requests.Response) -> datetime:
        """When to retry a 429: the latest reset among exhausted 24-hour limits, else the 15-minute window."""
        h = resp.headers
        resets = [
            int(h[f"{p}-reset"])
            for p in ("x-user-limit-24hour", "x-app-limit-24hour")
            if h.get(f"{p}-remaining") == "0" and h.get(f"{p}-reset", "").isdigit()
        ]
        if not resets and h.get("x-rate-limit-reset", "").isdigit():
            resets.append(int(h["x-rate-limit-reset"]))
        if not resets:
            return self._clock() + timedelta(minutes=15)
        return datetime.fromtimestamp(max(resets), tz=UTC)


def _message(body: dict[str, Any]) -> str:
    msgs = [str(e.get("message") or e.get("detail")) for e in body.get("errors") or [] if isinstance(e, dict)]
    msgs = [m for m in msgs if m and m != "None"]
    if msgs:
        return "; ".join(msgs)
    return str(body.get("detail") or body.get("error_description") or body.get("title") or "")
