"""Facebook Page adapter over the Graph API (``platform-apis.md`` §2).

Kinds of post: text/link (``/feed``), one photo (``/photos``), several photos (unpublished ``/photos`` then
``/feed`` with ``attached_media``), one video (``graph-video`` host ``/videos``). Graph has no idempotency key, so
``find_published`` recognises our post among the Page's recent posts by its text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests

from humas.errors import AlreadyPublished, AuthExpired, ContentRejected, PublishError
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
from humas.publisher.graph import Clock, GraphClient, graph_urls, mask, normalise, parse_time
from humas.publisher.http import utcnow
from humas.publisher.limits import LIMITS

UNKNOWN_AUTHOR = "(tidak diketahui)"
# How far before the scheduled time (or the first send) we look for our own post: clocks and queues drift.
FIND_SLACK = timedelta(minutes=10)
FIND_PAGES = 3
COMMENT_PAGES = 10
COMMENT_FIELDS = "id,message,created_time,from,parent{id},comment_count,is_hidden"
# Totals only: limit(0) asks for no reaction or comment objects, just their summary.
ENGAGEMENT_FIELDS = "shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
# Unique viewers of a post; Meta's replacement for post_impressions_unique (deprecated for all versions, 2025).
# Needs the read_insights permission: without it reach stays None.
REACH_METRIC = "post_total_media_view_unique"


def post_url(post_id: str) -> str:
    return f"https://www.facebook.com/{post_id}"


def message_of(draft: PostDraft) -> str:
    """The text we send; a link that cannot be attached (photo/video posts) goes at the end of the text."""
    if draft.link and draft.media and draft.link not in draft.text:
        return f"{draft.text}\n\n{draft.link}".strip()
    return draft.text


class FacebookPageAdapter:
    """One Facebook Page, posting with a Page access token."""

    platform: ClassVar[Platform] = Platform.FACEBOOK
    limits: ClassVar[PlatformLimits] = LIMITS[Platform.FACEBOOK]

    def __init__(
        self,
        account: str,
        *,
        page_id: str,
        page_token: str,
        app_secret: str | None = None,
        session: requests.Session | None = None,
        clock: Clock = utcnow,
        timeout: float = 30,
        api_base: str | None = None,
        video_base: str | None = None,
    ) -> None:
        """``api_base``/``video_base``: the account's ``options`` of those names (a fake or proxy Graph host);
        ``None`` means Meta's hosts, and a custom ``api_base`` alone also takes the video uploads."""
        self.account = account
        self.page_id = page_id
        self.clock = clock
        self._token = page_token
        base_url, video_url = graph_urls(api_base, video_base)
        self.graph = GraphClient(
            page_token,
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
        return f"FacebookPageAdapter(account={self.account!r}, page_id={self.page_id!r}, token={mask(self._token)!r})"

    # --- validate -------------------------------------------------------------------------------------------

    def validate(self, draft: PostDraft) -> list[Problem]:
        problems = check_limits(self.limits, draft, "Facebook")
        videos = [m for m in draft.media if m.is_video]
        if videos and len(draft.media) > 1:
            problems.append(Problem("media_mix", "Facebook: video harus diunggah sendiri, tanpa foto lain"))
        return problems

    # --- publish --------------------------------------------------------------------------------------------

    def publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        done = ckpt.get("post_id")
        if done:
            return PublishResult(str(done), post_url(str(done)))
        reject_if_invalid(self.validate(req.draft), **self._kw())
        try:
            return self._publish(req, ckpt)
        except AlreadyPublished as exc:
            # 506 "duplicate status message": name the existing post if we can find it, else report it bare.
            try:
                found = self.find_published(req, ckpt)
            except PublishError:
                found = None
            if found is None:
                raise
            raise AlreadyPublished(
                exc.message, remote_id=found.remote_id, remote_url=found.remote_url, **self._kw()
            ) from exc

    def _publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        draft = req.draft
        message = message_of(draft)
        if ckpt.get("sent_at") is None:
            # Before the first irreversible call: narrows find_published's window if the answer gets lost.
            ckpt.save("sent_at", self.clock().isoformat())
        if not draft.media:
            data = {"message": message}
            if draft.link:
                data["link"] = draft.link
            post_id = str(self.graph.post(f"{self.page_id}/feed", data)["id"])
        elif draft.media[0].is_video:
            post_id = self._video(draft.media[0], draft.title, message)
        elif len(draft.media) == 1:
            post_id = self._photo(draft.media[0], message)
        else:
            post_id = self._album(draft.media, message, ckpt)
        ckpt.save("post_id", post_id)
        return PublishResult(post_id, post_url(post_id), self.clock())

    def _photo(self, media: MediaFile, message: str) -> str:
        with media.path.open("rb") as fh:
            body = self.graph.post(
                f"{self.page_id}/photos",
                {"message": message, "published": "true"},
                files={"source": (media.path.name, fh, media.mime)},
            )
        return str(body.get("post_id") or body["id"])

    def _album(self, media: Sequence[MediaFile], message: str, ckpt: Checkpoint) -> str:
        # Each unpublished photo id is saved as soon as it exists, so a retry attaches it instead of re-uploading.
        photo_ids: list[str] = list(ckpt.get("photo_ids") or [])
        for m in list(media)[len(photo_ids) :]:
            with m.path.open("rb") as fh:
                body = self.graph.post(
                    f"{self.page_id}/photos",
                    {"published": "false"},
                    files={"source": (m.path.name, fh, m.mime)},
                )
            photo_ids.append(str(body["id"]))
            ckpt.save("photo_ids", list(photo_ids))
        data = {"message": message}
        for i, pid in enumerate(photo_ids):
            data[f"attached_media[{i}]"] = json.dumps({"media_fbid": pid})
        return str(self.graph.post(f"{self.page_id}/feed", data)["id"])

    def _video(self, media: MediaFile, title: str, message: str) -> str:
        with media.path.open("rb") as fh:
            data = {"description": message} | ({"title": title} if title else {})
            body = self.graph.post(
                f"{self.page_id}/videos",
                data,
                files={"source": (media.path.name, fh, media.mime)},
                video=True,
            )
        return str(body["id"])

    # --- find_published -------------------------------------------------------------------------------------

    def find_published(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult | None:
        done = ckpt.get("post_id")
        if done:
            return PublishResult(str(done), post_url(str(done)))
        want = normalise(message_of(req.draft))
        since = self._since(req, ckpt)
        params = {"fields": "id,message,created_time,permalink_url", "since": int(since.timestamp()), "limit": 100}
        for page in self.graph.pages(f"{self.page_id}/posts", params, FIND_PAGES):
            for post in page.get("data") or []:
                created = parse_time(post.get("created_time"))
                if normalise(str(post.get("message") or "")) != want or (created and created < since):
                    continue
                post_id = str(post["id"])
                ckpt.save("post_id", post_id)
                return PublishResult(post_id, str(post.get("permalink_url") or post_url(post_id)), created)
        return None

    def _since(self, req: PublishRequest, ckpt: Checkpoint) -> datetime:
        candidates = [req.not_before] if req.not_before else []
        sent = ckpt.get("sent_at")
        if sent:
            candidates.append(datetime.fromisoformat(str(sent)))
        start = min(candidates) if candidates else self.clock() - timedelta(days=2)
        return (start if start.tzinfo else start.replace(tzinfo=UTC)) - FIND_SLACK

    # --- comments -------------------------------------------------------------------------------------------

    def fetch_comments(self, ref: PlatformPostRef, cursor: str | None) -> CommentPage:
        """All comments and replies (``filter=stream``, oldest first) after ``cursor``.

        The cursor is JSON ``{"after": <Graph cursor>, "since": <unix time>}``. Graph's ``after`` cursor of the
        last page keeps pointing after the newest comment we saw, so the next poll asks only for newer ones. Meta
        warns cursors go stale when comments are deleted; then we fall back to ``since`` (the newest comment's
        time; a few repeats at the boundary are possible, the monitor dedupes on the comment id).
        A deleted post raises ``ContentRejected(rule="not_found")``: stop polling it.
        """
        state = _load_cursor(cursor)
        params: dict[str, Any] = {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "chronological",
            "limit": 100,
        }
        start = dict(params)
        if state.get("after"):
            start["after"] = state["after"]
        elif state.get("since"):
            start["since"] = state["since"]
        path = f"{ref.remote_id}/comments"
        calls_before = self.graph.calls
        after, since = state.get("after"), state.get("since")
        try:
            page = self.graph.get(path, start)
        except ContentRejected:
            if not state.get("after"):
                raise  # the post itself is gone (100/33) or the request is wrong
            # A stale cursor (its comment was deleted): restart from the time watermark.
            page = self.graph.get(path, {**params, "since": since} if since else params)
        comments: list[RemoteComment] = []
        for n in range(1, COMMENT_PAGES + 1):
            for item in page.get("data") or []:
                c = self._comment(ref.remote_id, item)
                if c is not None:
                    comments.append(c)
                    since = max(int(since or 0), int(c.created_at.timestamp()))
            after = ((page.get("paging") or {}).get("cursors") or {}).get("after") or after
            nxt = (page.get("paging") or {}).get("next")
            if not nxt or n == COMMENT_PAGES:
                break
            try:
                page = self.graph.get_url(str(nxt))
            except ContentRejected:
                break  # the cursor went stale between pages: the next poll resumes from what we kept
        new_cursor = json.dumps({"after": after, "since": since}) if (after or since) else None
        return CommentPage(comments, new_cursor, cost=self.graph.calls - calls_before)

    def _comment(self, post_id: str, item: dict[str, Any]) -> RemoteComment | None:
        created = parse_time(item.get("created_time"))
        if not item.get("id") or created is None:
            return None
        author = item.get("from") or {}
        parent = item.get("parent") or {}
        author_id = str(author["id"]) if author.get("id") else None
        return RemoteComment(
            remote_id=str(item["id"]),
            post_remote_id=post_id,
            text=str(item.get("message") or ""),
            author_handle=str(author.get("name") or UNKNOWN_AUTHOR),
            created_at=created,
            author_id=author_id,
            parent_remote_id=str(parent["id"]) if parent.get("id") else None,
            is_own=author_id == self.page_id,
            hidden=bool(item.get("is_hidden")),
        )

    def reply(self, comment: CommentRef, text: str, ckpt: Checkpoint) -> ReplyResult:
        done = ckpt.get("reply_id")
        if done:
            return ReplyResult(str(done), post_url(str(done)))
        reply_id = str(self.graph.post(f"{comment.remote_id}/comments", {"message": text})["id"])
        ckpt.save("reply_id", reply_id)
        return ReplyResult(reply_id, post_url(reply_id))

    def hide_comment(self, comment: CommentRef) -> None:
        self.graph.post(comment.remote_id, {"is_hidden": "true"})

    # --- engagement ---------------------------------------------------------------------------------------------

    engagement_batch: ClassVar[int] = 25

    def engagement_cost(self, count: int) -> int:
        return 2 * count  # the post's fields, then its insights

    def engagement(self, remote_ids: Sequence[str]) -> dict[str, Engagement]:
        """Reactions (as likes), comments and shares per post; reach from the post's insights where the token may
        read them. A deleted post is left out."""
        out: dict[str, Engagement] = {}
        for post_id in remote_ids:
            try:
                body = self.graph.get(post_id, {"fields": ENGAGEMENT_FIELDS})
            except ContentRejected:
                continue  # deleted, or not a post of this Page any more
            out[post_id] = Engagement(
                fetched_at=self.clock(),
                likes=_summary_total(body.get("reactions")),
                comments=_summary_total(body.get("comments")),
                shares=count_or_none((body.get("shares") or {}).get("count")) or 0,  # absent while nobody shared
                reach=self._reach(post_id),
            )
        return out

    def _reach(self, post_id: str) -> int | None:
        try:
            body = self.graph.get(f"{post_id}/insights", {"metric": REACH_METRIC})
        except PublishError:
            # missing read_insights (code 10/200), a Page under 100 likes, a metric Meta retired: no reach, the
            # other figures stand. The token itself was just accepted by the fields call.
            return None
        return insight_value(body, REACH_METRIC)

    def check(self) -> AccountStatus:
        """``GET /{page-id}`` plus ``GET /me`` with the Page token: ``/me`` must be the Page itself (a user token
        would post as a person). Page tokens derived from long-lived user tokens do not expire: ``expires_at`` None.
        """
        try:
            page = self.graph.get(self.page_id, {"fields": "id,name"})
            me = self.graph.get("me", {"fields": "id"})
        except AuthExpired as exc:
            return AccountStatus(False, exc.message)
        if str(me.get("id")) != self.page_id:
            return AccountStatus(False, f"token bukan token Halaman {self.page_id} (milik {me.get('id')})")
        return AccountStatus(True, f"Halaman {page.get('name') or self.page_id}")

    def _kw(self) -> dict[str, str]:
        return {"platform": self.platform.value, "account": self.account}


def _summary_total(edge: Any) -> int | None:
    """``{"data": [], "summary": {"total_count": N}}`` -> N."""
    summary = edge.get("summary") if isinstance(edge, dict) else None
    return count_or_none(summary.get("total_count")) if isinstance(summary, dict) else None


def insight_value(body: dict[str, Any], metric: str) -> int | None:
    """One metric's lifetime value from a Graph ``/insights`` answer: ``values[0].value`` or, in the newer shape,
    ``total_value.value``; ``None`` when the metric is missing (Graph answers an empty list while it has no data)."""
    for item in body.get("data") or []:
        if not isinstance(item, dict) or item.get("name") != metric:
            continue
        values = item.get("values")
        if isinstance(values, list) and values and isinstance(values[-1], dict):
            return count_or_none(values[-1].get("value"))
        total = item.get("total_value")
        if isinstance(total, dict):
            return count_or_none(total.get("value"))
    return None


def _load_cursor(cursor: str | None) -> dict[str, Any]:
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        return {"after": cursor}  # a bare Graph cursor
    return state if isinstance(state, dict) else {}
