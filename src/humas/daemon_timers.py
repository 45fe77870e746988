"""The daemon's periodic work besides dispatching: SLA reminders, comment monitoring, daily recap."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from humas.store.models import StepPeriod
from humas.workflow.sla import overdue

if TYPE_CHECKING:
    from humas.daemon import Daemon

log = logging.getLogger("humas.daemon")


def sla_reminders(d: Daemon) -> None:
    """Log (and notify, where configured) each overdue step once."""
    app = d.app
    with app.db.session() as s:
        for o in overdue(app, s):
            p = s.get(StepPeriod, o.period.id)
            if p is None or p.notified_overdue:
                continue
            p.notified_overdue = True
            row = o.as_dict(app)
            log.warning("overdue: %s %s '%s' at %s (%s) by %s; must act: %s", row["subject_type"],
                        row["subject_id"], row["title"], row["step_label"], row["role_label"], row["overdue_by"],
                        ", ".join(row["must_act"]) or "nobody holds the role")
            _notify_role(d, p.role, f"Terlambat: {row['step_label']}",
                         f"{row['title']} melewati waktu standar ({row['overdue_by']}).")


def _notify_role(d: Daemon, role: str, title: str, body: str) -> None:
    try:
        from humas.notify.notifier import Notifier
    except ImportError:
        return
    Notifier(d.app).notify_role(role, title, body)


def timers(d: Daemon) -> list[tuple[str, float, Callable[[], Any]]]:
    out: list[tuple[str, float, Callable[[], Any]]] = [("sla", 60.0, lambda: sla_reminders(d))]
    return out
