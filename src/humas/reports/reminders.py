"""Reminders: each role is told, once per step, about its steps that ran past their time standard."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from humas.env import Env
from humas.notify import Notifier, excerpt
from humas.sop.timing import overdue

log = logging.getLogger("humas.notify")


def minutes_text(td: timedelta) -> str:
    m = int(td.total_seconds() // 60)
    return f"{m // 60} jam {m % 60} menit" if m >= 60 else f"{m} menit"


def remind_overdue(env: Env, notifier: Notifier, now: datetime | None = None) -> int:
    """Tell each role about its overdue steps not told before; returns how many steps were reported."""
    now = now or env.clock()
    by_role: dict[str, list[str]] = {}
    try:
        with env.db.session() as s:
            for o in overdue(s, env.sops, env.calendar, now):
                if o.period.notified_overdue:
                    continue
                o.period.notified_overdue = True
                p = o.period
                what = {"case": "kasus", "plan": "rencana", "inventory": "inventarisasi"}.get(p.subject_type, "konten")
                by_role.setdefault(p.role, []).append(
                    f"- {what} #{p.subject_id} \"{excerpt(o.title, 80)}\": {o.step_label} "
                    f"(terlambat {minutes_text(o.overdue_by)})")
    except Exception:
        log.exception("notify: cannot read overdue steps")
        return 0
    for role, lines in by_role.items():
        label = env.sops.role_label(role)
        notifier.notify_role(role, f"{len(lines)} langkah melewati mutu baku waktu ({label})", "\n".join(lines))
    return sum(len(v) for v in by_role.values())
