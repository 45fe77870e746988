"""Meta webhooks (Facebook Page ``feed``, Instagram ``comments``): comments as they happen, deduplicated with polling.

``GET /webhooks/meta`` answers Meta's subscription check (``hub.mode=subscribe`` and our verify token: 200 with
``hub.challenge`` as plain text; anything else 403). ``POST /webhooks/meta`` checks ``X-Hub-Signature-256`` =
``sha256=`` + HMAC-SHA256(app secret, raw body) with a constant-time comparison *before* the body is parsed; a
missing or wrong signature is 403, and without a configured app secret every delivery is refused (503).
Comments are mapped to the stored post by account (page id / IG user id in the account's ``options``) and remote
post id, stored with the same helper as polling (``source="webhook"``); after the answer is sent ``after_store``
runs (the composition root passes the classification and escalation stages, so a comment becomes a case at once).
The account's own comments (``from.id`` = the page or IG user) are skipped: our replies must not loop back
(platform-apis.md §2.4, §3.1).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from humas.config import Secret, Settings
from humas.env import Env
from humas.errors import HumasError
from humas.monitor.store import existing, store_comments
from humas.publisher.base import Platform, RemoteComment
from humas.store.models import Post

log = logging.getLogger("humas.monitor")

MAX_BODY = 1024 * 1024
VERBS = ("add", "edited", "remove", "hide", "unhide")


@dataclass(frozen=True)
class MetaEvent:
    """One comment event, whichever product sent it. ``kind``: ``facebook`` or ``instagram``."""

    kind: str
    owner_id: str
    verb: str
    comment_id: str
    post_id: str
    parent_id: str | None
    from_id: str | None
    from_name: str
    text: str
    created_at: datetime | None


@dataclass
class IngestResult:
    received: int = 0
    new: int = 0
    updated: int = 0
    own: int = 0
    ignored: int = 0
    comment_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"received": self.received, "new": self.new, "updated": self.updated, "own": self.own,
                "ignored": self.ignored}


def signature(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    return hmac.compare_digest(signature(secret, body).encode("ascii"), header.strip().encode("utf-8"))


def _reveal(secret: Secret | None) -> str | None:
    if secret is None:
        return None
    try:
        return secret.reveal() or None
    except HumasError:
        return None


def _str(v: Any) -> str | None:
    return None if v is None or v == "" else str(v)


def _time(v: Any) -> datetime | None:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return datetime.fromtimestamp(v, UTC)
    if isinstance(v, str) and v:
        try:
            dt = datetime.fromisoformat(v.replace("+0000", "+00:00"))
        except ValueError:
            return None
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return None


def parse_events(payload: Any) -> list[MetaEvent]:
    """The comment events in a delivery; everything else (reactions, statuses, other fields) is left out."""
    if not isinstance(payload, Mapping):
        return []
    obj = payload.get("object")
    out: list[MetaEvent] = []
    for entry in payload.get("entry") or []:
        if not isinstance(entry, Mapping):
            continue
        owner = _str(entry.get("id")) or ""
        for change in entry.get("changes") or []:
            if not isinstance(change, Mapping) or not isinstance(change.get("value"), Mapping):
                continue
            v, fld = change["value"], change.get("field")
            sender = v.get("from") if isinstance(v.get("from"), Mapping) else {}
            if obj == "page" and fld == "feed" and v.get("item") == "comment" and v.get("verb") in VERBS:
                post_id, parent = _str(v.get("post_id")), _str(v.get("parent_id"))
                comment_id = _str(v.get("comment_id"))
                if not post_id or not comment_id:
                    continue
                out.append(MetaEvent("facebook", owner, str(v["verb"]), comment_id, post_id,
                                     None if parent in (None, post_id) else parent, _str(sender.get("id")),
                                     str(sender.get("name") or ""), str(v.get("message") or ""),
                                     _time(v.get("created_time"))))
            elif obj == "instagram" and fld == "comments":
                media = v.get("media") if isinstance(v.get("media"), Mapping) else {}
                comment_id, post_id = _str(v.get("id")), _str(media.get("id"))
                if not post_id or not comment_id:
                    continue
                out.append(MetaEvent("instagram", owner, "add", comment_id, post_id, _str(v.get("parent_id")),
                                     _str(sender.get("id")), str(sender.get("username") or ""),
                                     str(v.get("text") or ""), _time(v.get("timestamp"))))
    return out


def account_index(settings: Settings) -> dict[tuple[str, str], str]:
    """(kind, page id or IG user id) -> account name, from the accounts' ``options``."""
    index: dict[tuple[str, str], str] = {}
    for acc in settings.accounts:
        if not acc.enabled:
            continue
        if acc.behaves_like is Platform.FACEBOOK and acc.options.get("page_id") is not None:
            index[("facebook", str(acc.options["page_id"]))] = acc.name
        if acc.behaves_like in (Platform.INSTAGRAM, Platform.INSTAGRAM_PRIVATE) and acc.options.get("ig_user_id"):
            index[("instagram", str(acc.options["ig_user_id"]))] = acc.name
    return index


def ingest(env: Env, events: list[MetaEvent], now: datetime | None = None) -> IngestResult:
    """Store the events' comments (one transaction); returns what happened to them."""
    now = now or env.clock()
    result = IngestResult(received=len(events))
    index = account_index(env.settings)
    with env.db.session() as s:
        for ev in events:
            account = index.get((ev.kind, ev.owner_id))
            if account is None:
                result.ignored += 1
                continue
            if ev.from_id is not None and ev.from_id == ev.owner_id:
                result.own += 1
                continue
            post = s.execute(select(Post).where(Post.account == account, Post.remote_id == ev.post_id)).scalar()
            if post is None:
                result.ignored += 1  # not a post humas published (or not yet recorded)
                continue
            if ev.verb in ("remove", "hide", "unhide"):
                stored = existing(s, post.platform, [ev.comment_id]).get(ev.comment_id)
                if stored is None:
                    result.ignored += 1
                    continue
                if ev.verb == "remove":
                    stored.deleted = True
                else:
                    stored.hidden = ev.verb == "hide"
                result.updated += 1
                continue
            rc = RemoteComment(remote_id=ev.comment_id, post_remote_id=ev.post_id, text=ev.text,
                               author_handle=ev.from_name, created_at=ev.created_at or now, author_id=ev.from_id,
                               parent_remote_id=ev.parent_id)
            res = store_comments(s, post, [rc], source="webhook", now=now)
            result.new += len(res.new)
            result.updated += res.updated
            result.comment_ids.extend(c.id for c in res.new)
    return result


def webhook_router(env: Env, *, after_store: Callable[[], object] | None = None) -> APIRouter:
    """The ``/webhooks/meta`` routes; mount with ``web_app.include_router(webhook_router(env, after_store=...))``.

    ``after_store`` runs in the background after a delivery stored or changed a comment.
    """
    router = APIRouter()

    def process_now() -> None:
        if after_store is None:
            return
        try:
            after_store()
        except Exception:  # the delivery is stored; the daemon's next run processes it
            log.exception("webhook: processing after delivery failed")

    @router.get("/webhooks/meta", include_in_schema=False)
    def verify(request: Request) -> Response:
        q = request.query_params
        token, expected = q.get("hub.verify_token"), _reveal(env.settings.web.meta_verify_token)
        challenge = q.get("hub.challenge")
        if (expected is None or q.get("hub.mode") != "subscribe" or token is None or challenge is None
                or not hmac.compare_digest(token.encode("utf-8"), expected.encode("utf-8"))):
            return PlainTextResponse("forbidden", status_code=403)
        return PlainTextResponse(challenge)

    @router.post("/webhooks/meta", include_in_schema=False)
    async def deliver(request: Request, background: BackgroundTasks) -> Response:
        secret = _reveal(env.settings.web.meta_app_secret)
        if secret is None:
            return JSONResponse({"error": "webhooks are not configured (web.meta_app_secret)"}, status_code=503)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        if not signature_ok(secret, body, request.headers.get("x-hub-signature-256")):
            return JSONResponse({"error": "invalid signature"}, status_code=403)
        try:
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "invalid JSON"}, status_code=400)
        events = parse_events(payload)
        result = await run_in_threadpool(ingest, env, events)
        if result.new or result.updated:
            background.add_task(process_now)
        return JSONResponse(result.as_dict())

    return router
