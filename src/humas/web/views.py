"""Shared helpers for pages and API: uploads, per-platform previews, the last approved version, SOP flags."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from humas import limits
from humas.accounts.drafts import CAPTION_KEYS, draft_for
from humas.app import App
from humas.errors import HumasError, InvalidInput
from humas.platforms import Platform
from humas.publisher.base import text_length
from humas.publisher.limits import LIMITS
from humas.store.media import sniff_kind
from humas.store.models import Content, ContentVersion, Decision
from humas.web.diff import FieldDiff, snapshot_diff
from humas.workflow.engine import Workflow

PLATFORM_KEYS = ("x", "facebook", "instagram", "youtube")


def workflow(app: App, s: Session) -> Workflow:
    """The same Workflow the CLI builds: platform limits are checked at submit."""
    return app.workflow(s)


@contextmanager
def saved_uploads(files: Sequence[tuple[str, BinaryIO]]) -> Iterator[list[Path]]:
    """Write uploaded files to a private temporary folder (their own names, made safe); removed afterwards.

    The media store copies them content-addressed; the original name is kept as ``MediaBlob.original_name``.
    """
    tmp = Path(tempfile.mkdtemp(prefix="humas-upload-"))
    try:
        paths: list[Path] = []
        for i, (name, fh) in enumerate(files):
            safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name or "").name).strip("._")[:100] or "file"
            dest = tmp / f"{i:02d}" / safe
            dest.parent.mkdir()
            written, cap, kind = 0, 0, ""
            with dest.open("wb") as out:
                while chunk := fh.read(1 << 20):
                    if not written:  # refused by its first bytes, before the rest is read
                        kind = sniff_kind(chunk[:64]) or ""
                        limits.media_kind(f"{kind}/*" if kind else "application/octet-stream")
                        cap = limits.MEDIA_BYTES[kind]
                    written += len(chunk)
                    if written > cap:
                        limits.check_media_size(kind, written, safe)
                    out.write(chunk)
            if written == 0:
                raise InvalidInput(f"{safe}: the file is empty")
            paths.append(dest)
        yield paths
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


#: characters a platform shows before "… more" in the feed (Instagram's caption, Facebook's post text, YouTube's
#: description under the video); X shows the whole post
FOLD = {"instagram": 125, "facebook": 480, "youtube": 157}
_TOKEN = re.compile(r"(https?://\S+|#\w+|@\w+)", re.UNICODE)


def caption_segments(text: str) -> list[tuple[str, str]]:
    """``text`` as (piece, kind) with kind ``tag``, ``mention``, ``url`` or ``""``, to show as the platforms do."""
    out: list[tuple[str, str]] = []
    for i, piece in enumerate(_TOKEN.split(text)):
        if not piece:
            continue
        kind = "" if i % 2 == 0 else "url" if piece.startswith("http") else "tag" if piece[0] == "#" else "mention"
        out.append((piece, kind))
    return out


@dataclass
class Preview:
    account: str
    label: str
    platform: str
    text: str
    length: int
    limit: int | None
    counter: str
    problems: list[str] = field(default_factory=list)
    media: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""

    @property
    def fold(self) -> int | None:
        return FOLD.get(self.platform)

    @property
    def visible(self) -> list[tuple[str, str]]:
        """What the feed shows before "… more" (the whole text where the platform does not fold)."""
        cut = self.fold
        return caption_segments(self.text if cut is None or len(self.text) <= cut else self.text[:cut].rstrip())

    @property
    def rest(self) -> list[tuple[str, str]]:
        cut = self.fold
        return [] if cut is None or len(self.text) <= cut else caption_segments(self.text[cut:])

    @property
    def hashtags(self) -> list[str]:
        return [piece for piece, kind in caption_segments(self.text) if kind == "tag"]


def account_limits(app: App) -> list[dict[str, Any]]:
    """Each enabled account's text limit, for the live character counter (the server check decides)."""
    out = []
    for acc in app.settings.accounts:
        if not acc.enabled:
            continue
        like = acc.behaves_like
        limits = LIMITS.get(like)
        out.append({"name": acc.name, "label": acc.label or acc.name, "platform": like.value,
                    "key": CAPTION_KEYS.get(like, ""), "max": limits.text_max if limits else None,
                    "counter": limits.text_counter if limits else "chars"})
    return out


def previews(app: App, c: Content) -> list[Preview]:
    """What ``c`` becomes on each target account, with the adapter's ``validate()`` problems."""
    out: list[Preview] = []
    for name in c.accounts:
        try:
            acc = app.settings.account(name)
        except HumasError as exc:
            out.append(Preview(name, name, "?", "", 0, None, "chars", [exc.message]))
            continue
        draft = draft_for(app.media, c, acc)
        limits = LIMITS.get(acc.behaves_like)
        counter = limits.text_counter if limits else "chars"
        p = Preview(name, acc.label or name, acc.behaves_like.value, draft.text, text_length(draft.text, counter),
                    limits.text_max if limits else None, counter,
                    media=[{"sha256": m.sha256, "mime": m.mime} for m in draft.media], title=draft.title)
        try:
            p.problems = [pr.message for pr in app.platform_check.problems(c, name)]
        except HumasError as exc:  # an account whose adapter cannot be built (missing credential, extra)
            p.problems = [exc.message]
        out.append(p)
    return out


def last_approved(s: Session, c: Content) -> ContentVersion | None:
    """The last approved version that differs from the current one (``None``: never approved, or unchanged)."""
    d = s.execute(select(Decision).where(Decision.content_id == c.id, Decision.outcome == "approved",
                                         Decision.version_hash != c.version_hash)
                  .order_by(Decision.id.desc()).limit(1)).scalar_one_or_none()
    if d is None:
        return None
    return s.execute(select(ContentVersion).where(ContentVersion.content_id == c.id,
                                                  ContentVersion.version_hash == d.version_hash)
                     .order_by(ContentVersion.version.desc()).limit(1)).scalar_one_or_none()


@dataclass
class ApprovalDiff:
    base: ContentVersion | None  # what the diff is against
    current: ContentVersion | None
    fields: list[FieldDiff]
    against_approved: bool  # False: never approved, compared with the first version

    @property
    def changed(self) -> bool:
        return any(f.changed for f in self.fields)


def approval_diff(s: Session, c: Content) -> ApprovalDiff:
    """The current version against the last approved version that differs from it.

    When every approval so far is of this very version there is nothing to show (``ever_approved``); when there
    was no approval yet, the diff is against the first version.
    """
    current = s.execute(select(ContentVersion).where(ContentVersion.content_id == c.id,
                                                     ContentVersion.version == c.version)).scalar_one_or_none()
    base = last_approved(s, c)
    ever = s.execute(select(Decision.id).where(Decision.content_id == c.id, Decision.outcome == "approved")
                     .limit(1)).first() is not None
    if base is None and ever:
        return ApprovalDiff(None, current, [], True)
    approved = base is not None
    if base is None:
        base = s.execute(select(ContentVersion).where(ContentVersion.content_id == c.id)
                         .order_by(ContentVersion.version).limit(1)).scalar_one_or_none()
    fields = snapshot_diff(base.snapshot, current.snapshot) if base is not None and current is not None else []
    return ApprovalDiff(base, current, fields, approved)


def platform_caption_values(values: dict[str, str]) -> dict[str, str] | None:
    """Non-empty per-platform captions from a form; ``None`` when there are none."""
    out = {k: v for k, v in values.items() if k in PLATFORM_KEYS and v.strip()}
    return out or None


def platform_label(value: str) -> str:
    try:
        return {Platform.X: "X", Platform.FACEBOOK: "Facebook", Platform.INSTAGRAM: "Instagram",
                Platform.YOUTUBE: "YouTube", Platform.SANDBOX: "Sandbox",
                Platform.INSTAGRAM_PRIVATE: "Instagram (private)", Platform.WORDPRESS: "WordPress"}[Platform(value)]
    except ValueError:
        return value
