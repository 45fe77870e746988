"""Escalation's messages (Indonesian: people read them)."""

from __future__ import annotations

from humas.escalation.cases import ResponsePath
from humas.escalation.triage import OpenedCase
from humas.notify import Notifier, excerpt
from humas.sop.registry import SopRegistry
from humas.store.models import Case

REASON_ID = {"negative": "negatif", "abusive": "berisi kata kasar", "needs_answer": "perlu jawaban",
             "direct": "dijawab langsung"}


def case_opened(notifier: Notifier, sops: SopRegistry, oc: OpenedCase, *, auto_hide: bool) -> bool:
    """A new case for the escalation role."""
    reason = REASON_ID.get(oc.reason, oc.reason)
    title = f"Kasus baru #{oc.case_id}: komentar {reason} di {oc.account}"
    body = (f"Komentar dari {oc.author or 'warga'} pada unggahan {oc.post_url or oc.post_remote_id}:\n"
            f"\"{excerpt(oc.text)}\"\n\n"
            f"Tim sosial media menyiapkan jawaban (humas cases draft {oc.case_id}); jawaban diposting setelah "
            f"disetujui ({sops.role_label(oc.role)}).")
    if oc.abusive and auto_hide:
        body += "\nKomentar berisi kata kasar: humas mencoba menyembunyikannya otomatis."
    return notifier.notify_role(oc.role, title, body)


def reply_failed(notifier: Notifier, path: ResponsePath, case: Case, job_id: int, error: str, *,
                 rejected: bool = False) -> None:
    """An approved reply could not be posted: the response and escalation roles are told what to do next, which
    differs when the platform refused the reply itself (``rejected``: a retry cannot help)."""
    title = f"Balasan kasus #{case.id} gagal diposting"
    body = (f"Balasan yang sudah disetujui untuk komentar di akun {case.comment.account} gagal diposting.\n"
            f"Alasan: {error}\n")
    if rejected:
        body += (f"Platform menolak balasan ini, jadi mengirim ulang tidak akan berhasil. Bila perlu, balas langsung "
                 f"di platform, lalu tutup kasus dengan: humas cases dismiss {case.id} --reason \"dibalas manual\"")
    else:
        body += f"Periksa job {job_id} lalu kirim ulang dengan: humas queue retry {job_id}"
    for role in dict.fromkeys((path.response_role, path.escalation_role)):
        notifier.notify_role(role, title, body)
