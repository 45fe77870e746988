"""The media library (Pustaka media): every photo and video humas holds, uploaded once (stored by content hash,
so the same file uploaded twice is one file) and reused by any number of contents."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from humas import authz
from humas.app import App
from humas.authz import Actor
from humas.errors import InvalidInput
from humas.store import audit
from humas.store.dialect import contains
from humas.store.models import ContentMedia, MediaBlob

SHA = re.compile(r"[0-9a-f]{64}")
KINDS = {"foto": "image/", "video": "video/"}
PICKER = 24  # the newest files offered in the content form


def query(kind: str = "", search: str = "") -> Select[MediaBlob, int]:
    """Files, newest first, with how many contents use each; ``kind``: foto or video; ``search``: in the name."""
    uses = (select(ContentMedia.sha256, func.count(func.distinct(ContentMedia.content_id)).label("n"))
            .group_by(ContentMedia.sha256).subquery())
    q = (select(MediaBlob, func.coalesce(uses.c.n, 0)).outerjoin(uses, uses.c.sha256 == MediaBlob.sha256)
         .order_by(MediaBlob.created_at.desc(), MediaBlob.sha256))
    if kind in KINDS:
        q = q.where(MediaBlob.mime.startswith(KINDS[kind]))
    if search:
        q = q.where(or_(contains(MediaBlob.original_name, search), MediaBlob.sha256.startswith(search.lower())))
    return q


def recent(s: Session, limit: int = PICKER) -> list[MediaBlob]:
    return list(s.execute(select(MediaBlob).order_by(MediaBlob.created_at.desc(), MediaBlob.sha256)
                          .limit(limit)).scalars())


def used_by(s: Session, sha256: str) -> list[int]:
    return list(s.execute(select(ContentMedia.content_id).where(ContentMedia.sha256 == sha256).distinct()
                          .order_by(ContentMedia.content_id)).scalars())


def chosen_paths(app: App, s: Session, chosen: Sequence[str] | None) -> list[Path]:
    """The stored files of the library entries picked in a form, in the order given; an unknown one is refused."""
    out: list[Path] = []
    for sha in dict.fromkeys(chosen or []):
        if not SHA.fullmatch(sha) or s.get(MediaBlob, sha) is None or not app.media.path_for(sha).is_file():
            raise InvalidInput(f"no such file in the media library: {sha[:12]}")
        out.append(app.media.path_for(sha))
    return out


def add(app: App, s: Session, actor: Actor, paths: Sequence[Path]) -> list[MediaBlob]:
    """Store uploaded files in the library (checked by their bytes: photos and videos within their limits), each
    recorded in the register; all or none."""
    authz.require_staff(actor, "add files to the media library")
    if not paths:
        raise InvalidInput("choose at least one photo or video")
    out = []
    for p in paths:
        known = s.get(MediaBlob, _sha(p)) is not None
        blob = app.media.put(s, p)
        if not known:
            audit.append(s, actor=actor.name, action="media.added", subject_type="media", subject_id=blob.sha256,
                         data={"name": blob.original_name, "mime": blob.mime, "size": blob.size}, at=app.clock())
        out.append(blob)
    return out


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def row(blob: MediaBlob, uses: int) -> dict[str, Any]:
    return {"sha256": blob.sha256, "mime": blob.mime, "size": blob.size, "width": blob.width,
            "height": blob.height, "name": blob.original_name, "created_at": blob.created_at, "uses": uses}
