"""The polling decay schedule: how often a post is polled for comments, by its age.

``[[monitor.schedule]]`` stages are read in order; a post younger than a stage's ``until`` is polled every
``every``. After the last stage the post is no longer polled (``next_poll_at = None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from humas.config import Stage as Stage  # re-exported: the schedule is validated with the settings
from humas.config import parse_schedule as parse_schedule


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
