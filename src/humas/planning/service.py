"""Monthly content plans through the SOP's ``plan_steps``: the meeting, the proposed items, the approval.

A plan is one SOP's plan for one month (``YYYY-MM``). Its first plan step sets the meeting (date, time, place);
submitting it sends the invitation to every role of the plan chain and to the content chain's first role. The
editable plan step (else the last submit step before the first review) holds the item list: only its role adds,
changes or removes items, and only while the plan stands there. A review step approves or rejects; a rejection
returns the plan to the step its ``on_reject`` names, and the approvals from there on stop counting. When the last
plan step is done, every item becomes a content draft under the same SOP's content chain, in its owner's name (the
owner holds the chain's first role), in the same transaction: if one draft cannot be created, nothing is.

An approval binds to the list it judged: each decision records the list's hash, a caller may pass the hash it
showed (``list_hash``) and is refused if the list changed since, and an approved plan's list can no longer be
edited (its items are content now: change or cancel the content itself).

Every method runs in the caller's transaction, checks everything before it writes anything, appends each change to
the register, and times each plan step with the step timer (``subject_type="plan"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from humas import limits
from humas.authz import Actor
from humas.env import Env
from humas.errors import AnotherApproverNeeded, HumasError, NotFound
from humas.errors import TooLong as _TooLong
from humas.notify import Notifier
from humas.planning.model import (
    ACTIVITY_MAX,
    PLACE_MAX,
    UNIT_MAX,
    ItemChanges,
    ItemInput,
    Notice,
    PlanForbidden,
    PlanInputError,
    PlanStateError,
    item_state,
    list_hash,
    list_step,
    month_bounds,
    parse_day,
    parse_month,
    sop_windows,
)
from humas.planning.notices import invitation, month_name, plan_step_pending
from humas.sop.model import SOP, Step
from humas.store import audit
from humas.store.models import Content, ContentPlan, PlanDecision, PlanItem, PlanStatus, StepPeriod, User
from humas.workflow.engine import Workflow


def ordered(plan: ContentPlan) -> list[PlanItem]:
    """The plan's items by activity date (the relationship's order holds only for items loaded, not just added)."""
    return sorted(plan.items, key=lambda i: (i.activity_date, i.id or 0))


class Planning:
    """Monthly plans in one transaction (``session``); see the module docstring.

    ``notifier``: the invitation and each step's role, after the commit. ``workflow``: the content engine the
    approval creates drafts with (the composition root passes the one with platform checks and notices).
    """

    def __init__(self, env: Env, session: Session, *, notifier: Notifier | None = None,
                 workflow: Workflow | None = None) -> None:
        self.env = env
        self.s = session
        self.notifier = notifier
        self.workflow = workflow or Workflow(env, session, notifier=notifier)

    # --- queries ----------------------------------------------------------------------------------------------

    def planning_sops(self) -> list[SOP]:
        """The SOPs that plan a month ahead (they have ``plan_steps``)."""
        return sorted((s for s in self.env.sops.sops.values() if s.plan_steps), key=lambda s: s.id)

    def sop_for(self, sop_id: str | None) -> SOP:
        """``sop_id``'s SOP, which must plan; without one, the only planning SOP or the default SOP if it plans."""
        if sop_id:
            sop = self.env.sops.get(sop_id)
            if not sop.plan_steps:
                raise PlanInputError(f"SOP '{sop.id}' has no monthly plan (no plan_steps)",
                                     indonesian=f"SOP '{sop.id}' tidak memiliki rencana bulanan.")
            return sop
        planning = self.planning_sops()
        default = self.env.sops.sops.get(self.env.settings.default_sop)
        if default is not None and default.plan_steps:
            return default
        if len(planning) == 1:
            return planning[0]
        known = ", ".join(s.id for s in planning) or "none"
        raise PlanInputError(f"name the SOP of the plan (--sop; SOPs with a monthly plan: {known})",
                             indonesian=f"Pilih SOP rencana (SOP dengan rencana bulanan: {known}).")

    def get(self, plan_id: int) -> ContentPlan:
        plan = self.s.get(ContentPlan, plan_id)
        if plan is None:
            raise NotFound(f"plan {plan_id} not found")
        return plan

    def plan_of_item(self, item_id: int) -> ContentPlan:
        """The plan an item belongs to (items have ids of their own)."""
        item = self.s.get(PlanItem, item_id)
        if item is None:
            raise NotFound(f"plan item {item_id} not found")
        return self.get(item.plan_id)

    def find(self, ref: str, sop_id: str | None = None) -> ContentPlan:
        """A plan by id (``"7"``) or by month (``"2026-12"``, of ``sop_id`` or the SOP :meth:`sop_for` picks)."""
        if ref.strip().isdigit():
            return self.get(int(ref))
        month = parse_month(ref)
        sop = self.sop_for(sop_id)
        plan = self.s.execute(select(ContentPlan).where(ContentPlan.sop_id == sop.id, ContentPlan.month == month)
                              ).scalar_one_or_none()
        if plan is None:
            raise NotFound(f"no plan for {month} under SOP '{sop.id}' (create it with 'humas plan create {month}')")
        return plan

    def plans(self, *, sop_id: str | None = None, month: str | None = None) -> list[ContentPlan]:
        q = select(ContentPlan).order_by(ContentPlan.month.desc(), ContentPlan.sop_id)
        if sop_id:
            q = q.where(ContentPlan.sop_id == sop_id)
        if month:
            q = q.where(ContentPlan.month == parse_month(month))
        return list(self.s.execute(q).scalars())

    def sop_of(self, plan: ContentPlan) -> SOP:
        return self.env.sops.get(plan.sop_id)

    def current_step(self, plan: ContentPlan) -> Step | None:
        return self.sop_of(plan).step(plan.step_id) if plan.step_id else None

    def list_editable(self, plan: ContentPlan) -> bool:
        return plan.step_id == list_step(self.sop_of(plan)).id

    def owner_role(self, sop: SOP) -> str:
        """The role an item's owner must hold: the content chain's first step's."""
        return sop.active_steps()[0].role

    # --- commands ---------------------------------------------------------------------------------------------

    def create(self, actor: Actor, *, sop_id: str | None, month: str, meeting_at: datetime | None = None,
               place: str = "") -> tuple[ContentPlan, list[Notice]]:
        """A plan for ``month`` at its first step (the first step's role); the meeting may be set at once."""
        sop = self.sop_for(sop_id)
        month = parse_month(month)
        first = sop.plan_steps[0]
        self._require(actor, first, "create a plan", "membuat rencana")
        existing = self.s.execute(select(ContentPlan.id).where(ContentPlan.sop_id == sop.id,
                                                               ContentPlan.month == month)).scalar_one_or_none()
        if existing is not None:
            raise PlanStateError(f"a plan for {month} under SOP '{sop.id}' already exists (plan {existing})",
                                 indonesian=f"Rencana {month_name(month)} untuk SOP ini sudah ada (#{existing}).")
        today = self.env.local(self.env.clock()).date()
        if month_bounds(month)[1] <= today:
            raise PlanInputError(f"{month} is over: a plan is made before its month",
                                 indonesian=f"Bulan {month_name(month)} sudah lewat; rencana dibuat sebelum bulannya.")
        now = self.env.clock()
        plan = ContentPlan(sop_id=sop.id, month=month, status=PlanStatus.DRAFT, step_id=first.id, meeting_place="",
                           list_version=1, list_hash=list_hash([]), created_by_id=actor.id, created_at=now,
                           updated_at=now)
        self.s.add(plan)
        self.s.flush()
        self.env.timer.enter(self.s, "plan", plan.id, sop.id, first, now)
        self._audit(actor, plan, "plan.created", first.role, data={"sop": sop.id, "month": month, "step": first.id})
        notices: list[Notice] = []
        if meeting_at is not None:
            notices = self.set_meeting(actor, plan.id, meeting_at, place)[1]
        return plan, notices

    def set_meeting(self, actor: Actor, plan_id: int, at: datetime, place: str = "") -> tuple[ContentPlan,
                                                                                              list[Notice]]:
        """The coordination meeting's time and place, at the first plan step by its role; before the month."""
        plan = self.get(plan_id)
        sop = self.sop_of(plan)
        first = sop.plan_steps[0]
        if plan.step_id != first.id:
            raise PlanStateError(
                f"plan {plan.id}'s meeting can only be set at step '{first.label}' (the plan is {plan.status})",
                indonesian="Rapat hanya dapat diatur pada langkah pertama rencana.")
        self._require(actor, first, "set the plan's meeting", "mengatur rapat rencana")
        if len(place) > PLACE_MAX:
            raise _TooLong(f"place too long: {len(place):,} characters, at most {PLACE_MAX} (rule limit.location)",
                           rule="limit.location",
                           indonesian=f"Tempat terlalu panjang: {len(place):,} karakter, paling banyak {PLACE_MAX} "
                                      "(aturan limit.location)")
        if at.tzinfo is None:
            raise ValueError("naive meeting time")
        local = self.env.local(at)
        first_day, _ = month_bounds(plan.month)
        if local.date() >= first_day:
            raise PlanInputError(
                f"the meeting must be before {plan.month} (the SOP plans the month ahead); got {local:%Y-%m-%d}",
                indonesian=f"Rapat harus sebelum bulan {month_name(plan.month)}; tanggal {local:%d-%m-%Y} "
                           "tidak dapat dipakai.")
        plan.meeting_at, plan.meeting_place, plan.updated_at = at, place.strip(), self.env.clock()
        self._audit(actor, plan, "plan.meeting_set", first.role,
                    data={"meeting_at": self.env.local_iso(at), "place": plan.meeting_place})
        return plan, self.meeting_notices(plan)

    def meeting_notices(self, plan: ContentPlan) -> list[Notice]:
        """Where the meeting differs from the SOP's week (a warning, not a refusal)."""
        if plan.meeting_at is None:
            return []
        local = self.env.local(plan.meeting_at)
        lo, hi = sop_windows(plan.month)["meeting"]
        out: list[Notice] = []
        if not lo <= local.date() <= hi:
            out.append(Notice(f"the SOP schedules the meeting in the third week of the month before "
                              f"({lo:%Y-%m-%d} to {hi:%Y-%m-%d}); this one is on {local:%Y-%m-%d}",
                              f"SOP menjadwalkan rapat pada minggu ke-3 bulan sebelumnya ({lo:%d-%m} s.d. "
                              f"{hi:%d-%m-%Y}); rapat ini pada {local:%d-%m-%Y}."))
        if plan.meeting_at < self.env.clock() and plan.status == PlanStatus.DRAFT:
            out.append(Notice(f"the meeting time {local:%Y-%m-%d %H:%M} has passed",
                              f"Waktu rapat {local:%d-%m-%Y %H:%M} sudah lewat."))
        return out

    def add_item(self, actor: Actor, plan_id: int, item: ItemInput) -> PlanItem:
        plan, sop, step = self._editing(actor, plan_id)
        activity, day, unit, channels, owner, note = self._checked(
            plan, sop, item.activity, item.activity_date, item.unit, item.channels, item.owner, item.note)
        now = self.env.clock()
        row = PlanItem(plan_id=plan.id, activity=activity, activity_date=day, unit=unit, channels=channels,
                       owner_id=owner.id, owner=owner, note=note, created_at=now, updated_at=now)
        self.s.add(row)
        plan.items.append(row)
        self.s.flush()
        self._list_changed(plan, now)
        self._audit(actor, plan, "plan.item_added", step.role, data={"item": row.id, **self._item_data(row)})
        return row

    def edit_item(self, actor: Actor, plan_id: int, item_id: int, changes: ItemChanges) -> PlanItem:
        plan, sop, step = self._editing(actor, plan_id)
        row = self._item(plan, item_id)
        activity, day, unit, channels, owner, note = self._checked(
            plan, sop,
            row.activity if changes.activity is None else changes.activity,
            row.activity_date if changes.activity_date is None else changes.activity_date,
            row.unit if changes.unit is None else changes.unit,
            list(row.channels) if changes.channels is None else changes.channels,
            row.owner.name if changes.owner is None else changes.owner,
            row.note if changes.note is None else changes.note)
        before = self._item_data(row)
        row.activity, row.activity_date, row.unit, row.channels, row.note = activity, day, unit, channels, note
        row.owner_id, row.owner = owner.id, owner
        after = self._item_data(row)
        if after == before:
            return row
        now = self.env.clock()
        row.updated_at = now
        self._list_changed(plan, now)
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        self._audit(actor, plan, "plan.item_edited", step.role, data={"item": row.id, "changes": changed})
        return row

    def remove_item(self, actor: Actor, plan_id: int, item_id: int) -> ContentPlan:
        plan, _sop, step = self._editing(actor, plan_id)
        row = self._item(plan, item_id)
        data = {"item": row.id, **self._item_data(row)}
        plan.items.remove(row)
        self.s.delete(row)
        self.s.flush()
        self._list_changed(plan, self.env.clock())
        self._audit(actor, plan, "plan.item_removed", step.role, data=data)
        return plan

    def submit(self, actor: Actor, plan_id: int, note: str = "") -> ContentPlan:
        """Finish the current submit step: the meeting (its invitation goes out) or the item list."""
        limits.check_text("note", note)
        plan = self.get(plan_id)
        sop = self.sop_of(plan)
        step = self.current_step(plan)
        if step is None or step.action != "submit":
            raise PlanStateError(f"plan {plan.id} is {plan.status} at step {plan.step_id or '-'}: there is nothing "
                                 "to submit", indonesian="Tidak ada yang dapat dikirim pada tahap rencana ini.")
        self._require(actor, step, f"submit at step '{step.label}'", f"mengirim langkah \u201c{step.label}\u201d")
        if step.id == sop.plan_steps[0].id and plan.meeting_at is None:
            raise PlanInputError(f"plan {plan.id}: set the meeting's date first (humas plan meeting)",
                                 indonesian="Tentukan dulu waktu rapat koordinasi.")
        if step.id == list_step(sop).id and not plan.items:
            raise PlanInputError(f"plan {plan.id}: the list has no item yet (humas plan item add)",
                                 indonesian="Daftar usulan materi masih kosong; tambahkan minimal satu kegiatan.")
        now = self.env.clock()
        self._decide(actor, plan, step, "submitted", note, now)
        self.env.timer.close(self.s, "plan", plan.id, now, "submitted", actor.id)
        nxt = sop.next_step(step.id)
        invite = step.id == sop.plan_steps[0].id
        self._audit(actor, plan, "plan.submitted", step.role, note,
                    data={"step": step.id, "next": nxt.id if nxt else None})
        if invite:
            self._invite(plan, sop)
        self._advance(actor, plan, sop, nxt, now, notify=not invite)
        return plan

    def approve(self, actor: Actor, plan_id: int, note: str = "", *, expected_hash: str | None = None
                ) -> ContentPlan:
        """Approve at the current review step; after the last step every item becomes a content draft."""
        limits.check_text("note", note)
        plan, step = self._reviewing(actor, plan_id, "approve", "menyetujui")
        sop = self.sop_of(plan)
        if expected_hash is not None and expected_hash != plan.list_hash:
            raise PlanStateError(f"plan {plan.id}'s list changed since it was shown (version {plan.list_version}); "
                                 "look at it again before approving",
                                 indonesian="Daftar usulan berubah sejak ditampilkan; periksa lagi sebelum menyetujui.")
        if sop.distinct_approvers:
            self._check_distinct(actor, plan, sop, step)
        now = self.env.clock()
        self._decide(actor, plan, step, "approved", note, now)
        self.env.timer.close(self.s, "plan", plan.id, now, "approved", actor.id)
        nxt = sop.next_step(step.id)
        self._audit(actor, plan, "plan.approved", step.role, note,
                    data={"step": step.id, "label": step.approve_label, "next": nxt.id if nxt else None,
                          "list_version": plan.list_version})
        self._advance(actor, plan, sop, nxt, now)
        return plan

    def reject(self, actor: Actor, plan_id: int, note: str) -> ContentPlan:
        """Reject at the current review step, with a note: back to the step the SOP names."""
        limits.check_text("note", note)
        plan, step = self._reviewing(actor, plan_id, "reject", "menolak")
        if not note.strip():
            raise PlanInputError("a rejection needs a note (--note) saying what to fix",
                                 indonesian="Catatan wajib saat menolak: tuliskan apa yang harus diperbaiki.")
        if step.on_reject is None:
            raise PlanStateError(f"step '{step.label}' cannot reject (the SOP names no step to return to)",
                                 indonesian="Langkah ini tidak dapat menolak.")
        sop = self.sop_of(plan)
        target = sop.step(step.on_reject)
        now = self.env.clock()
        self._decide(actor, plan, step, "rejected", note, now)
        chain = [s.id for s in sop.plan_steps]
        later = chain[chain.index(target.id):]
        self.s.execute(update(PlanDecision).where(PlanDecision.plan_id == plan.id, PlanDecision.valid.is_(True),
                                                  PlanDecision.step_id.in_(later), PlanDecision.outcome != "rejected")
                       .values(valid=False))
        self.env.timer.close(self.s, "plan", plan.id, now, "rejected", actor.id)
        self._audit(actor, plan, "plan.rejected", step.role, note,
                    data={"step": step.id, "label": step.reject_label, "returned_to": target.id})
        self._enter(plan, sop, target, now, status=PlanStatus.RETURNED, note=note)
        return plan

    # --- internals --------------------------------------------------------------------------------------------

    def _require(self, actor: Actor, step: Step, doing: str, doing_id: str) -> None:
        if not actor.has(step.role):
            label = self.env.sops.role_label(step.role)
            held = ", ".join(sorted(actor.roles)) or "no role"
            raise PlanForbidden(f"user '{actor.name}' ({held}) may not {doing}: that needs the role {label}",
                                indonesian=f"Anda tidak dapat {doing_id}: perlu peran {label}.")

    def _editing(self, actor: Actor, plan_id: int) -> tuple[ContentPlan, SOP, Step]:
        plan = self.get(plan_id)
        sop = self.sop_of(plan)
        step = list_step(sop)
        if plan.step_id != step.id:
            why = "approved: its items are content now (change or cancel the content itself)" \
                if plan.status == PlanStatus.APPROVED else f"at step {plan.step_id}"
            raise PlanStateError(f"plan {plan.id}'s list can only change at step '{step.label}'; the plan is {why}",
                                 indonesian=f"Daftar usulan hanya dapat diubah pada langkah \u201c{step.label}\u201d.")
        self._require(actor, step, "change the plan's list", "mengubah daftar usulan")
        return plan, sop, step

    def _item(self, plan: ContentPlan, item_id: int) -> PlanItem:
        row = next((i for i in plan.items if i.id == item_id), None)
        if row is None:
            raise NotFound(f"plan {plan.id} has no item {item_id}")
        return row

    def _checked(self, plan: ContentPlan, sop: SOP, activity: str, day: date | str, unit: str,
                 channels: Sequence[str], owner_name: str, note: str
                 ) -> tuple[str, date, str, list[str], User, str]:
        """An item's fields checked and normalised, or one refusal naming the first problem."""
        activity = activity.strip()
        if not activity:
            raise PlanInputError("the activity is empty", indonesian="Kegiatan wajib diisi.")
        for name, value, most in (("activity", activity, ACTIVITY_MAX), ("unit", unit, UNIT_MAX)):
            if len(value) > most:
                label = "Kegiatan" if name == "activity" else "Unit kerja"
                raise _TooLong(f"{name} too long: {len(value):,} characters, at most {most} (rule limit.{name})",
                               rule=f"limit.{name}", indonesian=f"{label} terlalu panjang: {len(value):,} karakter, "
                                                               f"paling banyak {most} (aturan limit.{name})")
        limits.check_text("note", note)
        parsed = parse_day(day, "activity date")
        first, after = month_bounds(plan.month)
        if not first <= parsed < after:
            raise PlanInputError(f"the activity date {parsed:%Y-%m-%d} is not in {plan.month}",
                                 indonesian=f"Tanggal kegiatan {parsed:%d-%m-%Y} tidak dalam bulan "
                                            f"{month_name(plan.month)}.")
        configured = [a.name for a in self.env.settings.accounts]
        wanted = list(dict.fromkeys(c.strip() for c in channels if c.strip()))
        for name in wanted:
            if name not in configured:
                known = ", ".join(configured) or "(none)"
                raise PlanInputError(f"unknown channel '{name}' (configured accounts: {known})",
                                     indonesian=f"Kanal '{name}' tidak dikenal (akun yang ada: {known}).")
        owner = self.s.execute(select(User).where(User.name == owner_name.strip())).scalar_one_or_none()
        role = self.owner_role(sop)
        label = self.env.sops.role_label(role)
        if owner is None or not owner.active:
            raise PlanInputError(f"unknown or inactive user '{owner_name}' as the item's owner",
                                 indonesian=f"Pengguna '{owner_name}' tidak ada atau tidak aktif.")
        if role not in owner.role_ids:
            raise PlanInputError(
                f"user '{owner.name}' cannot own an item: the owner makes the content and needs the role {label}",
                indonesian=f"'{owner.name}' tidak dapat menjadi penanggung jawab: perlu peran {label}.")
        return activity, parsed, unit.strip(), wanted, owner, note

    def _item_data(self, row: PlanItem) -> dict[str, Any]:
        return {"activity": row.activity, "date": row.activity_date.isoformat(), "unit": row.unit,
                "channels": list(row.channels), "owner": row.owner.name, "note": row.note}

    def _list_changed(self, plan: ContentPlan, now: datetime) -> None:
        plan.list_version += 1
        plan.list_hash = list_hash(plan.items)
        plan.updated_at = now

    def _reviewing(self, actor: Actor, plan_id: int, verb: str, verb_id: str) -> tuple[ContentPlan, Step]:
        plan = self.get(plan_id)
        step = self.current_step(plan)
        if plan.status != PlanStatus.IN_REVIEW or step is None or step.action != "review":
            raise PlanStateError(f"plan {plan.id} is {plan.status} at step {plan.step_id or '-'}: there is nothing to "
                                 f"{verb}", indonesian=f"Tidak ada yang dapat {verb_id} pada tahap rencana ini.")
        self._require(actor, step, f"{verb} at step '{step.label}'", f"{verb_id} pada langkah \u201c{step.label}\u201d")
        return plan, step

    def _check_distinct(self, actor: Actor, plan: ContentPlan, sop: SOP, step: Step) -> None:
        """Separation of duties: whoever compiled the list judged here, and no one approves it twice."""
        compiler = self.s.execute(
            select(PlanDecision.user_id).where(PlanDecision.plan_id == plan.id, PlanDecision.valid.is_(True),
                                               PlanDecision.step_id == list_step(sop).id,
                                               PlanDecision.outcome == "submitted")
            .order_by(PlanDecision.id.desc()).limit(1)).scalar_one_or_none()
        if compiler == actor.id:
            raise AnotherApproverNeeded(
                f"user '{actor.name}' compiled plan {plan.id}'s list and may not approve it at step '{step.label}': "
                f"SOP '{sop.id}' requires another person (distinct_approvers)", reason="author", step=step.label)
        earlier = self.s.execute(
            select(PlanDecision.step_id).where(PlanDecision.plan_id == plan.id, PlanDecision.valid.is_(True),
                                               PlanDecision.outcome == "approved", PlanDecision.user_id == actor.id,
                                               PlanDecision.list_hash == plan.list_hash).limit(1)
        ).scalar_one_or_none()
        if earlier is not None:
            label = sop.step(earlier).label
            raise AnotherApproverNeeded(
                f"user '{actor.name}' already approved step '{label}' of plan {plan.id} and may not also approve "
                f"step '{step.label}': SOP '{sop.id}' requires another person (distinct_approvers)",
                reason="approved", step=step.label, earlier_step=label)

    def _decide(self, actor: Actor, plan: ContentPlan, step: Step, outcome: str, note: str, now: datetime) -> None:
        self.s.add(PlanDecision(plan_id=plan.id, step_id=step.id, role=step.role, user_id=actor.id, outcome=outcome,
                                list_hash=plan.list_hash, note=note, created_at=now))
        self.s.flush()

    def _advance(self, actor: Actor, plan: ContentPlan, sop: SOP, nxt: Step | None, now: datetime, *,
                 notify: bool = True) -> None:
        if nxt is None:
            self._approved(actor, plan, sop, now)
            return
        status = PlanStatus.IN_REVIEW if nxt.action == "review" else PlanStatus.PROPOSING
        self._enter(plan, sop, nxt, now, status=status, notify=notify)

    def _enter(self, plan: ContentPlan, sop: SOP, step: Step, now: datetime, *, status: PlanStatus,
               note: str = "", notify: bool = True) -> None:
        if status == PlanStatus.PROPOSING and step.id == sop.plan_steps[0].id:
            status = PlanStatus.DRAFT
        plan.step_id, plan.status, plan.updated_at = step.id, status, now
        due = self.env.timer.enter(self.s, "plan", plan.id, sop.id, step, now).due_at
        if self.notifier is None or not notify:
            return
        notifier, sops, tz, pid, month = self.notifier, self.env.sops, self.env.tz, plan.id, plan.month
        event.listen(self.s, "after_commit", lambda _s: plan_step_pending(
            notifier, sops, tz, plan_id=pid, month=month, step=step, due_at=due, note=note), once=True)

    def _invite(self, plan: ContentPlan, sop: SOP) -> None:
        """The invitation to the meeting: every role of the plan chain and the content chain's first role."""
        if self.notifier is None or plan.meeting_at is None:
            return
        roles = {s.role for s in sop.plan_steps} | {self.owner_role(sop)}
        notifier, tz, at, place = self.notifier, self.env.tz, plan.meeting_at, plan.meeting_place
        pid, month, name, office = plan.id, plan.month, sop.name, sop.office
        event.listen(self.s, "after_commit", lambda _s: invitation(
            notifier, roles, plan_id=pid, month=month, sop_name=name, office=office, meeting_at=at, place=place,
            tz=tz), once=True)

    def _approved(self, actor: Actor, plan: ContentPlan, sop: SOP, now: datetime) -> None:
        """The last plan step is done: each item becomes a content draft in its owner's name, all or none."""
        created: list[int] = []
        first = sop.active_steps()[0]
        for n, item in enumerate(ordered(plan), start=1):
            owner = item.owner
            owner_actor = Actor(id=owner.id, name=owner.name, roles=frozenset(owner.role_ids))
            try:
                if not owner.active:
                    raise PlanInputError(f"the owner '{owner.name}' is inactive",
                                         indonesian=f"penanggung jawab '{owner.name}' tidak aktif")
                c = self.workflow.create(owner_actor, sop_id=sop.id, title=item.activity, text="",
                                         accounts=list(item.channels), activity=self._activity_text(plan, item))
            except HumasError as exc:
                # the whole approval rolls back with the caller's transaction; say which item stopped it
                exc.message = f"plan {plan.id}, item {n} ('{item.activity}'): {exc.message}"
                exc.args = (exc.message,)
                if isinstance(getattr(exc, "indonesian", None), str):
                    exc.indonesian = f"Butir {n} (\u201c{item.activity}\u201d): {exc.indonesian}"  # type: ignore[attr-defined]
                raise
            item.content_id = c.id
            created.append(c.id)
            audit.append(self.s, actor=actor.name, role=first.role, action="plan.content_created",
                         subject_type="content", subject_id=c.id, version_hash=c.version_hash,
                         data={"plan": plan.id, "month": plan.month, "item": item.id, "owner": owner.name,
                               "due_on": item.activity_date.isoformat()}, at=now)
        plan.status, plan.step_id, plan.approved_at, plan.updated_at = PlanStatus.APPROVED, None, now, now
        self._audit(actor, plan, "plan.drafts_created", first.role, data={"contents": created})

    def _activity_text(self, plan: ContentPlan, item: PlanItem) -> str:
        """What the unit reads on the content: the planned activity, its date, unit and note."""
        head = (f"{item.activity}\nTanggal kegiatan: {item.activity_date:%d-%m-%Y}\n"
                f"Unit kerja: {self.env.sops.role_label(item.unit) if item.unit in self.env.sops.roles else item.unit}"
                f"\nRencana konten {month_name(plan.month)} (#{plan.id})")
        text = head + (f"\nCatatan: {item.note}" if item.note.strip() else "")
        most = limits.TEXT["activity"][0]
        return text if len(text) <= most else text[: most - 1] + "\u2026"

    def _audit(self, actor: Actor, plan: ContentPlan, action: str, role: str, note: str = "",
               data: dict[str, Any] | None = None) -> None:
        audit.append(self.s, actor=actor.name, role=role, action=action, subject_type="plan", subject_id=plan.id,
                     version_hash=plan.list_hash, note=note, data=data, at=self.env.clock())

    # --- views ------------------------------------------------------------------------------------------------

    def describe(self, plan: ContentPlan) -> dict[str, Any]:
        """Everything the CLI, the page and the API show of a plan."""
        sop = self.sop_of(plan)
        step = self.current_step(plan)
        period = self.env.timer.current(self.s, "plan", plan.id)
        windows = sop_windows(plan.month)
        first_day, _ = month_bounds(plan.month)
        contents = self._contents(plan)
        notices = self.notices(plan)
        return {
            "id": plan.id, "sop": plan.sop_id, "sop_name": sop.name, "office": sop.office, "month": plan.month,
            "month_name": month_name(plan.month), "status": plan.status, "step": plan.step_id,
            "step_label": step.label if step else None, "step_role": step.role if step else None,
            "step_action": step.action if step else None,
            "due_at": self.env.local_iso(period.due_at) if period is not None else None,
            "meeting_at": self.env.local_iso(plan.meeting_at), "meeting_place": plan.meeting_place,
            "list_step": list_step(sop).id, "list_editable": self.list_editable(plan),
            "list_version": plan.list_version, "list_hash": plan.list_hash,
            "owner_role": self.owner_role(sop),
            "sop_windows": {k: {"start": lo.isoformat(), "end": hi.isoformat()} for k, (lo, hi) in windows.items()},
            "month_starts": first_day.isoformat(),
            "created_by": plan.created_by.name, "created_at": self.env.local_iso(plan.created_at),
            "updated_at": self.env.local_iso(plan.updated_at), "approved_at": self.env.local_iso(plan.approved_at),
            "items": [self._item_view(i, contents.get(i.content_id or 0)) for i in ordered(plan)],
            "decisions": [
                {"step": d.step_id, "role": d.role, "user": d.user.name, "outcome": d.outcome, "note": d.note,
                 "at": self.env.local_iso(d.created_at), "valid": d.valid,
                 "current_list": d.list_hash == plan.list_hash}
                for d in self.s.execute(select(PlanDecision).where(PlanDecision.plan_id == plan.id)
                                        .order_by(PlanDecision.id)).scalars()],
            "periods": self.periods(plan),
            "warnings": [n.en for n in notices],
            "warnings_id": [n.id for n in notices],
        }

    def notices(self, plan: ContentPlan) -> list[Notice]:
        """The plan's warnings now: the meeting outside the SOP's week, an approval outside its week."""
        out = self.meeting_notices(plan)
        if plan.approved_at is not None:
            lo, hi = sop_windows(plan.month)["approval"]
            day = self.env.local(plan.approved_at).date()
            if not lo <= day <= hi:
                out.append(Notice(f"the SOP wants the approval in the fourth week of the month before ({lo:%Y-%m-%d} "
                                  f"to {hi:%Y-%m-%d}); it came on {day:%Y-%m-%d}",
                                  f"SOP meminta persetujuan pada minggu ke-4 bulan sebelumnya ({lo:%d-%m} s.d. "
                                  f"{hi:%d-%m-%Y}); persetujuan diberikan {day:%d-%m-%Y}."))
        return out

    def periods(self, plan: ContentPlan) -> list[dict[str, Any]]:
        """Each visit of a plan step against its time standard (working time where the office counts it)."""
        now = self.env.clock()
        sop = self.sop_of(plan)
        out = []
        for p in self.s.execute(select(StepPeriod).where(StepPeriod.subject_type == "plan",
                                                         StepPeriod.subject_id == plan.id)
                                .order_by(StepPeriod.id)).scalars():
            try:
                step = sop.step(p.step_id)
                label, standard = step.label, step.time_standard
            except KeyError:
                label, standard = p.step_id, ""
            end = p.completed_at or now
            late = p.due_at is not None and end > p.due_at
            out.append({"step": p.step_id, "label": label, "role": p.role, "time_standard": standard,
                        "entered_at": self.env.local_iso(p.entered_at), "due_at": self.env.local_iso(p.due_at),
                        "completed_at": self.env.local_iso(p.completed_at), "outcome": p.outcome,
                        "took_minutes": round(self.env.calendar.elapsed(p.entered_at, end).total_seconds() / 60, 1),
                        "within_standard": not late})
        return out

    def _contents(self, plan: ContentPlan) -> dict[int, Content]:
        ids = [i.content_id for i in plan.items if i.content_id is not None]
        if not ids:
            return {}
        return {c.id: c for c in self.s.execute(select(Content).where(Content.id.in_(ids))).scalars()}

    def _item_view(self, i: PlanItem, content: Content | None) -> dict[str, Any]:
        return {"id": i.id, "activity": i.activity, "date": i.activity_date.isoformat(), "unit": i.unit,
                "unit_label": self.env.sops.role_label(i.unit) if i.unit in self.env.sops.roles else i.unit,
                "channels": list(i.channels), "owner": i.owner.name, "note": i.note, "content_id": i.content_id,
                "due_on": i.activity_date.isoformat(),
                "content_status": content.status if content is not None else None,
                "state": item_state(content.status if content is not None else None, False)}

    def history(self, plan: ContentPlan) -> list[dict[str, Any]]:
        return [{"seq": e.seq, "at": self.env.local_iso(e.at), "actor": e.actor, "role": e.role, "action": e.action,
                 "step": e.data.get("step"), "note": e.note, "version_hash": e.version_hash, "data": e.data}
                for e in audit.entries(self.s, subject_type="plan", subject_id=str(plan.id))]

