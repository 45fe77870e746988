"""Sandbox: the built-in platform's posts and their public comments as a feed, so the links on posts, queue rows and
comments lead somewhere; only where the config has sandbox accounts. Read-only: the public is simulated by the
daemon (``monitor.sandbox_simulation``) or written with ``humas sandbox comment``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import Response

from humas.app import App
from humas.errors import HumasError, NotFound
from humas.platforms import Platform
from humas.publisher.sandbox import SANDBOX_HOST, SandboxPlatform
from humas.publisher.sandbox.server import SandboxComment, SandboxPost
from humas.web.deps import Viewer, has_sandbox, humas, page_router, page_viewer, render
from humas.web.paging import PAGE_SIZE, Page, page_number

router = page_router()
ViewerDep = Annotated[Viewer, Depends(page_viewer)]
PREVIEW = 3  # comments shown under each post in the feed
MAX_COMMENTS = 2000  # comments shown on one post's page


def platform_link(url: str | None) -> str | None:
    """Where a link to a published post or comment should go: the sandbox's own URLs (a host that does not resolve)
    become this app's sandbox page; real platforms' http(s) links stay; anything else is no link."""
    if not url:
        return None
    if url.startswith(SANDBOX_HOST + "/"):
        parts = urlsplit(url)
        segments = [unquote(p) for p in parts.path.split("/") if p]
        if len(segments) != 3:
            return None
        comment = parse_qs(parts.query).get("comment", [""])[0]
        return f"/sandbox/post/{quote(segments[2], safe='')}" + (f"#c-{quote(comment, safe='')}" if comment else "")
    return url if url.startswith(("http://", "https://")) else None


def _platform(app: App) -> SandboxPlatform:
    if not has_sandbox(app):
        raise NotFound("there are no sandbox accounts in this configuration")
    return SandboxPlatform(app.settings.sandbox_db, app.clock)


def _all_comments(platform: SandboxPlatform, remote_id: str, limit: int) -> list[SandboxComment]:
    out: list[SandboxComment] = []
    after = 0
    while len(out) < limit:
        batch = platform.comments(remote_id, after_seq=after)
        if not batch:
            break
        out.extend(batch)
        after = batch[-1].seq
    return out[:limit]


def _thread(comments: list[SandboxComment]) -> list[dict[str, Any]]:
    """Top-level comments, oldest first, each with its answers."""
    replies: dict[str, list[SandboxComment]] = {}
    for c in comments:
        if c.parent_remote_id:
            replies.setdefault(c.parent_remote_id, []).append(c)
    return [{"c": c, "replies": replies.get(c.remote_id, [])} for c in comments if not c.parent_remote_id]


def _labels(app: App) -> dict[str, str]:
    return {a.name: a.label or a.name for a in app.settings.accounts}


@router.get("/sandbox")
def feed(request: Request, viewer: ViewerDep, akun: str = "", halaman: str = "1") -> Response:
    app = humas(request)
    platform = _platform(app)
    try:
        accounts = [a.name for a in app.settings.accounts if a.platform == Platform.SANDBOX]
        posts: list[SandboxPost] = platform.list_posts(akun if akun in accounts else None)
        number = page_number(halaman)
        last = max(1, -(-len(posts) // PAGE_SIZE))
        number = min(number, last)
        shown = posts[(number - 1) * PAGE_SIZE: number * PAGE_SIZE]
        items = []
        for p in shown:
            comments = _all_comments(platform, p.remote_id, MAX_COMMENTS)
            public = [c for c in comments if not c.deleted]
            items.append({"p": p, "count": len(public), "latest": public[-PREVIEW:]})
        page = Page(shown, number, PAGE_SIZE, len(posts), {"akun": akun})
        return render(request, "sandbox_feed.html", {"items": items, "page": page, "akun": akun,
                                                     "accounts": accounts, "labels": _labels(app)}, viewer=viewer)
    finally:
        platform.close()


@router.get("/sandbox/post/{remote_id}")
def post(request: Request, remote_id: str, viewer: ViewerDep) -> Response:
    app = humas(request)
    platform = _platform(app)
    try:
        try:
            p = platform.get_post(remote_id)
        except HumasError:
            raise NotFound(f"sandbox post {remote_id} not found") from None
        comments = _all_comments(platform, remote_id, MAX_COMMENTS)
        return render(request, "sandbox_post.html", {"p": p, "thread": _thread(comments), "count": len(comments),
                                                     "labels": _labels(app)}, viewer=viewer)
    finally:
        platform.close()
