"""The :class:`~humas.publisher.base.SecretStore` in humas's database."""

from __future__ import annotations

from sqlalchemy import select

from humas.clock import utcnow
from humas.store.engine import Database
from humas.store.models import AccountSecret


class DbSecretStore:
    """Rotating credentials, each write committed at once: a refresh token the platform already rotated must
    survive whatever happens to the caller's transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, account: str, key: str) -> str | None:
        with self.db.session() as s:
            return s.execute(
                select(AccountSecret.value).where(AccountSecret.account == account, AccountSecret.key == key)
            ).scalar_one_or_none()

    def set(self, account: str, key: str, value: str) -> None:
        with self.db.session() as s:
            row = s.get(AccountSecret, (account, key))
            if row is None:
                s.add(AccountSecret(account=account, key=key, value=value, updated_at=utcnow()))
            else:
                row.value, row.updated_at = value, utcnow()

    def __repr__(self) -> str:
        return "DbSecretStore(****)"
