"""Keys humas generates for itself: created once, readable by the owner only, never logged."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from humas.errors import InvalidInput

MIN_LENGTH = 32


def key_from_file(path: Path) -> str:
    """The key in ``path``; a new random one is written there (mode 0600) when the file does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < MIN_LENGTH:
            raise InvalidInput(f"{path}: the key is too short; delete the file to generate a new one") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key
