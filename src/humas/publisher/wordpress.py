"""The office website: a WordPress site over its REST API with an application password (``platform-apis.md`` §8).

A post is an article: each photo or video goes to the media library first (``POST /wp/v2/media``, the file as the
body with ``Content-Disposition``), then ``POST /wp/v2/posts`` with the first photo as the featured image, the
others inside the article, and the account's categories and tags. Comments are read from ``/wp/v2/comments``,
replies are child comments (``parent``) and hiding a comment puts it back in moderation (status ``hold``).

WordPress has no idempotency key: every article carries an invisible marker (an HTML comment derived from the job's
key and the draft), and ``find_published`` searches the site's posts for it.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, NoReturn
from urllib.parse import quote, urlsplit

import requests

from humas.errors import (
    AlreadyPublished,
    AuthExpired,
    ConfigError,
    ContentRejected,
    OutcomeUnknown,
    PlatformUnavailable,
    PublishError,
    RateLimited,
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
    check_limits,
    count_or_none,
    hashtags,
    reject_if_invalid,
)
from humas.publisher.graph import Clock, mask
from humas.publisher.http import utcnow
from humas.publisher.limits import LIMITS

REST_PATH = "/wp-json/wp/v2"
UNKNOWN_AUTHOR = "(tidak diketahui)"
PER_PAGE = 100  # the most WordPress serves per page
FIND_PAGES = 3
# Where the answer says nothing (a host's firewall answering 429 without Retry-After).
RATE_LIMIT_BACKOFF = timedelta(minutes=10)
COMMENT_FLOOD_BACKOFF = timedelta(minutes=1)  # WordPress refuses a second comment within 15 s
# The statuses find_published looks through: wherever options.status put the article.
FIND_STATUSES = "publish,future,draft,pending,private"
# 400/403/404 codes that mean "the post or comment is not there (any more)": stop polling, fail the reply.
GONE_CODES = frozenset({"rest_post_invalid_id", "rest_comment_invalid_id", "rest_comment_invalid_post_id",
                        "rest_comment_invalid_parent"})
# 403 codes about the target, not the account's rights.
CONTENT_403 = {"rest_comment_trash_post": "deleted", "rest_comment_closed": "comments_closed",
               "rest_comment_draft_post": "post_not_public"}


class PermissionMissing(AuthExpired):
    """The WordPress user may not do this (its role lacks a capability); an admin must change the role. The account
    is paused like for expired credentials."""


@dataclass(frozen=True)
class _Uploaded:
    id: int
    url: str
    mime: str


def rest_base(api_base: str) -> str:
    """``<site root>/wp-json/wp/v2`` for an account's ``options.api_base``; ``ConfigError`` for plain HTTP to another
    machine (the application password goes with every request)."""
    root = api_base.strip().rstrip("/")
    parts = urlsplit(root)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"options.api_base: not an http(s) URL: {api_base!r}")
    if parts.scheme == "http" and not (host in ("localhost", "::1") or host.startswith("127.")):
        raise ConfigError(f"options.api_base: use https:// (the application password is sent with every request): "
                          f"{api_base!r}")
    return f"{root}{REST_PATH}"


def marker(req: PublishRequest) -> str:
    """The token written into the article (as an HTML comment) that ``find_published`` searches for.

    Derived from the job's key *and* the draft, so a second humas database numbering its content from 1 again never
    mistakes an older article on the same site for its own.
    """
    seed = f"{req.idempotency_key}\n{req.draft.title}\n{req.draft.text}"
    return "humas-" + hashlib.sha256(seed.encode()).hexdigest()[:16]


def article_html(draft: PostDraft, extra_media: Sequence[_Uploaded], token: str) -> str:
    """The article body: the text as paragraphs (escaped: it is plain text), the link, the photos and videos after
    the featured one, and the marker."""
    parts = []
    for para in re.split(r"\n\s*\n", draft.text.strip()):
        if para.strip():
            parts.append("<p>" + "<br />\n".join(html.escape(line.strip(), quote=False)
                                                  for line in para.strip().splitlines()) + "</p>")
    if draft.link and draft.link not in draft.text:
        link = html.escape(draft.link)
        parts.append(f'<p><a href="{link}">{link}</a></p>')
    for m in extra_media:
        src = html.escape(m.url)
        if m.mime.startswith("video/"):
            parts.append(f'<figure class="wp-block-video"><video controls src="{src}"></video></figure>')
        else:
            parts.append(f'<figure class="wp-block-image"><img src="{src}" alt="" /></figure>')
    parts.append(f"<!-- {token} -->")
    return "\n\n".join(parts)


def title_of(draft: PostDraft) -> str:
    if draft.title.strip():
        return draft.title.strip()
    first = next((line.strip() for line in draft.text.splitlines() if line.strip()), "")
    return first if len(first) <= 100 else first[:99].rstrip() + "…"


def plain_text(rendered: str) -> str:
    """A rendered comment (``<p>…<br />…</p>``) as the text its author wrote."""
    text = re.sub(r"<br\s*/?>\s*", "\n", rendered, flags=re.I)
    text = re.sub(r"</p>\s*", "\n\n", text, flags=re.I)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text).strip()


def parse_gmt(value: Any) -> datetime | None:
    """WordPress ``date_gmt``: ``2026-11-20T10:00:00`` (UTC, no offset written)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def split_terms(value: str | None) -> list[str]:
    """``options.categories`` / ``options.tags``: comma-separated names, slugs or numeric ids."""
    return [t.strip() for t in (value or "").split(",") if t.strip()]


def _retry_after(resp: requests.Response, now: datetime) -> datetime | None:
    raw = resp.headers.get("Retry-After")
    if not raw:
        return None
    if raw.strip().isdigit():
        return now + timedelta(seconds=int(raw.strip()))
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def _clean(message: str) -> str:
    """WordPress messages carry HTML (``<strong>Error:</strong> …``): as one line of text."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", message)).split())


def _raise_for(resp: requests.Response, now: datetime, *, platform: str, account: str) -> NoReturn:
    """Translate one failed WordPress answer (the ``{code, message, data: {status}}`` envelope, or a web server's
    page) into a humas error. The only place that looks at statuses and codes; named after what the caller does."""
    status = resp.status_code
    body = http.json_body(resp)
    code = str(body.get("code") or "") if isinstance(body.get("code"), str) else ""
    text = _clean(str(body.get("message") or "")) if code else ""
    msg = f"{platform}: {text} ({code}, HTTP {status})" if code else f"{platform}: HTTP {status}"
    kw = {"platform": platform, "account": account}
    if 300 <= status < 400:
        where = resp.headers.get("Location", "")
        raise AuthExpired(f"{msg}: the site redirects to {where or 'another address'}; set options.api_base to the "
                          "site's address as it answers (https, with or without www)", **kw)
    if status == 429:
        raise RateLimited(msg, reset_at=_retry_after(resp, now) or now + RATE_LIMIT_BACKOFF, **kw)
    if code == "comment_flood":
        raise RateLimited(msg, reset_at=now + COMMENT_FLOOD_BACKOFF, **kw)
    if code == "comment_duplicate":  # 409: the same reply by the same user already stands under the post
        raise AlreadyPublished(msg, **kw)
    if status == 401 or code.startswith("application_passwords_disabled"):
        # incorrect_password, invalid_username, rest_not_logged_in; or a server that drops the Authorization header
        raise AuthExpired(f"{msg}; check options.username and the application password (Users > Profile > "
                          "Application Passwords) and that the server passes the Authorization header", **kw)
    if code in GONE_CODES:
        raise ContentRejected(msg, rule="not_found", **kw)
    if code in CONTENT_403:
        raise ContentRejected(msg, rule=CONTENT_403[code], **kw)
    if code.startswith(("rest_cannot_", "rest_forbidden")) or (status == 403 and not code.startswith("rest_upload")):
        # rest_cannot_create / _publish / _assign_term / _edit, rest_forbidden(_param/_status/_context); a firewall's
        # bare 403 too: nobody but an admin can lift it, so the account waits for one
        raise PermissionMissing(f"{msg}; the WordPress user needs a role that may do this (Editor for publishing "
                                "and moderating comments)", **kw)
    if code == "rest_no_route" or (status == 404 and not code):
        raise AuthExpired(f"{msg}; no WordPress REST API at options.api_base (check the address; the site needs "
                          "pretty permalinks and its REST API enabled)", **kw)
    if code.startswith("rest_upload_") and code != "rest_upload_unknown_error":
        # the site refuses this file (type, size, space): rest_upload_sideload_error comes with HTTP 500
        raise ContentRejected(msg, rule=code.removeprefix("rest_"), **kw)
    if status == 413:
        raise ContentRejected(msg, rule="file_too_big", **kw)
    if status >= 500:
        raise PlatformUnavailable(msg, retry_after=_retry_after(resp, now), **kw)
    if status == 404:
        raise ContentRejected(msg, rule="not_found", **kw)
    # rest_invalid_param, rest_missing_callback_param, empty_content, rest_invalid_featured_media, …: this request
    # or its content; back to its editor, never a pause
    raise ContentRejected(msg, rule=code or f"http_{status}", **kw)


class WordPressClient:
    """One site's REST API (``<api_base>/wp-json/wp/v2``) as one user with an application password (HTTP Basic).

    Redirects are never followed: requests would turn a redirected POST into a GET (a post "created" as a list of
    posts) and drop the password on another host; a redirect is reported so the admin fixes ``api_base``.
    """

    def __init__(self, api_base: str, username: str, application_password: str, *, platform: str, account: str,
                 session: requests.Session | None = None, clock: Clock = utcnow, timeout: float = 30) -> None:
        self.base_url = rest_base(api_base)
        self._auth = (username, application_password)
        self.platform = platform
        self.account = account
        self.session = session or requests.Session()
        self.clock = clock
        self.timeout = timeout
        self.calls = 0

    def __repr__(self) -> str:
        return (f"WordPressClient(url={self.base_url!r}, user={self._auth[0]!r}, "
                f"password={mask(self._auth[1])!r})")

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[Any, requests.Response]:
        """The decoded JSON (an object or a list) and the response (for ``X-WP-Total(Pages)``)."""
        return self._send("GET", path, params=dict(params or {}), idempotent=True)

    def post(self, path: str, body: Mapping[str, Any], *, idempotent: bool = False) -> dict[str, Any]:
        data, _ = self._send("POST", path, json=dict(body), idempotent=idempotent)
        return self._object(data, "POST", path, idempotent)

    def upload(self, media: MediaFile) -> dict[str, Any]:
        """One file into the media library, sent as the body with its name in ``Content-Disposition``."""
        name = media.path.name
        ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
        headers = {"Content-Type": media.mime,
                   "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"}
        with media.path.open("rb") as fh:
            # A repeated upload leaves at most an unattached file in the media library, never a second article:
            # safe to retry, so a lost answer is a retry rather than an in-doubt post.
            data, _ = self._send("POST", "media", data=fh, headers=headers, idempotent=True)
        return self._object(data, "POST", "media", True)

    def _object(self, data: Any, method: str, path: str, idempotent: bool) -> dict[str, Any]:
        if isinstance(data, dict):
            return data
        # A 2xx that is not a WordPress object (a cache or security plugin's page): a write may have gone through.
        err = PlatformUnavailable if idempotent else OutcomeUnknown
        raise err(f"{self.platform}: unexpected answer to {method} /{path}", platform=self.platform,
                  account=self.account)

    def _send(self, method: str, path: str, *, idempotent: bool, **kwargs: Any) -> tuple[Any, requests.Response]:
        self.calls += 1
        resp = http.request(self.session, method, f"{self.base_url}/{path.lstrip('/')}", timeout=self.timeout,
                            idempotent=idempotent, platform=self.platform, account=self.account, auth=self._auth,
                            allow_redirects=False, **kwargs)
        if resp.status_code >= 300:
            _raise_for(resp, self.clock(), platform=self.platform, account=self.account)
        try:
            data: Any = resp.json()
        except ValueError:
            data = None
        if method == "GET" and not isinstance(data, dict | list):
            raise PlatformUnavailable(f"{self.platform}: unexpected answer to GET /{path}", platform=self.platform,
                                      account=self.account)
        return data, resp


class WordPressAdapter:
    """One WordPress site as one user (an Author may publish; hiding comments needs an Editor).

    Categories and tags: ``categories`` and ``tags`` (the account's ``options``, comma-separated names, slugs or
    ids) go on every article; a configured name the site does not have pauses the account (an admin fixes the
    option). Each hashtag in the text also becomes a tag when the site already has that tag; humas never creates
    tags, so the site's vocabulary stays the webmaster's. ``status`` is what the article becomes: ``publish``
    (default), or ``draft``/``pending``/``private`` for sites where the webmaster publishes.
    """

    platform: ClassVar[Platform] = Platform.WORDPRESS
    limits: ClassVar[PlatformLimits] = LIMITS[Platform.WORDPRESS]

    def __init__(
        self,
        account: str,
        *,
        api_base: str,
        username: str,
        application_password: str,
        categories: str | None = None,
        tags: str | None = None,
        status: str = "publish",
        session: requests.Session | None = None,
        clock: Clock = utcnow,
        timeout: float = 30,
    ) -> None:
        self.account = account
        self.username = username
        self.clock = clock
        self.status = status
        self.category_names = split_terms(categories)
        self.tag_names = split_terms(tags)
        self.wp = WordPressClient(api_base, username, application_password, platform=self.platform.value,
                                  account=account, session=session, clock=clock, timeout=timeout)
        self._me: dict[str, Any] | None = None
        self._configured: tuple[list[int], list[int]] | None = None
        self._tag_cache: dict[str, int | None] = {}

    def __repr__(self) -> str:
        return f"WordPressAdapter(account={self.account!r}, site={self.wp.base_url!r}, user={self.username!r})"

    # --- validate -------------------------------------------------------------------------------------------

    def validate(self, draft: PostDraft) -> list[Problem]:
        problems = check_limits(self.limits, draft, "WordPress")
        if not draft.title.strip() and not draft.text.strip():
            problems.append(Problem("empty", "WordPress: artikel tanpa judul dan tanpa isi"))
        return problems

    # --- publish --------------------------------------------------------------------------------------------

    def publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        done = ckpt.get("post_id")
        if done:
            return PublishResult(str(done), ckpt.get("post_url"))
        reject_if_invalid(self.validate(req.draft), **self._kw())
        categories, tags = self._terms_for(req.draft)
        uploaded = self._upload(req.draft.media, ckpt)
        featured = next((u for u in uploaded if u.mime.startswith("image/")), None)
        body: dict[str, Any] = {
            "title": title_of(req.draft),
            "content": article_html(req.draft, [u for u in uploaded if u is not featured], marker(req)),
            "status": self.status,
        }
        if featured is not None:
            body["featured_media"] = featured.id
        if categories:
            body["categories"] = categories
        if tags:
            body["tags"] = tags
        if ckpt.get("sent_at") is None:
            ckpt.save("sent_at", self.clock().isoformat())
        post = self.wp.post("posts", body)
        return self._done(post, ckpt)

    def _done(self, post: Mapping[str, Any], ckpt: Checkpoint) -> PublishResult:
        post_id = str(post.get("id") or "")
        if not post_id:
            raise OutcomeUnknown(f"{self.platform.value}: the site answered without a post id", **self._kw())
        url = str(post.get("link") or "") or None
        ckpt.save("post_id", post_id)
        ckpt.save("post_url", url)
        return PublishResult(post_id, url, parse_gmt(post.get("date_gmt")))

    def _upload(self, media: Sequence[MediaFile], ckpt: Checkpoint) -> list[_Uploaded]:
        # Each file's media id is saved as soon as it exists, so a retry attaches it instead of uploading again.
        done: list[dict[str, Any]] = list(ckpt.get("media") or [])
        for m in list(media)[len(done):]:
            item = self.wp.upload(m)
            if not item.get("id"):
                raise PlatformUnavailable(f"{self.platform.value}: media upload answered without an id",
                                          platform=self.platform.value, account=self.account)
            done.append({"id": int(item["id"]), "url": str(item.get("source_url") or item.get("link") or ""),
                         "mime": str(item.get("mime_type") or m.mime)})
            ckpt.save("media", list(done))
        return [_Uploaded(int(d["id"]), str(d["url"]), str(d["mime"])) for d in done]

    # --- categories and tags --------------------------------------------------------------------------------

    def _terms_for(self, draft: PostDraft) -> tuple[list[int], list[int]]:
        categories, tags = self._configured_terms()
        extra = [t for t in (self._hashtag(h) for h in hashtags(draft.text)) if t is not None]
        return categories, list(dict.fromkeys([*tags, *extra]))

    def _configured_terms(self) -> tuple[list[int], list[int]]:
        if self._configured is None:
            self._configured = (self._resolve("categories", self.category_names),
                                self._resolve("tags", self.tag_names))
        return self._configured

    def _resolve(self, taxonomy: str, names: Iterable[str]) -> list[int]:
        ids = []
        for name in names:
            found = int(name) if name.isdigit() else self._find_term(taxonomy, name)
            if found is None:
                what = "kategori" if taxonomy == "categories" else "tag"
                raise AuthExpired(f"{self.platform.value}: {what} '{name}' tidak ada di situs; perbaiki "
                                  f"options.{taxonomy} akun {self.account}", **self._kw())
            ids.append(found)
        return ids

    def _hashtag(self, tag: str) -> int | None:
        name = tag.lstrip("#")
        key = name.casefold()
        if key not in self._tag_cache:
            self._tag_cache[key] = self._find_term("tags", name)
        return self._tag_cache[key]

    def _find_term(self, taxonomy: str, name: str) -> int | None:
        """The id of the term whose name or slug is ``name`` (case-insensitive); None when the site has none."""
        items, _ = self.wp.get(taxonomy, {"search": name, "per_page": PER_PAGE, "_fields": "id,name,slug"})
        want = name.casefold()
        slug = re.sub(r"[^\w]+", "-", want).strip("-")
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            if html.unescape(str(item.get("name") or "")).casefold() == want or str(item.get("slug")) in (want, slug):
                return int(item["id"])
        return None

    # --- find_published -------------------------------------------------------------------------------------

    def find_published(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult | None:
        """Search the site's posts (every status the account may have used) for this request's marker."""
        done = ckpt.get("post_id")
        if done:
            return PublishResult(str(done), ckpt.get("post_url"))
        token = marker(req)
        params = {"search": token, "status": FIND_STATUSES, "context": "edit", "per_page": 20,
                  "_fields": "id,link,date_gmt,content"}
        for page in range(1, FIND_PAGES + 1):
            items, resp = self.wp.get("posts", {**params, "page": page})
            for post in items if isinstance(items, list) else []:
                content = post.get("content") if isinstance(post, dict) else None
                raw = content.get("raw") or content.get("rendered") if isinstance(content, dict) else None
                # the site searched for the token; a content field, when present, must really hold it
                if isinstance(post, dict) and post.get("id") and (raw is None or token in str(raw)):
                    return self._done(post, ckpt)
            if page >= _int(resp.headers.get("X-WP-TotalPages"), 1):
                break
        return None

    # --- comments -------------------------------------------------------------------------------------------

    def fetch_comments(self, ref: PlatformPostRef, cursor: str | None) -> CommentPage:
        """Comments after ``cursor``, newest first, one page (100) per call.

        WordPress cannot list "comments after id N", so a poll walks down from the newest until it reaches the
        newest comment the last poll saw. The cursor is JSON ``{"seen": <newest id seen>}``, and in the middle of
        a walk also ``{"top": <newest id of this walk>, "page": <next page>}``. Comments waiting for moderation
        (status ``hold``) are collected too (``status=all``, which needs an account that may edit posts); they are
        not reported as hidden, since WordPress cannot tell them from comments a moderator unapproved.
        A deleted or trashed post raises ``ContentRejected(rule="not_found" | "deleted")``: stop polling it.
        """
        state = _load_cursor(cursor)
        seen, top, page = int(state.get("seen") or 0), int(state.get("top") or 0), int(state.get("page") or 1)
        calls = self.wp.calls
        me = self._my_id()
        params = {"post": ref.remote_id, "status": "all", "orderby": "id", "order": "desc", "per_page": PER_PAGE,
                  "page": page}
        items, resp = self.wp.get("comments", params)
        rows = [i for i in items if isinstance(i, dict) and _int(i.get("id"), 0) > 0] \
            if isinstance(items, list) else []
        if not rows and page == 1 and _int(resp.headers.get("X-WP-Total"), 0) == 0:
            self._post_exists(ref.remote_id)  # WordPress lists nothing, not an error, for a deleted post
        new = [c for c in (self._comment(ref.remote_id, i, me) for i in rows if _int(i.get("id"), 0) > seen)
               if c is not None]
        top = max([top, *(_int(i.get("id"), 0) for i in rows)])
        reached = any(_int(i.get("id"), 0) <= seen for i in rows)
        last_page = page >= _int(resp.headers.get("X-WP-TotalPages"), 1)
        if reached or last_page or not rows:
            state = {"seen": max(seen, top)} if max(seen, top) else {}
        else:
            state = {"seen": seen, "top": top, "page": page + 1}
        new.sort(key=lambda c: int(c.remote_id))
        return CommentPage(new, json.dumps(state) if state else None, cost=self.wp.calls - calls)

    def _post_exists(self, post_id: str) -> None:
        post, _ = self.wp.get(f"posts/{post_id}", {"context": "edit", "_fields": "id,status"})
        if isinstance(post, dict) and post.get("status") == "trash":
            raise ContentRejected(f"{self.platform.value}: post {post_id} is in the trash", rule="deleted",
                                  **self._kw())

    def _comment(self, post_id: str, item: Mapping[str, Any], me: int | None) -> RemoteComment | None:
        created = parse_gmt(item.get("date_gmt"))
        if created is None:
            return None
        content = item.get("content")
        rendered = content.get("rendered") if isinstance(content, dict) else None
        author = _int(item.get("author"), 0)
        parent = _int(item.get("parent"), 0)
        return RemoteComment(
            remote_id=str(item["id"]),
            post_remote_id=post_id,
            text=plain_text(str(rendered or "")),
            author_handle=_clean(str(item.get("author_name") or "")) or UNKNOWN_AUTHOR,
            created_at=created,
            author_id=str(author) if author else None,
            parent_remote_id=str(parent) if parent else None,
            is_own=me is not None and author == me,
        )

    def reply(self, comment: CommentRef, text: str, ckpt: Checkpoint) -> ReplyResult:
        """A child comment (``parent``) as the account's user."""
        done = ckpt.get("reply_id")
        if done:
            return ReplyResult(str(done), ckpt.get("reply_url"))
        body = {"post": _int(comment.post_remote_id, 0), "parent": _int(comment.remote_id, 0), "content": text}
        try:
            item = self.wp.post("comments", body)
        except AlreadyPublished as exc:
            # 409 comment_duplicate: a reply whose answer was lost already stands; name it when we can
            found = self._find_reply(comment, text)
            if found is None:
                raise
            ckpt.save("reply_id", found.remote_id)
            raise AlreadyPublished(exc.message, remote_id=found.remote_id, remote_url=found.remote_url,
                                   **self._kw()) from exc
        reply_id = str(item.get("id") or "")
        if not reply_id:
            raise OutcomeUnknown(f"{self.platform.value}: the site answered without a comment id", **self._kw())
        url = str(item.get("link") or "") or None
        ckpt.save("reply_id", reply_id)
        ckpt.save("reply_url", url)
        return ReplyResult(reply_id, url)

    def _find_reply(self, comment: CommentRef, text: str) -> ReplyResult | None:
        me = self._my_id()
        if me is None:
            return None
        try:
            items, _ = self.wp.get("comments", {"post": comment.post_remote_id, "parent": comment.remote_id,
                                                "author": me, "status": "all", "orderby": "id", "order": "desc",
                                                "per_page": PER_PAGE})
        except PublishError:
            return None
        want = " ".join(text.split())
        for item in items if isinstance(items, list) else []:
            content = item.get("content") if isinstance(item, dict) else None
            if isinstance(content, dict) and " ".join(plain_text(str(content.get("rendered") or "")).split()) == want:
                return ReplyResult(str(item["id"]), str(item.get("link") or "") or None)
        return None

    def hide_comment(self, comment: CommentRef) -> None:
        """Back to moderation (status ``hold``): off the site, kept in wp-admin. Needs a user who may moderate."""
        try:
            self.wp.post(f"comments/{comment.remote_id}", {"status": "hold"}, idempotent=True)
        except PermissionMissing as exc:
            raise ContentRejected(f"{exc.message} (moderate_comments)", rule="unsupported", **self._kw()) from exc

    # --- engagement -----------------------------------------------------------------------------------------

    engagement_batch: ClassVar[int] = 20

    def engagement_cost(self, count: int) -> int:
        return count

    def engagement(self, remote_ids: Sequence[str]) -> dict[str, Engagement]:
        """The article's approved comments, counted by the site (``X-WP-Total`` of a one-item page); WordPress
        itself counts no likes, shares or views. An article that is gone is left out."""
        out: dict[str, Engagement] = {}
        for post_id in remote_ids:
            try:
                _, resp = self.wp.get("comments", {"post": post_id, "per_page": 1, "_fields": "id"})
            except ContentRejected:
                continue
            out[post_id] = Engagement(fetched_at=self.clock(), comments=count_or_none(resp.headers.get("X-WP-Total")))
        return out

    def check(self) -> AccountStatus:
        """``GET /wp/v2/users/me`` with the application password: who we are and what the role may do; the
        configured categories and tags must exist. Application passwords do not expire (``expires_at`` None)."""
        try:
            me = self._whoami()
            self._configured = None
            self._configured_terms()
        except AuthExpired as exc:
            return AccountStatus(False, exc.message)
        caps: dict[str, Any] = me["capabilities"] if isinstance(me.get("capabilities"), dict) else {}
        name = str(me.get("name") or self.username)
        needed = ["upload_files", "publish_posts" if self.status in ("publish", "private") else "edit_posts"]
        missing = [c for c in needed if not caps.get(c)]
        if missing:
            return AccountStatus(False, f"pengguna {name} tidak punya hak {', '.join(missing)}")
        note = "" if caps.get("moderate_comments") else "; tidak bisa menyembunyikan komentar (perlu peran Editor)"
        return AccountStatus(True, f"{name} di {self.wp.base_url.removesuffix(REST_PATH)}{note}")

    # --- helpers --------------------------------------------------------------------------------------------

    def _whoami(self) -> dict[str, Any]:
        me, _ = self.wp.get("users/me", {"context": "edit"})
        if not isinstance(me, dict) or not me.get("id"):
            raise PlatformUnavailable(f"{self.platform.value}: users/me answered without an id",
                                      platform=self.platform.value, account=self.account)
        self._me = me
        return me

    def _my_id(self) -> int | None:
        """The account user's id (recognises our own replies); asked once per adapter."""
        if self._me is None:
            self._whoami()
        return _int((self._me or {}).get("id"), 0) or None

    def _kw(self) -> dict[str, str]:
        return {"platform": self.platform.value, "account": self.account}


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _load_cursor(cursor: str | None) -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}
