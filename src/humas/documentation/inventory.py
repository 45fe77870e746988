"""Inventory rounds: the SOP's ``inventory_steps`` walked for the documentation equipment (SOP Inventarisasi
Peralatan Dokumentasi), the check of every active item, the buku inventarisasi, and the reminder when a round is due.

A round starts at the first step (its role starts it). Each disposition names the person for the next step
(:meth:`Inventory.assign`). At the check step the staff check every active item (present, condition, battery,
free memory: :meth:`Inventory.check`, again to correct); once every active item is checked the round moves to the
record step, and finishing it (:meth:`Inventory.finish`) closes the round. Each step is timed by the one step timer
(subject ``inventory``), so the SLA list and the overdue reminders see it. One round per SOP is open at a time.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from humas import authz
from humas.authz import Actor
from humas.documentation.common import (
    CONDITIONS,
    KINDS,
    READINESS,
    ROUND_STATUS,
    Conflict,
    DocRoles,
    Invalid,
    Missing,
    check_text,
    doc_roles,
    local_text,
    one_of,
    user_holding,
    user_names,
)
from humas.documentation.equipment import Thresholds, check_row, readiness
from humas.env import Env
from humas.errors import ConfigError
from humas.notify import Notifier
from humas.sop.model import Step
from humas.store import audit
from humas.store.models import EquipmentItem, InventoryCheck, InventoryReminder, InventoryRound, StepPeriod

log = logging.getLogger("humas.documentation")

SUBJECT = "inventory"
#: a buku inventarisasi row's check fields while the item is not checked yet
UNCHECKED: dict[str, Any] = {
    "present": None, "condition": None, "condition_label": None, "battery_percent": None, "memory_free_gb": None,
    "memory_free_percent": None, "readiness": None, "readiness_label": None, "reasons": [], "note": None,
    "checked_by": None, "checked_at": None, "checked_at_text": None,
}


@dataclass(frozen=True)
class CheckInput:
    """One item's check: present or not, its condition, battery (%) and free memory (GB or %) where it has them."""

    present: bool = True
    condition: str | None = None
    battery_percent: int | None = None
    memory_free_gb: float | None = None
    memory_free_percent: int | None = None
    note: str = ""


_MEMORY = re.compile(r"\s*(\d+(?:[.,]\d+)?)\s*(gb|g|%)?\s*", re.IGNORECASE)


def parse_memory(text: str) -> tuple[float | None, int | None]:
    """``"12GB"``, ``"12.5 gb"`` or ``"30%"`` as (GB, percent); a bare number is GB; ``""`` is neither."""
    if not text.strip():
        return None, None
    m = _MEMORY.fullmatch(text)
    if m is None:
        raise Invalid(f"invalid free memory '{text}' (like 12GB or 30%)",
                      f"memori kosong '{text}' tidak valid (contoh: 12GB atau 30%)")
    value, unit = float(m.group(1).replace(",", ".")), (m.group(2) or "gb").lower()
    if unit == "%":
        if value != int(value):
            raise Invalid(f"invalid free memory '{text}' (a whole percentage)",
                          f"memori kosong '{text}' tidak valid (persen bulat)")
        return None, int(value)
    return value, None


class Inventory:
    """Inventory rounds in one transaction (``session``); every change is a register entry.

    ``notifier``: a step's role is told when a round enters its step, and the coordinator when a round is finished
    (after the commit).
    """

    def __init__(self, env: Env, session: Session, *, notifier: Notifier | None = None) -> None:
        self.env = env
        self.s = session
        self.notifier = notifier
        self.roles: DocRoles = doc_roles(env)
        self.limits = Thresholds.of(env.settings.documentation)

    # --- queries ------------------------------------------------------------------------------------------------

    def get(self, round_id: int) -> InventoryRound:
        r = self.s.get(InventoryRound, round_id)
        if r is None:
            raise Missing(f"inventory round {round_id} not found", f"inventarisasi #{round_id} tidak ada")
        return r

    def rounds(self, limit: int = 50) -> list[InventoryRound]:
        return list(self.s.execute(select(InventoryRound).order_by(InventoryRound.id.desc()).limit(limit)).scalars())

    def open_round(self) -> InventoryRound | None:
        return self.s.execute(select(InventoryRound).where(InventoryRound.sop_id == self.roles.sop.id,
                                                           InventoryRound.status == "open")).scalar_one_or_none()

    def last_finished(self) -> InventoryRound | None:
        return self.s.execute(select(InventoryRound).where(InventoryRound.sop_id == self.roles.sop.id,
                                                           InventoryRound.status == "finished")
                              .order_by(InventoryRound.finished_at.desc(), InventoryRound.id.desc()).limit(1)
                              ).scalar_one_or_none()

    def current_step(self, r: InventoryRound) -> Step | None:
        return self.roles.sop.step(r.step_id) if r.step_id else None

    def unchecked(self, r: InventoryRound) -> list[EquipmentItem]:
        """Active items without a check in this round."""
        checked = select(InventoryCheck.item_id).where(InventoryCheck.round_id == r.id)
        return list(self.s.execute(select(EquipmentItem).where(EquipmentItem.active.is_(True),
                                                               EquipmentItem.id.not_in(checked))
                                   .order_by(EquipmentItem.kind, EquipmentItem.name, EquipmentItem.id)).scalars())

    def due_at(self) -> datetime | None:
        """When the next round is due: the last finished round plus ``inventory_every_days``; None: due already
        (never done)."""
        last = self.last_finished()
        if last is None or last.finished_at is None:
            return None
        return last.finished_at + timedelta(days=self.env.settings.documentation.inventory_every_days)

    # --- commands -----------------------------------------------------------------------------------------------

    def start(self, actor: Actor, *, assign_to: str | None = None, note: str = "") -> InventoryRound:
        """Open a round at the first step; ``assign_to`` also takes that step (a disposition) at once."""
        first = self.roles.chain[0]
        authz.require_role(actor, first.role, "start an inventory round", self.roles.role_label(first.role))
        check_text("note", note)
        running = self.open_round()
        if running is not None:
            raise Conflict(f"inventory round {running.id} is still open; finish or cancel it first",
                           f"inventarisasi #{running.id} masih berjalan; selesaikan atau batalkan dulu")
        if not self.s.execute(select(EquipmentItem.id).where(EquipmentItem.active.is_(True)).limit(1)).first():
            raise Conflict("there is no equipment in use to inventory; add items first",
                           "belum ada peralatan yang dipakai; tambahkan alat dulu")
        now = self.env.clock()
        r = InventoryRound(sop_id=self.roles.sop.id, status="open", step_id=first.id, assignees={}, report_note="",
                           started_by_id=actor.id, started_at=now)
        self.s.add(r)
        self.s.flush()
        self._audit(actor, r, "inventory.started", first.role, note, data={"step": first.id})
        self._enter(r, first, now)
        if assign_to:
            self.assign(actor, r.id, assign_to)
        return r

    def assign(self, actor: Actor, round_id: int, user_name: str, note: str = "") -> InventoryRound:
        """The disposition at the current step: name the person for the next step, who holds its role."""
        r = self._open(round_id)
        step = self.current_step(r)
        if step is None or not self.roles.is_disposition(step.id):
            raise Conflict(f"inventory round {r.id} is at step '{r.step_id}': there is nobody to assign",
                           f"inventarisasi #{r.id} tidak sedang di langkah penugasan")
        authz.require_role(actor, step.role, f"assign at step '{step.label}'", self.roles.role_label(step.role))
        check_text("note", note)
        nxt = self.roles.sop.next_step(step.id)
        assert nxt is not None  # a disposition is never the last step
        user = user_holding(self.s, user_name, nxt.role, self.roles.role_label(nxt.role))
        now = self.env.clock()
        r.assignees = {**r.assignees, nxt.id: user.id}
        self.env.timer.close(self.s, SUBJECT, r.id, now, "assigned", actor.id)
        r.step_id = nxt.id
        self._audit(actor, r, "inventory.assigned", step.role, note,
                    data={"step": step.id, "next": nxt.id, "assignee": user.name})
        self._enter(r, nxt, now, assignee=user.name)
        return r

    def check(self, actor: Actor, round_id: int, item_id: int, given: CheckInput) -> InventoryCheck:
        """Record (or correct) one item's check; the last active item checked moves the round to the record step."""
        r = self._open(round_id)
        step = self.current_step(r)
        check_step = self.roles.check_step
        if step is None or step.id not in (check_step.id, self.roles.record_step.id):
            raise Conflict(f"inventory round {r.id} is at step '{r.step_id}': items are checked at "
                           f"'{check_step.label}'", f"inventarisasi #{r.id} belum sampai langkah pengecekan")
        authz.require_role(actor, check_step.role, f"check items at step '{check_step.label}'",
                           self.roles.role_label(check_step.role))
        item = self.s.get(EquipmentItem, item_id)
        if item is None:  # named in the input: invalid input, not a missing path object
            raise Invalid(f"equipment item {item_id} not found", f"alat #{item_id} tidak ada")
        if not item.active:
            raise Conflict(f"equipment item {item.id} is retired and is not checked",
                           f"alat #{item.id} sudah tidak dipakai dan tidak diperiksa")
        condition = self._valid(given, item)
        state, _reasons = readiness(given.present, condition, given.battery_percent, given.memory_free_gb,
                                    given.memory_free_percent, self.limits)
        now = self.env.clock()
        row = self.s.execute(select(InventoryCheck).where(InventoryCheck.round_id == r.id,
                                                          InventoryCheck.item_id == item.id)).scalar_one_or_none()
        again = row is not None
        if row is None:
            row = InventoryCheck(round_id=r.id, item_id=item.id)
            self.s.add(row)
        row.present, row.condition, row.readiness, row.note = given.present, condition, state, given.note
        row.battery_percent, row.memory_free_gb = given.battery_percent, given.memory_free_gb
        row.memory_free_percent = given.memory_free_percent
        row.checked_by_id, row.checked_at = actor.id, now
        item.condition, item.readiness, item.checked_at, item.updated_at = condition, state, now, now
        self.s.flush()
        self._audit(actor, r, "inventory.item_checked", check_step.role, given.note, data={
            "item": item.id, "name": item.name, "present": given.present, "condition": condition,
            "battery_percent": given.battery_percent, "memory_free_gb": given.memory_free_gb,
            "memory_free_percent": given.memory_free_percent, "readiness": state, "again": again})
        if step.id == check_step.id and not self.unchecked(r):
            self._checked(actor, r, now)
        return row

    def finish(self, actor: Actor, round_id: int, note: str = "") -> InventoryRound:
        """Record and report the round (the last step): every active item must have been checked."""
        r = self._open(round_id)
        step = self.current_step(r)
        record = self.roles.record_step
        if step is None or step.id not in (self.roles.check_step.id, record.id):
            raise Conflict(f"inventory round {r.id} is at step '{r.step_id}': the items are not checked yet",
                           f"inventarisasi #{r.id} belum sampai langkah pengecekan")
        authz.require_role(actor, record.role, f"finish at step '{record.label}'", self.roles.role_label(record.role))
        check_text("note", note)
        left = self.unchecked(r)
        if left:
            names = ", ".join(f"#{i.id} {i.name}" for i in left[:10]) + (" …" if len(left) > 10 else "")
            raise Conflict(f"inventory round {r.id} cannot finish: {len(left)} active item(s) not checked: {names}",
                           f"inventarisasi #{r.id} belum dapat selesai: {len(left)} alat belum diperiksa: {names}")
        now = self.env.clock()
        if step.id != record.id:  # every item checked while at the check step (one retired meanwhile)
            self._checked(actor, r, now)
        self.env.timer.close(self.s, SUBJECT, r.id, now, "finished", actor.id)
        r.status, r.step_id, r.finished_by_id, r.finished_at, r.report_note = "finished", None, actor.id, now, note
        totals = self.report(r)["totals"]
        self._audit(actor, r, "inventory.finished", record.role, note, data={"totals": totals})
        self._after_commit(self._finished_notice(r.id, totals))
        return r

    def cancel(self, actor: Actor, round_id: int, note: str) -> InventoryRound:
        """Abandon an open round (the first step's role, or an admin), with the reason."""
        r = self._open(round_id)
        if not actor.is_admin:
            authz.require_role(actor, self.roles.head, "cancel an inventory round",
                               self.roles.role_label(self.roles.head))
        check_text("note", note)
        if not note.strip():
            raise Invalid("cancelling a round needs a note saying why", "alasan pembatalan wajib diisi")
        now = self.env.clock()
        self.env.timer.close(self.s, SUBJECT, r.id, now, "cancelled", actor.id)
        r.status, r.step_id, r.finished_by_id, r.finished_at = "cancelled", None, actor.id, now
        self._audit(actor, r, "inventory.cancelled", "", note)
        return r

    # --- the buku inventarisasi -----------------------------------------------------------------------------------

    def report(self, r: InventoryRound) -> dict[str, Any]:
        """The round as the buku inventarisasi: its steps (who, when, against the time standard), one row per item
        checked (and, while open, per active item still to check), and the totals."""
        checks = list(self.s.execute(select(InventoryCheck, EquipmentItem).join(EquipmentItem)
                                     .where(InventoryCheck.round_id == r.id)).all())
        periods = list(self.s.execute(select(StepPeriod).where(StepPeriod.subject_type == SUBJECT,
                                                               StepPeriod.subject_id == r.id)
                                      .order_by(StepPeriod.id)).scalars())
        ids = {c.checked_by_id for c, _ in checks} | {r.started_by_id} | {int(v) for v in r.assignees.values()}
        ids |= {p.completed_by_id for p in periods if p.completed_by_id is not None}
        if r.finished_by_id is not None:
            ids.add(r.finished_by_id)
        names = user_names(self.s, ids)
        rows = [check_row(self.env, c, names, self.limits, item) for c, item in checks]
        if r.status == "open":
            for item in self.unchecked(r):
                rows.append({"round_id": r.id, "item_id": item.id, "kind": item.kind, "name": item.name,
                             "serial": item.serial, "storage": item.storage, "active": True, **UNCHECKED})
        for row in rows:
            row.setdefault("kind_label", KINDS.get(row["kind"], row["kind"]))
        rows.sort(key=lambda x: (x["kind"], x["name"].lower(), x["item_id"]))
        counted = [x for x in rows if x["present"] is not None]
        totals = {"items": len(rows), "checked": len(counted), "present": sum(1 for x in counted if x["present"]),
                  "missing": sum(1 for x in counted if not x["present"])}
        totals.update({state: sum(1 for x in counted if x["readiness"] == state) for state in READINESS})
        step = self.current_step(r)
        return {
            "id": r.id, "sop": r.sop_id, "sop_name": self.roles.sop.name, "status": r.status,
            "status_label": ROUND_STATUS.get(r.status, r.status), "step": r.step_id,
            "step_label": step.label if step else None, "step_role": step.role if step else None,
            "started_by": names.get(r.started_by_id, ""), "started_at": self.env.local_iso(r.started_at),
            "finished_by": names.get(r.finished_by_id, "") if r.finished_by_id else None,
            "finished_at": self.env.local_iso(r.finished_at), "report_note": r.report_note,
            "steps": self._steps(r, periods, names), "items": rows, "totals": totals,
        }

    def _steps(self, r: InventoryRound, periods: list[StepPeriod], names: dict[int, str]) -> list[dict[str, Any]]:
        latest = {p.step_id: p for p in periods}
        out = []
        for st in self.roles.chain:
            p = latest.get(st.id)
            assignee = r.assignees.get(st.id)
            done = p is not None and p.completed_at is not None
            within = None
            if done and p is not None and p.due_at is not None and p.completed_at is not None:
                within = p.completed_at <= p.due_at
            out.append({
                "id": st.id, "label": st.label, "role": st.role, "role_label": self.roles.role_label(st.role),
                "time_standard": st.time_standard, "output": st.output,
                "assignee": names.get(int(assignee), "") if assignee is not None else None,
                "state": "done" if done else "current" if st.id == r.step_id else "waiting",
                "entered_at": self.env.local_iso(p.entered_at) if p else None,
                "due_at": self.env.local_iso(p.due_at) if p else None,
                "completed_at": self.env.local_iso(p.completed_at) if p else None,
                "completed_by": names.get(p.completed_by_id, "") if p and p.completed_by_id else None,
                "outcome": p.outcome if p else None, "within_standard": within,
            })
        return out

    CSV_FIELDS = ("no", "id_alat", "jenis", "nama", "nomor_seri", "tempat_penyimpanan", "ada", "kondisi",
                  "baterai_persen", "memori_kosong_gb", "memori_kosong_persen", "kesiapan", "alasan", "catatan",
                  "diperiksa_oleh", "diperiksa_pada")

    @classmethod
    def report_csv(cls, report: dict[str, Any]) -> str:
        """The buku inventarisasi as CSV (UTF-8, one row per item, Indonesian headers and values)."""
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(cls.CSV_FIELDS)
        for n, row in enumerate(report["items"], 1):
            present = row.get("present")
            w.writerow([
                n, row["item_id"], row["kind_label"], row["name"], row["serial"] or "", row["storage"],
                "" if present is None else "ya" if present else "tidak", row["condition_label"] or "",
                _num(row["battery_percent"]), _num(row["memory_free_gb"]), _num(row["memory_free_percent"]),
                row["readiness_label"] or "belum diperiksa", "; ".join(row["reasons"]), row["note"] or "",
                row["checked_by"] or "", row["checked_at_text"] or "",
            ])
        return buf.getvalue()

    # --- internals ----------------------------------------------------------------------------------------------

    def _open(self, round_id: int) -> InventoryRound:
        r = self.get(round_id)
        if r.status != "open":
            raise Conflict(f"inventory round {r.id} is {r.status}", f"inventarisasi #{r.id} sudah "
                           f"{ROUND_STATUS.get(r.status, r.status).lower()}")
        return r

    def _valid(self, given: CheckInput, item: EquipmentItem) -> str:
        condition = given.condition or (item.condition if not given.present else "baik")
        one_of(condition, CONDITIONS, "condition", "Kondisi")
        check_text("note", given.note)
        if given.battery_percent is not None and not 0 <= given.battery_percent <= 100:
            raise Invalid(f"battery {given.battery_percent}% is not 0-100", "baterai harus 0-100%")
        gb = given.memory_free_gb
        if gb is not None and not (math.isfinite(gb) and 0 <= gb <= 100_000):
            raise Invalid(f"free memory {gb} GB is not 0-100000", "memori kosong harus 0-100000 GB")
        if given.memory_free_percent is not None and not 0 <= given.memory_free_percent <= 100:
            raise Invalid(f"free memory {given.memory_free_percent}% is not 0-100", "memori kosong harus 0-100%")
        return condition

    def _checked(self, actor: Actor, r: InventoryRound, now: datetime) -> None:
        """Every active item is checked: the check step is done, the record step begins."""
        check_step, record = self.roles.check_step, self.roles.record_step
        self.env.timer.close(self.s, SUBJECT, r.id, now, "checked", actor.id)
        r.step_id = record.id
        self._audit(actor, r, "inventory.checked", check_step.role, data={"step": check_step.id, "next": record.id})
        self._enter(r, record, now)

    def _enter(self, r: InventoryRound, step: Step, now: datetime, assignee: str | None = None) -> None:
        due = self.env.timer.enter(self.s, SUBJECT, r.id, r.sop_id, step, now).due_at
        if self.notifier is None:
            return
        head = f"Menunggu {self.roles.role_label(step.role)}: inventarisasi peralatan #{r.id}"
        body = f"Inventarisasi peralatan dokumentasi #{r.id} menunggu langkah: {step.label}."
        if assignee:
            body += f"\nDitugaskan kepada: {assignee}."
        if step.timed:
            body += f"\nMutu baku waktu: {step.time_standard}" + (f" (batas {local_text(self.env, due)})." if due
                                                                   else ".")
        body += f"\nLihat: humas inventory report {r.id}"
        notifier, role = self.notifier, step.role
        self._after_commit(lambda: notifier.notify_role(role, head, body))

    def _finished_notice(self, round_id: int, totals: dict[str, int]) -> Any:
        notifier, role = self.notifier, self.roles.coordinator
        if notifier is None:
            return None
        head = f"Buku inventarisasi #{round_id} selesai"
        body = (f"Inventarisasi peralatan dokumentasi #{round_id} tercatat: {totals['items']} alat, "
                f"{totals['siap']} siap, {totals['perlu_perhatian']} perlu perhatian, {totals['tidak_siap']} tidak "
                f"siap ({totals['missing']} tidak ada).\nLihat: humas inventory report {round_id}")
        return lambda: notifier.notify_role(role, head, body)

    def _after_commit(self, fn: Any) -> None:
        if fn is None:
            return
        # told once the change is committed, never about a rolled-back one
        event.listen(self.s, "after_commit", lambda _s: _quietly(fn), once=True)

    def _audit(self, actor: Actor, r: InventoryRound, action: str, role: str, note: str = "",
               data: dict[str, Any] | None = None) -> None:
        audit.append(self.s, actor=actor.name, role=role, action=action, subject_type=SUBJECT, subject_id=r.id,
                     note=note, data=data, at=self.env.clock())


def _quietly(fn: Any) -> None:
    try:
        fn()
    except Exception:  # a notification never undoes a committed change
        log.exception("notify: inventory notice failed")


def _num(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


# --- the periodic reminder -------------------------------------------------------------------------------------


def remind_due(env: Env, notifier: Notifier, now: datetime | None = None) -> bool:
    """Tell the first inventory role that a round is due (none open; the last finished ``inventory_every_days``
    ago, or never one), once per due period: again after each further period. True when a reminder was sent."""
    now = now or env.clock()
    try:
        roles = doc_roles(env)
    except ConfigError:  # no documentation SOP in this installation: nothing to remind of
        return False
    every = timedelta(days=env.settings.documentation.inventory_every_days)
    try:
        with env.db.session() as s:
            inv = Inventory(env, s)
            if inv.open_round() is not None:
                return False
            items = len(s.execute(select(EquipmentItem.id).where(EquipmentItem.active.is_(True))).all())
            if not items:
                return False
            last = inv.last_finished()
            due = inv.due_at()
            if due is not None and due > now:
                return False
            periods = int((now - due) / every) if due is not None else 0
            key = f"{roles.sop.id}:{last.id if last else 0}:{periods}"
            if s.execute(select(InventoryReminder.id).where(InventoryReminder.due_key == key)).first():
                return False
            s.add(InventoryReminder(due_key=key, sent_at=now))
    except IntegrityError:  # another daemon sent this one
        return False
    since = f"terakhir selesai {local_text(env, last.finished_at)}" if last else "belum pernah dilakukan"
    head = f"Inventarisasi peralatan dokumentasi jatuh tempo ({roles.role_label(roles.head)})"
    body = (f"Inventarisasi peralatan dokumentasi ({items} alat) sudah waktunya: {since}; "
            f"setiap {env.settings.documentation.inventory_every_days} hari.\n"
            f"Mulai: humas inventory round start --as NAMA, atau halaman Peralatan.")
    notifier.notify_role(roles.head, head, body)
    return True
