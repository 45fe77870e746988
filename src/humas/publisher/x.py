"""X (Twitter) API v2 adapter: tweepy ``Client`` for posts/search/hide, our own v2 media upload (:mod:`.x_media`).

Hosts (platform-apis.md §1.1, §6): tweepy hard-codes ``https://api.twitter.com``; the media upload and the OAuth 2.0
token endpoint use ``https://api.x.com`` (the host of X's current v2 docs). Both are served. An account's
``options.api_base`` replaces both: every call, tweepy's included, then goes to that host.

Auth (:mod:`.x_auth`): OAuth 1.0a user context when the four consumer/access keys are given (tokens never expire);
otherwise OAuth 2.0 user context whose rotating tokens live in the :class:`SecretStore`. Either way the credentials are
applied by our session wrapper at request time, never handed to tweepy: tweepy logs request headers at DEBUG level
(§9 of style.md), and a refreshed token is used without rebuilding the client. tweepy is always called with
``user_auth=False``.
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

from humas.errors import (
    AlreadyPublished,
    AuthExpired,
    ContentRejected,
    PlatformUnavailable,
    PublishError,
    QuotaExhausted,
    RateLimited,
)
from humas.publisher import http
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
    SecretStore,
    check_limits,
    count_or_none,
)
from humas.publisher.limits import LIMITS
from humas.publisher.x_auth import KEY_ACCESS as KEY_ACCESS
from humas.publisher.x_auth import KEY_EXPIRES as KEY_EXPIRES
from humas.publisher.x_auth import KEY_REFRESH as KEY_REFRESH
from humas.publisher.x_auth import TOKEN_PATH, XAuth
from humas.publisher.x_auth import TOKEN_URL as TOKEN_URL
from humas.publisher.x_media import MEDIA_PATH, MediaUploader, MiB
from humas.publisher.x_media import MEDIA_URL as MEDIA_URL

API = "https://api.x.com"
TWEEPY_HOST = "https://api.twitter.com"  # hard-coded in tweepy.Client.request

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
# A 403 on a reply that is none of the above: since early 2026 some API plans let an account reply only where it
# was mentioned or quoted (reported by developers, not in X's docs). It is this reply's problem, not the account's.
REPLY_RESTRICTED = (
    "X menolak balasan ini (403): pada sebagian paket API, akun hanya boleh membalas jika disebut (mention) atau "
    "dikutip di percakapan itu. Balas secara manual lewat aplikasi X."
)
# X's 403 for a reply to a post deleted (or hidden from the account) since it was collected: no answer is possible
REPLY_TARGET_GONE = "X menolak balasan ini (403): komentar yang dibalas sudah dihapus atau tidak terlihat lagi."
MEDIA_WRITE_MISSING = (
    "X menolak unggahan media (403): token akun tidak punya izin media.write. Admin perlu mengotorisasi ulang akun "
    "ini dengan scope media.write."
)
_URL = re.compile(r"https?://\S+")
_SNOWFLAKE_EPOCH_MS = 1288834974657


def snowflake_time(post_id: str | int) -> datetime:
    """When an X id was minted (ids are Twitter snowflakes)."""
    return datetime.fromtimestamp(((int(post_id) >> 22) + _SNOWFLAKE_EPOCH_MS) / 1000, tz=UTC)


def normalise_text(text: str) -> str:
    """Text as compared by :meth:`XAdapter.find_published`: X escapes ``& < >``, rewrites URLs to t.co, appends
    a t.co link for attached media and may change whitespace; so: unescape, drop URLs, collapse whitespace, NFC."""
    return " ".join(_drop_urls(unicodedata.normalize("NFC", html.unescape(text))).split())


def _drop_urls(text: str) -> str:
    """``text`` without the URLs X links: twitter-text's, so a bare ``kota.go.id`` (which X turns into a t.co link
    just like ``https://…``, §1.5) goes too; without twitter-text only ``http(s)://`` ones."""
    try:
        from twitter_text import extract_urls_with_indices  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - a dependency of humas
        return _URL.sub(" ", text)
    kept, last = [], 0
    for found in extract_urls_with_indices(text):
        start, end = found["indices"]
        kept.append(text[last:start])
        last = end
    return " ".join([*kept, text[last:]])


def compose_text(draft: PostDraft) -> str:
    """What is posted: the text, plus the link on its own line when the text does not already contain it."""
    if draft.link and draft.link not in draft.text:
        return f"{draft.text.rstrip()}\n{draft.link}"
    return draft.text


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
        api_base: str | None = None,
    ) -> None:
        """``api_base``: the account's ``options.api_base`` (a fake or proxy X API host); ``None``: X's hosts."""
        self.account = account
        self._api_base = api_base.rstrip("/") if api_base else None
        host = self._api_base or API
        self._clock = clock
        self._timeout = timeout
        self._session = session if session is not None else requests.Session()
        self._user_id = user_id
        self._username: str | None = None
        self._auth = XAuth(
            account,
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            access_token=access_token,
            access_token_secret=access_token_secret,
            client_id=client_id,
            client_secret=client_secret,
            secret_store=secret_store,
            clock=clock,
            post=lambda url, **kwargs: self._json(self._request("POST", url, **kwargs)),
            platform=self.platform,
            token_url=f"{host}{TOKEN_PATH}",
        )
        # bearer_token is a placeholder: XAuth.apply() replaces the header with the real credentials on every call
        self._client = tweepy.Client(bearer_token="set-per-request", return_type=dict, wait_on_rate_limit=False)
        self._client.session = http.DefaultTimeout(
            self._session, timeout, prepare=self._auth.apply, rewrite_url=self._rewrite if self._api_base else None
        )
        self._media = MediaUploader(
            self._media_call,
            chunk_size=media_chunk_size,
            clock=clock,
            platform=self.platform,
            account=account,
            media_url=f"{host}{MEDIA_PATH}",
        )

    def __repr__(self) -> str:
        return f"XAdapter(account={self.account!r}, auth={'oauth1' if self._auth.oauth1 else 'oauth2'!r})"

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
        media_ids = self._media.media_ids(req.draft.media, ckpt)
        try:
            tweet_id = self._post(ckpt, text=compose_text(req.draft), media_ids=media_ids or None)
        except AlreadyPublished as exc:
            found = self._find_quietly(req, ckpt)
            raise AlreadyPublished(
                exc.message,
                remote_id=found.remote_id if found else None,
                remote_url=found.remote_url if found else None,
                platform=self.platform,
                account=self.account,
            ) from exc
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
        if tweet_id := ckpt.get("reply_id") or ckpt.get("tweet_id"):  # tweet_id: saved by an older humas
            return ReplyResult(str(tweet_id), self._url(str(tweet_id)))
        tweet_id = self._post(ckpt, context="reply", text=text, in_reply_to_tweet_id=comment.remote_id)
        return ReplyResult(tweet_id, self._url(tweet_id))

    def hide_comment(self, comment: CommentRef) -> None:
        # OAuth 2.0 needs the tweet.moderate.write scope; only replies to the account's own posts can be hidden
        self._call(lambda: self._client.hide_reply(comment.remote_id, user_auth=False), idempotent=True)

    # --- engagement -----------------------------------------------------------------------------------------------

    engagement_batch: ClassVar[int] = 100  # GET /2/tweets takes up to 100 ids

    def engagement_cost(self, count: int) -> int:
        return count  # X bills reads per post returned (§1.4)

    def engagement(self, remote_ids: Sequence[str]) -> dict[str, Engagement]:
        """``GET /2/tweets?ids=…&tweet.fields=public_metrics`` for up to 100 posts in one call: likes, replies as
        comments, retweets + quotes as shares, impressions as views (X gives no reach). A deleted post comes back
        in ``errors`` and is left out."""
        ids = list(remote_ids)[: self.engagement_batch]
        if not ids:
            return {}
        page = self._call(
            partial(self._client.get_tweets, ids, tweet_fields=["public_metrics"], user_auth=False), idempotent=True
        )
        now = self._clock()
        out: dict[str, Engagement] = {}
        for t in page.get("data") or []:
            m = t.get("public_metrics") if isinstance(t, dict) else None
            if not isinstance(m, dict) or not t.get("id"):
                continue
            retweets, quotes = count_or_none(m.get("retweet_count")), count_or_none(m.get("quote_count"))
            out[str(t["id"])] = Engagement(
                fetched_at=now,
                likes=count_or_none(m.get("like_count")),
                comments=count_or_none(m.get("reply_count")),
                shares=None if retweets is None and quotes is None else (retweets or 0) + (quotes or 0),
                views=count_or_none(m.get("impression_count")),
            )
        return out

    def check(self) -> AccountStatus:
        try:
            self._me(force=True)
        except AuthExpired as exc:
            return AccountStatus(ok=False, detail=exc.message)
        how = "OAuth 1.0a" if self._auth.oauth1 else "OAuth 2.0"
        # OAuth 1.0a tokens never expire; OAuth 2.0 access tokens are refreshed here, refresh tokens have no set expiry
        return AccountStatus(ok=True, detail=f"@{self._username} (id {self._user_id}), {how}")

    def _me(self, force: bool = False) -> str:
        if self._user_id and not force:
            return self._user_id
        data = self._call(lambda: self._client.get_me(user_fields=["username"], user_auth=False), idempotent=True)[
            "data"
        ]
        self._user_id, self._username = str(data["id"]), data.get("username")
        return self._user_id

    # --- transport ------------------------------------------------------------------------------------------------

    def _call(self, fn: Callable[[], Any], *, idempotent: bool = False, context: str = "") -> Any:
        """Run one tweepy call; with OAuth 2.0 a 401 refreshes the token and retries once (nothing was posted).
        ``context`` ("reply") tells :meth:`_raise_for` what the call was."""
        for attempt in (1, 2):
            try:
                return fn()
            except tweepy.Unauthorized as exc:
                if attempt == 1 and self._auth.oauth1 is None:
                    self._auth.refresh()
                    continue
                self._raise_for(exc, idempotent=idempotent, context=context)
            except (tweepy.HTTPException, requests.RequestException) as exc:
                self._raise_for(exc, idempotent=idempotent, context=context)
        raise AssertionError("unreachable")

    def _rewrite(self, url: str) -> str:
        """tweepy's hard-coded host replaced by the account's ``api_base``."""
        assert self._api_base is not None
        return self._api_base + url[len(TWEEPY_HOST) :] if url.startswith(TWEEPY_HOST) else url

    def _media_call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """One media upload step, authorised; with OAuth 2.0 a 401 refreshes the token and retries once."""
        for attempt in (1, 2):
            resp = self._request(method, url, **self._auth.apply(dict(kwargs)))
            if resp.status_code == 401 and attempt == 1 and self._auth.oauth1 is None:
                self._auth.refresh()
                continue
            return self._json(resp, context="media")
        raise AssertionError("unreachable")

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        # token refresh and upload steps post nothing by themselves (a retried upload step at worst leaves an unused
        # media id), so a lost answer is a NetworkError, never OutcomeUnknown
        return http.request(
            self._session,
            method,
            url,
            idempotent=True,
            timeout=self._timeout,
            platform=self.platform,
            account=self.account,
            **kwargs,
        )

    def _json(self, resp: requests.Response, *, context: str = "") -> dict[str, Any]:
        if not resp.ok:
            self._raise_for(resp, context=context)
        return http.json_body(resp)

    # --- helpers --------------------------------------------------------------------------------------------------

    def _post(self, ckpt: Checkpoint, *, context: str = "", **fields: Any) -> str:
        """Create a post (not idempotent: never retried) and checkpoint its id before anything else can fail."""
        resp = self._call(lambda: self._client.create_tweet(**fields, user_auth=False), context=context)
        tweet_id = str(resp["data"]["id"])
        # a reply's id under the key the dispatcher resolves a reply in doubt by (queue/dispatcher.py)
        ckpt.save("reply_id" if context == "reply" else "tweet_id", tweet_id)
        return tweet_id

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
        context: str = "",
    ) -> NoReturn:
        """The one place X failures become humas errors (§1.4); raised from ``failure`` when it is an exception.

        ``context``: "reply" (a 403 keeps the case open for a manual answer) or "media" (a 403 on an upload step
        is the token's missing ``media.write`` scope: the account is paused for re-authorisation)."""
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
        elif status == 403 and context == "media":
            err = AuthExpired(f"{MEDIA_WRITE_MISSING} ({detail})")
        elif status == 403 and context == "reply" and "deleted or not visible" in lowered:
            err = ContentRejected(f"{REPLY_TARGET_GONE} ({detail})", rule="not_found")
        elif status == 403 and context == "reply":
            err = ContentRejected(f"{REPLY_RESTRICTED} ({detail})", rule="reply_restricted")
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
