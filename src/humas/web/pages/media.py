"""``/media/{sha256}``: media files by content hash.

Public (no sign-in) only for media of content that is approved, scheduled or published: Instagram's servers fetch
the image from ``web.public_base_url`` when the post is published, and by then the content has passed its SOP.
Drafts' media need a signed-in user. Unknown or not-yet-public hashes answer 404 alike (no existence oracle).
"""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select

from humas.errors import HumasError, NotFound
from humas.store.models import Content, ContentMedia, ContentStatus, MediaBlob
from humas.web.deps import humas, page_router, page_viewer

router = page_router()
SHA = re.compile(r"[0-9a-f]{64}")
PUBLIC_STATUSES = (ContentStatus.APPROVED, ContentStatus.SCHEDULED, ContentStatus.PUBLISHED)


@router.get("/media/{sha256}")
def media(request: Request, sha256: str) -> Response:
    if not SHA.fullmatch(sha256):
        raise NotFound("media not found")
    app = humas(request)
    signed_in = False
    try:
        page_viewer(request)
        signed_in = True
    except HumasError:
        signed_in = False
    with app.db.read() as s:
        blob = s.get(MediaBlob, sha256)
        public = s.execute(
            select(ContentMedia.content_id).join(Content, Content.id == ContentMedia.content_id)
            .where(ContentMedia.sha256 == sha256, Content.status.in_(list(PUBLIC_STATUSES))).limit(1)
        ).first() is not None
    path = app.media.path_for(sha256)
    if blob is None or not (signed_in or public) or not path.is_file():
        raise NotFound("media not found")
    headers = {
        "cache-control": "public, max-age=86400, immutable" if public else "private, max-age=300",
        "content-security-policy": "default-src 'none'; sandbox",
        "content-disposition": "inline",
    }
    mime = blob.mime if blob.mime.startswith(("image/", "video/")) else "application/octet-stream"
    return FileResponse(path, media_type=mime, headers=headers)
