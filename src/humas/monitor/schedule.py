"""The polling decay schedule: how often a post is polled for comments, by its age.

``[[monitor.schedule]]`` stages are read in order; a post younger than a stage's ``until`` is polled every
``every``. After the last stage the post is no longer polled (``next_poll_at = None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from humas.config import MonitorStage
from humas.errors import ConfigError
from humas.sop.duration import parse_duration


@dataclass(frozen=True)
class Stage:
    until: timedelta
    every: timedelta


def parse_schedule(stages: Sequence[MonitorStage]) -> list[Stage]:
    """The stages as durations; ``ConfigError`` naming the stage when one is invalid or out of order."""
    out: list[Stage] = []
    for i, st in enumerate(stages):
        try:
            until, every = parse_duration(st.until), parse_duration(st.every)
        except ValueError as exc:
            raise ConfigError(f"monitor.schedule[{i}]: {exc}") from None
        if every <= timedelta(0):
            raise ConfigError(f"monitor.schedule[{i}].every: must be longer than 0m")
        if out and until <= out[-1].until:
            raise ConfigError(f"monitor.schedule[{i}].until: stages must be in increasing order of post age")
        out.append(Stage(until, every))
    return out


def next_poll(schedule: Sequence[Stage], published_at: datetime, now: datetime) -> datetime | None:
    """When to poll a post published at ``published_at`` again, having polled it at ``now``; None: stop."""
    age = now - published_at
    for st in schedule:
        if age < st.until:
            return now + st.every
    return None


def interval(schedule: Sequence[Stage], published_at: datetime, now: datetime) -> timedelta | None:
    """The polling interval that applies to the post now; None after the last stage."""
    age = now - published_at
    return next((st.every for st in schedule if age < st.until), None)
