"""``humas run``: the dispatcher, the monitor and the timers on an in-process APScheduler 3 (memory job store).

Shared state lives in humas's tables, never in the scheduler: several daemons on one PostgreSQL share the work
through leases. On SQLite only one daemon may run; a second is refused. SIGTERM or Ctrl-C: no new work starts,
the call in flight finishes, claims are handed back, and the process exits 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from humas.app import App
from humas.daemon.logformat import formatter
from humas.daemon.timers import daily_recap, retrain_tick, timers
from humas.queue import jobs
from humas.store.engine import sqlite_path
from humas.store.instance import InstanceLock, PgDaemonLock, instance_id

log = logging.getLogger("humas.daemon")


def setup_logging(level: str, log_format: str = "text") -> None:
    """Log to stderr at ``level`` in ``log_format`` (``text`` or ``json``, :mod:`humas.daemon.logformat`); a root
    logger that already has handlers (a test runner's) is left as it is."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=getattr(logging, level), handlers=[handler])
    for noisy in ("alembic", "apscheduler", "urllib3", "httpx", "tweepy", "requests_oauthlib", "oauthlib"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class Daemon:
    def __init__(self, app: App, *, serve_web: bool = True) -> None:
        self.app = app
        self.owner = instance_id()
        self.stop_event = threading.Event()
        self.serve_web = serve_web
        self.dispatcher = app.dispatcher(self.owner, stopping=self.stop_event.is_set, notify=self._notify)
        self.scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
            timezone=app.tz,
        )
        self.heartbeat: datetime | None = None
        self._lock: InstanceLock | PgDaemonLock | None = None
        self._extra_stops: list[Callable[[], None]] = []
        self._dispatch_thread = threading.Thread(target=self._dispatch_loop, name="humas-dispatch", daemon=True)

    def _notify(self, kind: str, subject: str, message: str) -> None:
        log.warning("%s: %s: %s", kind, subject, message)
        self.app.notifier.notify_admins(subject, message)

    def _guard(self, name: str, fn: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            if self.stop_event.is_set():
                return
            try:
                fn()
                self.heartbeat = self.app.clock()
            except Exception:
                log.exception("%s failed; it runs again at its next tick", name)

        return run

    def _dispatch_loop(self) -> None:
        """Dispatch without waiting for a tick: again at once while a tick finds work, else until the earliest due
        job (at most ``queue.tick_seconds``, the longest a job scheduled by another process waits to be seen)."""
        limit = self.app.settings.queue.tick_seconds
        while not self.stop_event.is_set():
            wait = limit
            try:
                r = self.dispatcher.tick()
                self.heartbeat = self.app.clock()
                if r.claimed or r.reaped:
                    log.info("dispatch: claimed %d, reaped %d, outcomes %s", r.claimed, r.reaped, r.outcomes)
                wait = self.dispatcher.next_wait(r, limit)
            except Exception:
                log.exception("dispatch failed; it runs again in %.0f s", limit)
            if wait > 0:
                self.stop_event.wait(wait)

    def start(self) -> None:
        s = self.app.settings
        path = sqlite_path(s.db_url)
        self._lock = InstanceLock(path) if path is not None else PgDaemonLock(self.app.db)
        self._lock.acquire()
        self.app.ensure_schema()
        self.app.secret_store.prepare()  # account secrets stored before encryption (issue 14)
        for job_id, seconds, fn in timers(self.app, self.owner):
            self.scheduler.add_job(self._guard(job_id, fn), "interval", seconds=seconds, id=job_id,
                                   next_run_time=datetime.now(self.app.tz))
        recap = s.notify.daily_recap_at
        self.scheduler.add_job(self._guard("recap", lambda: daily_recap(self.app)), "cron", hour=recap.hour,
                               minute=recap.minute, id="recap")
        # a documentation equipment inventory round due: the first inventory role is told (once per due period)
        self.scheduler.add_job(self._guard("inventory", lambda: self.app.remind_inventory(self.app.clock())),
                               "interval", minutes=30, id="inventory", next_run_time=datetime.now(self.app.tz))
        learn = s.sentiment
        if learn.learning and learn.backend == "default" and not learn.model:
            self.scheduler.add_job(self._guard("learning", lambda: retrain_tick(self.app)), "cron",
                                   hour=learn.retrain_at.hour, minute=learn.retrain_at.minute, id="learning")
        if self.serve_web:
            self._start_web()
        self.scheduler.start()
        self._dispatch_thread.start()
        accounts = ", ".join(f"{a.name} ({a.platform.value})" for a in s.accounts if a.enabled)
        log.info("humas %s started: database %s, accounts: %s", self.owner, _safe_url(s.db_url), accounts)

    def _start_web(self) -> None:
        from humas.web.server import start_in_thread

        self._extra_stops.append(start_in_thread(self.app, heartbeat=self.beat))

    def beat(self) -> dict[str, Any]:
        """``/healthz``'s view of the daemon: healthy while its timers ran within the last few ticks."""
        last = self.heartbeat
        now = self.app.clock()
        window = timedelta(seconds=max(60.0, 6 * self.app.settings.queue.tick_seconds))
        ok = last is not None and now - last <= window and not self.stop_event.is_set()
        return {"ok": ok, "last_tick": last.isoformat(timespec="seconds") if last else None, "instance": self.owner}

    def stop(self) -> None:
        """Finish the call in flight, hand back claims, stop timers and the web server."""
        self.stop_event.set()
        log.info("stopping: finishing the call in flight")
        if self._dispatch_thread.is_alive():
            self._dispatch_thread.join()
        self.scheduler.shutdown(wait=True)
        released = jobs.release(self.app.db, self.owner, now=self.app.clock())
        if released:
            log.info("handed back %d claimed job(s)", released)
        for stop in self._extra_stops:
            stop()
        if self._lock is not None:
            self._lock.release()
        self.app.db.dispose()
        log.info("humas stopped")

    def run_forever(self) -> None:
        setup_logging(self.app.settings.log_level, self.app.settings.log_format)

        def handle(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s", signal.Signals(signum).name)
            self.stop_event.set()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)
        self.start()
        try:
            while not self.stop_event.wait(1.0):
                pass
        finally:
            self.stop()


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
