"""The daemon's periodic work besides dispatching: comment monitoring, SLA reminders, the daily recap."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from humas.monitor.poller import Monitor

if TYPE_CHECKING:
    from humas.daemon import Daemon

log = logging.getLogger("humas.daemon")

Timer = tuple[str, float, Callable[[], Any]]


def monitor_tick(d: Daemon, monitor: Monitor) -> None:
    report = monitor.run_once(d.app.clock())
    if report.new_comments or report.cases:
        log.info("monitor: %d new comment(s), %d new case(s)", report.new_comments, len(report.cases))


def overdue_tick(d: Daemon) -> None:
    n = d.app.notifier.overdue(d.app.clock())
    if n:
        log.warning("%d step(s) ran past their time standard (see 'humas sla overdue')", n)


def timers(d: Daemon) -> list[Timer]:
    out: list[Timer] = [("sla", 60.0, lambda: overdue_tick(d))]
    if d.app.settings.monitor.enabled:
        monitor = Monitor(d.app, d.owner)
        out.append(("monitor", d.app.settings.monitor.tick_seconds, lambda: monitor_tick(d, monitor)))
    return out


def daily_recap(d: Daemon) -> None:
    d.app.notifier.daily_recap(d.app.clock())
