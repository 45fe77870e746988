"""Documentation equipment: the items (kind, name, serial, storage place, condition), their readiness rules, and
adding, editing and retiring them. Retired items stay, with their checks and loans, for history.

Readiness (``siap`` / ``perlu_perhatian`` / ``tidak_siap``) comes from an item's checks (:func:`readiness`): the
last check sets the item's condition and readiness; a return that reports damage lowers them
(:meth:`Equipment.damage`). A repaired item is ready again at its next check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from humas.authz import Actor
from humas.config import DocumentationSettings
from humas.documentation.common import (
    CONDITIONS,
    KINDS,
    READINESS,
    READINESS_ORDER,
    Conflict,
    DocRoles,
    Invalid,
    Missing,
    check_text,
    doc_roles,
    local_text,
    one_of,
    required,
    user_names,
)
from humas.env import Env
from humas.store import audit
from humas.store.models import AgendaEntry, EquipmentItem, EquipmentLoan, InventoryCheck

DEFAULT_STORAGE = "Lemari terkunci"


@dataclass(frozen=True)
class Thresholds:
    """Below these a battery or the free memory needs attention (``[documentation]`` settings)."""

    battery_min_percent: int = 50
    memory_min_gb: float = 8.0
    memory_min_percent: int = 20

    @classmethod
    def of(cls, settings: DocumentationSettings) -> Thresholds:
        return cls(settings.battery_min_percent, settings.memory_min_gb, settings.memory_min_percent)


def readiness(present: bool, condition: str, battery_percent: int | None, memory_free_gb: float | None,
              memory_free_percent: int | None, limits: Thresholds) -> tuple[str, list[str]]:
    """An item's readiness from one check, and why (Indonesian).

    ``tidak_siap``: missing, or heavily damaged (rusak berat). ``perlu_perhatian``: lightly damaged (rusak ringan),
    the battery below ``battery_min_percent``, or free memory below ``memory_min_gb`` or ``memory_min_percent``.
    ``siap`` otherwise. A battery or memory not given (an item without one) does not count.
    """
    if not present:
        return "tidak_siap", ["tidak ada di tempat"]
    reasons: list[str] = []
    if condition == "rusak_berat":
        return "tidak_siap", ["rusak berat"]
    if condition == "rusak_ringan":
        reasons.append("rusak ringan")
    if battery_percent is not None and battery_percent < limits.battery_min_percent:
        reasons.append(f"baterai {battery_percent}% (< {limits.battery_min_percent}%)")
    if memory_free_gb is not None and memory_free_gb < limits.memory_min_gb:
        reasons.append(f"memori kosong {memory_free_gb:g} GB (< {limits.memory_min_gb:g} GB)")
    if memory_free_percent is not None and memory_free_percent < limits.memory_min_percent:
        reasons.append(f"memori kosong {memory_free_percent}% (< {limits.memory_min_percent}%)")
    return ("perlu_perhatian" if reasons else "siap"), reasons


def worse(a: str | None, b: str) -> str:
    """The worse of two readiness states (an unknown one counts as ready)."""
    return max(a or "siap", b, key=READINESS_ORDER.index)


def damage_readiness(condition: str) -> str:
    """The readiness a reported condition allows at best."""
    return {"baik": "siap", "rusak_ringan": "perlu_perhatian"}.get(condition, "tidak_siap")


class Equipment:
    """The equipment register in one transaction (``session``); every change is a register entry."""

    def __init__(self, env: Env, session: Session) -> None:
        self.env = env
        self.s = session
        self.roles: DocRoles = doc_roles(env)

    # --- queries ------------------------------------------------------------------------------------------------

    def get(self, item_id: int) -> EquipmentItem:
        item = self.s.get(EquipmentItem, item_id)
        if item is None:
            raise Missing(f"equipment item {item_id} not found", f"alat #{item_id} tidak ada")
        return item

    def items(self, *, include_retired: bool = False, kind: str | None = None,
              readiness: str | None = None) -> list[EquipmentItem]:
        if kind:
            one_of(kind, KINDS, "kind", "Jenis")
        if readiness:
            one_of(readiness, {**READINESS, "belum": "Belum diperiksa"}, "readiness", "Kesiapan")
        q = select(EquipmentItem).order_by(EquipmentItem.active.desc(), EquipmentItem.kind, EquipmentItem.name,
                                           EquipmentItem.id)
        if not include_retired:
            q = q.where(EquipmentItem.active.is_(True))
        if kind:
            q = q.where(EquipmentItem.kind == kind)
        if readiness == "belum":
            q = q.where(EquipmentItem.readiness.is_(None))
        elif readiness:
            q = q.where(EquipmentItem.readiness == readiness)
        return list(self.s.execute(q).scalars())

    def open_loans(self, item_ids: list[int]) -> dict[int, EquipmentLoan]:
        """Each item's unreturned loan (of several for later entries: the one whose entry starts first)."""
        if not item_ids:
            return {}
        rows = self.s.execute(select(EquipmentLoan).join(AgendaEntry)
                              .where(EquipmentLoan.item_id.in_(item_ids), EquipmentLoan.returned_at.is_(None))
                              .order_by(AgendaEntry.starts_at.desc(), EquipmentLoan.id.desc())).scalars()
        return {loan.item_id: loan for loan in rows}

    # --- commands -----------------------------------------------------------------------------------------------

    def add(self, actor: Actor, *, kind: str, name: str, serial: str | None = None, storage: str | None = None,
            condition: str = "baik", note: str = "") -> EquipmentItem:
        self.roles.require_manage_items(actor)
        one_of(kind, KINDS, "kind", "Jenis")
        one_of(condition, CONDITIONS, "condition", "Kondisi")
        check_text("name", name)
        check_text("serial", serial)
        check_text("storage", storage)
        check_text("note", note)
        clean_name = required(name, "name", "Nama alat")
        place = required(DEFAULT_STORAGE if storage is None else storage, "storage place", "Tempat penyimpanan")
        clean_serial = self._free_serial(serial, None)
        now = self.env.clock()
        item = EquipmentItem(kind=kind, name=clean_name, serial=clean_serial, storage=place, condition=condition,
                             readiness=None if condition == "baik" else damage_readiness(condition), note=note,
                             active=True, created_by_id=actor.id, created_at=now, updated_at=now)
        self.s.add(item)
        self.s.flush()
        self._audit(actor, item, "equipment.added", data=self._facts(item))
        return item

    def edit(self, actor: Actor, item_id: int, *, kind: str | None = None, name: str | None = None,
             serial: str | None = None, storage: str | None = None, condition: str | None = None,
             note: str | None = None) -> EquipmentItem:
        """Change the fields given; ``serial=""`` removes the serial. A worse condition lowers the readiness."""
        self.roles.require_manage_items(actor)
        item = self.get(item_id)
        if not item.active:
            raise Conflict(f"equipment item {item.id} is retired and can no longer be edited",
                           f"alat #{item.id} sudah tidak dipakai dan tidak dapat diubah")
        if kind is not None:
            one_of(kind, KINDS, "kind", "Jenis")
        if condition is not None:
            one_of(condition, CONDITIONS, "condition", "Kondisi")
        for field, value in (("name", name), ("serial", serial), ("storage", storage), ("note", note)):
            check_text(field, value)
        clean_name = required(name, "name", "Nama alat") if name is not None else None
        place = required(storage, "storage place", "Tempat penyimpanan") if storage is not None else None
        clean_serial = self._free_serial(serial, item.id) if serial is not None else item.serial
        before = self._facts(item)
        item.kind = kind if kind is not None else item.kind
        item.name = clean_name if clean_name is not None else item.name
        item.serial = clean_serial
        item.storage = place if place is not None else item.storage
        item.note = note if note is not None else item.note
        if condition is not None and condition != item.condition:
            item.condition = condition
            if condition != "baik":
                item.readiness = worse(item.readiness, damage_readiness(condition))
        after = self._facts(item)
        changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if not changed:
            raise Invalid(f"nothing to change on equipment item {item.id}",
                          f"tidak ada yang diubah pada alat #{item.id}")
        item.updated_at = self.env.clock()
        self._audit(actor, item, "equipment.edited", data={"changed": changed})
        return item

    def retire(self, actor: Actor, item_id: int, note: str = "") -> EquipmentItem:
        """No longer in use (lost, written off): kept for history, never checked or lent again."""
        self.roles.require_manage_items(actor)
        check_text("note", note)
        item = self.get(item_id)
        if not item.active:
            raise Conflict(f"equipment item {item.id} is already retired", f"alat #{item.id} sudah tidak dipakai")
        loan = self.open_loans([item.id]).get(item.id)
        if loan is not None:
            raise Conflict(f"equipment item {item.id} is checked out for agenda entry {loan.entry_id}; return it first",
                           f"alat #{item.id} sedang dipinjam untuk agenda #{loan.entry_id}; kembalikan dulu")
        now = self.env.clock()
        item.active, item.retired_at, item.updated_at = False, now, now
        self._audit(actor, item, "equipment.retired", note=note)
        return item

    def damage(self, item: EquipmentItem, condition: str) -> None:
        """A return reported ``condition``: the item's condition and readiness follow (never improved by it)."""
        if condition == "baik":
            return
        order = list(CONDITIONS)
        if order.index(condition) > order.index(item.condition):
            item.condition = condition
        item.readiness = worse(item.readiness, damage_readiness(condition))
        item.updated_at = self.env.clock()

    # --- views --------------------------------------------------------------------------------------------------

    def describe(self, item: EquipmentItem, loan: EquipmentLoan | None = None) -> dict[str, Any]:
        return {
            "id": item.id, "kind": item.kind, "kind_label": KINDS.get(item.kind, item.kind), "name": item.name,
            "serial": item.serial, "storage": item.storage, "condition": item.condition,
            "condition_label": CONDITIONS.get(item.condition, item.condition), "readiness": item.readiness,
            "readiness_label": READINESS.get(item.readiness or "", "Belum diperiksa"),
            "checked_at": self.env.local_iso(item.checked_at), "note": item.note, "active": item.active,
            "retired_at": self.env.local_iso(item.retired_at),
            "on_loan_for": loan.entry_id if loan is not None else None,
            "created_at": self.env.local_iso(item.created_at), "updated_at": self.env.local_iso(item.updated_at),
        }

    def history(self, item: EquipmentItem) -> dict[str, Any]:
        """The item's checks (newest first) and loans (newest first)."""
        checks = list(self.s.execute(select(InventoryCheck).where(InventoryCheck.item_id == item.id)
                                     .order_by(InventoryCheck.checked_at.desc(), InventoryCheck.id.desc())).scalars())
        loans = list(self.s.execute(select(EquipmentLoan, AgendaEntry).join(AgendaEntry)
                                    .where(EquipmentLoan.item_id == item.id)
                                    .order_by(EquipmentLoan.checked_out_at.desc(), EquipmentLoan.id.desc())).all())
        names = user_names(self.s, {c.checked_by_id for c in checks} | {loan.holder_id for loan, _ in loans})
        return {
            "checks": [check_row(self.env, c, names) for c in checks],
            "loans": [{"entry_id": e.id, "activity": e.activity, "starts_at": self.env.local_iso(e.starts_at),
                       "holder": names.get(loan.holder_id, ""),
                       "checked_out_at": self.env.local_iso(loan.checked_out_at),
                       "returned_at": self.env.local_iso(loan.returned_at), "return_condition": loan.return_condition,
                       "return_note": loan.return_note} for loan, e in loans],
        }

    # --- internals ----------------------------------------------------------------------------------------------

    def _free_serial(self, serial: str | None, own_id: int | None) -> str | None:
        clean = (serial or "").strip() or None
        if clean is None:
            return None
        other = self.s.execute(select(EquipmentItem.id).where(EquipmentItem.serial == clean)).scalar_one_or_none()
        if other is not None and other != own_id:
            raise Conflict(f"serial '{clean}' is already item {other}'s",
                           f"nomor seri '{clean}' sudah dipakai alat #{other}")
        return clean

    @staticmethod
    def _facts(item: EquipmentItem) -> dict[str, Any]:
        return {"kind": item.kind, "name": item.name, "serial": item.serial, "storage": item.storage,
                "condition": item.condition, "note": item.note}

    def _audit(self, actor: Actor, item: EquipmentItem, action: str, note: str = "",
               data: dict[str, Any] | None = None) -> None:
        audit.append(self.s, actor=actor.name, action=action, subject_type="equipment", subject_id=item.id,
                     note=note, data=data, at=self.env.clock())


def check_row(env: Env, c: InventoryCheck, names: dict[int, str], limits: Thresholds | None = None,
              item: EquipmentItem | None = None) -> dict[str, Any]:
    """One check as data (the buku inventarisasi's row); with ``item``, the item's own facts too."""
    row: dict[str, Any] = {
        "round_id": c.round_id, "item_id": c.item_id, "present": c.present, "condition": c.condition,
        "condition_label": CONDITIONS.get(c.condition, c.condition), "battery_percent": c.battery_percent,
        "memory_free_gb": c.memory_free_gb, "memory_free_percent": c.memory_free_percent,
        "readiness": c.readiness, "readiness_label": READINESS.get(c.readiness, c.readiness), "note": c.note,
        "checked_by": names.get(c.checked_by_id, ""), "checked_at": env.local_iso(c.checked_at),
        "checked_at_text": local_text(env, c.checked_at),
    }
    if limits is not None:
        row["reasons"] = readiness(c.present, c.condition, c.battery_percent, c.memory_free_gb,
                                   c.memory_free_percent, limits)[1]
    if item is not None:
        row.update({"kind": item.kind, "kind_label": KINDS.get(item.kind, item.kind), "name": item.name,
                    "serial": item.serial, "storage": item.storage, "active": item.active})
    return row
