"""The :class:`~humas.publisher.base.SecretStore` in humas's database, encrypted at rest.

Every value in ``account_secrets`` is a Fernet token (AES-128-CBC + HMAC-SHA256, from the ``cryptography`` package)
of ``{"a": account, "k": key, "v": value}``: a value copied onto another row does not decrypt there. The key is
not in the database: ``[secrets] key = "env:NAME"``, else a key generated once in ``<data_dir>/secrets.key``
(mode 0600, by :func:`humas.keyfile.key_from_file`, the mechanism of the register's anchor key). Any key text of at
least 32 characters is turned into a Fernet key by HKDF-SHA256.

Rotation (:meth:`DbSecretStore.rotate_key`, ``humas secrets rotate-key``) re-encrypts every row in one transaction
under the new key while the old ones are still accepted (``MultiFernet``). With the key file: a new key is written
to ``secrets.key.new`` first, the rows are re-encrypted, then it replaces ``secrets.key`` and the old key is kept in
``secrets.key.old`` (a daemon that still held it in memory may have written one value with it) until the next
rotation. A process whose key is stale reloads the files when a value does not decrypt.

Rows written by humas before encryption (plaintext) are still read, and :meth:`DbSecretStore.seal_plaintext`
encrypts them (``humas init``, ``humas db upgrade``, the daemon's start).
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from humas.clock import utcnow
from humas.errors import ConfigError, HumasError
from humas.keyfile import MIN_LENGTH, key_from_file
from humas.store.engine import Database
from humas.store.models import AccountSecret

log = logging.getLogger("humas.secrets")

PREFIX = "enc1:"  # an encrypted value; a row without it was written before encryption (plaintext)
_INFO = b"humas account secrets v1"

KeySource = str | Callable[[], str]


class SecretsUnreadable(HumasError):
    """A stored secret cannot be decrypted with the configured keys (another key, or the row was altered)."""


def fernet_key(material: str) -> bytes:
    """A Fernet key derived from ``material`` (any text of at least 32 characters) with HKDF-SHA256."""
    if len(material.strip()) < MIN_LENGTH:
        raise ConfigError(f"secrets.key: the key must have at least {MIN_LENGTH} characters")
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(material.strip().encode())
    return base64.urlsafe_b64encode(raw)


def _resolve(source: KeySource) -> str:
    return source if isinstance(source, str) else source()


class Keyring:
    """The keys that encrypt account secrets: the first encrypts, every one decrypts.

    ``key``: the configured key (``[secrets] key``); ``None`` means the key file ``key_file`` (created on first
    use). ``previous``: configured keys that still decrypt (a rotation with keys from the environment). The key
    file and its ``.new``/``.old`` siblings also decrypt when they exist.
    """

    def __init__(self, key_file: Path, key: KeySource | None = None, previous: Sequence[KeySource] = ()) -> None:
        self.key_file = Path(key_file)
        self._key = key
        self._previous = tuple(previous)
        self._fernet: MultiFernet | None = None
        self._stamp: tuple[int, int] | None = None

    def __repr__(self) -> str:
        return f"Keyring({'env' if self._key is not None else str(self.key_file)!r})"

    @property
    def from_file(self) -> bool:
        return self._key is None

    @property
    def new_file(self) -> Path:
        return self.key_file.with_name(self.key_file.name + ".new")

    @property
    def old_file(self) -> Path:
        return self.key_file.with_name(self.key_file.name + ".old")

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.key_file.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def _load(self) -> MultiFernet:
        materials: list[str] = []
        if self._key is not None:
            materials.append(_resolve(self._key))
            materials += [_resolve(p) for p in self._previous]
            extra = [self.key_file, self.new_file, self.old_file]  # a switch from the file to the environment
        else:
            materials.append(key_from_file(self.key_file))
            extra = [self.new_file, self.old_file]
        for path in extra:
            if path.is_file():
                materials.append(path.read_text(encoding="ascii").strip())
        self._stamp = self._file_stamp()
        keys = [Fernet(fernet_key(m)) for m in dict.fromkeys(materials)]
        return MultiFernet(keys)

    def reload(self) -> None:
        self._fernet = None

    def ensure(self) -> None:
        """Load the keys now: the key file is created if needed, a missing environment variable is named."""
        self._current()

    def _current(self) -> MultiFernet:
        if self._fernet is None or (self.from_file and self._file_stamp() != self._stamp):
            self._fernet = self._load()  # first use, or the key file was rotated by another process
        return self._fernet

    def encrypt(self, data: bytes) -> str:
        return PREFIX + self._current().encrypt(data).decode("ascii")

    def decrypt(self, value: str) -> bytes:
        token = value.removeprefix(PREFIX).encode("ascii")
        try:
            return self._current().decrypt(token)
        except InvalidToken:
            self.reload()  # another process may have rotated the key since this one loaded it
        try:
            return self._current().decrypt(token)
        except InvalidToken:
            raise SecretsUnreadable("a stored account secret cannot be decrypted with the configured keys "
                                    "([secrets] key or the key file under the data dir)") from None

    def reencrypt(self, value: str) -> str:
        """``value`` (encrypted under any accepted key) encrypted under the first key."""
        token = value.removeprefix(PREFIX).encode("ascii")
        try:
            return PREFIX + self._current().rotate(token).decode("ascii")
        except InvalidToken:
            raise SecretsUnreadable("a stored account secret cannot be decrypted with the configured keys; "
                                    "nothing was re-encrypted") from None

    # --- rotation of the key file -------------------------------------------------------------------------------

    def stage_new_key(self) -> None:
        """Write ``secrets.key.new`` (kept when a rotation was interrupted) and make it the encrypting key."""
        new = key_from_file(self.new_file)
        current = key_from_file(self.key_file)
        keys = [new, current] + [p.read_text(encoding="ascii").strip() for p in (self.old_file,) if p.is_file()]
        self._fernet = MultiFernet([Fernet(fernet_key(m)) for m in dict.fromkeys(keys)])
        self._stamp = self._file_stamp()

    def promote_new_key(self) -> None:
        """``secrets.key`` becomes ``secrets.key.old`` and ``secrets.key.new`` becomes ``secrets.key``."""
        old = self.key_file.read_text(encoding="ascii")
        tmp = self.old_file.with_name(f".{self.old_file.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(old)
        os.replace(tmp, self.old_file)
        os.replace(self.new_file, self.key_file)
        self.reload()


@dataclass(frozen=True)
class Rotation:
    rows: int
    key_file: Path | None  # the new key's file; None when the key comes from the environment


class DbSecretStore:
    """Rotating credentials and tokens from connecting accounts, encrypted, one row per (account, key).

    ``set`` commits at once, in a transaction of its own: a refresh token the platform already rotated must
    survive whatever happens to the caller's transaction. ``put``/``drop`` write in the caller's transaction
    (a connection stored all or nothing). ``get`` reads in a read session (never the SQLite write lock), so an
    adapter may be built while the caller holds a write transaction.
    """

    def __init__(self, db: Database, keyring: Keyring) -> None:
        self.db = db
        self.keyring = keyring

    def __repr__(self) -> str:
        return "DbSecretStore(****)"

    def _seal(self, account: str, key: str, value: str) -> str:
        return self.keyring.encrypt(json.dumps({"a": account, "k": key, "v": value}).encode())

    def _open(self, account: str, key: str, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written before encryption; seal_plaintext() encrypts it
        data = json.loads(self.keyring.decrypt(stored))
        if data.get("a") != account or data.get("k") != key:
            raise SecretsUnreadable(f"the stored secret {key} of account {account} belongs to another row "
                                    "(the database was altered)")
        return str(data["v"])

    def get(self, account: str, key: str) -> str | None:
        with self.db.read() as s:
            stored = s.execute(
                select(AccountSecret.value).where(AccountSecret.account == account, AccountSecret.key == key)
            ).scalar_one_or_none()
        return None if stored is None else self._open(account, key, stored)

    def set(self, account: str, key: str, value: str) -> None:
        with self.db.session() as s:
            self.put(s, account, {key: value})

    def put(self, session: Session, account: str, values: Mapping[str, str]) -> None:
        """Write ``values`` for ``account`` in ``session``'s transaction."""
        now = utcnow()
        for key, value in values.items():
            sealed = self._seal(account, key, value)
            row = session.get(AccountSecret, (account, key))
            if row is None:
                session.add(AccountSecret(account=account, key=key, value=sealed, updated_at=now))
            else:
                row.value, row.updated_at = sealed, now
        session.flush()

    def drop(self, session: Session, account: str, keys: Sequence[str] | None = None) -> int:
        """Delete ``account``'s secrets (only ``keys`` when given) in ``session``'s transaction; how many."""
        stmt = delete(AccountSecret).where(AccountSecret.account == account)
        if keys is not None:
            stmt = stmt.where(AccountSecret.key.in_(list(keys)))
        return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]

    def prepare(self) -> int:
        """At start (``humas init``, ``humas db upgrade``, the daemon): the key ready, plaintext rows encrypted."""
        self.keyring.ensure()
        return self.seal_plaintext()

    def seal_plaintext(self) -> int:
        """Encrypt every row written before encryption, in one transaction; how many there were."""
        with self.db.session() as s:
            rows = list(s.execute(select(AccountSecret).where(AccountSecret.value.not_like(f"{PREFIX}%"))).scalars())
            for row in rows:
                row.value = self._seal(row.account, row.key, row.value)
        if rows:
            log.info("encrypted %d account secret(s) stored before encryption", len(rows))
        return len(rows)

    def rotate_key(self) -> Rotation:
        """Re-encrypt every row under a new key in one transaction (see the module docstring)."""
        self.seal_plaintext()
        if self.keyring.from_file:
            self.keyring.stage_new_key()
        with self.db.session() as s:
            rows = list(s.execute(select(AccountSecret)).scalars())
            for row in rows:
                self._open(row.account, row.key, row.value)  # refuses a row moved from elsewhere
                row.value = self.keyring.reencrypt(row.value)
        if self.keyring.from_file:
            self.keyring.promote_new_key()
            return Rotation(len(rows), self.keyring.key_file)
        return Rotation(len(rows), None)
