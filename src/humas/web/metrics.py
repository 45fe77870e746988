"""``GET /metrics``: the state of the database in Prometheus's text format, read when Prometheus scrapes.

Nothing is counted in the request paths: :class:`StateCollector` runs a few aggregate queries in one read session
(:meth:`humas.store.engine.Database.read`, never the write lock) at every scrape, so every instance on one PostgreSQL
database reports the same numbers, and a restart loses nothing. A database that does not answer is
``humas_database_up 0`` (the reason goes to the log), never a failed scrape.

Who may read it (docs/operations.md, "Monitoring"): with ``[web] metrics_token = "env:NAME"`` a client that sends
``Authorization: Bearer <token>``, from anywhere; without a token only the local machine (a loopback peer, as
uvicorn sees it after ``web.trusted_proxies``). The numbers hold no text people wrote and no secret, but account
names and workloads are the office's business.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

import humas
from humas.app import App
from humas.errors import ConfigError
from humas.store.models import JOBS_DUE, TO_REVIEW, AccountState, Case, Comment, PublicationJob, StepPeriod

log = logging.getLogger("humas.web")

#: publish lateness (``published_at - run_at``) is measured over the jobs published within this window
RECENT = timedelta(hours=24)
#: histogram bounds in seconds: the dispatcher's tick (1 s) up to an hour
LATENESS_BUCKETS = (1.0, 2.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0)

Heartbeat = Callable[[], dict[str, Any] | None]


class StateCollector(Collector):
    """Gauges and one histogram computed from the database at scrape time; see the module docstring."""

    def __init__(self, app: App, heartbeat: Heartbeat | None = None) -> None:
        self.app = app
        self.heartbeat = heartbeat

    def describe(self) -> list[Metric]:
        return []  # families are only known after a query; an empty description keeps registration free

    def collect(self) -> Iterator[Metric]:
        now = self.app.clock()
        up = GaugeMetricFamily("humas_database_up", "1 when the database answered this scrape's queries")
        try:
            with self.app.db.read() as s:
                families = list(self._families(s, now))
        except Exception:  # a broken database is a value, not a failed scrape; the reason goes to the log
            log.exception("metrics: the database did not answer")
            up.add_metric([], 0)
            families = []
        else:
            up.add_metric([], 1)
        yield up
        yield from families
        yield from self._scheduler(now)
        info = GaugeMetricFamily("humas_info", "The running humas version (always 1)", labels=["version"])
        info.add_metric([humas.__version__], 1)
        yield info

    def _families(self, s: Session, now: datetime) -> Iterator[Metric]:
        jobs = GaugeMetricFamily("humas_publication_jobs", "Publication jobs by kind and state",
                                 labels=["kind", "state"])
        for kind, state, n in s.execute(select(PublicationJob.kind, PublicationJob.state, func.count())
                                        .group_by(PublicationJob.kind, PublicationJob.state)):
            jobs.add_metric([kind, state], n)
        yield jobs

        due_q = (select(func.count(), func.min(PublicationJob.run_at))
                 .where(text(JOBS_DUE), PublicationJob.run_at <= now))  # the due index's own text
        due, oldest = s.execute(due_q).one()
        g = GaugeMetricFamily("humas_publication_jobs_due", "Jobs due now and not yet claimed (scheduled, "
                                                            "retry_wait, in_doubt with run_at in the past)")
        g.add_metric([], due)
        yield g
        g = GaugeMetricFamily("humas_publication_oldest_due_seconds", "How long the oldest due, unclaimed job has "
                                                                      "waited past its run_at (0: none)")
        g.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)
        yield g

        yield self._lateness(s, now)

        cases = GaugeMetricFamily("humas_cases", "Cases by status", labels=["status"])
        for status, n in s.execute(select(Case.status, func.count()).group_by(Case.status)):
            cases.add_metric([status], n)
        yield cases

        steps = GaugeMetricFamily("humas_sla_open_steps", "SOP steps in progress that have a time standard, by "
                                                          "subject (content, case) and whether they are overdue",
                                  labels=["subject", "overdue"])
        late = func.sum(case((StepPeriod.due_at <= now, 1), else_=0))
        open_q = (select(StepPeriod.subject_type, func.count(), late)
                  .where(StepPeriod.completed_at.is_(None), StepPeriod.due_at.is_not(None))
                  .group_by(StepPeriod.subject_type))
        for subject, total, overdue in s.execute(open_q):
            steps.add_metric([subject, "true"], overdue or 0)
            steps.add_metric([subject, "false"], total - (overdue or 0))
        yield steps

        yield self._accounts(s)

        # each served by an index of its own (label; classified_at; the review list's partial index): a scrape
        # never sorts every comment ever stored (a GROUP BY label, tier over 300k rows took 250-400 ms on SQLite)
        labels = GaugeMetricFamily("humas_comments", "Classified public comments by label", labels=["label"])
        for label, n in s.execute(select(Comment.label, func.count()).where(Comment.label.is_not(None))
                                  .group_by(Comment.label)):
            labels.add_metric([str(label)], n)
        yield labels
        backlog = s.execute(select(func.count()).where(Comment.classified_at.is_(None), Comment.is_own.is_(False),
                                                       Comment.deleted.is_(False))).scalar_one()
        g = GaugeMetricFamily("humas_comments_unclassified", "Public comments waiting for classification")
        g.add_metric([], backlog)
        yield g
        g = GaugeMetricFamily("humas_comments_to_review", "Comments on the review list (tier \"review\", the "
                                                          "Redaktur has not decided)")
        g.add_metric([], s.execute(select(func.count()).select_from(Comment).where(text(TO_REVIEW))).scalar_one())
        yield g

    def _lateness(self, s: Session, now: datetime) -> HistogramMetricFamily:
        hist = HistogramMetricFamily(
            "humas_publish_lateness_seconds",
            f"published_at - run_at of the jobs published in the last {int(RECENT.total_seconds())} s",
            labels=["kind"])
        rows = s.execute(select(PublicationJob.kind, PublicationJob.run_at, PublicationJob.published_at)
                         .where(PublicationJob.published_at.is_not(None),
                                PublicationJob.published_at >= now - RECENT))
        by_kind: dict[str, list[float]] = {}
        for kind, run_at, published_at in rows:
            if published_at is None:  # excluded by the query; for the type checker
                continue
            by_kind.setdefault(kind, []).append(max(0.0, (published_at - run_at).total_seconds()))
        for kind, values in sorted(by_kind.items()):
            buckets = [(str(b), sum(1 for v in values if v <= b)) for b in LATENESS_BUCKETS]
            hist.add_metric([kind], [*buckets, ("+Inf", len(values))], sum(values))
        return hist

    def _accounts(self, s: Session) -> GaugeMetricFamily:
        paused = {name: True for (name,) in s.execute(select(AccountState.name)
                                                       .where(AccountState.status == "paused"))}
        g = GaugeMetricFamily("humas_account_paused", "1 while an enabled account is paused (an expired "
                                                      "authorisation; 'humas accounts resume NAME')",
                              labels=["account", "platform"])
        for a in self.app.settings.accounts:
            if a.enabled:
                g.add_metric([a.name, a.platform.value], 1 if paused.get(a.name) else 0)
        return g

    def _scheduler(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        if self.heartbeat is None:  # `humas web` alone: no timers to report on
            return
        try:
            beat = self.heartbeat() or {}
        except Exception:
            log.exception("metrics: heartbeat failed")
            beat = {"ok": False}
        g = GaugeMetricFamily("humas_scheduler_healthy", "1 while this instance's timers ran within the last few "
                                                         "ticks (the same test as /healthz)")
        g.add_metric([], 1 if beat.get("ok") else 0)
        yield g
        last = beat.get("last_tick")
        if isinstance(last, str):
            try:
                age = (now - datetime.fromisoformat(last)).total_seconds()
            except (ValueError, TypeError):
                return
            g = GaugeMetricFamily("humas_scheduler_last_tick_age_seconds", "Seconds since this instance's "
                                                                           "timers last ran")
            g.add_metric([], max(0.0, age))
            yield g


def allowed(app: App, request: Request) -> Response | None:
    """``None`` when ``request`` may read the metrics, else the answer that refuses it (401 or 403)."""
    token = app.settings.web.metrics_token
    if token is not None:
        try:
            expected = token.reveal()
        except ConfigError as exc:  # the variable is missing: refuse everyone, say why in the log only
            log.error("metrics: %s", exc.message)
            return JSONResponse({"error": "metrics are not available: web.metrics_token cannot be read"},
                                status_code=503)
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode()):
            return None
        return JSONResponse({"error": "a valid metrics token is required"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    host = request.client.host if request.client else ""
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if local:
        return None
    return JSONResponse({"error": "metrics are served to the local machine only unless web.metrics_token is set"},
                        status_code=403)


def metrics_router(app: App, heartbeat: Heartbeat | None = None) -> APIRouter:
    """The ``/metrics`` route over a registry of this app's own (no process-wide registry)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StateCollector(app, heartbeat))
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        refused = allowed(app, request)
        if refused is not None:
            return refused
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
