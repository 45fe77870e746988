"""Instagram adapter over the official Graph API, Facebook-Login flavour (``platform-apis.md`` §3.1).

Publishing is two-phase: create a container (Meta fetches the media from a public URL), wait until it is
``FINISHED``, then ``media_publish``. The container id is saved to the checkpoint before anything else happens to
it, so a retry or ``find_published`` continues with the same container and never creates a second post.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests

from humas.errors import AlreadyPublished, AuthExpired, ContentRejected, PublishError, QuotaExhausted, RetryLater
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
    reject_if_invalid,
)
from humas.publisher.facebook import insight_value
from humas.publisher.graph import (
    DAY,
    Clock,
    GraphClient,
    RecreateContainer,
    container_failed,
    graph_urls,
    mask,
    normalise,
    parse_time,
)
from humas.publisher.http import utcnow
from humas.publisher.limits import LIMITS

# Meta suggests polling a container about once a minute; we never wait in the worker (style guideline 7).
POLL_AGAIN = timedelta(seconds=60)
FIND_SLACK = timedelta(minutes=10)
FIND_PAGES = 3
COMMENT_PAGES = 20
REPLY_PAGES = 10  # further pages of one comment's nested ``replies{}`` (the field returns only its first page)
# IG comment timestamps are to the second and the order of the edge is not documented: re-read a little.
COMMENT_OVERLAP = timedelta(minutes=2)
COMMENT_FIELDS = "id,text,timestamp,username,from,like_count,hidden,parent_id,replies{id,text,timestamp,username,from}"
MEDIA_FIELDS = "id,caption,timestamp,permalink"
# Media insights (instagram_manage_insights): ``impressions`` and ``video_views`` are retired, ``views`` replaced them.
INSIGHT_METRICS = ("reach", "views")


def caption_of(draft: PostDraft) -> str:
    """IG has no link attachments: a link goes at the end of the caption (not clickable, but readable)."""
    if draft.link and draft.link not in draft.text:
        return f"{draft.text}\n\n{draft.link}".strip()
    return draft.text


class InstagramAdapter:
    """One Instagram professional account, published through the Graph API with a token from Facebook Login."""

    platform: ClassVar[Platform] = Platform.INSTAGRAM
    limits: ClassVar[PlatformLimits] = LIMITS[Platform.INSTAGRAM]

    def __init__(
        self,
        account: str,
        *,
        ig_user_id: str,
        access_token: str,
        media_url: Callable[[MediaFile], str],
        app_secret: str | None = None,
        session: requests.Session | None = None,
        clock: Clock = utcnow,
        timeout: float = 30,
        api_base: str | None = None,
        username: str | None = None,
    ) -> None:
        """``api_base``: the account's ``options.api_base`` (a fake or proxy Graph host; ``None``: Meta's).
        ``username``: the account's handle, when configured; otherwise it is asked for once."""
        self.account = account
        self.ig_user_id = ig_user_id
        self.media_url = media_url  # where humas serves a stored file publicly: Meta downloads it from there
        self.clock = clock
        self._token = access_token
        self._username: str | None = username.lstrip("@") if username else None
        base_url, video_url = graph_urls(api_base)
        self.graph = GraphClient(
            access_token,
            platform=self.platform.value,
            account=account,
            app_secret=app_secret,
            session=session,
            clock=clock,
            timeout=timeout,
            base_url=base_url,
            video_url=video_url,
        )

    def __repr__(self) -> str:
        return (
            f"InstagramAdapter(account={self.account!r}, ig_user_id={self.ig_user_id!r}, token={mask(self._token)!r})"
        )

    def _kw(self) -> dict[str, str]:
        return {"platform": self.platform.value, "account": self.account}

    # --- validate -------------------------------------------------------------------------------------------

    def validate(self, draft: PostDraft) -> list[Problem]:
        # the limits hold for the caption as sent, with the link appended (caption_of)
        return check_limits(self.limits, replace(draft, text=caption_of(draft)), "Instagram")

    # --- publish --------------------------------------------------------------------------------------------

    def publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        done = ckpt.get("media_id")
        if done:
            return PublishResult(str(done), ckpt.get("media_url"))
        reject_if_invalid(self.validate(req.draft), **self._kw())
        self._check_quota()
        try:
            return self._publish(req, ckpt)
        except RecreateContainer:
            # The saved container can never be published: forget it (and its children) so that the next attempt
            # creates a new one instead of reusing the broken one.
            self._forget_container(ckpt)
            raise

    def _publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        container = ckpt.get("container_id")
        if not container:
            container = self._create_container(req.draft, ckpt)
        status = self._status(str(container))
        code = status.get("status_code")
        if code == "IN_PROGRESS":
            raise RetryLater("Instagram: media masih diproses", retry_after=self.clock() + POLL_AGAIN, **self._kw())
        if code == "ERROR":
            self._forget_container(ckpt)
            raise container_failed(status.get("status"), **self._kw())
        if code == "EXPIRED":
            self._forget_container(ckpt)
            raise RetryLater("Instagram: container kedaluwarsa, dibuat ulang", retry_after=self.clock(), **self._kw())
        if code == "PUBLISHED":
            found = self._published_media(req, ckpt)
            if found is None:
                raise AlreadyPublished("Instagram: sudah terbit, id media belum ditemukan", **self._kw())
            return found
        if code != "FINISHED":
            raise RetryLater(f"Instagram: status container tidak dikenal: {code}", retry_after=None, **self._kw())
        ckpt.save("publishing_at", self.clock().isoformat())
        media_id = str(self.graph.post(f"{self.ig_user_id}/media_publish", {"creation_id": container})["id"])
        ckpt.save("media_id", media_id)
        url = self._permalink(media_id)
        ckpt.save("media_url", url)
        return PublishResult(media_id, url, self.clock())

    def _check_quota(self) -> None:
        body = self.graph.get(f"{self.ig_user_id}/content_publishing_limit", {"fields": "config,quota_usage"})
        for item in body.get("data") or []:
            usage = item.get("quota_usage")
            total = (item.get("config") or {}).get("quota_total")
            if isinstance(usage, int) and isinstance(total, int) and usage >= total:
                raise QuotaExhausted(
                    f"Instagram: batas {total} unggahan per 24 jam tercapai",
                    resets_at=self.clock() + DAY,
                    **self._kw(),
                )

    def _create_container(self, draft: PostDraft, ckpt: Checkpoint) -> str:
        caption = caption_of(draft)
        media = list(draft.media)
        path = f"{self.ig_user_id}/media"
        if len(media) == 1 and media[0].is_video:
            data = {
                "media_type": "REELS",
                "video_url": self.media_url(media[0]),
                "caption": caption,
                "share_to_feed": "true",
            }
        elif len(media) == 1:
            data = {"image_url": self.media_url(media[0]), "caption": caption}
        else:
            children = self._create_children(media, ckpt)
            data = {"media_type": "CAROUSEL", "children": ",".join(children), "caption": caption}
        container = str(self.graph.post(path, data)["id"])
        ckpt.save("container_id", container)
        ckpt.save("container_created_at", self.clock().isoformat())
        return container

    def _create_children(self, media: Sequence[MediaFile], ckpt: Checkpoint) -> list[str]:
        # Children are saved one by one, so a retry after a failure in the middle reuses those already made.
        children: list[str] = list(ckpt.get("children") or [])
        for m in media[len(children) :]:
            data = {"is_carousel_item": "true"}
            if m.is_video:
                data.update(media_type="VIDEO", video_url=self.media_url(m))
            else:
                data["image_url"] = self.media_url(m)
            children.append(str(self.graph.post(f"{self.ig_user_id}/media", data)["id"]))
            ckpt.save("children", list(children))
        for child, m in zip(children, media, strict=True):
            if m.is_video and self._status(child).get("status_code") == "IN_PROGRESS":
                raise RetryLater(
                    "Instagram: video carousel masih diproses", retry_after=self.clock() + POLL_AGAIN, **self._kw()
                )
        return children

    def _status(self, container: str) -> dict[str, Any]:
        return self.graph.get(container, {"fields": "status_code,status"})

    def _forget_container(self, ckpt: Checkpoint) -> None:
        ckpt.save("container_id", None)
        ckpt.save("children", None)

    def _permalink(self, media_id: str) -> str | None:
        try:
            body = self.graph.get(media_id, {"fields": "permalink,shortcode"})
        except RetryLater:
            return None  # the post exists; a missing URL is not worth failing the publication for
        if body.get("permalink"):
            return str(body["permalink"])
        if body.get("shortcode"):
            return f"https://www.instagram.com/p/{body['shortcode']}/"
        return None

    # --- find_published -------------------------------------------------------------------------------------

    def find_published(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult | None:
        done = ckpt.get("media_id")
        if done:
            return PublishResult(str(done), ckpt.get("media_url"))
        container = ckpt.get("container_id")
        if container:
            try:
                code = self._status(str(container)).get("status_code")
            except RecreateContainer:
                # the container is gone (24/2207008): look for the post by its caption, as without a container
                self._forget_container(ckpt)
                return self._published_media(req, ckpt)
            if code != "PUBLISHED":
                if code == "EXPIRED":
                    self._forget_container(ckpt)
                return None  # FINISHED / IN_PROGRESS: publish continues from the saved container
            found = self._published_media(req, ckpt)
            if found is None:
                raise RetryLater("Instagram: sudah terbit, id media belum terlihat", retry_after=None, **self._kw())
            return found
        return self._published_media(req, ckpt)

    def _published_media(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult | None:
        """Our post among the account's recent media: same caption (whitespace-insensitive), not before the
        scheduled time. Graph does not link a published container to its media id, so this is the only way."""
        want = normalise(caption_of(req.draft))
        since = self._since(req, ckpt)
        params = {"fields": MEDIA_FIELDS, "limit": 50}
        for page in self.graph.pages(f"{self.ig_user_id}/media", params, FIND_PAGES):
            items = page.get("data") or []
            for item in items:
                ts = parse_time(item.get("timestamp"))
                if ts is not None and ts < since:
                    continue
                if normalise(str(item.get("caption") or "")) == want:
                    media_id = str(item["id"])
                    url = str(item["permalink"]) if item.get("permalink") else None
                    ckpt.save("media_id", media_id)
                    ckpt.save("media_url", url)
                    return PublishResult(media_id, url, ts)
            oldest = parse_time(items[-1].get("timestamp")) if items else None
            if oldest is not None and oldest < since:
                break  # newest first: the rest is older still
        return None

    def _since(self, req: PublishRequest, ckpt: Checkpoint) -> datetime:
        candidates = [req.not_before] if req.not_before else []
        for key in ("container_created_at", "publishing_at"):
            if ckpt.get(key):
                candidates.append(datetime.fromisoformat(str(ckpt.get(key))))
        start = min(candidates) if candidates else self.clock() - timedelta(days=2)
        return (start if start.tzinfo else start.replace(tzinfo=UTC)) - FIND_SLACK

    # --- comments -------------------------------------------------------------------------------------------

    def fetch_comments(self, ref: PlatformPostRef, cursor: str | None) -> CommentPage:
        """Top-level comments and their replies (flattened, ``parent_remote_id`` set) newer than ``cursor``.

        IG comment cursors do not reliably continue after the newest comment (the edge's order is not
        documented) and replies land under old top-level comments. So each poll walks the edge and keeps what is
        newer than the time watermark in the cursor (JSON ``{"since": <unix time>}``), minus a small overlap; the
        monitor dedupes on the comment id. A deleted media raises ``ContentRejected(rule="not_found")``.
        """
        since = _load_since(cursor)
        floor = (datetime.fromtimestamp(since, UTC) - COMMENT_OVERLAP) if since else None
        calls_before = self.graph.calls
        params = {"fields": COMMENT_FIELDS, "limit": 50}
        comments: list[RemoteComment] = []
        newest = since or 0
        for page in self.graph.pages(f"{ref.remote_id}/comments", params, COMMENT_PAGES):
            for item in page.get("data") or []:
                flat = [(item, item.get("parent_id"))]
                flat += [(r, item.get("id")) for r in self._replies(item)]
                for raw, parent in flat:
                    ts = parse_time(raw.get("timestamp"))
                    if floor is not None and ts is not None and ts < floor:
                        continue
                    c = self._comment(ref.remote_id, raw, parent)
                    if c is None:
                        continue
                    comments.append(c)
                    newest = max(newest, int(c.created_at.timestamp()))
        new_cursor = json.dumps({"since": newest}) if newest else None
        return CommentPage(comments, new_cursor, cost=self.graph.calls - calls_before)

    def _replies(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        """All replies of one comment: the nested ``replies{}`` field holds only a first page; follow its
        ``paging.next`` (at most :data:`REPLY_PAGES` more pages)."""
        edge = item.get("replies") or {}
        out: list[dict[str, Any]] = list(edge.get("data") or [])
        nxt = (edge.get("paging") or {}).get("next")
        for _ in range(REPLY_PAGES):
            if not nxt:
                break
            page = self.graph.get_url(str(nxt))
            out.extend(page.get("data") or [])
            nxt = (page.get("paging") or {}).get("next")
        return out

    def _comment(self, post_id: str, item: dict[str, Any], parent: Any) -> RemoteComment | None:
        created = parse_time(item.get("timestamp"))
        if not item.get("id") or created is None:
            return None
        author = item.get("from") or {}
        username = str(item.get("username") or author.get("username") or "")
        author_id = str(author["id"]) if author.get("id") else None
        # ``from.id`` of a comment is an Instagram-scoped id that need not equal the IG user id: the account's
        # username (case-insensitive on Instagram) decides too, so humas never answers its own replies.
        own = author_id == self.ig_user_id or (
            bool(username) and username.casefold() == self._own_username().casefold())
        return RemoteComment(
            remote_id=str(item["id"]),
            post_remote_id=post_id,
            text=str(item.get("text") or ""),
            author_handle=username or "(tidak diketahui)",
            created_at=created,
            author_id=author_id,
            parent_remote_id=str(parent) if parent else None,
            is_own=own,
            hidden=bool(item.get("hidden")),
        )

    def _own_username(self) -> str:
        # Comments by the account itself may carry only ``username``: learn ours once, cheaply.
        if self._username is None:
            self._username = str(self.graph.get(self.ig_user_id, {"fields": "username"}).get("username") or "")
        return self._username

    def reply(self, comment: CommentRef, text: str, ckpt: Checkpoint) -> ReplyResult:
        done = ckpt.get("reply_id")
        if done:
            return ReplyResult(str(done))
        reply_id = str(self.graph.post(f"{comment.remote_id}/replies", {"message": text})["id"])
        ckpt.save("reply_id", reply_id)
        return ReplyResult(reply_id)

    def hide_comment(self, comment: CommentRef) -> None:
        self.graph.post(comment.remote_id, {"hide": "true"})

    # --- engagement ---------------------------------------------------------------------------------------------

    engagement_batch: ClassVar[int] = 25

    def engagement_cost(self, count: int) -> int:
        return 2 * count  # the media's counts, then its insights

    def engagement(self, remote_ids: Sequence[str]) -> dict[str, Engagement]:
        """Likes and comments per media; reach and views from its insights where the token may read them (Instagram
        gives no share count for feed posts). A deleted media is left out."""
        out: dict[str, Engagement] = {}
        for media_id in remote_ids:
            try:
                body = self.graph.get(media_id, {"fields": "like_count,comments_count"})
            except ContentRejected:
                continue
            reach, views = self._insights(media_id)
            out[media_id] = Engagement(
                fetched_at=self.clock(),
                likes=count_or_none(body.get("like_count")),
                comments=count_or_none(body.get("comments_count")),
                views=views,
                reach=reach,
            )
        return out

    def _insights(self, media_id: str) -> tuple[int | None, int | None]:
        try:
            body = self.graph.get(f"{media_id}/insights", {"metric": ",".join(INSIGHT_METRICS)})
        except PublishError:
            # no insights permission, "(#10) Not enough viewers for the media to show insights", album children:
            # the counts above stand without them
            return None, None
        return insight_value(body, "reach"), insight_value(body, "views")

    def check(self) -> AccountStatus:
        try:
            me = self.graph.get(self.ig_user_id, {"fields": "id,username"})
        except AuthExpired as exc:
            return AccountStatus(False, exc.message)
        self._username = str(me.get("username") or "") or None
        return AccountStatus(True, f"@{me.get('username') or self.ig_user_id}")


def _load_since(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        state = json.loads(cursor)
    except ValueError:
        return None
    value = state.get("since") if isinstance(state, dict) else None
    return int(value) if isinstance(value, int | float) else None
