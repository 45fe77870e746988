"""The shared parts every stage is built from.

:class:`Env` holds what is infrastructure and nothing more: the settings, the database (its session factory), the
clock, the time zone and working-time calendar, the SOPs, the media store and step timing. Nothing in it talks to
the outside world: platform adapters, notifications and the classifier are handed, one by one, to the stages
that need them (the composition root, :mod:`humas.app`, does the wiring).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from humas.clock import Clock, utcnow
from humas.config import Settings
from humas.sop.calendar import WorkingCalendar, resolve_timezone
from humas.sop.registry import SopRegistry, load_sops
from humas.sop.timing import StepTimer
from humas.store.engine import Database
from humas.store.media import MediaStore


def calendar_of(settings: Settings) -> WorkingCalendar:
    t = settings.time
    return WorkingCalendar(tz=resolve_timezone(t.timezone), working_time=t.working_time,
                           work_days=frozenset(t.work_days), day_start=t.day_start, day_end=t.day_end,
                           holidays=t.public_holidays, extra_holidays=frozenset(t.extra_holidays))


@dataclass(frozen=True)
class Env:
    settings: Settings
    db: Database
    sops: SopRegistry
    calendar: WorkingCalendar
    media: MediaStore
    clock: Clock = utcnow
    timer: StepTimer = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "timer", StepTimer(self.calendar))

    @classmethod
    def build(cls, settings: Settings, clock: Clock = utcnow, db: Database | None = None) -> Env:
        """The parts for ``settings`` (the engine connects on first use)."""
        return cls(settings=settings, db=db or Database(settings.db_url),
                   sops=load_sops(settings.sop_files, settings.sops, settings.default_sop),
                   calendar=calendar_of(settings), media=MediaStore(settings.media_dir), clock=clock)

    @property
    def tz(self) -> ZoneInfo:
        return self.calendar.tz

    def local(self, dt: datetime) -> datetime:
        """``dt`` in the configured time zone."""
        return dt.astimezone(self.tz)

    def local_iso(self, dt: datetime | None) -> str | None:
        """``dt`` in the configured zone as ISO 8601 to the second; None stays None."""
        return dt.astimezone(self.tz).isoformat(timespec="seconds") if dt is not None else None
