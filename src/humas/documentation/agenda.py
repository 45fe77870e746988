"""The leaders' agenda (SOP Pelayanan Dokumentasi Tugas Pimpinan): the activities of the Bupati, the Wakil Bupati and
the Sekretaris Daerah to document, the staff assigned to each, the equipment they check out and return, and the
content each entry opens under the media SOP, whose first step starts from the leaders' agenda.

Rules: the head and the coordinator manage entries and assign staff (who must hold the staff role); the assigned
staff or the coordinator check equipment out and return it. Only items whose latest readiness is ``siap`` are lent,
and never one that is out, unreturned, for another entry at overlapping times. A return that reports damage lowers
the item's condition and readiness. An entry opens content once, through the workflow (its first step's role).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from humas.authz import Actor
from humas.documentation.common import (
    AGENDA_STATUS,
    CONDITIONS,
    LEADERS,
    Conflict,
    DocRoles,
    Invalid,
    Missing,
    check_text,
    doc_roles,
    local_text,
    one_of,
    parse_time,
    required,
    user_holding,
    user_names,
)
from humas.documentation.equipment import Equipment
from humas.env import Env
from humas.errors import PermissionDenied
from humas.notify import Notifier
from humas.store import audit
from humas.store.models import AgendaAssignment, AgendaEntry, Content, EquipmentItem, EquipmentLoan
from humas.workflow.engine import Workflow

log = logging.getLogger("humas.documentation")

SUBJECT = "agenda"
#: an entry longer than this is a typing mistake (multi-day visits fit)
LONGEST = timedelta(days=31)


@dataclass(frozen=True)
class Returned:
    """One item handed back for an entry, in ``condition`` (baik / rusak_ringan / rusak_berat)."""

    item_id: int
    condition: str = "baik"
    note: str = ""


class Agenda:
    """The leaders' agenda in one transaction (``session``); every change is a register entry.

    ``workflow``: opens an entry's content (the composition root passes ``App.workflow(session)``).
    ``notifier``: the staff role is told about an assignment (after the commit).
    """

    def __init__(self, env: Env, session: Session, *, workflow: Workflow | None = None,
                 notifier: Notifier | None = None) -> None:
        self.env = env
        self.s = session
        self.workflow = workflow
        self.notifier = notifier
        self.roles: DocRoles = doc_roles(env)
        self.equipment = Equipment(env, session)

    # --- queries ------------------------------------------------------------------------------------------------

    def get(self, entry_id: int) -> AgendaEntry:
        e = self.s.get(AgendaEntry, entry_id)
        if e is None:
            raise Missing(f"agenda entry {entry_id} not found", f"agenda #{entry_id} tidak ada")
        return e

    def entries(self, *, start: datetime | None = None, end: datetime | None = None,
                include_cancelled: bool = False, content_id: int | None = None,
                limit: int = 500) -> list[AgendaEntry]:
        """Entries overlapping [start, end), earliest first."""
        q = select(AgendaEntry).order_by(AgendaEntry.starts_at, AgendaEntry.id).limit(limit)
        if start is not None:
            q = q.where(AgendaEntry.ends_at > start)
        if end is not None:
            q = q.where(AgendaEntry.starts_at < end)
        if not include_cancelled:
            q = q.where(AgendaEntry.status != "cancelled")
        if content_id is not None:
            q = q.where(AgendaEntry.content_id == content_id)
        return list(self.s.execute(q).scalars())

    def staff(self, e: AgendaEntry) -> list[int]:
        return list(self.s.execute(select(AgendaAssignment.user_id).where(AgendaAssignment.entry_id == e.id)
                                   .order_by(AgendaAssignment.id)).scalars())

    def loans(self, e: AgendaEntry) -> list[EquipmentLoan]:
        return list(self.s.execute(select(EquipmentLoan).where(EquipmentLoan.entry_id == e.id)
                                   .order_by(EquipmentLoan.id)).scalars())

    def available(self, e: AgendaEntry) -> list[EquipmentItem]:
        """Items that may be checked out for ``e``: active, ready (siap), not out for this or an overlapping entry."""
        ready = self.s.execute(select(EquipmentItem).where(EquipmentItem.active.is_(True),
                                                           EquipmentItem.readiness == "siap")
                               .order_by(EquipmentItem.kind, EquipmentItem.name, EquipmentItem.id)).scalars()
        busy = self._busy(e)
        return [i for i in ready if i.id not in busy]

    # --- commands -----------------------------------------------------------------------------------------------

    def add(self, actor: Actor, *, leader: str, activity: str, place: str, starts_at: datetime | str,
            ends_at: datetime | str, leader_name: str = "", note: str = "") -> AgendaEntry:
        """A leader's activity to document; times in the configured zone when given as text."""
        self.roles.require_manage_agenda(actor)
        one_of(leader, LEADERS, "leader", "Pimpinan")
        for field, value in (("activity", activity), ("place", place), ("leader_name", leader_name),
                             ("note", note)):
            check_text(field, value)
        what = required(activity, "activity", "Kegiatan")
        where = required(place, "place", "Tempat")
        who = leader_name.strip()
        if leader == "lainnya" and not who:
            raise Invalid("name the leader (--leader-name) when the leader is 'lainnya'",
                          "nama pimpinan wajib diisi bila pimpinan 'Lainnya'")
        start = parse_time(self.env, starts_at, "start") if isinstance(starts_at, str) else starts_at
        end = parse_time(self.env, ends_at, "end") if isinstance(ends_at, str) else ends_at
        if end <= start:
            raise Invalid("the end must be after the start", "waktu selesai harus setelah waktu mulai")
        if end - start > LONGEST:
            raise Invalid("an agenda entry lasts at most 31 days", "satu agenda paling lama 31 hari")
        now = self.env.clock()
        e = AgendaEntry(leader=leader, leader_name=who, activity=what, place=where, starts_at=start, ends_at=end,
                        status="planned", note=note, created_by_id=actor.id, created_at=now, updated_at=now)
        self.s.add(e)
        self.s.flush()
        self._audit(actor, e, "agenda.added", note, data={
            "leader": leader, "leader_name": who, "activity": what, "place": where,
            "starts_at": self.env.local_iso(start), "ends_at": self.env.local_iso(end)})
        return e

    def assign(self, actor: Actor, entry_id: int, staff: Sequence[str]) -> list[str]:
        """Assign staff (holding the staff role) to document the entry; returns the names newly assigned."""
        e = self._planned(entry_id)
        self.roles.require_manage_agenda(actor)
        names = list(dict.fromkeys(n.strip() for n in staff if n.strip()))
        if not names:
            raise Invalid("name at least one staff member to assign", "pilih minimal satu staf")
        label = self.roles.role_label(self.roles.staff)
        people = [user_holding(self.s, n, self.roles.staff, label) for n in names]
        have = set(self.staff(e))
        new = [u for u in people if u.id not in have]
        if not new:
            raise Conflict(f"{', '.join(names)} already assigned to agenda entry {e.id}",
                           f"{', '.join(names)} sudah ditugaskan pada agenda #{e.id}")
        now = self.env.clock()
        for u in new:
            self.s.add(AgendaAssignment(entry_id=e.id, user_id=u.id, assigned_by_id=actor.id, assigned_at=now))
        e.updated_at = now
        added = [u.name for u in new]
        self._audit(actor, e, "agenda.assigned", data={"staff": added})
        self._tell(self.roles.staff, f"Penugasan dokumentasi: agenda #{e.id}",
                   f"{', '.join(added)} ditugaskan mendokumentasikan {self.title(e)} di {e.place}, "
                   f"{local_text(self.env, e.starts_at)}-{self.env.local(e.ends_at):%H:%M}.\n"
                   f"Lihat: humas agenda show {e.id}")
        return added

    def checkout(self, actor: Actor, entry_id: int, item_ids: Sequence[int], holder: str | None = None
                 ) -> list[EquipmentLoan]:
        """Check items out for the entry, held by one of its assigned staff (all or none)."""
        e = self._planned(entry_id)
        assigned = self._require_crew(actor, e, "check equipment out")
        if not assigned:
            raise Conflict(f"agenda entry {e.id} has no staff assigned yet; assign staff first",
                           f"agenda #{e.id} belum punya staf yang ditugaskan")
        keeper = self._holder(actor, e, assigned, holder)
        wanted = list(dict.fromkeys(item_ids))
        if not wanted:
            raise Invalid("choose at least one item to check out", "pilih minimal satu alat")
        # the items' rows are locked (PostgreSQL) so that two checkouts of one item cannot both pass the checks
        found = {i.id: i for i in self.s.execute(select(EquipmentItem).where(EquipmentItem.id.in_(wanted))
                                                 .with_for_update()).scalars()}
        busy = self._busy(e)
        for item_id in wanted:
            item = found.get(item_id)
            if item is None:
                raise Invalid(f"equipment item {item_id} not found", f"alat #{item_id} tidak ada")
            self._lendable(e, item, busy)
        now = self.env.clock()
        loans = [EquipmentLoan(entry_id=e.id, item_id=i, holder_id=keeper, checked_out_by_id=actor.id,
                               checked_out_at=now, return_note="") for i in wanted]
        self.s.add_all(loans)
        e.updated_at = now
        self.s.flush()
        self._audit(actor, e, "agenda.checked_out", data={
            "items": wanted, "names": [found[i].name for i in wanted],
            "holder": user_names(self.s, {keeper}).get(keeper, "")})
        return loans

    def return_items(self, actor: Actor, entry_id: int, returns: Sequence[Returned]) -> list[EquipmentLoan]:
        """Hand items back (all or none); a damaged one's condition and readiness follow."""
        e = self.get(entry_id)
        self._require_crew(actor, e, "return equipment")
        if not returns:
            raise Invalid("choose at least one item to return", "pilih minimal satu alat yang dikembalikan")
        out = {loan.item_id: loan for loan in self.loans(e) if loan.returned_at is None}
        seen: set[int] = set()
        for r in returns:
            one_of(r.condition, CONDITIONS, "condition", "Kondisi")
            check_text("note", r.note)
            if r.item_id in seen:
                raise Invalid(f"item {r.item_id} is listed twice", f"alat #{r.item_id} tercantum dua kali")
            seen.add(r.item_id)
            if r.item_id not in out:
                raise Conflict(f"equipment item {r.item_id} is not checked out for agenda entry {e.id}",
                               f"alat #{r.item_id} tidak sedang dipinjam untuk agenda #{e.id}")
        now = self.env.clock()
        done = []
        for r in returns:
            loan = out[r.item_id]
            loan.returned_at, loan.returned_by_id, loan.return_condition, loan.return_note = \
                now, actor.id, r.condition, r.note
            self.equipment.damage(self.equipment.get(r.item_id), r.condition)
            done.append(loan)
        e.updated_at = now
        self._audit(actor, e, "agenda.returned", data={
            "items": [{"item": r.item_id, "condition": r.condition, "note": r.note} for r in returns]})
        return done

    def to_content(self, actor: Actor, entry_id: int, title: str | None = None) -> Content:
        """Open the media SOP's content from the entry (its first step: the leaders' agenda), linked both ways."""
        e = self._planned(entry_id)
        if e.content_id is not None:
            raise Conflict(f"agenda entry {e.id} already opened content {e.content_id}",
                           f"agenda #{e.id} sudah menjadi konten #{e.content_id}")
        if self.workflow is None:
            raise Conflict("no workflow to open content with", "alur konten tidak tersedia")
        chosen = (title or "").strip() or _cut(self.title(e), 300)
        c = self.workflow.create(actor, sop_id=self.roles.sop.id, title=chosen, text="", activity=e.activity,
                                 location=e.place)
        e.content_id = c.id
        e.updated_at = self.env.clock()
        self._audit(actor, e, "agenda.content_opened", data={"content": c.id, "title": chosen})
        return c

    def cancel(self, actor: Actor, entry_id: int, note: str) -> AgendaEntry:
        """The activity will not take place (nothing may be out for it)."""
        e = self._planned(entry_id)
        self.roles.require_manage_agenda(actor)
        check_text("note", note)
        if not note.strip():
            raise Invalid("cancelling an entry needs a note saying why", "alasan pembatalan wajib diisi")
        if any(loan.returned_at is None for loan in self.loans(e)):
            raise Conflict(f"agenda entry {e.id} still has equipment checked out; return it first",
                           f"agenda #{e.id} masih meminjam alat; kembalikan dulu")
        e.status, e.updated_at = "cancelled", self.env.clock()
        self._audit(actor, e, "agenda.cancelled", note)
        return e

    # --- views --------------------------------------------------------------------------------------------------

    def title(self, e: AgendaEntry) -> str:
        """``Bupati: <activity's first line>`` (with the leader's name when given)."""
        who = LEADERS.get(e.leader, e.leader) if e.leader != "lainnya" else e.leader_name
        if e.leader != "lainnya" and e.leader_name:
            who += f" ({e.leader_name})"
        return f"{who}: {e.activity.strip().splitlines()[0] if e.activity.strip() else ''}"

    def describe(self, e: AgendaEntry) -> dict[str, Any]:
        staff = self.staff(e)
        loans = self.loans(e)
        items = {i.id: i for i in self.s.execute(select(EquipmentItem).where(
            EquipmentItem.id.in_([x.item_id for x in loans]))).scalars()} if loans else {}
        names = user_names(self.s, set(staff) | {x.holder_id for x in loans} | {e.created_by_id})
        content = self.s.get(Content, e.content_id) if e.content_id is not None else None
        return {
            "id": e.id, "leader": e.leader, "leader_label": LEADERS.get(e.leader, e.leader),
            "leader_name": e.leader_name, "title": self.title(e), "activity": e.activity, "place": e.place,
            "starts_at": self.env.local_iso(e.starts_at), "ends_at": self.env.local_iso(e.ends_at),
            "status": e.status, "status_label": AGENDA_STATUS.get(e.status, e.status), "note": e.note,
            "staff": [names.get(u, "") for u in staff],
            "loans": [{
                "item_id": x.item_id, "name": items[x.item_id].name if x.item_id in items else "",
                "kind": items[x.item_id].kind if x.item_id in items else "",
                "holder": names.get(x.holder_id, ""), "checked_out_at": self.env.local_iso(x.checked_out_at),
                "returned_at": self.env.local_iso(x.returned_at), "return_condition": x.return_condition,
                "return_note": x.return_note} for x in loans],
            "content_id": e.content_id, "content_title": content.title if content else None,
            "content_status": content.status if content else None, "content_step": content.step_id if content else None,
            "created_by": names.get(e.created_by_id, ""),
            "created_at": self.env.local_iso(e.created_at), "updated_at": self.env.local_iso(e.updated_at),
        }

    # --- internals ----------------------------------------------------------------------------------------------

    def _planned(self, entry_id: int) -> AgendaEntry:
        e = self.get(entry_id)
        if e.status != "planned":
            raise Conflict(f"agenda entry {e.id} is cancelled", f"agenda #{e.id} sudah dibatalkan")
        return e

    def _require_crew(self, actor: Actor, e: AgendaEntry, doing: str) -> list[int]:
        """The entry's assigned staff; refused unless ``actor`` is one of them or holds the coordinator role."""
        assigned = self.staff(e)
        if actor.id in assigned and actor.has(self.roles.staff):
            return assigned
        if not actor.has(self.roles.coordinator):
            raise PermissionDenied(
                f"user '{actor.name}' may not {doing} for agenda entry {e.id}: only its assigned staff or the "
                f"{self.roles.role_label(self.roles.coordinator)}")
        return assigned

    def _holder(self, actor: Actor, e: AgendaEntry, assigned: list[int], holder: str | None) -> int:
        if holder and holder.strip():
            user = user_holding(self.s, holder, self.roles.staff, self.roles.role_label(self.roles.staff))
            if user.id not in assigned:
                raise Invalid(f"'{user.name}' is not assigned to agenda entry {e.id}",
                              f"'{user.name}' tidak ditugaskan pada agenda #{e.id}")
            return user.id
        if actor.id in assigned:
            return actor.id
        if len(assigned) == 1:
            return assigned[0]
        raise Invalid("name who holds the equipment (one of the assigned staff)",
                      "pilih staf yang membawa alat (salah satu staf yang ditugaskan)")

    def _busy(self, e: AgendaEntry) -> dict[int, int]:
        """item id -> the entry it is out for, unreturned: this one, or one overlapping it in time."""
        rows = self.s.execute(
            select(EquipmentLoan.item_id, EquipmentLoan.entry_id).join(AgendaEntry)
            .where(EquipmentLoan.returned_at.is_(None),
                   (EquipmentLoan.entry_id == e.id)
                   | ((AgendaEntry.starts_at < e.ends_at) & (AgendaEntry.ends_at > e.starts_at)))
        ).all()
        return {item_id: entry_id for item_id, entry_id in rows}

    def _lendable(self, e: AgendaEntry, item: EquipmentItem, busy: dict[int, int]) -> None:
        if not item.active:
            raise Conflict(f"equipment item {item.id} is retired", f"alat #{item.id} sudah tidak dipakai")
        if item.readiness != "siap":
            state = item.readiness or "not checked yet"
            raise Conflict(f"equipment item {item.id} ({item.name}) is not ready ({state}); only ready items "
                           "(siap at their last check) are checked out",
                           f"alat #{item.id} ({item.name}) tidak siap dipinjam; hanya alat berstatus siap")
        other = busy.get(item.id)
        if other == e.id:
            raise Conflict(f"equipment item {item.id} is already checked out for agenda entry {e.id}",
                           f"alat #{item.id} sudah dipinjam untuk agenda #{e.id}")
        if other is not None:
            raise Conflict(f"equipment item {item.id} ({item.name}) is checked out for agenda entry {other} at "
                           "overlapping times", f"alat #{item.id} ({item.name}) sedang dipinjam untuk agenda "
                           f"#{other} pada waktu yang bertumpang")

    def _tell(self, role: str, head: str, body: str) -> None:
        notifier = self.notifier
        if notifier is None:
            return

        def send(_s: Session) -> None:
            try:
                notifier.notify_role(role, head, body)
            except Exception:  # a notification never undoes a committed change
                log.exception("notify: agenda notice failed")

        event.listen(self.s, "after_commit", send, once=True)

    def _audit(self, actor: Actor, e: AgendaEntry, action: str, note: str = "",
               data: dict[str, Any] | None = None) -> None:
        audit.append(self.s, actor=actor.name, action=action, subject_type=SUBJECT, subject_id=e.id, note=note,
                     data=data, at=self.env.clock())


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def entry_for_content(session: Session, content_id: int) -> AgendaEntry | None:
    """The agenda entry that opened this content, if one did (the link from the content back to its entry)."""
    return session.execute(select(AgendaEntry).where(AgendaEntry.content_id == content_id)).scalar_one_or_none()
