"""The workflow's messages (Indonesian: people read them)."""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo

from humas.errors import HumasError
from humas.notify import Notifier, excerpt
from humas.sop.model import Step
from humas.sop.registry import SopRegistry

log = logging.getLogger("humas.notify")


def step_pending(notifier: Notifier, sops: SopRegistry, tz: tzinfo, content_id: int, step: str | Step, *,
                 title: str, sop_id: str, due_at: datetime | None = None) -> bool:
    """Content entered ``step``: tell the step's role. Call after the transaction that moved it committed."""
    try:
        st = step if isinstance(step, Step) else sops.get(sop_id).step(step)
    except (HumasError, KeyError) as exc:
        log.warning("notify: step_pending(%s, %s): %s", content_id, step, exc)
        return False
    head = f"Menunggu {sops.role_label(st.role)}: konten #{content_id}"
    body = f"Konten #{content_id} \"{excerpt(title, 120)}\" menunggu langkah: {st.label}."
    if st.timed:
        body += f"\nMutu baku waktu: {st.time_standard}"
        if due_at is not None:
            body += f" (batas {due_at.astimezone(tz):%d-%m-%Y %H:%M})"
        body += "."
    body += f"\nLihat: humas content show {content_id}"
    return notifier.notify_role(st.role, head, body)
