"""The daemon's periodic work besides dispatching: the comment cycle, SLA reminders, cadence reminders, the daily
recap, the learning loop."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from humas.app import App
from humas.cycle import CommentCycle
from humas.errors import HumasError

log = logging.getLogger("humas.daemon")

Timer = tuple[str, float, Callable[[], Any]]


def comment_tick(app: App, cycle: CommentCycle) -> None:
    report = cycle.run_once(app.clock())
    if report.new_comments or report.cases:
        log.info("monitor: %d new comment(s), %d new case(s)", report.new_comments, len(report.cases))


def overdue_tick(app: App) -> None:
    n = app.remind_overdue(app.clock())
    if n:
        log.warning("%d step(s) ran past their time standard (see 'humas sla overdue')", n)


def cadence_tick(app: App) -> None:
    n = app.remind_cadence(app.clock())
    if n:
        log.info("cadence: %d SOP(s) have nothing published or on its way this period; first roles reminded", n)


def timers(app: App, owner: str) -> list[Timer]:
    """(id, interval in seconds, work) of every interval timer besides the dispatcher."""
    out: list[Timer] = [("sla", 60.0, lambda: overdue_tick(app)), ("cadence", 300.0, lambda: cadence_tick(app))]
    if app.settings.monitor.enabled:
        cycle = app.comment_cycle(owner)
        out.append(("monitor", app.settings.monitor.tick_seconds, lambda: comment_tick(app, cycle)))
    return out


def daily_recap(app: App) -> None:
    app.daily_recap(app.clock())


def retrain_tick(app: App) -> None:
    try:
        report = app.learning().run()
    except HumasError as exc:  # e.g. the training data is not on this server: one line each night, no traceback
        log.warning("learning: not retrained: %s", exc.message)
        return
    if report.outcome != "skipped":
        log.info("learning: %s (%s)", report.outcome, report.reason)
