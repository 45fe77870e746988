"""The daily recap of public responses (the SOP's "daftar respon dan jawaban"), Indonesian."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from humas.env import Env
from humas.errors import HumasError
from humas.escalation.cases import ResponsePath
from humas.escalation.notices import REASON_ID
from humas.notify import Notifier
from humas.sop.timing import overdue
from humas.store.models import Case, CaseStatus, Comment

STATUS_ID = {"open": "terbuka", "reply_drafted": "menunggu persetujuan", "approved": "menunggu diposting",
             "rejected": "ditolak, perlu draf ulang", "reply_posted": "sudah dijawab", "dismissed": "diabaikan",
             "hidden": "disembunyikan"}
LABEL_ID = {"negative": "negatif", "neutral": "netral", "positive": "positif"}


def recap_text(env: Env, now: datetime) -> str:
    """The recap of the local day that contains ``now``."""
    local = env.local(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)
    with env.db.session() as s:
        public = (Comment.is_own.is_(False), Comment.fetched_at >= start, Comment.fetched_at < end)
        labels = dict(s.execute(select(Comment.label, func.count()).where(*public).group_by(Comment.label)).all())
        per_account = s.execute(select(Comment.account, func.count()).where(*public).group_by(Comment.account)
                                .order_by(Comment.account)).all()
        opened = dict(s.execute(select(Case.reason, func.count())
                                .where(Case.opened_at >= start, Case.opened_at < end).group_by(Case.reason)).all())
        closed = dict(s.execute(select(Case.status, func.count())
                                .where(Case.closed_at >= start, Case.closed_at < end).group_by(Case.status)).all())
        waiting = dict(s.execute(select(Case.status, func.count())
                                 .where(Case.closed_at.is_(None),
                                        Case.status.in_([CaseStatus.OPEN, CaseStatus.REPLY_DRAFTED,
                                                         CaseStatus.REJECTED, CaseStatus.APPROVED]))
                                 .group_by(Case.status)).all())
        late = [o for o in overdue(s, env.sops, env.calendar, now) if o.period.subject_type == "case"]
        to_review = s.execute(select(func.count()).select_from(Comment)
                              .where(Comment.tier == "review", Comment.reviewed_at.is_(None))).scalar_one()
        questions = s.execute(select(func.count()).select_from(Comment)
                              .outerjoin(Case, Case.comment_id == Comment.id)
                              .where(Comment.tier == "question", Case.id.is_(None),
                                     Comment.deleted.is_(False))).scalar_one()
    total = sum(labels.values())
    lines = [f"Rekap respons publik {local:%d-%m-%Y} (sampai pukul {local:%H:%M})", ""]
    parts = [f"{LABEL_ID.get(k, k)} {labels[k]}" for k in ("negative", "neutral", "positive") if labels.get(k)]
    if labels.get(None):
        parts.append(f"belum diklasifikasi {labels[None]}")
    lines.append(f"Komentar masuk: {total}" + (f" ({', '.join(parts)})" if parts else ""))
    for account, n in per_account:
        lines.append(f"  - {account}: {n}")
    opened_n = sum(opened.values())
    detail = ", ".join(f"{REASON_ID.get(k, k)} {v}" for k, v in sorted(opened.items()))
    lines.append(f"Kasus baru: {opened_n}" + (f" ({detail})" if detail else ""))
    lines.append(f"Jawaban terposting: {closed.get(CaseStatus.REPLY_POSTED, 0)}")
    lines.append(f"Ditutup tanpa jawaban: diabaikan {closed.get(CaseStatus.DISMISSED, 0)}, "
                 f"disembunyikan {closed.get(CaseStatus.HIDDEN, 0)}")
    pending = ", ".join(f"{STATUS_ID[k]} {waiting[k]}" for k in ("open", "reply_drafted", "rejected", "approved")
                        if waiting.get(k))
    lines.append(f"Masih menunggu: {pending or 'tidak ada'}")
    lines.append(f"Melewati mutu baku waktu: {len(late)} kasus")
    lines.append(f"Perlu ditinjau Redaktur: {to_review} komentar; pertanyaan belum dijawab: {questions}")
    return "\n".join(lines)


def daily_recap(env: Env, notifier: Notifier, now: datetime | None = None, *, send: bool = True) -> str:
    """The day's recap, sent to the default SOP's response and escalation roles and to the admins; returns it."""
    now = now or env.clock()
    text = recap_text(env, now)
    if send:
        title = f"Rekap respons publik {env.local(now):%d-%m-%Y}"
        try:
            path = ResponsePath.of(env.sops.get(env.settings.default_sop))
            roles = list(dict.fromkeys((path.escalation_role, path.response_role)))
        except HumasError:
            roles = []
        for role in roles:
            notifier.notify_role(role, title, text)
        notifier.notify_admins(title, text)
    return text
