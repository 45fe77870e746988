"""What a monthly plan is made of, apart from the database: its refusals (with the words the pages show), warnings,
item inputs, months and days, the SOP's weeks, an item's state and the list's hash."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from humas.env import Env
from humas.errors import InvalidInput, InvalidTransition, PermissionDenied
from humas.sop.model import SOP, Step
from humas.store.models import ContentStatus, PlanItem

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
ACTIVITY_MAX = 300  # an item's activity becomes its content's title
UNIT_MAX = 200
PLACE_MAX = 300


# --- errors with the words the pages show -----------------------------------------------------------------------


class PlanInputError(InvalidInput):
    """The plan input is invalid; ``indonesian`` is what the pages show."""

    def __init__(self, message: str, *, indonesian: str) -> None:
        super().__init__(message)
        self.indonesian = indonesian


class PlanStateError(InvalidTransition):
    """The plan is not in a state where this is possible; ``indonesian`` is what the pages show."""

    def __init__(self, message: str, *, indonesian: str) -> None:
        super().__init__(message)
        self.indonesian = indonesian


class PlanForbidden(PermissionDenied):
    """This user may not do this to the plan; ``indonesian`` is what the pages show."""

    def __init__(self, message: str, *, indonesian: str) -> None:
        super().__init__(message)
        self.indonesian = indonesian


@dataclass(frozen=True)
class Notice:
    """A warning for the person acting, not a refusal: English (CLI, API) and Indonesian (pages)."""

    en: str
    id: str


# --- inputs -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemInput:
    """A proposed item: ``owner`` is a user name; ``activity_date`` a date or ``YYYY-MM-DD``."""

    activity: str
    activity_date: date | str
    owner: str
    unit: str = ""
    channels: Sequence[str] = ()
    note: str = ""


@dataclass(frozen=True)
class ItemChanges:
    """Fields of an item edit; ``None`` leaves a field as it is."""

    activity: str | None = None
    activity_date: date | str | None = None
    owner: str | None = None
    unit: str | None = None
    channels: Sequence[str] | None = None
    note: str | None = None


def parse_month(text: str) -> str:
    """``YYYY-MM`` checked (month 01-12, year 2000-9998); refused in one line otherwise."""
    m = MONTH_RE.match(text.strip())
    if m is None or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 9998:
        raise PlanInputError(f"invalid month '{text}' (expected YYYY-MM, e.g. 2026-12)",
                             indonesian=f"Bulan '{text}' tidak valid (format TTTT-BB, mis. 2026-12).")
    return m.group(0)


def month_bounds(month: str) -> tuple[date, date]:
    """The first day of ``month`` and the first day of the month after."""
    year, number = (int(x) for x in month.split("-"))
    first = date(year, number, 1)
    return first, (first + timedelta(days=32)).replace(day=1)


def sop_windows(month: str) -> dict[str, tuple[date, date]]:
    """When the SOP wants the meeting and the approval, both inclusive: "minggu ke-3 / ke-4 sebelum pelaksanaan",
    read as the third and fourth week of the month before (days 15-21 and 22 to its last day)."""
    first, _ = month_bounds(month)
    last_before = first - timedelta(days=1)
    return {"meeting": (last_before.replace(day=15), last_before.replace(day=21)),
            "approval": (last_before.replace(day=22), last_before)}


def parse_day(value: date | str, what: str = "date") -> date:
    """A calendar day given as a date or ``YYYY-MM-DD``; refused in one line otherwise."""
    if isinstance(value, date):
        return value
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise PlanInputError(f"invalid {what} '{value}' (expected YYYY-MM-DD)",
                         indonesian=f"Tanggal '{value}' tidak valid (format TTTT-BB-HH).")


def parse_local(env: Env, text: str) -> datetime:
    """A local date and time (``YYYY-MM-DD HH:MM``, ``T`` allowed, an offset kept) as an aware datetime."""
    raw = text.strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?", raw):
            raise ValueError(raw)
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if not 2000 <= value.year <= 9998:
            raise ValueError(raw)
    except ValueError:
        raise PlanInputError(f"invalid time '{text}' (expected YYYY-MM-DD HH:MM, office time)",
                             indonesian=f"Waktu '{text}' tidak valid (format TTTT-BB-HH JJ:MM).") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=env.tz)


ITEM_STATES = ("planned", "in_production", "approved", "published", "cancelled")


def item_state(content_status: str | None, published: bool) -> str:
    """What a plan item is now, from its content's status (``None``: no content yet)."""
    if content_status is None:
        return "planned"
    if published or content_status == ContentStatus.PUBLISHED:
        return "published"
    if content_status == ContentStatus.CANCELLED:
        return "cancelled"
    if content_status in (ContentStatus.APPROVED, ContentStatus.SCHEDULED):
        return "approved"
    return "in_production"


def list_hash(items: Sequence[PlanItem]) -> str:
    """The item list's identity: every field of every item, in the list's order."""
    body = [[i.activity, i.activity_date.isoformat(), i.unit, list(i.channels), i.owner_id, i.note]
            for i in sorted(items, key=lambda i: (i.activity_date, i.id or 0))]
    return hashlib.sha256(json.dumps(body, ensure_ascii=False).encode("utf-8")).hexdigest()


def list_step(sop: SOP) -> Step:
    """The plan step that holds the item list: the editable one, else the last submit step before the first
    review."""
    editable = [s for s in sop.plan_steps if s.editable and s.action == "submit"]
    if editable:
        return editable[0]
    before: list[Step] = []
    for s in sop.plan_steps:
        if s.action == "review":
            break
        before.append(s)
    return before[-1]
