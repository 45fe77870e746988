"""``humas audit verify``: the register checked three ways, each finding named.

1. **The chain**: every entry links to the one before it and matches its own hash (an edit, a deletion in the
   middle or a reordering breaks it).
2. **The anchor**: the entry named by this instance's signed checkpoint (:mod:`humas.store.anchor`) must still be
   there with the same hash; so deleting the newest entries, wiping the register or rewriting entries and
   recomputing every later hash is found, up to the last checkpoint.
3. **The facts**: what the other tables record must have its entries: every content its ``content.created``, its
   approvals and rejections as many ``content.approved`` / ``content.rejected``, every case an entry, every
   published job its ``job.published`` / ``reply.published``. A register emptied while approved content exists
   is found even without a checkpoint.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from humas.store.anchor import Anchor, AnchorInvalid, Checkpoint
from humas.store.audit import GENESIS, entry_hash
from humas.store.models import AuditEntry, Case, Content, Decision, JobState, PublicationJob

SHOWN = 5  # ids named in one finding; the rest are counted


@dataclass
class RegisterReport:
    checked: int = 0
    head_seq: int = 0
    first_bad_seq: int | None = None
    anchored: Checkpoint | None = None
    findings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def reason(self) -> str:
        return self.findings[0] if self.findings else ""

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "checked": self.checked, "first_bad_seq": self.first_bad_seq, "reason": self.reason,
                "findings": list(self.findings), "head_seq": self.head_seq,
                "anchored_seq": self.anchored.seq if self.anchored else None}


def _ids(values: Iterable[object]) -> str:
    items = sorted(values, key=lambda v: (len(str(v)), str(v)))
    shown = ", ".join(str(v) for v in items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")


def verify_register(session: Session, anchor: Anchor | None = None) -> RegisterReport:
    """Check the chain, the anchor (when given) and the facts; read-only."""
    report = RegisterReport()
    try:
        checkpoint = anchor.load() if anchor is not None else None
    except AnchorInvalid as exc:
        checkpoint = None
        report.findings.append(exc.message)
    report.anchored = checkpoint
    seen: Counter[tuple[str, str, str]] = Counter()
    anchored_hash: str | None = None
    prev, expected = GENESIS, 1
    rows = session.execute(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=1000))
    for e in rows.scalars():
        report.checked += 1
        report.head_seq = e.seq
        seen[(e.subject_type, e.subject_id, e.action)] += 1
        if checkpoint is not None and e.seq == checkpoint.seq:
            anchored_hash = e.hash
        if report.first_bad_seq is None:
            problem = ""
            if e.seq != expected:
                problem = f"entry {expected} is missing"
            elif e.prev_hash != prev:
                problem = "the link to the previous entry is broken"
            elif entry_hash(prev, e) != e.hash:
                problem = "the entry's content does not match its hash"
            if problem:
                report.first_bad_seq = e.seq
                report.findings.append(f"the chain breaks at entry {e.seq}: {problem}")
        prev, expected = e.hash, e.seq + 1
    if checkpoint is not None:
        if report.head_seq < checkpoint.seq:
            missing = f"entries {report.head_seq + 1} to {checkpoint.seq}" if report.head_seq + 1 < checkpoint.seq \
                else f"entry {checkpoint.seq}"
            report.findings.append(
                f"the register was cut short: it ends at entry {report.head_seq} but was anchored at entry "
                f"{checkpoint.seq} on {checkpoint.at:%Y-%m-%d %H:%M} UTC; {missing} are gone")
        elif anchored_hash != checkpoint.hash:
            report.findings.append(
                f"the register was rewritten: entry {checkpoint.seq} no longer matches its signed checkpoint "
                f"(entries up to {checkpoint.seq} were changed and the later hashes recomputed)")
    report.findings += missing_entries(session, seen)
    return report


def missing_entries(session: Session, seen: Counter[tuple[str, str, str]]) -> list[str]:
    """What the other tables record without the register entries it must have."""
    out: list[str] = []
    contents = [str(i) for i in session.execute(select(Content.id)).scalars()]
    lacking = [c for c in contents if not seen[("content", c, "content.created")]]
    if lacking:
        out.append(f"content {_ids(lacking)} exists but its creation is not in the register")
    for outcome, action in (("approved", "content.approved"), ("rejected", "content.rejected")):
        counts = session.execute(select(Decision.content_id, func.count()).where(Decision.outcome == outcome)
                                 .group_by(Decision.content_id)).all()
        lacking = [str(cid) for cid, n in counts if seen[("content", str(cid), action)] < n]
        if lacking:
            out.append(f"content {_ids(lacking)} has recorded {outcome} decisions missing from the register")
    cased = {sid for (stype, sid, _action) in seen if stype == "case"}
    lacking = [str(i) for i in session.execute(select(Case.id)).scalars() if str(i) not in cased]
    if lacking:
        out.append(f"case {_ids(lacking)} exists but has no register entry")
    published = session.execute(select(PublicationJob.id, PublicationJob.kind)
                                .where(PublicationJob.state == JobState.PUBLISHED)).all()
    lacking = [str(jid) for jid, kind in published
               if not seen[("job", str(jid), "job.published" if kind == "post" else "reply.published")]]
    if lacking:
        out.append(f"published job {_ids(lacking)} is missing from the register")
    return out
