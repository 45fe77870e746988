"""The comment cycle: the stages from published posts to cases, run one after another and handing over through
the database.

1. the sandbox's simulated public comments up to now (sandbox accounts, ``monitor.sandbox_simulation``);
2. the monitor polls due posts and stores new comments (:mod:`humas.monitor`);
3. the classification stage labels what is unclassified (:mod:`humas.classify`);
4. escalation opens cases from the classified comments (:mod:`humas.escalation.triage`).

Each stage reads only what the one before it left in the database, so a stage that fails or a daemon that dies in
between loses nothing: the next run continues from the tables.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from humas.classify.stage import Classification, ClassifyReport
from humas.clock import Clock
from humas.config import Settings
from humas.errors import HumasError
from humas.escalation.triage import Escalator, TriageReport
from humas.monitor.poller import AccountReport, Monitor
from humas.platforms import Platform

log = logging.getLogger("humas.monitor")


@dataclass
class PipelineReport:
    """What classification and escalation did with the stored comments."""

    classified: int = 0
    by_label: dict[str, int] = field(default_factory=dict)
    cases: list[int] = field(default_factory=list)
    hidden: list[int] = field(default_factory=list)
    hide_failed: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, classified: ClassifyReport, triage: TriageReport) -> PipelineReport:
        return cls(classified.classified, dict(classified.by_label), list(triage.cases), list(triage.hidden),
                   list(triage.hide_failed))

    def as_dict(self) -> dict[str, object]:
        return {"classified": self.classified, "by_label": dict(self.by_label), "cases": list(self.cases),
                "hidden": list(self.hidden), "hide_failed": list(self.hide_failed)}


@dataclass
class CycleReport:
    accounts: list[AccountReport] = field(default_factory=list)
    simulated: int = 0
    pipeline: PipelineReport = field(default_factory=PipelineReport)

    @property
    def new_comments(self) -> int:
        return sum(a.new for a in self.accounts)

    @property
    def cases(self) -> list[int]:
        return self.pipeline.cases

    def outcome(self, account: str) -> str | None:
        return next((a.outcome for a in self.accounts if a.account == account), None)

    def as_dict(self) -> dict[str, Any]:
        return {"accounts": [a.as_dict() for a in self.accounts], "simulated": self.simulated,
                "new_comments": self.new_comments, **self.pipeline.as_dict()}


class SandboxPublic:
    """The public commenting on sandbox posts: comments arrive over time, as on a real page (a demo, not a test)."""

    def __init__(self, settings: Settings, clock: Clock, rng: random.Random | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.rng = rng or random.Random()
        self._platform: Any = None

    @staticmethod
    def wanted(settings: Settings) -> bool:
        return settings.monitor.sandbox_simulation and any(
            a.enabled and a.platform is Platform.SANDBOX for a in settings.accounts)

    def __call__(self, now: datetime) -> int:
        from humas.publisher.sandbox import SandboxPlatform
        from humas.publisher.sandbox.public import simulate

        try:
            if self._platform is None:
                self._platform = SandboxPlatform(self.settings.sandbox_db, self.clock)
            return simulate(self._platform, now, self.rng, mean_per_post=self.settings.monitor.sandbox_comments)
        except HumasError as exc:
            log.warning("sandbox simulation failed: %s", exc.message)
            return 0


class CommentCycle:
    """One run of the stages above; ``monitor`` None: only classify and escalate (after a webhook delivery)."""

    def __init__(self, monitor: Monitor | None, classification: Classification, escalator: Escalator, *,
                 simulate: Callable[[datetime], int] | None = None, clock: Clock) -> None:
        self.monitor = monitor
        self.classification = classification
        self.escalator = escalator
        self.simulate = simulate
        self.clock = clock

    def run_once(self, now: datetime | None = None) -> CycleReport:
        now = now or self.clock()
        report = CycleReport()
        if self.simulate is not None:
            report.simulated = self.simulate(now)
        if self.monitor is not None:
            report.accounts = self.monitor.run_once(now).accounts
        report.pipeline = self.process(now)
        return report

    def process(self, now: datetime | None = None) -> PipelineReport:
        """Classify what is pending, then open the cases of what was flagged."""
        classified = self.classification.run(now)
        return PipelineReport.of(classified, self.escalator.run(now))
