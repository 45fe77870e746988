"""A loopback fake of the Instagram Graph API, Facebook-Login flavour (``platform-apis.md`` §3.1), shipped with humas
for its own tests and for users' tests: :class:`FakeInstagramServer` is a real HTTP server on 127.0.0.1 to run the
real :class:`~humas.publisher.instagram.InstagramAdapter` against (its ``api_base`` option).

It extends :class:`~humas.testing_graph.FakeGraphServer`: the same wire (``/vNN.N/`` paths, the Page token as
``Authorization: Bearer`` or ``access_token``, ``appsecret_proof``, Graph error envelopes, ``paging.next`` URLs that
embed the token), the same fault injection (``fail_next``, ``fail_next_http``, ``drop_next``), the same Facebook
Login (connecting the Instagram account through its Page's ``instagram_business_account``), plus the Instagram
professional account's media, containers and comments.
"""

from __future__ import annotations

import base64
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from humas.errors import NotFound
from humas.testing import _aware
from humas.testing_graph import (
    GRAPH_TIME_FORMAT,
    FakeGraphServer,
    _select,
    _unsupported,
    _UserToken,
    graph_error,
)

__all__ = ["IG_LIMITS", "FakeInstagramServer", "IGComment", "IGContainer", "IGMedia"]

#: What the fake enforces on a caption (§3.1, §5): Meta's documented 2,200 characters, 30 hashtags and 20 mentions
#: (humas itself allows only 5 hashtags since Instagram's Dec 2025 change; the API documents 30).
IG_LIMITS = {"caption": 2_200, "hashtags": 30, "mentions": 20, "children": 10}
DAY = timedelta(hours=24)
# Ids in Instagram's shape (17 digits); the fake's sequence number is added to each base.
CONTAINER_BASE, MEDIA_BASE, COMMENT_BASE = 17889455560050000, 17920238422030000, 17919697626110000
STATUS_TEXT = {
    "IN_PROGRESS": "In Progress: Media is still being processed.",
    "FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
    "EXPIRED": "Expired: Media was not published within 24 hours.",
    "PUBLISHED": "Published: Media has been successfully published.",
}


@dataclass
class IGContainer:
    """A media container (``POST /{ig-user-id}/media``): what Meta fetched, and where it stands."""

    id: str
    kind: str  # IMAGE, REELS, CAROUSEL, or a carousel child: CHILD_IMAGE, CHILD_VIDEO
    caption: str
    created_at: datetime
    image_url: str | None = None
    video_url: str | None = None
    children: tuple[str, ...] = ()
    params: dict[str, str] = field(default_factory=dict)
    status_code: str = "FINISHED"  # IN_PROGRESS, FINISHED, ERROR, EXPIRED, PUBLISHED
    status: str = STATUS_TEXT["FINISHED"]
    reads_in_progress: int = 0  # status reads still answered IN_PROGRESS (a video being processed)
    media_id: str | None = None


@dataclass
class IGMedia:
    """A published media of the account (``media_type`` IMAGE, VIDEO or CAROUSEL_ALBUM; reels are VIDEO/REELS)."""

    id: str
    caption: str
    timestamp: datetime
    media_type: str = "IMAGE"
    media_product_type: str = "FEED"
    container_id: str | None = None
    children: tuple[str, ...] = ()
    media_urls: tuple[str, ...] = ()
    # engagement: set by tests; ``reach``/``views`` None means the insights are not available (code 10)
    like_count: int = 0
    reach: int | None = None
    views: int | None = None

    @property
    def shortcode(self) -> str:
        return base64.urlsafe_b64encode(int(self.id).to_bytes(8, "big")).decode().rstrip("=")

    @property
    def permalink(self) -> str:
        kind = "reel" if self.media_product_type == "REELS" else "p"
        return f"https://www.instagram.com/{kind}/{self.shortcode}/"


@dataclass
class IGComment:
    """A comment on a media, or a reply (``parent_id`` the top-level comment: Instagram nests one level)."""

    id: str
    media_id: str
    text: str
    timestamp: datetime
    username: str
    from_id: str
    parent_id: str | None = None
    hidden: bool = False
    like_count: int = 0
    seq: int = 0


class FakeInstagramServer(FakeGraphServer):
    """A real HTTP server on 127.0.0.1 speaking the Instagram Graph API (Facebook Login: a Page token, host
    ``graph.facebook.com``) for what :class:`~humas.publisher.instagram.InstagramAdapter` calls. Pass ``fake.url``
    as the account's ``api_base``. Served, besides everything :class:`FakeGraphServer` serves for the Page:

    * ``GET /{ig-user-id}`` (``id,username,name,media_count``) — the account check;
    * ``POST /{ig-user-id}/media``: an image (``image_url``), a reel (``media_type=REELS``, ``video_url``), a carousel
      child (``is_carousel_item=true`` with ``image_url``, or ``media_type=VIDEO`` + ``video_url``), a carousel
      (``media_type=CAROUSEL``, ``children``, at most 10) -> ``{"id": <container>}``. The caption is checked against
      :data:`IG_LIMITS` (code 100). Nothing is downloaded: the URLs are recorded in the container; with
      ``check_media_urls`` the fake asks each URL once (status and type only, the body is not read) and a URL that
      does not answer ``200`` with an image or video type gets 9004/2207052 ("Media download has failed");
    * ``GET /{container-id}?fields=status_code,status``: images are ``FINISHED`` at once; a video answers
      ``IN_PROGRESS`` for its first ``video_processing_reads`` reads; ``ERROR`` (status text ``Error: ... error code
      <subcode>``) after :meth:`fail_next_container`; ``EXPIRED`` after :meth:`expire_container`; ``PUBLISHED`` after
      ``media_publish``;
    * ``POST /{ig-user-id}/media_publish`` (``creation_id``) -> ``{"id": <media>}``; an unknown container gets
      24/2207008, an unfinished one 9007/2207027, an expired one -2/2207020, one already published or failed code
      100, and over the quota 9/2207042 (nothing is stored then);
    * ``GET /{ig-user-id}/content_publishing_limit?fields=config,quota_usage``: ``quota_total`` and what was
      published in the last 24 hours;
    * ``GET /{ig-user-id}/media`` (newest first) and ``GET /{media-id}`` (``caption``, ``timestamp``, ``permalink``,
      ``shortcode``, ``media_type``, ``media_product_type``, ``like_count``, ``comments_count``, ``username``),
      ``GET /{media-id}/insights?metric=reach,views`` (code 10 while the media's ``reach`` is None; a retired metric
      such as ``impressions`` gets code 100);
    * ``GET /{media-id}/comments``: top-level comments, newest first (Meta does not document the order), with
      ``paging.cursors`` and ``paging.next``; the nested ``replies{…}`` field holds the first
      ``replies_page_size`` replies (oldest first) with its own ``paging.next`` to ``GET /{comment-id}/replies``;
      a comment by the account carries ``from.id`` = ``own_scoped_id`` (an Instagram-scoped id, not the IG user id)
      and the account's ``username``;
    * ``POST /{comment-id}/replies`` (``message``; a reply to a reply lands under its top-level comment),
      ``POST /{comment-id}`` ``hide=true|false``, ``GET``/``DELETE /{comment-id}``.

    Faults besides the inherited ones: :meth:`fail_next_container`, :meth:`expire_container`, :meth:`expire_token`
    (the token in use answers 190/463 "Session has expired" from then on; connecting again gets the new one),
    :attr:`usage_header` (a ``X-Business-Use-Case-Usage`` value sent with every answer), :attr:`quota_total`.
    :attr:`on_media_published` runs (under the fake's lock) for each media ``media_publish`` stores.
    """

    thread_name = "fake-instagram"

    def __init__(
        self,
        *,
        ig_user_id: str = "17841400000000000",
        ig_username: str = "humas_fake",
        own_scoped_id: str = "17841499999999999",
        page_id: str = "1234567890",
        page_name: str = "Humas Fake",
        page_token: str = "EAAGfakePAGEtoken",
        app_secret: str | None = None,
        require_proof: bool = False,
        clock: Callable[[], datetime] | None = None,
        app_id: str = "100200300400500",
        quota_total: int = 50,
        video_processing_reads: int = 1,
        replies_page_size: int = 25,
        check_media_urls: bool = False,
    ) -> None:
        super().__init__(page_id=page_id, page_name=page_name, page_token=page_token, app_secret=app_secret,
                         require_proof=require_proof, clock=clock, app_id=app_id, ig_user_id=ig_user_id,
                         ig_username=ig_username)
        self.ig_user_id: str = ig_user_id
        self.own_scoped_id = own_scoped_id
        self.quota_total = quota_total
        self.video_processing_reads = video_processing_reads
        self.replies_page_size = replies_page_size
        self.check_media_urls = check_media_urls
        self.usage_header: str | None = None
        self.on_media_published: Callable[[IGMedia], None] | None = None
        self.containers: dict[str, IGContainer] = {}
        self.media: dict[str, IGMedia] = {}
        self.ig_comments: dict[str, IGComment] = {}
        self.media_url_checks: list[tuple[str, int | None, str]] = []  # (url, HTTP status, content type)
        self._container_failures: list[str] = []  # status texts the next created containers end with

    def __repr__(self) -> str:
        return f"FakeInstagramServer(ig_user_id={self.ig_user_id!r}, url={self._url_or_none()!r})"

    def _every_answer_headers(self) -> dict[str, str]:
        usage = self.usage_header
        if usage is None:
            return {}
        return {"X-Business-Use-Case-Usage": usage}  # Meta sends the usage headers with every answer (§2.3)

    # --- scripting ----------------------------------------------------------------------------------------------

    def fail_next_container(self, subcode: int = 2207053, *, times: int = 1) -> None:
        """The next ``times`` containers created end with ``status_code`` ``ERROR`` and the status text Meta uses
        (``Error: Media upload has failed with error code <subcode>``)."""
        with self._lock:
            self._container_failures.extend(
                f"Error: Media upload has failed with error code {subcode}" for _ in range(times))

    def expire_container(self, container_id: str) -> None:
        """The container was not published within 24 hours."""
        with self._lock:
            c = self.containers[container_id]
            c.status_code, c.status = "EXPIRED", STATUS_TEXT["EXPIRED"]

    def expire_token(self) -> str:
        """The Page token in use expires (190/463 from now on) and a new one is issued, which the Facebook Login
        (``/me/accounts``) hands out when the account is connected again. Returns the new token."""
        with self._lock:
            # an expired user token is exactly what the parent answers 190/463 for, before anything else
            self.user_tokens[self.page_token] = _UserToken([], self.clock() - timedelta(seconds=1), True)
            self.page_token = "EAAGrenewed" + base64.urlsafe_b64encode(self._next_seq().to_bytes(4, "big")).decode()
            return self.page_token

    def add_ig_media(self, caption: str, *, timestamp: datetime | None = None, media_type: str = "IMAGE",
                     media_product_type: str = "FEED") -> IGMedia:
        """A media published on the account, as if made in the Instagram app."""
        with self._lock:
            m = IGMedia(str(MEDIA_BASE + self._next_seq()), caption,
                        _aware(timestamp) if timestamp else self.clock(), media_type, media_product_type)
            self.media[m.id] = m
            return m

    def add_ig_comment(
        self,
        media_id: str,
        text: str,
        *,
        username: str = "warga_kota",
        from_id: str | None = None,
        parent_id: str | None = None,
        timestamp: datetime | None = None,
        like_count: int = 0,
    ) -> IGComment:
        """A comment (or a reply, ``parent_id``) by a member of the public on a media the fake holds."""
        with self._lock:
            if media_id not in self.media:
                raise NotFound(f"fake instagram: no media {media_id!r}")
            seq = self._next_seq()
            c = IGComment(str(COMMENT_BASE + seq), media_id, text, _aware(timestamp) if timestamp else self.clock(),
                          username, from_id or str(2105722729800000 + seq), parent_id, like_count=like_count, seq=seq)
            self.ig_comments[c.id] = c
            return c

    def ig_comments_on(self, media_id: str) -> list[IGComment]:
        """The comments and replies held for a media, oldest first."""
        with self._lock:
            return sorted((c for c in self.ig_comments.values() if c.media_id == media_id), key=lambda c: c.seq)

    def own_replies(self) -> list[IGComment]:
        """The replies the account posted (through the API), oldest first."""
        with self._lock:
            return sorted((c for c in self.ig_comments.values() if c.from_id == self.own_scoped_id),
                          key=lambda c: c.seq)

    def reset(self) -> None:
        with self._lock:
            super().reset()
            self.containers.clear()
            self.media.clear()
            self.ig_comments.clear()
            self.media_url_checks.clear()
            self._container_failures.clear()

    # --- routing ------------------------------------------------------------------------------------------------

    def _route(
        self, method: str, path: str, params: dict[str, str], files: dict[str, tuple[str, str, bytes]], token: str,
        version: str,
    ) -> tuple[int, Any]:
        segments = path.split("/")
        obj, edge = segments[0], (segments[1] if len(segments) == 2 else None)
        if len(segments) > 2:
            return _unsupported(path)
        if obj == self.ig_user_id:
            return self._ig_user(method, edge, params, token, version)
        if obj in self.containers and edge is None and method == "GET":
            return 200, _select(self._container_json(self.containers[obj]), params.get("fields") or "id")
        if obj in self.media:
            return self._media_route(self.media[obj], method, edge, params, token, version)
        if obj in self.ig_comments:
            return self._comment_route(self.ig_comments[obj], method, edge, params, token, version)
        return super()._route(method, path, params, files, token, version)

    def _ig_user(self, method: str, edge: str | None, params: dict[str, str], token: str,
                 version: str) -> tuple[int, Any]:
        if method == "GET" and edge is None:
            me = {"id": self.ig_user_id, "username": self.ig_username, "name": self.page_name,
                  "media_count": len(self.media)}
            return 200, _select(me, params.get("fields") or "id")
        if method == "POST" and edge == "media":
            return self._create_container(params)
        if method == "POST" and edge == "media_publish":
            return self._media_publish(params)
        if method == "GET" and edge == "content_publishing_limit":
            limit = {"config": {"quota_total": self.quota_total, "quota_duration": int(DAY.total_seconds())},
                     "quota_usage": self._quota_usage()}
            return 200, {"data": [_select(limit, params.get("fields") or "quota_usage")]}
        if method == "GET" and edge == "media":
            held = sorted(self.media.values(), key=lambda m: (m.timestamp, m.id), reverse=True)
            fields = params.get("fields") or "id"
            items = [(int(m.id), _select(self._media_json(m), fields)) for m in held]
            return self._page(items, f"{self.ig_user_id}/media", params, token, version)
        return _unsupported(f"{self.ig_user_id}/{edge or ''}")

    # --- publishing ---------------------------------------------------------------------------------------------

    def _create_container(self, params: dict[str, str]) -> tuple[int, Any]:
        caption = params.get("caption", "")
        problem = _caption_problem(caption)
        if problem is not None:
            return 400, graph_error(100, None, f"(#100) {problem}")
        media_type = params.get("media_type", "").upper()
        child = params.get("is_carousel_item", "").lower() == "true"
        children: tuple[str, ...] = ()
        if child and media_type in ("", "IMAGE") and params.get("image_url"):
            kind, urls = "CHILD_IMAGE", [params["image_url"]]
        elif child and media_type == "VIDEO" and params.get("video_url"):
            kind, urls = "CHILD_VIDEO", [params["video_url"]]
        elif not child and media_type == "REELS" and params.get("video_url"):
            kind, urls = "REELS", [params["video_url"]]
        elif not child and media_type == "CAROUSEL":
            children = tuple(c.strip() for c in params.get("children", "").split(",") if c.strip())
            refusal = self._children_problem(children)
            if refusal is not None:
                return 400, refusal
            kind, urls = "CAROUSEL", []
        elif not child and media_type in ("", "IMAGE") and params.get("image_url"):
            kind, urls = "IMAGE", [params["image_url"]]
        else:
            # VIDEO outside a carousel is deprecated (all feed videos are reels since Jul 2023, §3.1)
            return 400, graph_error(100, None, "(#100) The parameter image_url or video_url (with a supported "
                                               "media_type) is required")
        for url in urls:
            refused = self._check_media_url(url, video=kind in ("REELS", "CHILD_VIDEO"))
            if refused is not None:
                return 400, refused
        c = IGContainer(str(CONTAINER_BASE + self._next_seq()), kind, "" if child else caption, self.clock(),
                        image_url=params.get("image_url"), video_url=params.get("video_url"), children=children,
                        params=dict(params))
        if kind in ("REELS", "CHILD_VIDEO") and self.video_processing_reads > 0:
            c.status_code, c.status = "IN_PROGRESS", STATUS_TEXT["IN_PROGRESS"]
            c.reads_in_progress = self.video_processing_reads
        if self._container_failures:
            c.status_code, c.status, c.reads_in_progress = "ERROR", self._container_failures.pop(0), 0
        self.containers[c.id] = c
        return 200, {"id": c.id}

    def _children_problem(self, children: tuple[str, ...]) -> dict[str, Any] | None:
        if not 2 <= len(children) <= IG_LIMITS["children"]:
            return graph_error(100, None, f"(#100) A carousel needs 2 to {IG_LIMITS['children']} children, "
                                          f"got {len(children)}")
        for cid in children:
            child = self.containers.get(cid)
            if child is None or not child.kind.startswith("CHILD_"):
                return graph_error(100, None, f"(#100) Param children contains {cid}, which is not a carousel "
                                              "item container of this user")
            if child.status_code == "IN_PROGRESS":
                return graph_error(9007, 2207027, "Media ID is not available")
            if child.status_code != "FINISHED":
                return graph_error(100, None, f"(#100) Carousel item {cid} is {child.status_code}")
        return None

    def _check_media_url(self, url: str, *, video: bool) -> dict[str, Any] | None:
        """Meta fetches the media from the office's public URL; the fake only asks whether it answers."""
        if not self.check_media_urls:
            return None
        status: int | None = None
        ctype = ""
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                status, ctype = resp.status, resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            status, ctype = exc.code, exc.headers.get("Content-Type", "")
        except (urllib.error.URLError, OSError, ValueError):
            status = None
        self.media_url_checks.append((url, status, ctype))
        want = "video/" if video else "image/"
        if status == 200 and ctype.startswith(want):
            return None
        err = graph_error(9004, 2207052, "Only photo or video can be accepted as media type.")
        err["error"]["error_user_title"] = "Media download has failed."
        err["error"]["error_user_msg"] = "The media could not be fetched from this uri: " + url
        return err

    def _container_json(self, c: IGContainer) -> dict[str, Any]:
        if c.status_code == "IN_PROGRESS":
            if c.reads_in_progress <= 0:
                c.status_code, c.status = "FINISHED", STATUS_TEXT["FINISHED"]
            else:
                c.reads_in_progress -= 1
        elif c.status_code == "FINISHED" and self.clock() - c.created_at > DAY:
            c.status_code, c.status = "EXPIRED", STATUS_TEXT["EXPIRED"]
        return {"id": c.id, "status_code": c.status_code, "status": c.status}

    def _media_publish(self, params: dict[str, str]) -> tuple[int, Any]:
        cid = params.get("creation_id", "")
        c = self.containers.get(cid)
        if c is None:
            return 400, graph_error(24, 2207008, f"The media builder with creation id = {cid} does not exist or "
                                                 "has been expired.")
        if c.kind.startswith("CHILD_"):
            return 400, graph_error(100, None, "(#100) A carousel item cannot be published on its own")
        if c.status_code == "FINISHED" and self.clock() - c.created_at > DAY:
            c.status_code, c.status = "EXPIRED", STATUS_TEXT["EXPIRED"]
        if c.status_code == "IN_PROGRESS":
            return 400, graph_error(9007, 2207027, "Media ID is not available")
        if c.status_code == "EXPIRED":
            return 400, graph_error(-2, 2207020, "The media you are trying to access has expired. Please try to "
                                                 "upload again.")
        if c.status_code != "FINISHED":
            return 400, graph_error(100, None, f"(#100) The container {cid} is {c.status_code} and cannot be "
                                               "published")
        if self._quota_usage() >= self.quota_total:
            return 400, graph_error(9, 2207042, "You reached maximum number of posts that is allowed to be "
                                                "published by Content Publishing API.")
        kind = {"IMAGE": ("IMAGE", "FEED"), "REELS": ("VIDEO", "REELS"), "CAROUSEL": ("CAROUSEL_ALBUM", "FEED")}
        media_type, product = kind[c.kind]
        urls = [u for u in (c.image_url, c.video_url) if u] + [
            u for ch in c.children for u in (self.containers[ch].image_url, self.containers[ch].video_url) if u]
        m = IGMedia(str(MEDIA_BASE + self._next_seq()), c.caption, self.clock(), media_type, product,
                    container_id=c.id, children=c.children, media_urls=tuple(urls))
        self.media[m.id] = m
        c.status_code, c.status, c.media_id = "PUBLISHED", STATUS_TEXT["PUBLISHED"], m.id
        if self.on_media_published is not None:
            self.on_media_published(m)
        return 200, {"id": m.id}

    def _quota_usage(self) -> int:
        since = self.clock() - DAY
        return sum(1 for m in self.media.values() if m.container_id is not None and m.timestamp > since)

    # --- media, insights ----------------------------------------------------------------------------------------

    def _media_route(self, m: IGMedia, method: str, edge: str | None, params: dict[str, str], token: str,
                     version: str) -> tuple[int, Any]:
        if method == "GET" and edge is None:
            return 200, _select(self._media_json(m), params.get("fields") or "id")
        if method == "GET" and edge == "comments":
            held = [c for c in self.ig_comments_on(m.id) if c.parent_id is None]
            held.reverse()  # newest first
            items = [(c.seq, self._ig_comment_json(c, params.get("fields") or "id,text,timestamp", token, version))
                     for c in held]
            return self._page(items, f"{m.id}/comments", params, token, version)
        if method == "GET" and edge == "insights":
            return self._media_insights(m, params)
        if method == "DELETE" and edge is None:
            del self.media[m.id]
            return 200, {"success": True}
        return _unsupported(f"{m.id}/{edge or ''}")

    def _media_json(self, m: IGMedia) -> dict[str, Any]:
        return {
            "id": m.id,
            "caption": m.caption,
            "timestamp": m.timestamp.astimezone(UTC).strftime(GRAPH_TIME_FORMAT),
            "permalink": m.permalink,
            "shortcode": m.shortcode,
            "media_type": m.media_type,
            "media_product_type": m.media_product_type,
            "like_count": m.like_count,
            "comments_count": sum(1 for c in self.ig_comments.values() if c.media_id == m.id),
            "username": self.ig_username,
            "owner": {"id": self.ig_user_id},
        }

    def _media_insights(self, m: IGMedia, params: dict[str, str]) -> tuple[int, Any]:
        metrics = [x for x in params.get("metric", "").split(",") if x]
        values = {"reach": m.reach, "views": m.views}
        for name in metrics:
            if name not in values:
                # impressions, video_views, plays...: retired in favour of views
                return 400, graph_error(100, None, f"(#100) The Media Insights API does not support the {name} "
                                                   "metric for this media product type.")
        if not metrics:
            return 400, graph_error(100, None, "(#100) The parameter metric is required")
        if any(values[x] is None for x in metrics):
            return 400, graph_error(10, None, "(#10) Not enough viewers for the media to show insights")
        data = [{"name": x, "period": "lifetime", "values": [{"value": values[x]}],
                 "id": f"{m.id}/insights/{x}/lifetime"} for x in metrics]
        return 200, {"data": data}

    # --- comments -----------------------------------------------------------------------------------------------

    def _comment_route(self, c: IGComment, method: str, edge: str | None, params: dict[str, str], token: str,
                       version: str) -> tuple[int, Any]:
        if method == "GET" and edge is None:
            return 200, self._ig_comment_json(c, params.get("fields") or "id,text,timestamp", token, version)
        if method == "GET" and edge == "replies":
            fields = params.get("fields") or "id,text,timestamp"
            items = [(r.seq, self._ig_comment_json(r, fields, token, version)) for r in self._replies_of(c.id)]
            return self._page(items, f"{c.id}/replies", params, token, version)
        if method == "POST" and edge == "replies":
            if not params.get("message"):
                return 400, graph_error(100, None, "(#100) The parameter message is required")
            top = c.parent_id or c.id  # Instagram nests one level
            seq = self._next_seq()
            reply = IGComment(str(COMMENT_BASE + seq), c.media_id, params["message"], self.clock(), self.ig_username,
                              self.own_scoped_id, top, seq=seq)
            self.ig_comments[reply.id] = reply
            return 200, {"id": reply.id}
        if method == "POST" and edge is None and "hide" in params:
            c.hidden = params["hide"].lower() == "true"
            return 200, {"success": True}
        if method == "DELETE" and edge is None:
            for r in self._replies_of(c.id):
                del self.ig_comments[r.id]
            del self.ig_comments[c.id]
            return 200, {"success": True}
        return _unsupported(f"{c.id}/{edge or ''}")

    def _replies_of(self, comment_id: str) -> list[IGComment]:
        return sorted((r for r in self.ig_comments.values() if r.parent_id == comment_id), key=lambda r: r.seq)

    def _ig_comment_json(self, c: IGComment, fields: str, token: str, version: str) -> dict[str, Any]:
        out = _select(self._ig_comment_full(c), fields)
        nested = _nested_fields(fields).get("replies")
        if nested is not None and c.parent_id is None:
            # the nested edge carries only its first page, with its own paging.next (§3.1, "Nested replies")
            items = [(r.seq, _select(self._ig_comment_full(r), nested)) for r in self._replies_of(c.id)]
            if items:
                _, page = self._page(items, f"{c.id}/replies",
                                     {"fields": nested, "limit": str(self.replies_page_size)}, token, version)
                out["replies"] = page
        return out

    def _ig_comment_full(self, c: IGComment) -> dict[str, Any]:
        full: dict[str, Any] = {
            "id": c.id,
            "text": c.text,
            "timestamp": c.timestamp.astimezone(UTC).strftime(GRAPH_TIME_FORMAT),
            "username": c.username,
            "from": {"id": c.from_id, "username": c.username},
            "like_count": c.like_count,
            "hidden": c.hidden,
            "media": {"id": c.media_id},
        }
        if c.parent_id is not None:
            full["parent_id"] = c.parent_id
        return full

    # --- helpers ------------------------------------------------------------------------------------------------

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq


def _nested_fields(fields: str) -> dict[str, str]:
    """``replies{id,text}`` in a ``fields`` list -> ``{"replies": "id,text"}`` (one level, as the adapter asks)."""
    return {m.group(1): m.group(2) for m in re.finditer(r"(\w+)\{([^{}]*)\}", fields)}


def _caption_problem(caption: str) -> str | None:
    if len(caption) > IG_LIMITS["caption"]:
        return f"The caption is {len(caption)} characters long; at most {IG_LIMITS['caption']} are allowed"
    tags = len(re.findall(r"(?<!\w)#\w+", caption))
    if tags > IG_LIMITS["hashtags"]:
        return f"The caption has {tags} hashtags; at most {IG_LIMITS['hashtags']} are allowed"
    mentions = len(re.findall(r"(?<!\w)@[\w.]+", caption))
    if mentions > IG_LIMITS["mentions"]:
        return f"The caption mentions {mentions} accounts; at most {IG_LIMITS['mentions']} are allowed"
    return None

