"""The plan's messages (Indonesian: people read them). Sent after the transaction that made the change commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, tzinfo

from humas.notify import Notifier, excerpt
from humas.sop.model import Step
from humas.sop.registry import SopRegistry

log = logging.getLogger("humas.notify")

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")
WEEKDAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def month_name(month: str) -> str:
    """``2026-12`` as ``Desember 2026``."""
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def day_text(d: date) -> str:
    """``Rabu, 18-11-2026``."""
    return f"{WEEKDAYS[d.weekday()]}, {d:%d-%m-%Y}"


def _show(plan_id: int) -> str:
    return f"\nLihat: humas plan show {plan_id} (halaman Rencana: /rencana/{plan_id})"


def invitation(notifier: Notifier, roles: Iterable[str], *, plan_id: int, month: str, sop_name: str, office: str,
               meeting_at: datetime, place: str, tz: tzinfo) -> int:
    """The meeting's invitation ("Undangan koordinasi Rapat Persiapan Materi"), to each role once; how many roles
    it reached."""
    local = meeting_at.astimezone(tz)
    head = f"Undangan rapat koordinasi rencana konten {month_name(month)}"
    body = (f"Rapat koordinasi pembahasan rencana konten website & media sosial bulan {month_name(month)} "
            f"({office}, SOP {sop_name}).\nWaktu: {day_text(local.date())} {local:%H:%M}\n"
            f"Tempat: {excerpt(place, 200) or '-'}\nBawa daftar kegiatan unit kerja Anda untuk bulan tersebut."
            + _show(plan_id))
    reached = 0
    for role in sorted(set(roles)):
        reached += bool(notifier.notify_role(role, head, body))
    return reached


def plan_step_pending(notifier: Notifier, sops: SopRegistry, tz: tzinfo, *, plan_id: int, month: str, step: Step,
                      due_at: datetime | None, note: str = "") -> bool:
    """The plan entered ``step``: tell the step's role (with the rejection's note when it came back)."""
    head = f"Menunggu {sops.role_label(step.role)}: rencana konten {month_name(month)}"
    body = f"Rencana konten {month_name(month)} (#{plan_id}) menunggu langkah: {step.label}."
    if note:
        body += f"\nCatatan: {excerpt(note, 400)}"
    if step.timed:
        body += f"\nMutu baku waktu: {step.time_standard}"
        if due_at is not None:
            body += f" (batas {due_at.astimezone(tz):%d-%m-%Y %H:%M})"
        body += "."
    return notifier.notify_role(step.role, head, body + _show(plan_id))
