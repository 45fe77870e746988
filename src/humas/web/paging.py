"""Paging, search and date filters of the list pages (content, comments, cases): one page of a query and its
total, the filter values as given (so the form keeps them), and the links to the neighbouring pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

PAGE_SIZE = 50
MAX_PAGE = 100_000
MAX_SEARCH = 200  # characters: a search longer than this is cut, never refused


@dataclass
class Page:
    """One page of a list: ``rows`` (what the query returns), ``number`` from 1, ``total`` rows over all pages."""

    rows: list[Any]
    number: int
    size: int
    total: int
    params: dict[str, str] = field(default_factory=dict)  # the filters, for the links

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_row(self) -> int:
        return 0 if not self.total else (self.number - 1) * self.size + 1

    @property
    def last_row(self) -> int:
        return min(self.total, self.number * self.size)

    def link(self, number: int) -> str:
        return "?" + urlencode({**{k: v for k, v in self.params.items() if v}, "halaman": str(number)})

    @property
    def prev_link(self) -> str | None:
        return self.link(self.number - 1) if self.number > 1 else None

    @property
    def next_link(self) -> str | None:
        return self.link(self.number + 1) if self.number < self.pages else None


def page_number(value: str) -> int:
    """The ``halaman`` parameter: anything but a number from 1 is page 1 (a list never fails on its pager)."""
    try:
        return min(MAX_PAGE, max(1, int(value)))
    except ValueError:
        return 1


def fetch(s: Session, q: Select[*tuple[Any, ...]], number: int, size: int = PAGE_SIZE, *, scalars: bool = True,
          params: dict[str, str] | None = None) -> Page:
    """Page ``number`` of ``q`` (which carries its order); a page past the end shows the last one."""
    total = int(s.execute(select(func.count()).select_from(q.order_by(None).subquery())).scalar_one())
    last = max(1, -(-total // size))
    number = min(number, last)
    result = s.execute(q.offset((number - 1) * size).limit(size))
    rows = list(result.scalars()) if scalars else list(result.all())
    return Page(rows, number, size, total, dict(params or {}))


def search_text(value: str) -> str:
    return " ".join(value.split())[:MAX_SEARCH]


@dataclass(frozen=True)
class DayRange:
    """``dari``/``sampai`` date filters (``YYYY-MM-DD`` from a date input, or ``DD-MM-YYYY`` as the pages show
    dates), as the local days' bounds; ``problem`` names a value that could not be read (that filter is ignored)."""

    since: datetime | None
    until: datetime | None
    problem: str | None = None


def day_range(since: str, until: str, tz: tzinfo) -> DayRange:
    problems: list[str] = []
    lo, hi = _day(since, problems), _day(until, problems)
    if lo and hi and hi < lo:
        problems.append(until.strip())
        hi = None
    return DayRange(datetime.combine(lo, time(0), tzinfo=tz) if lo else None,
                    datetime.combine(hi + timedelta(days=1), time(0), tzinfo=tz) if hi else None,
                    ", ".join(problems) or None)


def _day(value: str, problems: list[str]) -> date | None:
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    problems.append(value[:20])
    return None
