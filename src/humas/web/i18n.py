"""Indonesian first, English available: Indonesian text is the message key, the ``ui`` catalog
(``locale/en/LC_MESSAGES/ui.po``, :mod:`humas.web.catalog`) translates it; the domain layer's English messages reach
Indonesian readers through the ``errors`` catalog (:func:`error_text`).

SOP role names and step labels stay Indonesian in both languages (they are the SOP's own words). Unit tests check
that every ``_("…")`` in the templates and pages, every status and action label and every raised domain message has
its translation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from humas.errors import HumasError
from humas.web import catalog

if TYPE_CHECKING:
    from humas.reports.printable import Words

LANGUAGES = ("id", "en")
#: Indonesian UI text -> English, as the ``ui`` catalog has it
EN: Mapping[str, str] = catalog.ui("en")

STATUS = {
    # content
    "draft": "Draf", "in_review": "Ditinjau", "approved": "Disetujui", "scheduled": "Terjadwal",
    "published": "Terbit", "cancelled": "Dibatalkan",
    # jobs
    "claimed": "Diambil", "sending": "Mengirim", "retry_wait": "Menunggu ulang", "failed": "Gagal",
    "in_doubt": "Diragukan",
    # cases
    "open": "Terbuka", "reply_drafted": "Draf balasan", "rejected": "Ditolak", "reply_posted": "Balasan terkirim",
    "dismissed": "Diabaikan", "hidden": "Disembunyikan",
    # sentiment
    "negative": "Negatif", "neutral": "Netral", "positive": "Positif",
}

#: labels of the audit register's action codes (the code itself stays in exports and the API)
ACTION = {
    "content.created": "Konten dibuat",
    "media.added": "Media ditambahkan ke pustaka",
    "cadence.reminded": "Pengingat ritme publikasi",
    "content.edited": "Konten diubah",
    "content.submitted": "Diajukan",
    "content.approved": "Disetujui",
    "content.rejected": "Ditolak",
    "content.returned": "Dikembalikan",
    "content.cancelled": "Dibatalkan",
    "content.scheduled": "Dijadwalkan",
    "content.unscheduled": "Jadwal dibatalkan",
    "content.published": "Terbit",
    "job.published": "Terbit di platform",
    "job.failed": "Gagal diposting",
    "job.retried": "Dikirim ulang",
    "job.rescheduled": "Dijadwalkan ulang",
    "job.cancelled": "Pengiriman dibatalkan",
    "case.opened": "Kasus dibuka",
    "case.drafted": "Draf balasan ditulis",
    "case.redrafted": "Draf balasan diperbaiki",
    "case.approved": "Balasan disetujui",
    "case.rejected": "Balasan ditolak",
    "case.dismissed": "Kasus diabaikan",
    "case.hidden": "Komentar disembunyikan",
    "case.relabelled": "Sentimen dikoreksi",
    "case.reply_posted": "Balasan terkirim",
    "case.reply_failed": "Balasan gagal diposting",
    "case.direct_reply": "Dijawab langsung",
    "case.auto_hide_failed": "Gagal disembunyikan otomatis",
    "reply.published": "Balasan terbit di platform",
    "comment.relabelled": "Sentimen dikoreksi",
    "comment.review_confirmed": "Dikonfirmasi negatif",
    "comment.review_dismissed": "Bukan negatif",
    "sentiment.model_deployed": "Model sentimen baru dipakai",
    "sentiment.model_refused": "Model sentimen baru ditolak",
    "account.paused": "Akun dijeda",
    "account.resumed": "Akun dilanjutkan",
    "account.connected": "Akun platform dihubungkan",
    "account.disconnected": "Akun platform diputuskan",
    "secrets.key_rotated": "Kunci enkripsi rahasia diganti",
    "user.added": "Pengguna ditambahkan",
    "user.first_admin": "Admin pertama dibuat",
    "user.activated": "Pengguna diaktifkan",
    "user.deactivated": "Pengguna dinonaktifkan",
    "user.roles": "Peran diubah",
    "user.password_changed": "Kata sandi diganti",
    "user.password_reset": "Kata sandi direset",
    "user.sessions_ended": "Sesi diakhiri",
    "token.created": "Token API dibuat",
    "token.revoked": "Token API dicabut",
    "db.restored": "Basis data dipulihkan",
    "equipment.added": "Alat ditambahkan",
    "equipment.edited": "Alat diubah",
    "equipment.retired": "Alat tidak dipakai lagi",
    "inventory.started": "Inventarisasi dimulai",
    "inventory.assigned": "Inventarisasi ditugaskan",
    "inventory.item_checked": "Alat diperiksa",
    "inventory.checked": "Semua alat diperiksa",
    "inventory.finished": "Inventarisasi selesai dan dilaporkan",
    "inventory.cancelled": "Inventarisasi dibatalkan",
    "agenda.added": "Agenda pimpinan dicatat",
    "agenda.assigned": "Staf dokumentasi ditugaskan",
    "agenda.checked_out": "Alat dipinjam",
    "agenda.returned": "Alat dikembalikan",
    "agenda.content_opened": "Konten dibuka dari agenda",
    "agenda.cancelled": "Agenda dibatalkan",
    "record.printed": "Arsip dicetak/diekspor",
    # the monthly content plan (humas.planning)
    "plan.created": "Rencana dibuat",
    "plan.meeting_set": "Rapat koordinasi dijadwalkan",
    "plan.item_added": "Kegiatan ditambahkan ke rencana",
    "plan.item_edited": "Kegiatan rencana diubah",
    "plan.item_removed": "Kegiatan dihapus dari rencana",
    "plan.submitted": "Rencana diajukan",
    "plan.approved": "Rencana disetujui",
    "plan.rejected": "Rencana dikembalikan",
    "plan.drafts_created": "Draf konten dari rencana dibuat",
    "plan.content_created": "Dibuat dari rencana konten",
}


def translator(lang: str) -> Callable[..., str]:
    """``_(text, **values)``: ``text`` (Indonesian) in ``lang``, with ``{name}`` placeholders filled."""
    table = EN if lang == "en" else None

    def _(text: str, **values: Any) -> str:
        out = table.get(text, text) if table is not None else text
        return out.format(**values) if values else out

    return _


def document_words(lang: str) -> Words:
    """The words of the printable records (approval sheets, the register) in ``lang``."""
    from humas.reports.printable import Words

    tr = translator(lang)
    return Words(lang=lang if lang in LANGUAGES else "id", t=tr, action=lambda code: tr(action_text(code)),
                 status=status_text)


def action_text(code: str) -> str:
    """The Indonesian label of an audit action code (translate it with ``_``); an unknown code is shown as is."""
    return ACTION.get(code, code)


def status_text(code: str | None) -> str:
    """The Indonesian label of a status code (translate it with ``_``)."""
    if code is None:
        return "—"
    return STATUS.get(code, code)


def said(exc: HumasError, lang: str) -> str:
    """What went wrong, in ``lang``: the error's own Indonesian where it carries one (``indonesian``, a refusal of a
    rule or a service), else its message through the ``errors`` catalog."""
    indonesian = getattr(exc, "indonesian", None)
    if lang == "id" and isinstance(indonesian, str):
        return indonesian
    return error_text(exc.message, lang)


def error_text(message: str, lang: str) -> str:
    """A message of the domain layer (English) as a reader of ``lang`` sees it on a page."""
    return catalog.error(message, lang)
