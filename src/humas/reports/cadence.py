"""Publication cadence: an SOP that says how often it publishes (``cadence``, e.g. mojokerto-acc's "setiap satu
minggu sekali") gets periods, and each period is met (something under the SOP was published in it), pending (the
current period, nothing published yet), or missed (a past period with nothing published).

Periods are calendar periods in the office's time zone: a cadence of one week is the ISO week (Monday to Sunday),
28 to 31 days a calendar month, one day a day; any other length is a run of equal windows counted from Monday
2024-01-01. The first role of the SOP (of its plan chain, where it plans) is reminded once per period when nothing
is published and nothing is on its way; the reminder is an entry in the register, which is also how it is sent only
once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from humas.env import Env
from humas.notify import Notifier
from humas.sop.duration import parse_duration
from humas.sop.model import SOP
from humas.store import audit
from humas.store.models import AuditEntry, Content, ContentStatus, Post

log = logging.getLogger("humas.notify")

ACTION_REMINDED = "cadence.reminded"
IN_PIPELINE = (ContentStatus.DRAFT, ContentStatus.IN_REVIEW, ContentStatus.APPROVED, ContentStatus.SCHEDULED)
_EPOCH = date(2024, 1, 1)  # a Monday: the origin of cadences that are neither a day, a week nor a month
MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
             "November", "Desember")


@dataclass(frozen=True)
class Period:
    """One cadence period, ``[start, end)`` in UTC-aware datetimes; ``label`` names it (``2026-W49``,
    ``2026-12``, ``2026-12-07``)."""

    label: str
    start: datetime
    end: datetime
    kind: str  # week | month | day | window

    def title(self) -> str:
        """The period in Indonesian words, for pages and notices."""
        local = self.start
        if self.kind == "week":
            last = (self.end - timedelta(days=1)).date()
            return f"minggu {self.label[-2:].lstrip('0')} ({local:%d-%m} s.d. {last:%d-%m-%Y})"
        if self.kind == "month":
            return f"{MONTHS_ID[local.month - 1]} {local.year}"
        if self.kind == "day":
            return f"{local:%d-%m-%Y}"
        last = (self.end - timedelta(days=1)).date()
        return f"{local:%d-%m-%Y} s.d. {last:%d-%m-%Y}"


def period_of(cadence: str, moment: datetime, tz: tzinfo) -> Period:
    """The period of ``cadence`` that contains ``moment``."""
    length = parse_duration(cadence)
    local = moment.astimezone(tz)
    day = local.date()
    if length == timedelta(weeks=1):
        start = day - timedelta(days=day.weekday())
        iso = start.isocalendar()
        return _period(f"{iso.year}-W{iso.week:02d}", start, start + timedelta(days=7), "week", tz)
    if timedelta(days=28) <= length <= timedelta(days=31):
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        return _period(f"{start:%Y-%m}", start, end, "month", tz)
    if length == timedelta(days=1):
        return _period(day.isoformat(), day, day + timedelta(days=1), "day", tz)
    origin = datetime.combine(_EPOCH, time(0), tzinfo=tz)
    n = (local - origin) // length
    lo = origin + n * length
    return Period(f"{lo:%Y-%m-%d}+{cadence}", lo, lo + length, "window")


def _period(label: str, start: date, end: date, kind: str, tz: tzinfo) -> Period:
    return Period(label, datetime.combine(start, time(0), tzinfo=tz), datetime.combine(end, time(0), tzinfo=tz), kind)


def previous(cadence: str, p: Period, tz: tzinfo) -> Period:
    return period_of(cadence, p.start - timedelta(seconds=1), tz)


@dataclass(frozen=True)
class CadenceRow:
    """One SOP in one period: what was published, what is on its way, and the verdict."""

    sop_id: str
    sop_name: str
    cadence: str
    period: Period
    published: int
    in_pipeline: int
    status: str  # met | pending | missed

    def as_dict(self, tz: tzinfo) -> dict[str, Any]:
        return {"sop": self.sop_id, "sop_name": self.sop_name, "cadence": self.cadence, "period": self.period.label,
                "period_title": self.period.title(),
                "start": self.period.start.astimezone(tz).isoformat(timespec="seconds"),
                "end": self.period.end.astimezone(tz).isoformat(timespec="seconds"),
                "published": self.published, "in_pipeline": self.in_pipeline, "status": self.status}


def cadence_sops(env: Env) -> list[SOP]:
    return [sop for sop in env.sops.sops.values() if sop.cadence]


def published_in(s: Session, sop_id: str, p: Period) -> int:
    """Contents under ``sop_id`` with a post published within the period (one content on three accounts is one)."""
    return int(s.execute(
        select(func.count(func.distinct(Post.content_id))).join(Content, Content.id == Post.content_id)
        .where(Content.sop_id == sop_id, Post.published_at >= p.start, Post.published_at < p.end)
    ).scalar_one())


def in_pipeline(s: Session, sop_id: str) -> int:
    """Contents under ``sop_id`` on their way: from draft to scheduled."""
    return int(s.execute(
        select(func.count()).select_from(Content)
        .where(Content.sop_id == sop_id, Content.status.in_([str(x) for x in IN_PIPELINE]))
    ).scalar_one())


def row(s: Session, sop: SOP, p: Period, now: datetime, pipeline: int | None = None) -> CadenceRow:
    assert sop.cadence is not None
    done = published_in(s, sop.id, p)
    status = "met" if done else ("missed" if p.end <= now else "pending")
    return CadenceRow(sop.id, sop.name, sop.cadence, p, done,
                      in_pipeline(s, sop.id) if pipeline is None else pipeline, status)


def current(env: Env, s: Session, now: datetime, sop_ids: set[str] | None = None) -> list[CadenceRow]:
    """This period of every SOP with a cadence (only ``sop_ids`` when given): for the dashboard."""
    return [row(s, sop, period_of(sop.cadence, now, env.tz), now) for sop in cadence_sops(env)
            if sop.cadence and (sop_ids is None or sop.id in sop_ids)]


def history(env: Env, s: Session, until: datetime, periods: int = 8) -> list[CadenceRow]:
    """The last ``periods`` periods up to the one containing ``until``, per SOP with a cadence, oldest first; past
    periods are met or missed (what is on its way now says nothing about them, so ``in_pipeline`` is 0 there).
    Periods that ended before humas kept its register (its first entry) are left out: nothing could be missed
    there."""
    out: list[CadenceRow] = []
    now = env.clock()
    since = tracked_since(s)
    for sop in cadence_sops(env):
        assert sop.cadence is not None
        p = period_of(sop.cadence, until, env.tz)
        rows: list[CadenceRow] = []
        for _ in range(max(1, periods)):
            if rows and (since is None or p.end <= since):
                break
            rows.append(row(s, sop, p, now, None if p.start <= now < p.end else 0))
            p = previous(sop.cadence, p, env.tz)
        out.extend(reversed(rows))
    return out


def tracked_since(s: Session) -> datetime | None:
    """When humas started keeping this office's register (its first entry); None for an empty register."""
    return s.execute(select(AuditEntry.at).order_by(AuditEntry.seq).limit(1)).scalar_one_or_none()


def missed(rows: list[CadenceRow]) -> list[CadenceRow]:
    return [r for r in rows if r.status == "missed"]


def remind_cadence(env: Env, notifier: Notifier, now: datetime | None = None) -> int:
    """Remind each cadence SOP's first role, once per period, when the period has nothing published and nothing
    on its way; only within working hours, so the week's reminder arrives on its first working morning. Returns how
    many SOPs were reminded."""
    now = now or env.clock()
    if not env.calendar.is_working(now):
        return 0
    notices: list[tuple[str, str, str]] = []
    try:
        with env.db.session() as s:
            for sop in cadence_sops(env):
                assert sop.cadence is not None
                r = row(s, sop, period_of(sop.cadence, now, env.tz), now)
                if r.published or r.in_pipeline or _reminded(s, sop.id, r.period):
                    continue
                first = (sop.plan_steps or sop.steps)[0]  # a planning SOP starts its period with the plan
                role = first.role
                audit.append(s, actor="humas", action=ACTION_REMINDED, role=role, subject_type="sop",
                             subject_id=sop.id, note=f"belum ada konten untuk {r.period.title()}",
                             data={"period": r.period.label, "cadence": sop.cadence}, at=now)
                notices.append((role, f"Belum ada publikasi {r.period.title()} ({sop.name})",
                                f"SOP {sop.name} meminta publikasi setiap {every_word(sop.cadence)}. Untuk "
                                f"{r.period.title()} belum ada konten yang tayang maupun yang sedang diproses.\n"
                                f"Langkah pertama: \"{first.label}\"."))
    except Exception:
        log.exception("notify: cannot check the publication cadence")
        return 0
    for role, subject, body in notices:
        notifier.notify_role(role, subject, body)
    return len(notices)


def _reminded(s: Session, sop_id: str, p: Period) -> bool:
    return s.execute(
        select(AuditEntry.id).where(AuditEntry.action == ACTION_REMINDED, AuditEntry.subject_type == "sop",
                                    AuditEntry.subject_id == sop_id, AuditEntry.at >= p.start,
                                    AuditEntry.at < p.end).limit(1)
    ).first() is not None


def every_word(cadence: str) -> str:
    """The period of ``cadence`` as an Indonesian word (``minggu``), or the duration itself."""
    length = parse_duration(cadence)
    if length == timedelta(weeks=1):
        return "minggu"
    if timedelta(days=28) <= length <= timedelta(days=31):
        return "bulan"
    if length == timedelta(days=1):
        return "hari"
    return cadence
