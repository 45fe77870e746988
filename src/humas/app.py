"""The object graph built once from :class:`~humas.config.Settings` and passed down (no module-level state)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from humas.authz import Actor
from humas.config import Settings
from humas.errors import InvalidTransition, NotFound
from humas.store.engine import Database
from humas.store.media import MediaStore
from humas.store.models import User
from humas.workflow.clock import WorkingCalendar, resolve_timezone
from humas.workflow.registry import SopRegistry, load_sops

if TYPE_CHECKING:
    from humas.notify.notifier import Notifier
    from humas.publisher.registry import AdapterRegistry

log = logging.getLogger("humas")


def utcnow() -> datetime:
    return datetime.now(UTC)


class App:
    """Settings, database, SOPs, calendar, media store and platform adapters of one humas installation."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.clock = clock

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.db_url)

    @cached_property
    def sops(self) -> SopRegistry:
        return load_sops(self.settings)

    @cached_property
    def tz(self) -> ZoneInfo:
        return resolve_timezone(self.settings.time.timezone)

    @cached_property
    def calendar(self) -> WorkingCalendar:
        t = self.settings.time
        return WorkingCalendar(
            tz=self.tz,
            working_time=t.working_time,
            work_days=frozenset(t.work_days),
            day_start=t.day_start,
            day_end=t.day_end,
            holidays=t.public_holidays,
            extra_holidays=frozenset(t.extra_holidays),
        )

    @cached_property
    def media(self) -> MediaStore:
        return MediaStore(self.settings.media_dir)

    @cached_property
    def adapters(self) -> AdapterRegistry:
        from humas.publisher.registry import AdapterRegistry

        return AdapterRegistry(self)

    @cached_property
    def notifier(self) -> Notifier:
        from humas.notify.notifier import Notifier

        return Notifier(self)

    def ensure_schema(self) -> None:
        """Refuse to work on a database whose schema is behind the code (``humas db upgrade`` fixes it)."""
        from humas.store.migrate import current_revision, head_revision

        current = current_revision(self.db)
        if current != head_revision(self.db):
            where = "not initialised" if current is None else f"at revision {current}"
            raise InvalidTransition(f"the database is {where}; run 'humas init' (or 'humas db upgrade') first")

    def actor(self, session: Session, name: str | None) -> Actor:
        if not name:
            raise NotFound("no acting user: pass --as NAME or set HUMAS_USER")
        user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
        if user is None or not user.active:
            raise NotFound(f"unknown user '{name}' (add it with: humas user add {name} --role ROLE)")
        return Actor(id=user.id, name=user.name, roles=frozenset(user.role_ids))

    def local(self, dt: datetime) -> datetime:
        return dt.astimezone(self.tz)
