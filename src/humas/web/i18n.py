"""Indonesian first, English available: Indonesian text is the message key, :data:`EN` translates it.

SOP role names and step labels stay Indonesian in both languages (they are the SOP's own words). A unit test
checks that every ``_("…")`` in the templates and pages has an English entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

LANGUAGES = ("id", "en")

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
}

EN: dict[str, str] = {
    # layout and navigation
    "Beranda": "Home", "Konten": "Content", "Persetujuan": "Approvals", "Kalender": "Calendar", "Antrian": "Queue",
    "Komentar": "Comments", "Eskalasi": "Escalations", "Laporan": "Reports", "Register": "Register",
    "Admin": "Admin", "Akun": "Account", "Keluar": "Sign out", "Masuk": "Sign in", "Menu": "Menu",
    "Bahasa": "Language", "Lewati ke isi": "Skip to content",
    # statuses
    "Draf": "Draft", "Ditinjau": "In review", "Disetujui": "Approved", "Terjadwal": "Scheduled",
    "Terbit": "Published", "Dibatalkan": "Cancelled", "Diambil": "Claimed", "Mengirim": "Sending",
    "Menunggu ulang": "Waiting to retry", "Gagal": "Failed", "Diragukan": "In doubt", "Terbuka": "Open",
    "Draf balasan": "Reply drafted", "Ditolak": "Rejected", "Balasan terkirim": "Reply posted",
    "Diabaikan": "Dismissed", "Disembunyikan": "Hidden", "Negatif": "Negative", "Netral": "Neutral",
    "Positif": "Positive",
    # login and account
    "Nama pengguna": "User name", "Kata sandi": "Password",
    "Nama pengguna atau kata sandi salah.": "Wrong user name or password.",
    "Terlalu banyak percobaan gagal. Coba lagi dalam {n} menit.":
        "Too many failed attempts. Try again in {n} minutes.",
    "Ganti kata sandi": "Change password", "Kata sandi saat ini": "Current password",
    "Kata sandi baru": "New password", "Ulangi kata sandi baru": "Repeat the new password",
    "Kata sandi saat ini salah.": "The current password is wrong.",
    "Kata sandi baru dan konfirmasinya berbeda.": "The new password and its confirmation differ.",
    "Kata sandi baru harus berbeda dari yang lama.": "The new password must differ from the old one.",
    "Kata sandi minimal {n} karakter dan bukan nama pengguna.":
        "The password needs at least {n} characters and must not be the user name.",
    "Kata sandi diganti.": "Password changed.",
    "Anda harus mengganti kata sandi sekali pakai sebelum melanjutkan.":
        "You must replace the one-time password before you continue.",
    "Token API pribadi": "Personal API tokens", "Nama token": "Token name", "Buat token": "Create token",
    "Cabut": "Revoke", "Token dicabut.": "Token revoked.", "Dibuat": "Created", "Terakhir dipakai": "Last used",
    "Dicabut": "Revoked", "Aktif": "Active",
    "Salin token ini sekarang; token tidak akan ditampilkan lagi.":
        "Copy this token now; it will not be shown again.",
    "Sesi aktif": "Active sessions", "Masuk pada": "Signed in at", "Terakhir aktif": "Last active",
    "Peramban": "Browser", "Alamat": "Address", "Sesi ini": "This session", "Akhiri": "End",
    "Akhiri semua sesi lain": "End all other sessions", "Sesi lain diakhiri: {n}.": "Other sessions ended: {n}.",
    "Sesi diakhiri.": "Session ended.",
    "Sesi berakhir saat keluar, setelah {idle} menit tanpa aktivitas, atau {hours} jam setelah masuk.":
        "A session ends at sign-out, after {idle} minutes without activity, or {hours} hours after sign-in.",
    "Pemakaian: header Authorization: Bearer TOKEN pada /api/v1. Skema OpenAPI: /openapi.json.":
        "Use: header Authorization: Bearer TOKEN on /api/v1. OpenAPI schema: /openapi.json.",
    "Peran": "Roles", "Profil": "Profile", "Simpan": "Save", "Batal": "Cancel", "Kembali": "Back",
    # errors
    "Terjadi kesalahan": "Something went wrong", "Tidak diizinkan": "Not allowed", "Tidak ditemukan": "Not found",
    "Permintaan tidak valid": "Invalid request", "Konflik status": "Not possible in this state",
    "Silakan masuk": "Please sign in",
    # home
    "Langkah SOP yang menunggu saya": "SOP steps waiting for me", "Terlambat": "Overdue",
    "Kasus terbuka": "Open cases", "Unggahan gagal": "Failed posts", "Sisa waktu": "Time left",
    "terlambat {d}": "{d} overdue", "Tidak ada.": "Nothing.", "Langkah": "Step", "Judul": "Title",
    "Harus bertindak": "Must act", "tanpa batas waktu": "no time standard", "Lihat": "Open",
    # content
    "Konten baru": "New content", "Buat": "Create", "Ubah": "Edit", "Status": "Status", "SOP": "SOP",
    "Versi": "Version", "Diperbarui": "Updated", "Semua": "All", "Filter": "Filter", "Narasi": "Narrative",
    "Caption": "Caption", "Caption per platform": "Caption per platform", "Media": "Media",
    "Akun tujuan": "Target accounts", "Informasi kegiatan": "Activity information",
    "Lokasi kegiatan": "Activity location", "Kondisi": "Conditions", "Pembuat": "Author",
    "Pratinjau per platform": "Preview per platform", "Tidak ada masalah.": "No problems.",
    "Kelengkapan langkah ini": "Requirements of this step", "Lengkap.": "Complete.",
    "Kirim": "Submit", "Setujui": "Approve", "Tolak": "Reject", "Catatan": "Note", "Batalkan konten": "Cancel content",
    "Riwayat": "History", "Waktu": "Time", "Pelaku": "Actor", "Aksi": "Action",
    "Tambah media (foto/video)": "Add media (photos/videos)", "Pertahankan": "Keep",
    "Persetujuan yang berlaku": "Valid approvals", "versi ini": "this version", "versi lama": "older version",
    "Jadwalkan": "Schedule", "Waktu terbit": "Publish at", "contoh: 01-12-2026 14:00": "e.g. 01-12-2026 14:00",
    "Zona waktu kantor: {tz}": "Office time zone: {tz}", "Sekarang": "Now",
    "Konten dibuat.": "Content created.", "Konten disimpan.": "Content saved.", "Konten dikirim.": "Content submitted.",
    "Konten disetujui.": "Content approved.", "Konten ditolak.": "Content rejected.",
    "Konten dibatalkan.": "Content cancelled.", "Dijadwalkan: {n} unggahan.": "Scheduled: {n} posts.",
    "karakter": "characters", "Langkah saat ini": "Current step", "Tenggat": "Due",
    "Unggahan": "Posts", "Tidak ada akun tujuan.": "No target accounts.",
    "Penghitung karakter ini perkiraan; pemeriksaan server yang menentukan.":
        "This character counter is an estimate; the server check decides.",
    # approvals
    "Menunggu persetujuan saya": "Waiting for my approval", "Perubahan sejak versi disetujui terakhir":
        "Changes since the last approved version",
    "Belum pernah disetujui; dibandingkan dengan versi pertama.":
        "Never approved yet; compared with the first version.",
    "Tidak ada perubahan sejak persetujuan terakhir.": "No changes since the last approval.",
    "Catatan wajib saat menolak.": "A note is required to reject.",
    "dibandingkan dengan versi {v}": "compared with version {v}",
    "Anda menulis versi ini, jadi orang lain yang harus menyetujui langkah \u201c{step}\u201d "
    "(SOP ini memisahkan penulis dan penyetuju).":
        "You wrote this version, so another person must approve the step \u201c{step}\u201d "
        "(this SOP separates writers and approvers).",
    "Anda sudah menyetujui langkah \u201c{earlier}\u201d untuk versi ini, jadi orang lain yang harus "
    "menyetujui langkah \u201c{step}\u201d (SOP ini memisahkan penyetuju).":
        "You already approved the step \u201c{earlier}\u201d of this version, so another person must approve "
        "the step \u201c{step}\u201d (this SOP separates approvers).",
    # queue and calendar
    "Platform": "Platform", "Percobaan": "Attempts", "Kesalahan": "Error",
    "Tautan": "Link", "Ulangi": "Retry", "Batalkan": "Cancel", "Jadwal": "Scheduled at",
    "Pekerjaan diulang.": "Job retried.", "Pekerjaan dibatalkan.": "Job cancelled.",
    "Bulan": "Month", "Minggu": "Week", "Sebelumnya": "Previous", "Berikutnya": "Next", "Hari ini": "Today",
    "Sen": "Mon", "Sel": "Tue", "Rab": "Wed", "Kam": "Thu", "Jum": "Fri", "Sab": "Sat", "Min": "Sun",
    "Antrian belum tersedia di instalasi ini.": "The queue is not available in this installation.",
    # comments and cases
    "Sentimen": "Sentiment", "Penulis": "Author", "Kasus": "Case", "Utas": "Thread", "Alasan": "Reason",
    "Dibuka": "Opened", "Draf jawaban": "Draft reply", "Simpan draf": "Save draft",
    "Setujui balasan": "Approve reply", "Tolak balasan": "Reject reply", "Abaikan": "Dismiss",
    "Sembunyikan komentar": "Hide comment", "Koreksi sentimen": "Correct sentiment",
    "Hanya yang ditandai": "Flagged only", "Unggahan asal": "Original post", "Balasan kami": "Our reply",
    "Aksi kasus tersimpan.": "Case action saved.",
    "Modul eskalasi belum tersedia di instalasi ini.": "The escalation module is not available in this installation.",
    # reports
    "Komentar per sentimen": "Comments by sentiment", "Waktu tanggap": "Response times",
    "Sesuai standar": "Within standard", "Rata-rata": "Average", "Standar": "Standard", "Jumlah": "Count",
    "Unduh CSV": "Download CSV", "Unggahan per akun": "Posts per account",
    "Minggu {w}": "Week {w}",
    # register
    "Subjek": "Subject", "Periksa rantai": "Verify chain", "Register utuh: {n} entri.": "Register intact: {n} entries.",
    "Register tidak utuh ({n} temuan):": "Register not intact ({n} findings):",
    "Semua aksi": "All actions",
    # admin
    "Pengguna": "Users", "Tambah pengguna": "Add user", "Nama tampilan": "Display name",
    "Atur peran": "Set roles", "Reset kata sandi": "Reset password", "Nonaktifkan": "Deactivate",
    "Aktifkan": "Activate", "Akun platform": "Platform accounts", "Token": "Token",
    "Kedaluwarsa": "Expires", "Periksa": "Check", "Pemeriksaan terakhir": "Last check",
    "Kredensial": "Credentials", "Dijeda": "Paused", "Pengguna ditambahkan.": "User added.",
    "Peran disimpan.": "Roles saved.",
    "Kata sandi sekali pakai untuk {name}: {password} (catat sekarang; tidak ditampilkan lagi)":
        "One-time password for {name}: {password} (note it now; it will not be shown again)",
    "Status pengguna disimpan.": "User status saved.", "Pemeriksaan akun: {detail}": "Account check: {detail}",
    # review list and questions
    "Perlu ditinjau": "To review", "Menunggu": "Waiting", "Pilih": "Select", "Peluang negatif": "Chance negative",
    "Tindakan": "Action", "Bukan negatif": "Not negative", "Halaman": "Pages", "Pertanyaan": "Questions",
    "Konfirmasi negatif (terpilih)": "Confirm negative (selected)",
    "Bukan negatif (terpilih)": "Not negative (selected)",
    "Komentar yang belum pasti negatif. Konfirmasi membuka kasus; bukan negatif menutupnya. Setiap pilihan menjadi "
    "bahan belajar model.": "Comments that may be negative. Confirming opens a case; not negative closes it. Every "
    "choice teaches the model.",
    "Pilih tindakan: negatif atau bukan negatif.": "Choose an action: negative or not negative.",
    "Pilih minimal satu komentar.": "Select at least one comment.",
    "{n} komentar dikonfirmasi negatif; kasus dibuka.": "{n} comments confirmed negative; cases opened.",
    "{n} komentar ditandai bukan negatif.": "{n} comments marked not negative.",
}


def translator(lang: str) -> Callable[..., str]:
    """``_(text, **values)``: ``text`` (Indonesian) in ``lang``, with ``{name}`` placeholders filled."""
    table = EN if lang == "en" else None

    def _(text: str, **values: Any) -> str:
        out = table.get(text, text) if table is not None else text
        return out.format(**values) if values else out

    return _

EN.update({  # the register's action labels
    "Konten dibuat": "Content created",
    "Konten diubah": "Content edited",
    "Diajukan": "Submitted",
    "Disetujui": "Approved",
    "Ditolak": "Rejected",
    "Dikembalikan": "Returned",
    "Dibatalkan": "Cancelled",
    "Dijadwalkan": "Scheduled",
    "Jadwal dibatalkan": "Unscheduled",
    "Terbit": "Published",
    "Terbit di platform": "Published on the platform",
    "Gagal diposting": "Posting failed",
    "Dikirim ulang": "Retried",
    "Dijadwalkan ulang": "Rescheduled",
    "Pengiriman dibatalkan": "Posting cancelled",
    "Kasus dibuka": "Case opened",
    "Draf balasan ditulis": "Reply drafted",
    "Draf balasan diperbaiki": "Reply redrafted",
    "Balasan disetujui": "Reply approved",
    "Balasan ditolak": "Reply rejected",
    "Kasus diabaikan": "Case dismissed",
    "Komentar disembunyikan": "Comment hidden",
    "Sentimen dikoreksi": "Sentiment corrected",
    "Balasan terkirim": "Reply posted",
    "Balasan gagal diposting": "Reply failed",
    "Dijawab langsung": "Answered directly",
    "Gagal disembunyikan otomatis": "Automatic hiding failed",
    "Balasan terbit di platform": "Reply published on the platform",
    "Dikonfirmasi negatif": "Confirmed negative",
    "Bukan negatif": "Not negative",
    "Model sentimen baru dipakai": "New sentiment model deployed",
    "Model sentimen baru ditolak": "New sentiment model refused",
    "Akun dijeda": "Account paused",
    "Akun dilanjutkan": "Account resumed",
    "Pengguna ditambahkan": "User added",
    "Admin pertama dibuat": "First admin created",
    "Pengguna diaktifkan": "User activated",
    "Pengguna dinonaktifkan": "User deactivated",
    "Peran diubah": "Roles changed",
    "Kata sandi diganti": "Password changed",
    "Kata sandi direset": "Password reset",
    "Sesi diakhiri": "Sessions ended",
    "Token API dibuat": "API token created",
    "Token API dicabut": "API token revoked",
    "Basis data dipulihkan": "Database restored",
})


def action_text(code: str) -> str:
    """The Indonesian label of an audit action code (translate it with ``_``); an unknown code is shown as is."""
    return ACTION.get(code, code)


def status_text(code: str | None) -> str:
    """The Indonesian label of a status code (translate it with ``_``)."""
    if code is None:
        return "—"
    return STATUS.get(code, code)
