"""Notifications through apprise: new cases, pending SOP steps, overdue steps, the daily recap.

Targets come from ``[notify]``: ``admins`` and ``[[notify.targets]]`` (``role`` + apprise ``urls``), every URL a
:class:`~humas.config.Secret` (``"env:NAME"``) revealed only when sending. Texts are Indonesian (people read them).
Delivery problems are logged with masked URLs and never raised into the caller: a notification must not undo or
stop the work it reports on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from humas.app import App
from humas.config import Secret
from humas.errors import HumasError
from humas.store.models import Case, CaseStatus, Comment, Content
from humas.workflow.sop import Step

if TYPE_CHECKING:
    from humas.escalation.pipeline import OpenedCase

log = logging.getLogger("humas.notify")

#: ``(urls, title, body) -> delivered``; the default sends through apprise.
Sender = Callable[[Sequence[str], str, str], bool]

REASON_ID = {"negative": "negatif", "abusive": "berisi kata kasar", "needs_answer": "perlu jawaban",
             "direct": "dijawab langsung"}
STATUS_ID = {"open": "terbuka", "reply_drafted": "menunggu persetujuan", "approved": "menunggu diposting",
             "rejected": "ditolak, perlu draf ulang", "reply_posted": "sudah dijawab", "dismissed": "diabaikan",
             "hidden": "disembunyikan"}
LABEL_ID = {"negative": "negatif", "neutral": "netral", "positive": "positif"}
EXCERPT = 280


def mask(url: str) -> str:
    """The URL as apprise prints it with privacy on (passwords and tokens starred); never the raw URL."""
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(url)
        if plugin is not None:
            return str(plugin.url(privacy=True))  # type: ignore[no-untyped-call]
    except Exception:  # masking must never fail the caller
        pass
    scheme = url.split("://", 1)[0] if "://" in url else "?"
    return f"{scheme}://****"


def apprise_send(urls: Sequence[str], title: str, body: str) -> bool:
    """Send through apprise to every URL; True when all of them accepted it."""
    import apprise

    ap = apprise.Apprise()
    usable = 0
    for url in urls:
        if ap.add(url):
            usable += 1
        else:
            log.warning("notify: unusable apprise URL %s", mask(url))
    if not usable:
        return False
    return bool(ap.notify(title=title, body=body))


def excerpt(text: str, n: int = EXCERPT) -> str:
    one = " ".join(text.split())
    return one if len(one) <= n else one[: n - 1] + "…"


class Notifier:
    """Sends humas's notifications; every method returns whether anything was delivered and never raises."""

    def __init__(self, app: App, sender: Sender | None = None) -> None:
        self.app = app
        self.settings = app.settings.notify
        self.sender = sender or apprise_send

    # --- delivery -----------------------------------------------------------------------------------------------

    def _reveal(self, secrets: Iterable[Secret]) -> list[str]:
        urls: list[str] = []
        for secret in secrets:
            try:
                urls.append(secret.reveal())
            except HumasError as exc:  # names the variable, never a value
                log.warning("notify: %s", exc.message)
        return urls

    def _send(self, secrets: Sequence[Secret], title: str, body: str, who: str) -> bool:
        if not self.settings.enabled or not secrets:
            log.debug("notify: nobody to tell (%s): %s", who, title)
            return False
        urls = self._reveal(secrets)
        if not urls:
            return False
        try:
            delivered = self.sender(urls, title, body)
        except Exception as exc:  # a notification never breaks the caller; messages may hold URLs: type only
            log.warning("notify: sending to %s failed (%s) via %s", who, type(exc).__name__,
                        ", ".join(mask(u) for u in urls))
            return False
        if not delivered:
            log.warning("notify: delivery to %s failed via %s", who, ", ".join(mask(u) for u in urls))
        return delivered

    def targets(self, role: str) -> list[Secret]:
        return [url for t in self.settings.targets if t.role == role for url in t.urls]

    def notify_role(self, role: str, title: str, body: str) -> bool:
        """Tell everyone configured for ``role`` (``[[notify.targets]] role = ...``)."""
        return self._send(self.targets(role), title, body, f"role {role}")

    def notify_admins(self, title: str, body: str) -> bool:
        return self._send(list(self.settings.admins), title, body, "admins")

    # --- events -------------------------------------------------------------------------------------------------

    def case_opened(self, oc: OpenedCase) -> bool:
        """A new case for the escalation role."""
        reason = REASON_ID.get(oc.reason, oc.reason)
        title = f"Kasus baru #{oc.case_id}: komentar {reason} di {oc.account}"
        body = (f"Komentar dari {oc.author or 'warga'} pada unggahan {oc.post_url or oc.post_remote_id}:\n"
                f"\"{excerpt(oc.text)}\"\n\n"
                f"Tim sosial media menyiapkan jawaban (humas cases draft {oc.case_id}); jawaban diposting setelah "
                f"disetujui ({self.app.sops.role_label(oc.role)}).")
        if oc.abusive and self.app.settings.sentiment.auto_hide_abusive:
            body += "\nKomentar berisi kata kasar: humas mencoba menyembunyikannya otomatis."
        return self.notify_role(oc.role, title, body)

    def step_pending(self, content_id: int, step: str | Step, *, title: str | None = None,
                     sop_id: str | None = None, due_at: datetime | None = None) -> bool:
        """Content entered ``step``: tell the step's role. Call after the transaction that moved it committed
        (or pass ``title`` and ``sop_id``, then nothing is read from the database)."""
        try:
            if title is None or sop_id is None:
                with self.app.db.session() as s:
                    content = s.get(Content, content_id)
                    if content is None:
                        return False
                    title, sop_id = content.title, content.sop_id
            st = step if isinstance(step, Step) else self.app.sops.get(sop_id).step(step)
        except (HumasError, KeyError) as exc:
            log.warning("notify: step_pending(%s, %s): %s", content_id, step, exc)
            return False
        head = f"Menunggu {self.app.sops.role_label(st.role)}: konten #{content_id}"
        body = f"Konten #{content_id} \"{excerpt(title, 120)}\" menunggu langkah: {st.label}."
        if st.timed:
            body += f"\nMutu baku waktu: {st.time_standard}"
            if due_at is not None:
                body += f" (batas {self.app.local(due_at):%d-%m-%Y %H:%M})"
            body += "."
        body += f"\nLihat: humas content show {content_id}"
        return self.notify_role(st.role, head, body)

    def overdue(self, now: datetime | None = None) -> int:
        """Tell each role about its steps that ran past their time standard, once per step; returns how many."""
        from humas.workflow.sla import overdue

        now = now or self.app.clock()
        by_role: dict[str, list[str]] = {}
        try:
            with self.app.db.session() as s:
                for o in overdue(self.app, s, now):
                    if o.period.notified_overdue:
                        continue
                    o.period.notified_overdue = True
                    p = o.period
                    what = "kasus" if p.subject_type == "case" else "konten"
                    by_role.setdefault(p.role, []).append(
                        f"- {what} #{p.subject_id} \"{excerpt(o.title, 80)}\": {o.step_label} "
                        f"(terlambat {_minutes(o.overdue_by)})")
        except Exception:
            log.exception("notify: cannot read overdue steps")
            return 0
        for role, lines in by_role.items():
            label = self.app.sops.role_label(role)
            self.notify_role(role, f"{len(lines)} langkah melewati mutu baku waktu ({label})", "\n".join(lines))
        return sum(len(v) for v in by_role.values())

    def daily_recap(self, now: datetime | None = None, *, send: bool = True) -> str:
        """The day's responses and answers (the SOP's "daftar respon dan jawaban"); sent to the default SOP's
        response and escalation roles and to the admins. Returns the text."""
        now = now or self.app.clock()
        text = recap_text(self.app, now)
        if send:
            from humas.escalation.cases import ResponsePath

            title = f"Rekap respons publik {self.app.local(now):%d-%m-%Y}"
            try:
                path = ResponsePath.of(self.app.sops.get(self.app.settings.default_sop))
                roles = list(dict.fromkeys((path.escalation_role, path.response_role)))
            except HumasError:
                roles = []
            for role in roles:
                self.notify_role(role, title, text)
            self.notify_admins(title, text)
        return text


def _minutes(td: timedelta) -> str:
    m = int(td.total_seconds() // 60)
    return f"{m // 60} jam {m % 60} menit" if m >= 60 else f"{m} menit"


def recap_text(app: App, now: datetime) -> str:
    """The recap of the local day that contains ``now``."""
    local = app.local(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=1)
    with app.db.session() as s:
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
        from humas.workflow.sla import overdue

        late = [o for o in overdue(app, s, now) if o.period.subject_type == "case"]
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
    return "\n".join(lines)
