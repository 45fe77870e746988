"""A loopback fake of the Meta Graph API for Facebook Pages (``platform-apis.md`` §2), shipped with humas for its
own tests and for users' tests: :class:`FakeGraphServer` is a real HTTP server on 127.0.0.1 to run the real
:class:`~humas.publisher.facebook.FacebookPageAdapter` against (its ``api_base`` and ``video_base`` options), with
documented Graph errors injected by code (:data:`GRAPH_ERRORS`, :func:`graph_error`).
"""

from __future__ import annotations

import base64
import email.message
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from humas.errors import (
    NotFound,
)
from humas.testing import (  # one rule for the fakes' times: timezone-aware, kept in UTC
    DroppingServer,
    Fault,
    LoopbackAnswer,
    _aware,
    _multipart,
)

__all__ = ["GRAPH_ERRORS", "FakeGraphServer", "GraphCall", "GraphComment", "GraphPhoto", "GraphPost", "graph_error"]


# --- a loopback fake of the Meta Graph API (Facebook Pages) ----------------------------------------------------------

GRAPH_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S+0000"
# Documented Graph errors (platform-apis.md §2.3): code -> (message, type, subcode, is_transient)
GRAPH_ERRORS: dict[int, tuple[str, str, int | None, bool]] = {
    1: ("An unknown error has occurred.", "OAuthException", None, True),
    2: ("Service temporarily unavailable", "OAuthException", None, True),
    4: ("(#4) Application request limit reached", "OAuthException", None, True),
    10: ("(#10) Application does not have permission for this action", "OAuthException", None, False),
    17: ("(#17) User request limit reached", "OAuthException", None, True),
    32: ("(#32) Page request limit reached", "OAuthException", None, False),
    100: ("(#100) Invalid parameter", "OAuthException", None, False),
    102: ("Session key invalid or no longer valid", "OAuthException", None, False),
    190: ("Error validating access token: Session has expired.", "OAuthException", 463, False),
    200: ("(#200) The user hasn't authorized the application to perform this action", "OAuthException", None,
          False),
    368: ("It looks like you were misusing this feature by going too fast. You've been temporarily blocked from "
          "using it.", "OAuthException", 1390008, False),
    506: ("(#506) Duplicate status message", "OAuthException", 1455006, False),
    613: ("(#613) Calls to this api have exceeded the rate limit.", "OAuthException", None, True),
    80001: ("(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
            "OAuthException", None, True),
}


def graph_error(
    code: int, subcode: int | None = None, message: str | None = None, *, is_transient: bool | None = None
) -> dict[str, Any]:
    """A Graph error envelope ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`` for a
    documented ``code`` (``GRAPH_ERRORS``); ``subcode``/``message`` override the documented ones."""
    known_msg, kind, known_sub, transient = GRAPH_ERRORS.get(code, (f"(#{code}) Graph API error", "OAuthException",
                                                                      None, False))
    err: dict[str, Any] = {"message": message or known_msg, "type": kind, "code": code}
    sub = subcode if subcode is not None else known_sub
    if sub is not None:
        err["error_subcode"] = sub
    if is_transient if is_transient is not None else transient:
        err["is_transient"] = True
    err["fbtrace_id"] = "Fk" + secrets.token_urlsafe(8)
    return {"error": err}


@dataclass
class GraphPost:
    """A Page post the fake holds (``kind``: ``status``, ``photo``, ``album``, ``video``)."""

    id: str
    message: str
    created_time: datetime
    kind: str = "status"
    link: str | None = None
    photo_ids: tuple[str, ...] = ()
    title: str | None = None
    # engagement (issue 15): set by tests; ``reach`` None means the token may not read this post's insights
    reactions: int = 0
    shares: int = 0
    reach: int | None = None


@dataclass
class GraphPhoto:
    """An uploaded photo (``published=false`` ones wait to be attached to a feed post)."""

    id: str
    filename: str
    content_type: str
    data: bytes
    published: bool
    post_id: str | None = None


@dataclass
class GraphComment:
    """A comment or reply (``parent_id`` set) under a post."""

    id: str
    post_id: str
    message: str
    created_time: datetime
    from_id: str | None
    from_name: str | None
    parent_id: str | None = None
    is_hidden: bool = False
    seq: int = 0


@dataclass(frozen=True)
class GraphCall:
    """One request as the fake received it: ``path`` without the version, ``params`` query and form merged,
    ``files`` the multipart file fields (name -> filename); ``token_in_query`` when ``access_token`` came as a
    parameter rather than an ``Authorization: Bearer`` header."""

    method: str
    path: str
    version: str
    params: dict[str, str]
    files: dict[str, str]
    token_in_query: bool
    appsecret_proof: str | None


@dataclass
class _UserToken:
    scopes: list[str]
    expires_at: datetime
    long_lived: bool


class FakeGraphServer(DroppingServer):
    """A real HTTP server on 127.0.0.1 (a free port, one thread) speaking the Graph API wire format for what
    :class:`~humas.publisher.facebook.FacebookPageAdapter` calls (``platform-apis.md`` §2), with an in-memory store.

    Pass ``fake.url`` as the adapter's ``api_base`` (and ``video_base``). Served, under any ``/vNN.N/`` prefix:

    * ``GET /{page-id}?fields=id,name``, ``GET /me``: the Page itself (the token is a Page token);
    * ``POST /{page-id}/feed`` (``message``, ``link``, ``attached_media[i]``), ``POST /{page-id}/photos`` (multipart
      ``source`` or ``url``; ``published``), ``POST /{page-id}/videos`` -> the documented ``id``/``post_id`` bodies;
    * ``GET /{page-id}/posts`` (newest first, ``since``), ``GET /{post-id}`` (also ``shares``,
      ``reactions.summary(total_count).limit(0)``, ``comments.summary(total_count).limit(0)``),
      ``GET /{post-id}/insights?metric=post_total_media_view_unique`` (code 10 while the post's ``reach`` is None);
    * ``GET /{post-or-comment-id}/comments`` (``filter=stream|toplevel``, ``order``, ``since``, ``limit``, ``after``)
      with ``paging.cursors.before/after`` and a ``paging.next`` URL that embeds the token as Meta's does; an
      ``after`` cursor whose comment was deleted is refused (code 100), as Meta warns;
    * ``POST /{comment-id}/comments`` (a reply as the Page), ``POST /{comment-id}`` ``is_hidden=true|false``,
      ``DELETE /{object-id}``.

    Facebook Login (``platform-apis.md`` §2.6, connecting an account): ``GET /dialog/oauth`` answers the browser
    with a redirect to ``redirect_uri`` carrying a single-use ``code`` (or ``error=access_denied`` after
    :meth:`deny_next`); ``/oauth/access_token`` exchanges the code (``client_id``, ``client_secret`` = the
    ``app_secret``, the same ``redirect_uri``) for a short-lived user token, and a short-lived token for a long-lived
    one (``grant_type=fb_exchange_token``); with a user token, ``GET /me``, ``/me/accounts`` (the Page with its Page
    token and tasks), ``/me/permissions``; ``GET /debug_token?input_token=`` (any known token, app token
    ``app_id|app_secret`` accepted) answers the token's type, scopes and expiry; ``GET /{page-id}`` also has
    ``instagram_business_account`` when ``ig_user_id`` is set. :attr:`granted_scopes` is what the person allows.

    The Page token is accepted as ``Authorization: Bearer`` or an ``access_token`` parameter; another token gets
    code 190, none gets code 104. With ``app_secret`` set, a wrong ``appsecret_proof`` gets code 100 (and a missing
    one too when ``require_proof``). An unknown object gets 100/33. ``fail_next`` / ``fail_next_http`` /
    ``drop_next`` inject errors; every request is recorded in ``calls``, and an exception raised while answering
    (a malformed request, a bug in the fake) in ``server_errors`` (answered as HTTP 500, code 1).
    """

    thread_name = "fake-graph"
    verbs: ClassVar[frozenset[str]] = frozenset({"GET", "POST", "DELETE"})

    def __init__(
        self,
        *,
        page_id: str = "1234567890",
        page_name: str = "Humas Fake",
        page_token: str = "EAAGfakePAGEtoken",
        app_secret: str | None = None,
        require_proof: bool = False,
        clock: Callable[[], datetime] | None = None,
        app_id: str = "100200300400500",
        user_id: str = "7770001",
        ig_user_id: str | None = None,
        ig_username: str = "humas_fake",
    ) -> None:
        super().__init__()
        self.app_id = app_id
        self.user_id = user_id
        self.ig_user_id = ig_user_id
        self.ig_username = ig_username
        #: the permissions the person grants in the login dialog (every one the app asks for, unless set)
        self.granted_scopes: list[str] | None = None
        self.codes: dict[str, tuple[str, list[str]]] = {}  # code -> (redirect_uri, scopes); deleted when used
        self.user_tokens: dict[str, _UserToken] = {}
        self._deny = False
        self.page_id = page_id
        self.page_name = page_name
        self.page_token = page_token
        self.app_secret = app_secret
        self.require_proof = require_proof
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.posts: dict[str, GraphPost] = {}
        self.photos: dict[str, GraphPhoto] = {}
        self.comments: dict[str, GraphComment] = {}
        self.calls: list[GraphCall] = []
        self.server_errors: list[Exception] = []  # exceptions the fake raised while answering (answered 500/code 1)
        self._seq = 0

    def __repr__(self) -> str:
        return f"FakeGraphServer(page_id={self.page_id!r}, url={self._url_or_none()!r})"

    # --- scripting ----------------------------------------------------------------------------------------------

    def fail_next(
        self,
        code: int,
        subcode: int | None = None,
        *,
        status: int = 400,
        message: str | None = None,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` matching requests (``method``; ``path`` a regex searched in the path without the
        version) get a Graph error envelope for ``code`` with HTTP ``status``; nothing is stored."""
        body = json.dumps(graph_error(code, subcode, message)).encode()
        with self._lock:
            self._faults.extend(Fault(method, path, LoopbackAnswer(status, {}, body)) for _ in range(times))

    def fail_next_http(
        self, status: int, body: bytes = b"", *, method: str | None = None, path: str | None = None
    ) -> None:
        """The next matching request gets a bare HTTP ``status`` (a proxy's answer: no Graph envelope)."""
        with self._lock:
            self._faults.append(Fault(method, path, LoopbackAnswer(status, {}, body)))

    def deny_next(self) -> None:
        """The next login dialog ends with the person refusing (``error=access_denied``)."""
        with self._lock:
            self._deny = True

    def issue_code(self, redirect_uri: str, scopes: list[str] | None = None) -> str:
        """A code as the login dialog would give it for ``redirect_uri`` (headless tests skip the browser)."""
        with self._lock:
            code = "AQ" + secrets.token_urlsafe(24)
            self.codes[code] = (redirect_uri, list(scopes if scopes is not None else self.granted_scopes or []))
            return code

    def add_post(self, message: str, *, created_time: datetime | None = None) -> GraphPost:
        """A published text post on the Page, as if made elsewhere."""
        with self._lock:
            post = GraphPost(self._post_id(), message, _aware(created_time) if created_time else self.clock())
            self.posts[post.id] = post
            return post

    def add_comment(
        self,
        post_id: str,
        message: str,
        *,
        from_id: str | None = "5550001",
        from_name: str | None = "Warga",
        parent_id: str | None = None,
        created_time: datetime | None = None,
    ) -> GraphComment:
        """A comment (or a reply, ``parent_id``) by a member of the public on a post the fake holds."""
        with self._lock:
            if post_id not in self.posts:
                raise NotFound(f"fake graph: no post {post_id!r}")
            return self._new_comment(post_id, message, from_id, from_name, parent_id,
                                     _aware(created_time) if created_time else self.clock())

    def delete_comment(self, comment_id: str) -> None:
        with self._lock:
            self.comments.pop(comment_id, None)

    def comments_on(self, post_id: str) -> list[GraphComment]:
        """The comments and replies held for a post, oldest first."""
        with self._lock:
            return sorted((c for c in self.comments.values() if c.post_id == post_id), key=lambda c: c.seq)

    def reset(self) -> None:
        with self._lock:
            self.posts.clear()
            self.photos.clear()
            self.comments.clear()
            self.calls.clear()
            self.server_errors.clear()
            self._faults.clear()
            self.codes.clear()
            self.user_tokens.clear()

    # --- the wire -----------------------------------------------------------------------------------------------

    def _answer(self, method: str, target: str, headers: email.message.Message, body: bytes) -> LoopbackAnswer:
        status, payload, drop = self._dispatch(method, target, dict(headers.items()), body)
        head = {"Content-Type": "application/json; charset=UTF-8"}
        if status == 302:  # the login dialog sends the browser back to the app: the payload is the Location
            head = {"Location": payload.decode(), **head}
            payload = b""
        return LoopbackAnswer(status, head, payload, drop=drop)

    def _dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, bool]:
        """(status, JSON body, drop the connection) for one request; called on the server's thread."""
        parts = urlsplit(target)
        m = re.fullmatch(r"/(v\d+\.\d+)/(.+)", parts.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        files: dict[str, tuple[str, str, bytes]] = {}
        ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if body and ctype.startswith("multipart/form-data"):
            form, files = _multipart(ctype, body)
            params.update(form)
        elif body:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        header_token = auth[7:] if auth.startswith("Bearer ") else None
        query_token = params.pop("access_token", None)
        proof = params.pop("appsecret_proof", None)
        path = m.group(2).strip("/") if m else parts.path.strip("/")
        with self._lock:
            self.calls.append(GraphCall(method, path, m.group(1) if m else "", dict(params),
                                        {k: v[0] for k, v in files.items()}, query_token is not None, proof))
            fault = self._take_fault(method, path)
            if fault is not None and not fault.apply:
                return fault.answer.status, fault.answer.payload, fault.drop
            if path == "dialog/oauth" and method == "GET":
                return self._dialog(params)
            if m is None:
                return self._error(404, 100, 33, f"Unknown path components: {parts.path}")
            if path == "oauth/access_token":
                return self._access_token(params)
            token = header_token or query_token
            if not token:
                return self._error(400, 104, None, "An access token is required to request this resource.")
            user = self.user_tokens.get(token)
            if user is not None and user.expires_at <= self.clock():
                return self._error(400, 190, 463, "Error validating access token: Session has expired.")
            if path == "debug_token" and (user is not None or token in (self.page_token, self._app_token)):
                return 200, json.dumps(self._debug_token(params.get("input_token", ""))).encode(), False
            if user is not None:
                return self._as_user(method, path, user)
            if token != self.page_token:
                return self._error(400, 190, None, "Invalid OAuth access token - Cannot parse access token")
            if self.app_secret is not None and (proof is not None or self.require_proof):
                want = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
                if proof is None:
                    return self._error(400, 100, None,
                                       "API calls from the server require an appsecret_proof argument")
                if not hmac.compare_digest(proof, want):
                    return self._error(400, 100, None, "Invalid appsecret_proof provided in the API argument")
            try:
                status, answer = self._route(method, path, params, files, token, m.group(1))
            except Exception as exc:  # a bug in the fake or a malformed request: Graph's "unknown error", kept
                self.server_errors.append(exc)
                status, answer = 500, graph_error(1)
            if fault is not None:  # an applied drop: the write stays, its answer is lost
                return 0, b"", True
            return status, json.dumps(answer).encode(), False

    def _error(self, status: int, code: int, subcode: int | None, message: str) -> tuple[int, bytes, bool]:
        return status, json.dumps(graph_error(code, subcode, message)).encode(), False

    def _route(
        self, method: str, path: str, params: dict[str, str], files: dict[str, tuple[str, str, bytes]], token: str,
        version: str,
    ) -> tuple[int, Any]:
        segments = path.split("/")
        obj = self.page_id if segments[0] == "me" else segments[0]
        edge = segments[1] if len(segments) > 1 else None
        if len(segments) > 2:
            return _unsupported(path)
        if obj == self.page_id:
            if method == "GET" and edge is None:
                page: dict[str, Any] = {"id": self.page_id, "name": self.page_name}
                if self.ig_user_id is not None:
                    page["instagram_business_account"] = {"id": self.ig_user_id, "username": self.ig_username}
                return 200, _select(page, params.get("fields") or "id,name")
            if method == "POST" and edge == "feed":
                return self._feed(params)
            if method == "POST" and edge == "photos":
                return self._photo(params, files)
            if method == "POST" and edge == "videos":
                return self._video(params, files)
            if method == "GET" and edge == "posts":
                return self._list_posts(params, token, version)
            return _unsupported(path)
        if obj == self.ig_user_id and method == "GET" and edge is None:  # the linked Instagram account itself
            return 200, _select({"id": obj, "username": self.ig_username}, params.get("fields") or "id")
        if obj in self.posts:
            if method == "GET" and edge is None:
                return 200, _select(self._post_json(self.posts[obj]), params.get("fields") or "id,message,created_time")
            if method == "GET" and edge == "comments":
                return self._list_comments(obj, None, params, token, version)
            if method == "GET" and edge == "insights":
                return self._insights(self.posts[obj], params)
            if method == "POST" and edge == "comments":
                return self._reply(obj, None, params)
            if method == "DELETE" and edge is None:
                del self.posts[obj]
                return 200, {"success": True}
            return _unsupported(path)
        if obj in self.comments:
            comment = self.comments[obj]
            if method == "GET" and edge is None:
                return 200, _select(self._comment_json(comment), params.get("fields") or "id,message,created_time")
            if method == "GET" and edge == "comments":
                return self._list_comments(comment.post_id, comment.id, params, token, version)
            if method == "POST" and edge == "comments":
                return self._reply(comment.post_id, comment.id, params)
            if method == "POST" and edge is None and "is_hidden" in params:
                if comment.from_id == self.page_id:
                    return 400, graph_error(100, None, "(#100) Cannot hide a comment made by the Page")
                comment.is_hidden = params["is_hidden"].lower() == "true"
                return 200, {"success": True}
            if method == "DELETE" and edge is None:
                del self.comments[obj]
                return 200, {"success": True}
            return _unsupported(path)
        return _unsupported(path)

    def _feed(self, params: dict[str, str]) -> tuple[int, Any]:
        message = params.get("message", "")
        attached = [json.loads(v) for k, v in sorted(params.items()) if k.startswith("attached_media[")]
        photo_ids = tuple(str(a.get("media_fbid")) for a in attached if isinstance(a, dict))
        if not message and not params.get("link") and not photo_ids:
            return 400, graph_error(100, None, "(#100) Missing message or attachment")
        for pid in photo_ids:
            photo = self.photos.get(pid)
            if photo is None or photo.published:
                return 400, graph_error(100, None, f"(#100) media_fbid {pid} is not an unpublished photo")
        post = GraphPost(self._post_id(), message, self.clock(), kind="album" if photo_ids else "status",
                         link=params.get("link"), photo_ids=photo_ids)
        self.posts[post.id] = post
        for pid in photo_ids:
            self.photos[pid].post_id = post.id
        return 200, {"id": post.id}

    def _photo(self, params: dict[str, str], files: dict[str, tuple[str, str, bytes]]) -> tuple[int, Any]:
        if "source" in files:
            filename, content_type, data = files["source"]
        elif params.get("url"):
            filename, content_type, data = params["url"].rsplit("/", 1)[-1], "image/jpeg", b""
        else:
            return 400, graph_error(324, None, "(#324) Requires upload file")
        if not content_type.startswith("image/"):
            return 400, graph_error(324, None, "(#324) Missing or invalid image file")
        published = params.get("published", "true").lower() != "false"
        photo = GraphPhoto(self._new_id(), filename, content_type, data, published)
        self.photos[photo.id] = photo
        if not published:
            return 200, {"id": photo.id}
        post = GraphPost(self._post_id(), params.get("message") or params.get("caption") or "", self.clock(),
                         kind="photo", photo_ids=(photo.id,))
        self.posts[post.id] = post
        photo.post_id = post.id
        return 200, {"id": photo.id, "post_id": post.id}

    def _video(self, params: dict[str, str], files: dict[str, tuple[str, str, bytes]]) -> tuple[int, Any]:
        if "source" not in files and not params.get("file_url"):
            return 400, graph_error(100, None, "(#100) No file or file_url given")
        video_id = self._new_id()
        # A Page video is also a post; Graph answers with the video id, which the post list shows as its object.
        post = GraphPost(video_id, params.get("description", ""), self.clock(), kind="video",
                         title=params.get("title"))
        self.posts[post.id] = post
        return 200, {"id": video_id}

    def _list_posts(self, params: dict[str, str], token: str, version: str) -> tuple[int, Any]:
        since = _int_param(params.get("since"))
        posts = sorted(self.posts.values(), key=lambda p: (p.created_time, p.id), reverse=True)
        if since is not None:
            posts = [p for p in posts if p.created_time.timestamp() >= since]
        fields = params.get("fields") or "id,message,created_time"
        items = [(_post_seq(p), _select(self._post_json(p), fields)) for p in posts]
        return self._page(items, f"{self.page_id}/posts", params, token, version)

    def _list_comments(
        self, post_id: str, parent: str | None, params: dict[str, str], token: str, version: str
    ) -> tuple[int, Any]:
        held = sorted((c for c in self.comments.values() if c.post_id == post_id), key=lambda c: c.seq)
        if parent is not None:
            held = [c for c in held if c.parent_id == parent]
        elif params.get("filter", "toplevel") != "stream":
            held = [c for c in held if c.parent_id is None]
        if params.get("order") == "reverse_chronological":
            held.reverse()
        since = _int_param(params.get("since"))
        if since is not None:
            held = [c for c in held if c.created_time.timestamp() >= since]
        fields = params.get("fields") or "id,message,created_time"
        items = [(c.seq, _select(self._comment_json(c), fields)) for c in held]
        return self._page(items, f"{parent or post_id}/comments", params, token, version)

    def _page(
        self, items: list[tuple[int, dict[str, Any]]], path: str, params: dict[str, str], token: str, version: str
    ) -> tuple[int, Any]:
        """One page of an edge after the ``after`` cursor (the position of a held object), with Graph's paging."""
        limit = max(1, min(_int_param(params.get("limit")) or 25, 100))
        start = 0
        if params.get("after"):
            seq = _cursor_seq(params["after"])
            index = next((i for i, (s, _) in enumerate(items) if s == seq), None)
            if index is None:
                return 400, graph_error(100, None, "(#100) The after cursor is invalid")
            start = index + 1
        chunk = items[start : start + limit]
        answer: dict[str, Any] = {"data": [item for _, item in chunk]}
        if chunk:
            paging: dict[str, Any] = {"cursors": {"before": _cursor(chunk[0][0]), "after": _cursor(chunk[-1][0])}}
            if start + limit < len(items):
                query = {k: v for k, v in params.items() if k != "after"}
                query |= {"access_token": token, "after": _cursor(chunk[-1][0])}
                paging["next"] = f"{self.url}/{version}/{path}?{urlencode(query)}"
            answer["paging"] = paging
        return 200, answer

    def _insights(self, post: GraphPost, params: dict[str, str]) -> tuple[int, Any]:
        metrics = [m for m in params.get("metric", "").split(",") if m]
        if not metrics or any(m != "post_total_media_view_unique" for m in metrics):
            return 400, graph_error(100, None, "(#100) The value must be a valid insights metric")
        if post.reach is None:
            return 400, graph_error(10)
        return 200, {"data": [{"name": "post_total_media_view_unique", "period": "lifetime",
                               "values": [{"value": post.reach}], "id": f"{post.id}/insights/{metrics[0]}/lifetime"}]}

    def _reply(self, post_id: str, parent: str | None, params: dict[str, str]) -> tuple[int, Any]:
        if not params.get("message") and not params.get("attachment_url"):
            return 400, graph_error(100, None, "(#100) Missing message")
        target = self.comments.get(parent) if parent else None
        # Graph nests one level: a reply to a reply lands under the top-level comment.
        top = (target.parent_id or target.id) if target is not None else None
        reply = self._new_comment(post_id, params.get("message", ""), self.page_id, self.page_name, top,
                                  self.clock())
        return 200, {"id": reply.id}

    # --- Facebook Login -----------------------------------------------------------------------------------------

    @property
    def _app_token(self) -> str:
        return f"{self.app_id}|{self.app_secret}"

    def _dialog(self, params: dict[str, str]) -> tuple[int, bytes, bool]:
        redirect_uri = params.get("redirect_uri", "")
        if params.get("client_id") != self.app_id or not redirect_uri:
            return self._error(400, 191, None, "Can't load URL: the domain of this URL isn't included in the app's "
                                               "domains")
        query: dict[str, str] = {"state": params.get("state", "")}
        if self._deny:
            self._deny = False
            query |= {"error": "access_denied", "error_code": "200", "error_reason": "user_denied",
                      "error_description": "Permissions error"}
        else:
            asked = [p for p in re.split(r"[\s,]+", params.get("scope", "")) if p]
            granted = asked if self.granted_scopes is None else [p for p in asked if p in self.granted_scopes]
            query["code"] = self.issue_code(redirect_uri, granted)
        sep = "&" if "?" in redirect_uri else "?"
        return 302, f"{redirect_uri}{sep}{urlencode(query)}#_=_".encode(), False

    def _access_token(self, params: dict[str, str]) -> tuple[int, bytes, bool]:
        if params.get("client_id") != self.app_id:
            return self._error(400, 101, None, "Error validating application. Invalid application ID.")
        if self.app_secret is None or params.get("client_secret") != self.app_secret:
            return self._error(400, 1, None, "Error validating client secret.")
        now = self.clock()
        if params.get("grant_type") == "fb_exchange_token":
            short = self.user_tokens.get(params.get("fb_exchange_token", ""))
            if short is None or short.expires_at <= now:
                return self._error(400, 190, None, "Invalid OAuth access token - Cannot parse access token")
            token, lifetime = self._new_user_token(short.scopes, long_lived=True)
        else:
            found = self.codes.pop(params.get("code", ""), None)
            if found is None:
                return self._error(400, 100, 36009, "This authorization code has been used.")
            if found[0] != params.get("redirect_uri"):
                return self._error(400, 100, 36008, "Error validating verification code. Please make sure your "
                                                     "redirect_uri is identical to the one you used in the OAuth "
                                                     "dialog request")
            token, lifetime = self._new_user_token(found[1], long_lived=False)
        body = {"access_token": token, "token_type": "bearer", "expires_in": lifetime}
        return 200, json.dumps(body).encode(), False

    def _new_user_token(self, scopes: list[str], *, long_lived: bool) -> tuple[str, int]:
        lifetime = 60 * 86400 if long_lived else 2 * 3600
        token = ("EAAGlong" if long_lived else "EAAGshort") + secrets.token_urlsafe(24)
        self.user_tokens[token] = _UserToken(list(scopes), self.clock() + timedelta(seconds=lifetime), long_lived)
        return token, lifetime

    def _as_user(self, method: str, path: str, user: _UserToken) -> tuple[int, bytes, bool]:
        if method != "GET":
            return self._error(400, 200, None, "(#200) Requires a Page access token")
        if path == "me":
            body: dict[str, Any] = {"id": self.user_id, "name": "Admin Humas"}
        elif path == "me/permissions":
            body = {"data": [{"permission": p, "status": "granted"} for p in user.scopes]}
        elif path == "me/accounts":
            pages = [] if "pages_show_list" not in user.scopes else [{
                "id": self.page_id, "name": self.page_name, "access_token": self.page_token,
                "category": "Government Organization", "tasks": ["ANALYZE", "ADVERTISE", "MODERATE",
                                                                 "CREATE_CONTENT", "MANAGE"]}]
            body = {"data": pages}
            if pages:
                body["paging"] = {"cursors": {"before": _cursor(1), "after": _cursor(1)}}
        else:
            return 400, json.dumps(_unsupported(path)[1]).encode(), False
        return 200, json.dumps(body).encode(), False

    def _debug_token(self, token: str) -> dict[str, Any]:
        user = self.user_tokens.get(token)
        issued = int(self.clock().timestamp())
        if token == self.page_token:
            scopes = sorted({p for t in self.user_tokens.values() for p in t.scopes})
            info: dict[str, Any] = {"type": "PAGE", "profile_id": self.page_id, "expires_at": 0, "is_valid": True,
                                    "scopes": scopes}
        elif user is not None:
            info = {"type": "USER", "expires_at": int(user.expires_at.timestamp()),
                    "is_valid": user.expires_at > self.clock(), "scopes": user.scopes}
        else:
            return {"data": {"error": {"code": 190, "message": "Invalid OAuth access token."}, "is_valid": False,
                             "scopes": []}}
        return {"data": {"app_id": self.app_id, "application": "Humas Fake App", "user_id": self.user_id,
                         "issued_at": issued, "data_access_expires_at": issued + 90 * 86400, **info}}

    # --- store helpers ------------------------------------------------------------------------------------------

    def _new_id(self) -> str:
        self._seq += 1
        return str(5550000000 + self._seq)

    def _post_id(self) -> str:
        self._seq += 1
        return f"{self.page_id}_{1000 + self._seq}"

    def _new_comment(
        self, post_id: str, message: str, from_id: str | None, from_name: str | None, parent_id: str | None,
        created: datetime,
    ) -> GraphComment:
        self._seq += 1
        comment = GraphComment(f"{post_id.rsplit('_', 1)[-1]}_{20000 + self._seq}", post_id, message, created,
                               from_id, from_name, parent_id, seq=self._seq)
        self.comments[comment.id] = comment
        return comment

    def _post_json(self, post: GraphPost) -> dict[str, Any]:
        return {
            "id": post.id,
            "message": post.message,
            "created_time": post.created_time.astimezone(UTC).strftime(GRAPH_TIME_FORMAT),
            "permalink_url": f"https://www.facebook.com/{post.id}",
            "from": {"id": self.page_id, "name": self.page_name},
            "reactions": {"data": [], "summary": {"total_count": post.reactions, "viewer_reaction": "NONE"}},
            "comments": {"data": [], "summary": {"order": "ranked", "can_comment": True, "total_count": sum(
                1 for c in self.comments.values() if c.post_id == post.id and c.parent_id is None)}},
            **({"shares": {"count": post.shares}} if post.shares else {}),  # absent while nobody shared
        }

    def _comment_json(self, c: GraphComment) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": c.id,
            "message": c.message,
            "created_time": c.created_time.astimezone(UTC).strftime(GRAPH_TIME_FORMAT),
            "comment_count": sum(1 for o in self.comments.values() if o.parent_id == c.id),
            "is_hidden": c.is_hidden,
            "permalink_url": f"https://www.facebook.com/{c.post_id}?comment_id={c.id}",
        }
        if c.from_id is not None:  # absent unless the token may moderate the Page
            out["from"] = {"id": c.from_id, "name": c.from_name or ""}
        if c.parent_id is not None:
            out["parent"] = {"id": c.parent_id}
        return out


def _unsupported(path: str) -> tuple[int, Any]:
    obj = path.split("/", 1)[0]
    return 400, {"error": {
        "message": f"Unsupported get request. Object with ID '{obj}' does not exist, cannot be loaded due to "
                   "missing permissions, or does not support this operation. Please read the Graph API "
                   "documentation at https://developers.facebook.com/docs/graph-api",
        "type": "GraphMethodException", "code": 100, "error_subcode": 33,
        "fbtrace_id": "Fk" + secrets.token_urlsafe(8)}}


def _select(obj: dict[str, Any], fields: str) -> dict[str, Any]:
    """The top-level ``fields`` of ``obj`` (``parent{id}`` selects ``parent``, ``reactions.summary(…).limit(0)``
    selects ``reactions``); ``id`` always."""
    names = {"id"} | {re.split(r"[{.(]", f, maxsplit=1)[0].strip()
                      for f in re.sub(r"\{[^{}]*\}", "", fields).split(",") if f.strip()}
    return {k: v for k, v in obj.items() if k in names}


def _int_param(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"fake-cursor:{seq}".encode()).decode().rstrip("=")


def _cursor_seq(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return _int_param(text.removeprefix("fake-cursor:")) if text.startswith("fake-cursor:") else None


def _post_seq(post: GraphPost) -> int:
    return int(post.id.rsplit("_", 1)[-1])
