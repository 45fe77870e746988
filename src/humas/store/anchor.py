"""The register's anchor: this instance's latest checkpoint of the audit chain's head, kept outside the database.

A checkpoint is (sequence number, entry hash, time) signed with HMAC-SHA256 under a key that is not in the
database either (``[audit] anchor_key``, else a key file under the data dir). Someone who can change only the
database can delete the newest entries, wipe the register or rewrite entries and recompute every later hash, and
the chain alone cannot tell; the checkpoint can: the entry it names must still be there with the same hash. See
docs/design.md ("The register's guarantees") for what it can and cannot show.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from humas.errors import HumasError

log = logging.getLogger("humas.audit")


class AnchorInvalid(HumasError):
    """The register's checkpoint file is unreadable or its signature does not match (altered, or another key)."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime


class Anchor:
    """Reads and advances the checkpoint file at ``path``; ``key`` signs it (a function: read when first needed)."""

    def __init__(self, path: Path, key: str | Callable[[], str]) -> None:
        self.path = Path(path)
        self._key_source = key
        self._key: bytes | None = None

    def __repr__(self) -> str:
        return f"Anchor({str(self.path)!r})"

    def _mac(self, seq: int, entry_hash: str, at: str) -> str:
        if self._key is None:
            source = self._key_source
            self._key = (source if isinstance(source, str) else source()).encode("utf-8")
        return hmac.new(self._key, f"{seq}|{entry_hash}|{at}".encode(), hashlib.sha256).hexdigest()

    def load(self) -> Checkpoint | None:
        """The checkpoint, or None when there is none yet; :class:`AnchorInvalid` when it cannot be trusted."""
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AnchorInvalid(f"cannot read the register's checkpoint {self.path}: {exc.strerror}") from None
        try:
            data = json.loads(raw)
            seq, entry_hash, at, mac = int(data["seq"]), str(data["hash"]), str(data["at"]), str(data["mac"])
            when = datetime.fromisoformat(at)
        except (ValueError, KeyError, TypeError):
            raise AnchorInvalid(f"the register's checkpoint {self.path} is not readable") from None
        if not hmac.compare_digest(mac, self._mac(seq, entry_hash, at)):
            raise AnchorInvalid(f"the signature of the register's checkpoint {self.path} does not match "
                                "(the file was altered, or it was signed with another key)")
        return Checkpoint(seq, entry_hash, when)

    def advance(self, seq: int, entry_hash: str, at: datetime | None = None) -> None:
        """Record a newer head; a checkpoint at or beyond ``seq`` (another process was quicker) is kept."""
        with self._locked():
            try:
                current = self.load()
            except AnchorInvalid:
                current = None  # never silently repaired: verify reports it until a newer head overwrites it
                log.warning("the register's checkpoint %s was not valid; writing a new one", self.path)
            if current is not None and current.seq >= seq:
                return
            self._write(seq, entry_hash, at or datetime.now(UTC))

    def reset(self, seq: int, entry_hash: str) -> None:
        """Anchor at exactly this head, even an older one (after a restore the register really is shorter)."""
        with self._locked():
            self._write(seq, entry_hash, datetime.now(UTC))

    def _write(self, seq: int, entry_hash: str, at: datetime) -> None:
        stamp = at.astimezone(UTC).isoformat(timespec="microseconds")
        body = json.dumps({"seq": seq, "hash": entry_hash, "at": stamp, "mac": self._mac(seq, entry_hash, stamp)})
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body + "\n")
        os.replace(tmp, self.path)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a+") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
