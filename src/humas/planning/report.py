"""Rencana vs realisasi: what each planned item became, per month (the SOP's related "Monitoring Evaluasi Website
dan Media Sosial"), and the plan items the calendar shows.

An item's state comes from its content: ``planned`` (the plan is not approved yet, so there is no content),
``in_production`` (a draft or under review), ``approved`` (approved or scheduled, not out yet), ``published`` (at
least one post went out), ``cancelled``. *Produced* counts items whose material was handed in (the content left its
first step: under review, approved, scheduled or published). An item is *late* when its first post went out after
the activity's day, or when that day is over and nothing went out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from humas.env import Env
from humas.planning.model import item_state, month_bounds, parse_month
from humas.planning.notices import month_name
from humas.store.models import Content, ContentPlan, ContentStatus, PlanItem, Post

__all__ = ["calendar_items", "item_for_content", "item_state", "month_report", "report_csv", "report_dict"]

_PRODUCED = {ContentStatus.IN_REVIEW, ContentStatus.APPROVED, ContentStatus.SCHEDULED, ContentStatus.PUBLISHED}


@dataclass
class ItemRow:
    plan_id: int
    sop: str
    item_id: int
    activity: str
    activity_date: date
    unit: str
    owner: str
    channels: list[str]
    plan_status: str
    content_id: int | None
    content_status: str | None
    state: str
    produced: bool
    published_at: datetime | None
    late: bool


@dataclass
class MonthReport:
    month: str
    sop: str | None
    rows: list[ItemRow]
    plans: list[dict[str, Any]] = field(default_factory=list)

    @property
    def planned(self) -> int:
        return len(self.rows)

    @property
    def produced(self) -> int:
        return sum(r.produced for r in self.rows)

    @property
    def published(self) -> int:
        return sum(r.state == "published" for r in self.rows)

    @property
    def late(self) -> int:
        return sum(r.late for r in self.rows)

    @property
    def on_time(self) -> int:
        return sum(r.state == "published" and not r.late for r in self.rows)

    def percent(self, n: int) -> float:
        return round(100 * n / self.planned, 1) if self.planned else 0.0


def _rows(env: Env, s: Session, items: Sequence[tuple[PlanItem, ContentPlan]], today: date) -> list[ItemRow]:
    ids = [i.content_id for i, _p in items if i.content_id is not None]
    statuses: dict[int, str] = {}
    first_post: dict[int, datetime] = {}
    if ids:
        statuses = {cid: st for cid, st in s.execute(select(Content.id, Content.status).where(Content.id.in_(ids)))}
        first_post = {cid: at for cid, at in s.execute(
            select(Post.content_id, func.min(Post.published_at)).where(Post.content_id.in_(ids))
            .group_by(Post.content_id)) if cid is not None}
    out = []
    for item, plan in items:
        status = statuses.get(item.content_id) if item.content_id is not None else None
        posted = first_post.get(item.content_id) if item.content_id is not None else None
        state = item_state(status, posted is not None)
        if posted is not None:
            late = env.local(posted).date() > item.activity_date
        else:
            late = state != "cancelled" and today > item.activity_date
        out.append(ItemRow(plan.id, plan.sop_id, item.id, item.activity, item.activity_date, item.unit,
                           item.owner.name, list(item.channels), plan.status, item.content_id, status, state,
                           status in _PRODUCED, posted, late))
    return out


def month_report(env: Env, s: Session, month: str, sop_id: str | None = None) -> MonthReport:
    """Every planned item of ``month`` (of one SOP, or all) against what became of it."""
    month = parse_month(month)
    if sop_id:
        env.sops.get(sop_id)
    q = select(PlanItem, ContentPlan).join(ContentPlan, ContentPlan.id == PlanItem.plan_id) \
        .where(ContentPlan.month == month).order_by(PlanItem.activity_date, PlanItem.id)
    if sop_id:
        q = q.where(ContentPlan.sop_id == sop_id)
    today = env.local(env.clock()).date()
    rows = _rows(env, s, [(i, p) for i, p in s.execute(q).all()], today)
    pq = select(ContentPlan).where(ContentPlan.month == month).order_by(ContentPlan.sop_id)
    if sop_id:
        pq = pq.where(ContentPlan.sop_id == sop_id)
    plans = [{"id": p.id, "sop": p.sop_id, "status": p.status, "meeting_at": env.local_iso(p.meeting_at),
              "approved_at": env.local_iso(p.approved_at), "items": len(p.items)} for p in s.execute(pq).scalars()]
    return MonthReport(month, sop_id or None, rows, plans)


def calendar_items(env: Env, s: Session, start: date, end: date) -> dict[date, list[dict[str, Any]]]:
    """Plan items whose activity falls in [start, end), per day, with their state (for the calendar)."""
    q = select(PlanItem, ContentPlan).join(ContentPlan, ContentPlan.id == PlanItem.plan_id) \
        .where(PlanItem.activity_date >= start, PlanItem.activity_date < end) \
        .order_by(PlanItem.activity_date, PlanItem.id)
    today = env.local(env.clock()).date()
    out: dict[date, list[dict[str, Any]]] = {}
    for r in _rows(env, s, [(i, p) for i, p in s.execute(q).all()], today):
        out.setdefault(r.activity_date, []).append(
            {"plan_id": r.plan_id, "item_id": r.item_id, "activity": r.activity, "unit": r.unit, "state": r.state,
             "content_id": r.content_id, "late": r.late})
    return out


def item_for_content(s: Session, content_id: int) -> tuple[PlanItem, ContentPlan] | None:
    """The plan item a content item was made from (its due date is the activity's day), if any."""
    row = s.execute(select(PlanItem, ContentPlan).join(ContentPlan, ContentPlan.id == PlanItem.plan_id)
                    .where(PlanItem.content_id == content_id)).first()
    return (row[0], row[1]) if row is not None else None


def report_dict(env: Env, r: MonthReport) -> dict[str, Any]:
    first, _ = month_bounds(r.month)
    return {
        "month": r.month, "month_name": month_name(r.month), "sop": r.sop, "starts": first.isoformat(),
        "planned": r.planned, "produced": r.produced, "published": r.published, "on_time": r.on_time,
        "late": r.late,
        "percent": {"produced": r.percent(r.produced), "published": r.percent(r.published),
                    "on_time": r.percent(r.on_time), "late": r.percent(r.late)},
        "plans": r.plans,
        "items": [{"plan": x.plan_id, "sop": x.sop, "item": x.item_id, "activity": x.activity,
                   "date": x.activity_date.isoformat(), "unit": x.unit, "owner": x.owner, "channels": x.channels,
                   "plan_status": x.plan_status, "content_id": x.content_id, "content_status": x.content_status,
                   "state": x.state, "produced": x.produced, "published_at": env.local_iso(x.published_at),
                   "late": x.late} for x in r.rows],
    }


CSV_FIELDS = ["month", "plan", "sop", "item", "activity", "date", "unit", "owner", "channels", "plan_status",
              "content_id", "content_status", "state", "produced", "published_at", "late"]


def report_csv(env: Env, r: MonthReport) -> str:
    """The items, one row each, then the totals."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_FIELDS)
    for x in r.rows:
        w.writerow([r.month, x.plan_id, x.sop, x.item_id, x.activity, x.activity_date.isoformat(), x.unit, x.owner,
                    " ".join(x.channels), x.plan_status, x.content_id or "", x.content_status or "", x.state,
                    int(x.produced), env.local_iso(x.published_at) or "", int(x.late)])
    w.writerow([])
    w.writerow(["month", "planned", "produced", "published", "on_time", "late", "produced_pct", "published_pct",
                "on_time_pct", "late_pct"])
    w.writerow([r.month, r.planned, r.produced, r.published, r.on_time, r.late, r.percent(r.produced),
                r.percent(r.published), r.percent(r.on_time), r.percent(r.late)])
    return buf.getvalue()
