"""Media files stored content-addressed by sha256 under ``<data_dir>/media``."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from humas.errors import InvalidInput
from humas.limits import check_media_size, media_kind
from humas.store.models import MediaBlob

_VIDEO_BRANDS = {b"qt  ": "video/quicktime"}


@dataclass(frozen=True)
class Probe:
    mime: str
    width: int | None = None
    height: int | None = None


def sniff_kind(head: bytes) -> str | None:
    """``image`` or ``video`` from a file's first bytes (for refusing an upload before it is all read); else None."""
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")) or \
            (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head[4:8] == b"ftyp" or head.startswith(b"\x1aE\xdf\xa3"):
        return "video"
    return None


def probe(path: Path) -> Probe:
    """The file's real type (from its bytes, not its name) and an image's pixel size."""
    with path.open("rb") as fh:
        head = fh.read(64)
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return Probe(_VIDEO_BRANDS.get(head[8:12], "video/mp4"))
    if head.startswith(b"\x1aE\xdf\xa3"):
        return Probe("video/webm")
    try:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(path) as im:
                fmt = (im.format or "").upper()
                mime = Image.MIME.get(fmt) or f"image/{fmt.lower()}"
                return Probe(mime, im.width, im.height)
        except (UnidentifiedImageError, OSError):
            pass
    except ImportError:  # pragma: no cover - Pillow is a dependency
        pass
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if guessed.startswith(("image/", "video/")):
        guessed = "application/octet-stream"  # a name that claims media but bytes that are not
    return Probe(guessed)


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    @staticmethod
    def check_file(path: Path) -> Probe:
        """A readable photo or video within its size limit (:mod:`humas.limits`), by its bytes, not its name."""
        if not path.is_file():
            raise InvalidInput(f"media file not found: {path}")
        if not os.access(path, os.R_OK):
            raise InvalidInput(f"media file not readable: {path}")
        found = probe(path)
        check_media_size(media_kind(found.mime), path.stat().st_size, path.name)
        return found

    def put(self, session: Session, path: Path) -> MediaBlob:
        """Store ``path`` (idempotent) and return its row; the file lands atomically (temp file, rename)."""
        self.check_file(path)
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        sha = h.hexdigest()
        blob = session.get(MediaBlob, sha)
        dest = self.path_for(sha)
        if not dest.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out, path.open("rb") as src:
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        out.write(chunk)
                os.replace(tmp, dest)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        if blob is None:
            p = probe(dest)
            blob = MediaBlob(
                sha256=sha, mime=p.mime, size=dest.stat().st_size, width=p.width, height=p.height,
                original_name=path.name[:255],
            )
            session.add(blob)
            session.flush()
        return blob
