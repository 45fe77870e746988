"""A loopback fake of a WordPress site's REST API (``platform-apis.md`` §8), shipped with humas for its own tests and
for users' tests: :class:`FakeWordPressServer` is a real HTTP server on 127.0.0.1 to run the real
:class:`~humas.publisher.wordpress.WordPressAdapter` against (its ``api_base`` option is the fake's ``url``), with
documented WordPress errors injected by code (:data:`WP_ERRORS`, :func:`wp_error`).
"""

from __future__ import annotations

import base64
import email.message
import email.policy
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from humas.errors import NotFound
from humas.testing import (  # one rule for the fakes' times: timezone-aware, kept in UTC
    DroppingServer,
    Fault,
    LoopbackAnswer,
    _aware,
    _multipart,
)

__all__ = ["EDITOR", "WP_ERRORS", "FakeWordPressServer", "WPCall", "WPComment", "WPMedia", "WPPost", "WPTerm",
           "wp_error"]

REST = "/wp-json/wp/v2/"
WP_TIME = "%Y-%m-%dT%H:%M:%S"
SITE_OFFSET = timedelta(hours=7)  # the site's own zone (Asia/Jakarta): ``date`` is local, ``date_gmt`` is UTC
#: The capabilities of WordPress's Editor role that matter here; an Author lacks ``moderate_comments``.
EDITOR = frozenset({"read", "edit_posts", "publish_posts", "upload_files", "moderate_comments",
                    "edit_others_posts", "manage_categories"})
AUTHOR = frozenset({"read", "edit_posts", "publish_posts", "upload_files"})
ALLOWED_MIME = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/quicktime",
                          "video/webm", "application/pdf"})
POST_STATUSES = ("publish", "future", "draft", "pending", "private")

# Documented WordPress REST errors (platform-apis.md §8): code -> (HTTP status, message)
WP_ERRORS: dict[str, tuple[int, str]] = {
    "incorrect_password": (401, "The provided password is an invalid application password."),
    "invalid_username": (401, "<strong>Error:</strong> Unknown username. Check again or try your email address."),
    "application_passwords_disabled": (501, "Application passwords are not available."),
    "rest_not_logged_in": (401, "You are not currently logged in."),
    "rest_cannot_create": (403, "Sorry, you are not allowed to create posts as this user."),
    "rest_cannot_publish": (403, "Sorry, you are not allowed to publish posts in this post type."),
    "rest_cannot_edit": (403, "Sorry, you are not allowed to edit this comment."),
    "rest_forbidden": (403, "Sorry, you are not allowed to do that."),
    "rest_forbidden_context": (403, "Sorry, you are not allowed to edit comments."),
    "rest_forbidden_status": (403, "Status is forbidden."),
    "rest_forbidden_param": (403, "Query parameter not permitted: status"),
    "rest_invalid_param": (400, "Invalid parameter(s): status"),
    "rest_post_invalid_id": (404, "Invalid post ID."),
    "rest_post_invalid_page_number": (400, "The page number requested is larger than the number of pages "
                                           "available."),
    "rest_comment_invalid_id": (404, "Invalid comment ID."),
    "rest_comment_invalid_post_id": (403, "Sorry, you are not allowed to create this comment without a post."),
    "rest_comment_trash_post": (403, "Sorry, you are not allowed to create a comment on this post."),
    "rest_comment_draft_post": (403, "Sorry, you are not allowed to create a comment on this post."),
    "rest_comment_closed": (403, "Sorry, comments are closed for this item."),
    "rest_comment_invalid_parent": (400, "Invalid parent comment ID."),
    "rest_comment_content_invalid": (400, "Invalid comment content."),
    "rest_comment_login_required": (401, "Sorry, you must be logged in to comment."),
    "rest_comment_invalid_status": (403, "Sorry, you are not allowed to edit 'status' for comments."),
    "rest_comment_failed_edit": (500, "Updating comment status failed."),
    "comment_duplicate": (409, "Duplicate comment detected; it looks as though you&#8217;ve already said that!"),
    "comment_flood": (400, "You are posting comments too quickly. Slow down."),
    "empty_content": (400, "Content, title, and excerpt are empty."),
    "rest_invalid_featured_media": (400, "Invalid featured media ID."),
    "rest_upload_no_data": (400, "No data supplied."),
    "rest_upload_no_content_type": (400, "No Content-Type supplied."),
    "rest_upload_no_content_disposition": (400, "No Content-Disposition supplied."),
    "rest_upload_invalid_disposition": (400, "Invalid Content-Disposition supplied. Content-Disposition needs to be "
                                             "formatted as `attachment; filename=\"image.png\"` or similar."),
    "rest_upload_sideload_error": (500, "Sorry, you are not allowed to upload this file type."),
    "rest_upload_unknown_error": (500, "The file could not be saved."),
    "rest_no_route": (404, "No route was found matching the URL and request method."),
    "internal_server_error": (500, "<p>There has been a critical error on this website.</p>"),
}


def wp_error(code: str, message: str | None = None, *, status: int | None = None,
             **data: Any) -> tuple[int, dict[str, Any]]:
    """(HTTP status, the ``{code, message, data: {status}}`` envelope) for a documented ``code`` (``WP_ERRORS``);
    ``message``/``status`` override the documented ones, ``data`` adds keys (``params``)."""
    known_status, known_message = WP_ERRORS.get(code, (400, code))
    st = status or known_status
    return st, {"code": code, "message": message or known_message, "data": {"status": st, **data}}


@dataclass
class WPUser:
    id: int
    username: str
    name: str
    password: str  # an application password ("abcd efgh ..."); spaces are ignored, as WordPress does
    capabilities: frozenset[str]


@dataclass
class WPMedia:
    """A file in the media library."""

    id: int
    filename: str
    mime_type: str
    data: bytes
    date_gmt: datetime
    author: int


@dataclass
class WPPost:
    """An article (``content`` as stored, HTML)."""

    id: int
    title: str
    content: str
    status: str
    date_gmt: datetime
    author: int
    slug: str
    featured_media: int = 0
    categories: tuple[int, ...] = ()
    tags: tuple[int, ...] = ()
    comment_status: str = "open"


@dataclass
class WPComment:
    """A comment; ``parent`` 0 for a top-level one, ``author`` 0 for a visitor; ``status`` ``approved``, ``hold``,
    ``spam``, ``trash`` or ``post-trashed``."""

    id: int
    post: int
    content: str
    date_gmt: datetime
    author: int
    author_name: str
    parent: int = 0
    status: str = "approved"


@dataclass
class WPTerm:
    id: int
    name: str
    slug: str


@dataclass(frozen=True)
class WPCall:
    """One request as the fake received it: ``path`` below ``/wp-json/wp/v2/`` (the whole path elsewhere),
    ``params`` query and body merged, ``user`` the authenticated username (None: anonymous or refused),
    ``headers`` as sent."""

    method: str
    path: str
    params: dict[str, Any]
    user: str | None
    headers: dict[str, str] = field(default_factory=dict)
    body_size: int = 0


_Answer = tuple[int, Any, dict[str, str]]
_JSON = "application/json; charset=UTF-8"
_HTML = "text/html; charset=UTF-8"


class FakeWordPressServer(DroppingServer):
    """A real HTTP server on 127.0.0.1 (a free port) speaking a WordPress site's REST API for what
    :class:`~humas.publisher.wordpress.WordPressAdapter` calls (``platform-apis.md`` §8), with an in-memory site.

    Pass ``fake.url`` (the site root) as the adapter's ``api_base``. Served under ``/wp-json/wp/v2/``:

    * ``GET users/me`` (``context=edit``: roles' capabilities);
    * ``POST media``: the file as the body with ``Content-Type`` and ``Content-Disposition: attachment;
      filename=…`` (or multipart ``file``), the documented ``rest_upload_*`` refusals, 413 above ``max_upload_bytes``;
    * ``POST posts`` (JSON: ``title``, ``content``, ``status``, ``featured_media``, ``categories``, ``tags``);
      ``GET posts`` (``search`` over title and content, ``status`` list, ``context``, paging) and ``GET posts/<id>``;
    * ``GET categories`` / ``GET tags`` (``search``, ``slug``);
    * ``GET comments`` (``post``, ``parent``, ``author``, ``status`` approve|hold|all…, ``orderby`` date_gmt|id,
      ``order``, ``per_page`` ≤ 100, ``page``) with ``X-WP-Total`` and ``X-WP-TotalPages``; ``POST comments``
      (a child comment with ``parent``; duplicates get 409 ``comment_duplicate``); ``POST comments/<id>``
      (``status`` hold/approve…, needs a moderator) and ``GET comments/<id>``.

    Every request is checked like WordPress checks an application password (HTTP Basic): a wrong user gets 401
    ``invalid_username``, a wrong password 401 ``incorrect_password``; no credentials is a visitor. Rights follow
    ``capabilities`` (:data:`EDITOR` by default; :data:`AUTHOR` cannot moderate). An unknown route gets 404
    ``rest_no_route``; a path outside ``/wp-json`` the theme's HTML 404 page. ``fail_next`` / ``fail_next_http`` /
    ``drop_next`` inject errors; ``on_post_created`` is called (under the fake's lock) with each post created through
    the API, for a scripted public; every request is recorded in ``calls``, and an exception raised while answering
    in ``server_errors`` (answered as HTTP 500 ``internal_server_error``).
    """

    thread_name = "fake-wordpress"

    def __init__(
        self,
        *,
        username: str = "humas",
        application_password: str = "abcd EFGH ijkl MNOP qrst UVWX",
        user_id: int = 7,
        display_name: str = "Humas Kota",
        capabilities: Iterable[str] = EDITOR,
        moderation: bool = False,
        max_upload_bytes: int = 8 * 1024 * 1024,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.user = WPUser(user_id, username, display_name, application_password, frozenset(capabilities))
        self.moderation = moderation  # a visitor's comment (added through the API by a non-moderator) waits
        self.max_upload_bytes = max_upload_bytes
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.posts: dict[int, WPPost] = {}
        self.media: dict[int, WPMedia] = {}
        self.comments: dict[int, WPComment] = {}
        self.categories: dict[int, WPTerm] = {1: WPTerm(1, "Tak Berkategori", "tak-berkategori")}
        self.tags: dict[int, WPTerm] = {}
        self.calls: list[WPCall] = []
        self.server_errors: list[Exception] = []
        self.on_post_created: Callable[[WPPost], None] | None = None
        self._post_seq = 10  # posts and attachments share WordPress's one id sequence (wp_posts)
        self._comment_seq = 0
        self._term_seq = 1

    def __repr__(self) -> str:
        return f"FakeWordPressServer(user={self.user.username!r}, url={self._url_or_none()!r})"

    # --- scripting ----------------------------------------------------------------------------------------------

    def fail_next(self, code: str, *, status: int | None = None, message: str | None = None,
                  method: str | None = None, path: str | None = None, times: int = 1,
                  headers: Mapping[str, str] | None = None) -> None:
        """The next ``times`` matching requests (``method``; ``path`` a regex searched in the path below
        ``/wp-json/wp/v2/``) get the error envelope of ``code`` (:data:`WP_ERRORS`); nothing is stored."""
        st, body = wp_error(code, message, status=status)
        with self._lock:
            self._faults.extend(Fault(method, path, LoopbackAnswer(st, {"Content-Type": _JSON, **(headers or {})},
                                                                   json.dumps(body).encode()))
                                for _ in range(times))

    def fail_next_http(self, status: int, body: bytes = b"", *, content_type: str = _HTML,
                       headers: Mapping[str, str] | None = None, method: str | None = None,
                       path: str | None = None) -> None:
        """The next matching request gets a bare HTTP answer (a proxy's or firewall's: no WordPress envelope)."""
        with self._lock:
            self._faults.append(Fault(method, path, LoopbackAnswer(status, {"Content-Type": content_type,
                                                                           **(headers or {})}, body)))

    def add_post(self, title: str, content: str = "", *, status: str = "publish", author: int = 1,
                 date_gmt: datetime | None = None, comment_status: str = "open") -> WPPost:
        """An article on the site, as if written in wp-admin."""
        with self._lock:
            return self._new_post(title, content, status, author, _aware(date_gmt) if date_gmt else self.clock(),
                                  comment_status=comment_status)

    def add_comment(self, post_id: int | str, content: str, *, author_name: str = "Warga", author: int = 0,
                    parent: int | str = 0, status: str = "approved", date_gmt: datetime | None = None) -> WPComment:
        """A comment (or a reply, ``parent``) by a visitor (``author`` 0) on a post the fake holds."""
        with self._lock:
            if int(post_id) not in self.posts:
                raise NotFound(f"fake wordpress: no post {post_id!r}")
            return self._new_comment(int(post_id), content, author, author_name, int(parent), status,
                                     _aware(date_gmt) if date_gmt else self.clock())

    def add_category(self, name: str, slug: str | None = None) -> WPTerm:
        with self._lock:
            return self._new_term(self.categories, name, slug)

    def add_tag(self, name: str, slug: str | None = None) -> WPTerm:
        with self._lock:
            return self._new_term(self.tags, name, slug)

    def trash_post(self, post_id: int | str) -> None:
        """Into the trash, as wp-admin does: its comments become ``post-trashed`` (listed nowhere)."""
        with self._lock:
            self.posts[int(post_id)].status = "trash"
            for c in self.comments.values():
                if c.post == int(post_id):
                    c.status = "post-trashed"

    def delete_post(self, post_id: int | str) -> None:
        """Deleted for good, with its comments."""
        with self._lock:
            self.posts.pop(int(post_id), None)
            for cid in [c.id for c in self.comments.values() if c.post == int(post_id)]:
                del self.comments[cid]

    def comments_on(self, post_id: int | str) -> list[WPComment]:
        """The comments held for a post, oldest first."""
        with self._lock:
            return sorted((c for c in self.comments.values() if c.post == int(post_id)), key=lambda c: c.id)

    def reset(self) -> None:
        with self._lock:
            self.posts.clear()
            self.media.clear()
            self.comments.clear()
            self.tags.clear()
            self.calls.clear()
            self.server_errors.clear()
            self._faults.clear()

    # --- the wire -----------------------------------------------------------------------------------------------

    def _answer(self, method: str, target: str, headers: email.message.Message, body: bytes) -> LoopbackAnswer:
        return self._dispatch(method, target, {k.lower(): v for k, v in headers.items()}, body)

    def _dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes) -> LoopbackAnswer:
        """The answer to one request, its ``headers`` with lowercase names."""
        parts = urlsplit(target)
        rest = parts.path.startswith(REST) or parts.path == REST.rstrip("/")
        path = parts.path[len(REST):].strip("/") if rest else parts.path
        params: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
        ctype = headers.get("content-type", "")
        file: tuple[str | None, str, bytes] | None = None
        if ctype.startswith("application/json") and body:
            try:
                loaded = json.loads(body)
            except ValueError:
                return self._json(*wp_error("rest_invalid_json", "Invalid JSON body passed.", status=400))
            if isinstance(loaded, dict):
                params.update(loaded)
        elif ctype.startswith("application/x-www-form-urlencoded") and body:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        elif ctype.startswith("multipart/form-data") and body:
            form, files = _multipart(ctype, body)
            params.update(form)
            if "file" in files:
                file = files["file"]
        elif body:
            file = (_disposition_filename(headers.get("content-disposition")), ctype, body)
        with self._lock:
            user, refused = self._authenticate(headers.get("authorization"))
            self.calls.append(WPCall(method, path, dict(params), user.username if user else None, dict(headers),
                                     len(body)))
            fault = self._take_fault(method, path)
            if fault is not None and not fault.apply:
                return fault.late(fault.answer)
            if not rest:
                page = b"<!doctype html><html><body><h1>Halaman tidak ditemukan</h1></body></html>"
                return LoopbackAnswer(404, {"Content-Type": _HTML}, page)
            if refused is not None:
                return self._json(*refused)
            try:
                status, answer, extra = self._route(method, path, params, file, headers, user)
            except Exception as exc:  # a bug in the fake or a malformed request: WordPress's critical error
                self.server_errors.append(exc)
                status, answer = wp_error("internal_server_error")
                extra = {}
            if fault is not None:  # an applied drop: the write stays, its answer is lost
                return fault.late(LoopbackAnswer(0, {}))
            if isinstance(answer, str):  # a page from the web server in front of WordPress
                return LoopbackAnswer(status, {"Content-Type": _HTML, **extra}, answer.encode())
            return self._json(status, answer, extra)

    def _json(self, status: int, answer: Any, extra: dict[str, str] | None = None) -> LoopbackAnswer:
        return LoopbackAnswer(status, {"Content-Type": _JSON, **(extra or {})}, json.dumps(answer).encode())

    def _authenticate(self, header: str | None) -> tuple[WPUser | None, tuple[int, dict[str, Any]] | None]:
        if not header:
            return None, None
        if not header.startswith("Basic "):
            return None, None  # WordPress ignores other schemes: a visitor
        try:
            username, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None, wp_error("invalid_username")
        if username != self.user.username:
            return None, wp_error("invalid_username")
        if re.sub(r"[^a-z\d]", "", password, flags=re.I) != re.sub(r"[^a-z\d]", "", self.user.password, flags=re.I):
            return None, wp_error("incorrect_password")
        return self.user, None

    def _route(self, method: str, path: str, params: dict[str, Any], file: tuple[str | None, str, bytes] | None,
               headers: dict[str, str], user: WPUser | None) -> _Answer:
        seg = path.split("/") if path else []
        one = len(seg) == 2 and seg[1].isdigit()
        if seg == ["users", "me"] and method == "GET":
            return self._me(params, user)
        if seg == ["media"] and method == "POST":
            return self._upload(params, file, headers, user)
        if seg == ["posts"] and method == "POST":
            return self._create_post(params, user)
        if seg == ["posts"] and method == "GET":
            return self._list_posts(params, user)
        if one and seg[0] == "posts" and method == "GET":
            return self._get_post(int(seg[1]), params, user)
        if seg in (["categories"], ["tags"]) and method == "GET":
            return self._list_terms(self.categories if seg[0] == "categories" else self.tags, params)
        if seg == ["comments"] and method == "GET":
            return self._list_comments(params, user)
        if seg == ["comments"] and method == "POST":
            return self._create_comment(params, user)
        if one and seg[0] == "comments" and method in ("POST", "PUT"):
            return self._update_comment(int(seg[1]), params, user)
        if one and seg[0] == "comments" and method == "GET":
            comment = self.comments.get(int(seg[1]))
            if comment is None or not self._can_read(comment, user):
                return (*wp_error("rest_comment_invalid_id"), {})
            return 200, _fields(self._comment_json(comment, edit=False), params), {}
        return (*wp_error("rest_no_route"), {})

    # --- routes -------------------------------------------------------------------------------------------------

    def _me(self, params: dict[str, Any], user: WPUser | None) -> _Answer:
        if user is None:
            return (*wp_error("rest_not_logged_in"), {})
        out: dict[str, Any] = {"id": user.id, "name": user.name, "url": "", "description": "",
                               "link": f"{self.url}/author/{user.username}/", "slug": user.username}
        if params.get("context") == "edit":
            out |= {"username": user.username, "email": f"{user.username}@example.go.id",
                    "roles": ["editor" if "moderate_comments" in user.capabilities else "author"],
                    "capabilities": {c: True for c in sorted(user.capabilities)}}
        return 200, _fields(out, params), {}

    def _upload(self, params: dict[str, Any], file: tuple[str | None, str, bytes] | None, headers: dict[str, str],
                user: WPUser | None) -> _Answer:
        if user is None or "upload_files" not in user.capabilities:
            return (*wp_error("rest_cannot_create", status=401 if user is None else 403), {})
        if file is None or not file[2]:
            return (*wp_error("rest_upload_no_data"), {})
        filename, mime, data = file
        if not mime:
            return (*wp_error("rest_upload_no_content_type"), {})
        if "content-disposition" not in headers and not headers.get("content-type", "").startswith("multipart/"):
            return (*wp_error("rest_upload_no_content_disposition"), {})
        if not filename:
            return (*wp_error("rest_upload_invalid_disposition"), {})
        if len(data) > self.max_upload_bytes:  # the web server in front refuses the body (nginx)
            return 413, "<html><body><h1>413 Request Entity Too Large</h1></body></html>", {}
        if mime.split(";")[0].strip() not in ALLOWED_MIME:
            return (*wp_error("rest_upload_sideload_error"), {})
        self._post_seq += 1
        # sanitize_file_name: no spaces or unsafe characters in an uploads URL
        safe = re.sub(r"[^\w.\-]+", "-", filename.strip()).strip("-.") or f"file-{self._post_seq}"
        item = WPMedia(self._post_seq, safe, mime.split(";")[0].strip(), data, self.clock(), user.id)
        self.media[item.id] = item
        return 201, self._media_json(item), {"Location": f"{self.url}{REST}media/{item.id}"}

    def _create_post(self, params: dict[str, Any], user: WPUser | None) -> _Answer:
        if user is None or "edit_posts" not in user.capabilities:
            return (*wp_error("rest_cannot_create", status=401 if user is None else 403), {})
        status = str(params.get("status") or "draft")
        if status not in POST_STATUSES:
            return (*wp_error("rest_invalid_param", "Invalid parameter(s): status",
                              params={"status": f"status is not one of {', '.join(POST_STATUSES)}."}), {})
        if status in ("publish", "private", "future") and "publish_posts" not in user.capabilities:
            return (*wp_error("rest_cannot_publish"), {})
        title, content = _rendered_or(params.get("title")), _rendered_or(params.get("content"))
        if not title.strip() and not content.strip():
            return (*wp_error("empty_content"), {})
        featured = params.get("featured_media") or 0
        if not isinstance(featured, int) or (featured and featured not in self.media):
            return (*wp_error("rest_invalid_featured_media"), {})
        terms: dict[str, tuple[int, ...]] = {}
        for name, table in (("categories", self.categories), ("tags", self.tags)):
            value = params.get(name) or []
            if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
                return (*wp_error("rest_invalid_param", f"Invalid parameter(s): {name}",
                                  params={name: f"{name}[0] is not of type integer."}), {})
            terms[name] = tuple(v for v in value if v in table)  # unknown ids are dropped, as wp_set_object_terms
        post = self._new_post(title, content, status, user.id, self.clock(), featured=featured,
                              categories=terms["categories"] or (1,), tags=terms["tags"])
        if self.on_post_created is not None:
            self.on_post_created(post)
        return 201, self._post_json(post, edit=True), {"Location": f"{self.url}{REST}posts/{post.id}"}

    def _list_posts(self, params: dict[str, Any], user: WPUser | None) -> _Answer:
        can_edit = user is not None and "edit_posts" in user.capabilities
        statuses = [s.strip() for s in str(params.get("status") or "publish").split(",") if s.strip()]
        if any(s != "publish" for s in statuses) and not can_edit:
            return (*wp_error("rest_forbidden_status", status=401 if user is None else 403), {})
        if params.get("context") == "edit" and not can_edit:
            return (*wp_error("rest_forbidden_context", "Sorry, you are not allowed to edit posts in this post type.",
                              status=401 if user is None else 403), {})
        terms = str(params.get("search") or "").casefold().split()
        found = [p for p in self.posts.values() if p.status in statuses
                 and all(t in f"{p.title}\n{p.content}".casefold() for t in terms)]
        found.sort(key=lambda p: (p.date_gmt, p.id), reverse=True)
        edit = params.get("context") == "edit"
        return self._paged([self._post_json(p, edit=edit) for p in found], params, "rest_post_invalid_page_number")

    def _get_post(self, post_id: int, params: dict[str, Any], user: WPUser | None) -> _Answer:
        post = self.posts.get(post_id)
        if post is None:
            return (*wp_error("rest_post_invalid_id"), {})
        can_edit = user is not None and "edit_posts" in user.capabilities and (
            post.author == user.id or "edit_others_posts" in user.capabilities)
        if params.get("context") == "edit" and not can_edit:
            return (*wp_error("rest_forbidden_context", "Sorry, you are not allowed to edit this post.",
                              status=401 if user is None else 403), {})
        if post.status != "publish" and not can_edit:
            return (*wp_error("rest_forbidden", status=401 if user is None else 403), {})
        return 200, _fields(self._post_json(post, edit=params.get("context") == "edit"), params), {}

    def _list_terms(self, table: dict[int, WPTerm], params: dict[str, Any]) -> _Answer:
        search = str(params.get("search") or "").casefold()
        slugs = [s for s in str(params.get("slug") or "").split(",") if s]
        found = [t for t in sorted(table.values(), key=lambda t: t.name.casefold())
                 if (not search or search in t.name.casefold() or search in t.slug) and (not slugs or t.slug in slugs)]
        items = [{"id": t.id, "count": 0, "name": escape(t.name, quote=False), "slug": t.slug} for t in found]
        return self._paged(items, params, "rest_invalid_param")

    def _list_comments(self, params: dict[str, Any], user: WPUser | None) -> _Answer:
        status = str(params.get("status") or "approve")
        if status != "approve" and (user is None or "edit_posts" not in user.capabilities):
            return (*wp_error("rest_forbidden_param", status=401 if user is None else 403), {})
        if params.get("context") == "edit" and (user is None or "moderate_comments" not in user.capabilities):
            return (*wp_error("rest_forbidden_context", status=401 if user is None else 403), {})
        per_page = _int(params.get("per_page"), 10)
        if not 1 <= per_page <= 100:
            return (*wp_error("rest_invalid_param", "Invalid parameter(s): per_page",
                              params={"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"}), {})
        wanted = {"approve": {"approved"}, "approved": {"approved"}, "hold": {"hold"}, "all": {"approved", "hold"},
                  "spam": {"spam"}, "trash": {"trash"}}.get(status, {status})
        posts, parents, authors = (_ids(params.get(k)) for k in ("post", "parent", "author"))
        found = [c for c in self.comments.values() if c.status in wanted and (posts is None or c.post in posts)
                 and (parents is None or c.parent in parents) and (authors is None or c.author in authors)
                 and self._can_read(c, user)]
        orderby = str(params.get("orderby") or "date_gmt")
        found.sort(key=(lambda c: c.id) if orderby == "id" else (lambda c: (c.date_gmt, c.id)),
                   reverse=str(params.get("order") or "desc") == "desc")
        edit = params.get("context") == "edit"
        # WordPress answers a page past the end of the comments with an empty list, not an error
        return self._paged([self._comment_json(c, edit=edit) for c in found], params, None)

    def _create_comment(self, params: dict[str, Any], user: WPUser | None) -> _Answer:
        if user is None:
            return (*wp_error("rest_comment_login_required"), {})
        if "status" in params and "moderate_comments" not in user.capabilities:
            return (*wp_error("rest_comment_invalid_status"), {})
        post = self.posts.get(_int(params.get("post"), 0))
        if post is None:
            return (*wp_error("rest_comment_invalid_post_id"), {})
        if post.status == "trash":
            return (*wp_error("rest_comment_trash_post"), {})
        if post.status == "draft":
            return (*wp_error("rest_comment_draft_post"), {})
        if post.comment_status != "open":
            return (*wp_error("rest_comment_closed"), {})
        parent = _int(params.get("parent"), 0)
        if parent and (parent not in self.comments or self.comments[parent].post != post.id):
            return (*wp_error("rest_comment_invalid_parent"), {})
        content = _rendered_or(params.get("content"))
        if not content.strip():
            return (*wp_error("rest_comment_content_invalid"), {})
        if any(c.post == post.id and c.parent == parent and c.author == user.id and c.content == content
               and c.status != "trash" for c in self.comments.values()):
            return (*wp_error("comment_duplicate"), {})
        approved = "moderate_comments" in user.capabilities or post.author == user.id or not self.moderation
        comment = self._new_comment(post.id, content, user.id, user.name, parent,
                                    "approved" if approved else "hold", self.clock())
        if "status" in params:
            comment.status = _comment_status(str(params["status"])) or comment.status
        return 201, self._comment_json(comment, edit="moderate_comments" in user.capabilities), {
            "Location": f"{self.url}{REST}comments/{comment.id}"}

    def _update_comment(self, comment_id: int, params: dict[str, Any], user: WPUser | None) -> _Answer:
        comment = self.comments.get(comment_id)
        if comment is None:
            return (*wp_error("rest_comment_invalid_id"), {})
        post = self.posts.get(comment.post)
        if user is None or not ("moderate_comments" in user.capabilities or (post and post.author == user.id)):
            return (*wp_error("rest_cannot_edit", status=401 if user is None else 403), {})
        if "status" in params:
            new = _comment_status(str(params["status"]))
            if new is None:
                return (*wp_error("rest_comment_failed_edit"), {})
            comment.status = new
        if "content" in params:
            comment.content = _rendered_or(params["content"])
        return 200, self._comment_json(comment, edit=True), {}

    # --- helpers ------------------------------------------------------------------------------------------------

    def _paged(self, items: list[dict[str, Any]], params: dict[str, Any], past_end: str | None) -> _Answer:
        per_page, page = _int(params.get("per_page"), 10), _int(params.get("page"), 1)
        if not 1 <= per_page <= 100 or page < 1:
            return (*wp_error("rest_invalid_param", "Invalid parameter(s): per_page, page"), {})
        pages = -(-len(items) // per_page)
        if past_end and items and page > pages:
            return (*wp_error(past_end), {})
        chunk = [_fields(i, params) for i in items[(page - 1) * per_page : page * per_page]]
        return 200, chunk, {"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages)}

    def _can_read(self, c: WPComment, user: WPUser | None) -> bool:
        post = self.posts.get(c.post)
        if post is None:
            return False
        if c.status == "approved" and post.status == "publish":
            return True
        return user is not None and ("moderate_comments" in user.capabilities or post.author == user.id
                                     or c.author == user.id)

    def _new_post(self, title: str, content: str, status: str, author: int, date_gmt: datetime, *,
                  featured: int = 0, categories: tuple[int, ...] = (1,), tags: tuple[int, ...] = (),
                  comment_status: str = "open") -> WPPost:
        self._post_seq += 1
        base = _slug(title) or str(self._post_seq)
        slug, n = base, 2
        while any(p.slug == slug for p in self.posts.values()):
            slug, n = f"{base}-{n}", n + 1
        post = WPPost(self._post_seq, title, content, status, date_gmt, author, slug, featured, categories, tags,
                      comment_status)
        self.posts[post.id] = post
        return post

    def _new_comment(self, post: int, content: str, author: int, author_name: str, parent: int, status: str,
                     date_gmt: datetime) -> WPComment:
        self._comment_seq += 1
        comment = WPComment(self._comment_seq, post, content, date_gmt, author, author_name, parent, status)
        self.comments[comment.id] = comment
        return comment

    def _new_term(self, table: dict[int, WPTerm], name: str, slug: str | None) -> WPTerm:
        self._term_seq += 1
        term = WPTerm(self._term_seq, name, slug or _slug(name))
        table[term.id] = term
        return term

    def _post_link(self, post: WPPost) -> str:
        if post.status != "publish":
            return f"{self.url}/?p={post.id}"
        return f"{self.url}/{(post.date_gmt + SITE_OFFSET):%Y/%m/%d}/{post.slug}/"

    def _post_json(self, post: WPPost, *, edit: bool) -> dict[str, Any]:
        title: dict[str, Any] = {"rendered": escape(post.title, quote=False)}
        content: dict[str, Any] = {"rendered": post.content, "protected": False}
        if edit:
            title["raw"], content["raw"] = post.title, post.content
        return {
            "id": post.id, "date": _local(post.date_gmt), "date_gmt": post.date_gmt.strftime(WP_TIME),
            "guid": {"rendered": f"{self.url}/?p={post.id}"}, "modified": _local(post.date_gmt),
            "modified_gmt": post.date_gmt.strftime(WP_TIME), "slug": post.slug, "status": post.status, "type": "post",
            "link": self._post_link(post), "title": title, "content": content,
            "excerpt": {"rendered": "", "protected": False}, "author": post.author,
            "featured_media": post.featured_media, "comment_status": post.comment_status, "ping_status": "closed",
            "sticky": False, "format": "standard", "categories": list(post.categories), "tags": list(post.tags),
        }

    def _media_json(self, m: WPMedia) -> dict[str, Any]:
        stamp = m.date_gmt + SITE_OFFSET
        source = f"{self.url}/wp-content/uploads/{stamp:%Y/%m}/{m.filename}"
        return {
            "id": m.id, "date": _local(m.date_gmt), "date_gmt": m.date_gmt.strftime(WP_TIME), "slug": _slug(m.filename),
            "status": "inherit", "type": "attachment", "link": f"{self.url}/?attachment_id={m.id}",
            "title": {"rendered": escape(m.filename.rsplit(".", 1)[0], quote=False)}, "author": m.author,
            "media_type": "image" if m.mime_type.startswith("image/") else "file", "mime_type": m.mime_type,
            "source_url": source, "media_details": {"filesize": len(m.data)},
        }

    def _comment_json(self, c: WPComment, *, edit: bool) -> dict[str, Any]:
        post = self.posts.get(c.post)
        out: dict[str, Any] = {
            "id": c.id, "post": c.post, "parent": c.parent, "author": c.author,
            "author_name": c.author_name, "author_url": "", "date": _local(c.date_gmt),  # as stored (entities kept)
            "date_gmt": c.date_gmt.strftime(WP_TIME), "content": {"rendered": _autop(c.content)},
            "link": f"{self._post_link(post) if post else self.url + '/'}#comment-{c.id}",
            "status": "approved" if c.status == "approved" else c.status, "type": "comment",
            "author_avatar_urls": {}, "meta": [],
        }
        if edit:
            out["content"]["raw"] = c.content
            out |= {"author_email": "", "author_ip": "127.0.0.1", "author_user_agent": ""}
        return out


# --- module helpers -----------------------------------------------------------------------------------------------


def _local(dt: datetime) -> str:
    return (dt.astimezone(UTC) + SITE_OFFSET).strftime(WP_TIME)


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _ids(value: Any) -> set[int] | None:
    """A collection filter (``post=12`` or ``post=12,13`` or a JSON list); None when not given."""
    if value is None or value == "":
        return None
    raw = value if isinstance(value, list) else str(value).split(",")
    return {_int(v, -1) for v in raw}


def _rendered_or(value: Any) -> str:
    """A text field given as a string or as ``{"raw": …}``."""
    if isinstance(value, dict):
        value = value.get("raw", "")
    return "" if value is None else str(value)


def _comment_status(value: str) -> str | None:
    """WordPress's ``handle_status_param``: None for a value it does not know."""
    return {"approve": "approved", "approved": "approved", "1": "approved", "hold": "hold", "0": "hold",
            "spam": "spam", "trash": "trash"}.get(value.lower())


def _autop(text: str) -> str:
    """A comment as WordPress renders it: escaped, paragraphs in ``<p>``, line breaks as ``<br />``."""
    paras = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join("<p>" + "<br />\n".join(escape(line, quote=False) for line in p.splitlines()) + "</p>\n"
                   for p in paras)


def _slug(text: str) -> str:
    """WordPress's ``sanitize_title`` for plain text: lowercase ASCII words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:200]


def _fields(item: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """WordPress's global ``_fields`` parameter: only the named top-level keys."""
    wanted = {f.strip().split(".", 1)[0] for f in str(params.get("_fields") or "").split(",") if f.strip()}
    return {k: v for k, v in item.items() if k in wanted} if wanted else item


def _disposition_filename(value: str | None) -> str | None:
    """The file name of a ``Content-Disposition`` header (``filename*=UTF-8''…`` preferred, as RFC 6266 says)."""
    if not value:
        return None
    msg = email.message.EmailMessage(policy=email.policy.HTTP)
    try:
        msg["Content-Disposition"] = value
        name = msg.get_filename()
    except (ValueError, IndexError, TypeError):
        return None
    return name.strip() if isinstance(name, str) and name.strip() else None
