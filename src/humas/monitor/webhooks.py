"""Meta webhooks (Facebook Page ``feed``, Instagram ``comments``): comments as they happen, deduplicated with polling.

``GET /webhooks/meta`` answers Meta's subscription check (``hub.mode=subscribe`` and our verify token: 200 with
``hub.challenge`` as plain text; anything else 403). ``POST /webhooks/meta`` is untrusted input until its signature
checks out: a ``Content-Length`` over :data:`MAX_BODY` is refused (413) before a byte is read, and a body without
one (chunked) is read chunk by chunk and refused as soon as it passes the cap, so no more than the cap is ever
held. Then ``X-Hub-Signature-256`` = ``sha256=`` + HMAC-SHA256(app secret, raw body) is compared in constant time
*before* the body is parsed; a missing or wrong signature is 403, and without a configured app secret every
delivery is refused (503). A signed body that cannot be understood (not UTF-8, not JSON, nested too deeply,
numbers out of range) is 400, never 500.
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
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from humas.config import Secret, Settings
from humas.env import Env
from humas.errors import HumasError, InvalidInput
from humas.monitor.store import existing, store_comments
from humas.publisher.base import Platform, RemoteComment
from humas.store.models import Post

log = logging.getLogger("humas.monitor")

#: the largest delivery accepted; Meta's are a few kilobytes (a batch of up to 1,000 changes stays well below)
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


def _clean(text: str) -> str:
    """Text the databases can store: NUL characters dropped, lone surrogates (``"\\ud800"`` in JSON) as ``?``."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _str(v: Any) -> str | None:
    return None if v is None or v == "" else _clean(str(v))


def _text(v: Any) -> str:
    return _clean(str(v)) if v else ""


def _time(v: Any) -> datetime | None:
    if isinstance(v, int | float) and not isinstance(v, bool):
        try:
            return datetime.fromtimestamp(v, UTC)
        except (OverflowError, OSError, ValueError):  # out of range, infinite or NaN
            return None
    if isinstance(v, str) and v:
        try:
            dt = datetime.fromisoformat(v.replace("+0000", "+00:00"))
        except ValueError:
            return None
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return None


def _list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def parse_events(payload: Any) -> list[MetaEvent]:
    """The comment events in a delivery; everything else (reactions, statuses, other fields) is left out."""
    if not isinstance(payload, Mapping):
        return []
    obj = payload.get("object")
    out: list[MetaEvent] = []
    for entry in _list(payload.get("entry")):
        if not isinstance(entry, Mapping):
            continue
        owner = _str(entry.get("id")) or ""
        for change in _list(entry.get("changes")):
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
                                     _text(sender.get("name")), _text(v.get("message")),
                                     _time(v.get("created_time"))))
            elif obj == "instagram" and fld == "comments":
                media = v.get("media") if isinstance(v.get("media"), Mapping) else {}
                comment_id, post_id = _str(v.get("id")), _str(media.get("id"))
                if not post_id or not comment_id:
                    continue
                out.append(MetaEvent("instagram", owner, "add", comment_id, post_id, _str(v.get("parent_id")),
                                     _str(sender.get("id")), _text(sender.get("username")),
                                     _text(v.get("text")), _time(v.get("timestamp"))))
    return out


def parse_delivery(body: bytes) -> list[MetaEvent]:
    """The comment events in a signed delivery's raw bytes.

    Raises :class:`~humas.errors.InvalidInput` (answered 400) for anything that cannot be understood: bytes that
    are not UTF-8, text that is not JSON, nesting deeper than the parser's recursion allows, numbers too long.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("invalid payload: not UTF-8") from None
    try:
        payload = json.loads(text)
    except RecursionError:
        raise InvalidInput("invalid payload: nested too deeply") from None
    except ValueError:  # JSONDecodeError, and integers longer than sys.get_int_max_str_digits()
        raise InvalidInput("invalid payload: not JSON") from None
    try:
        return parse_events(payload)
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:  # an unforeseen shape; never a 500
        raise InvalidInput(f"invalid payload: {type(exc).__name__}") from None


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes | None:
    """The request body, or ``None`` once it is longer than ``limit``; never more than ``limit`` bytes are kept.

    A declared ``Content-Length`` over the limit returns ``None`` before anything is read; a body without one
    (``Transfer-Encoding: chunked``) is read chunk by chunk and reading stops at the first chunk past the limit.
    Raises :class:`~humas.errors.InvalidInput` for a ``Content-Length`` that is not a number.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        declared = declared.strip()
        if not (declared.isascii() and declared.isdigit()):
            raise InvalidInput("invalid Content-Length")
        if int(declared) > limit:
            return None
    chunks: list[bytes] = []
    size = 0
    async with aclosing(request.stream()) as stream:
        async for chunk in stream:
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    return b"".join(chunks)


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
            result.comment_ids.extend(res.new)
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
        try:
            body = await read_body(request, MAX_BODY)
        except InvalidInput as exc:
            return JSONResponse({"error": exc.message}, status_code=400)
        except ClientDisconnect:
            return JSONResponse({"error": "the body was cut off"}, status_code=400)
        if body is None:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        if not signature_ok(secret, body, request.headers.get("x-hub-signature-256")):
            return JSONResponse({"error": "invalid signature"}, status_code=403)
        try:
            events = parse_delivery(body)
        except InvalidInput as exc:
            log.warning("webhook: signed delivery refused: %s", exc.message)
            return JSONResponse({"error": exc.message}, status_code=400)
        result = await run_in_threadpool(ingest, env, events)
        if result.new or result.updated:
            background.add_task(process_now)
        return JSONResponse(result.as_dict())

    return router
