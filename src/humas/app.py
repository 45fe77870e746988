"""The composition root: the object graph of one humas installation, built once from its settings.

The entry points (the CLI, the web app, the daemon) and tests build an :class:`App` and ask it for stages; nothing
below them imports this module. Each stage receives only what it needs: the shared :class:`~humas.env.Env`, and
one by one the adapter lookup, the notifier, the classifier. Here, and only here, the per-kind job completions are
registered and the comment stages are chained.
"""

from __future__ import annotations

import logging
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from humas import users
from humas.accounts.connect import Connector
from humas.accounts.drafts import PlatformCheck
from humas.accounts.registry import AdapterRegistry, BuildContext
from humas.accounts.state import AccountStates
from humas.authz import Actor
from humas.classify.learning import Learning, ModelSlot
from humas.classify.stage import Classification
from humas.clock import Clock, utcnow
from humas.config import Settings
from humas.cycle import CommentCycle, PipelineReport, SandboxPublic
from humas.documentation.agenda import Agenda
from humas.documentation.equipment import Equipment
from humas.documentation.inventory import Inventory, remind_due
from humas.env import Env
from humas.errors import InvalidInput, InvalidTransition
from humas.escalation.cases import Cases
from humas.escalation.notices import case_opened
from humas.escalation.replies import ReplyCompletion
from humas.escalation.review import Review
from humas.escalation.triage import Escalator, OpenedCase
from humas.keyfile import key_from_file
from humas.monitor.poller import Monitor
from humas.notify import RoleNotifier
from humas.planning.service import Planning
from humas.publisher.base import AdapterFor
from humas.queue import jobs
from humas.queue.completion import Completions, PostCompletion
from humas.queue.dispatcher import Dispatcher, Notify
from humas.reports.cadence import remind_cadence
from humas.reports.printable import Records
from humas.reports.recap import daily_recap
from humas.reports.reminders import remind_overdue
from humas.sentiment.base import Classifier
from humas.sop.calendar import WorkingCalendar
from humas.sop.registry import SopRegistry
from humas.store import audit, backup, migrate
from humas.store.anchor import Anchor
from humas.store.backup import check_sqlite_backup
from humas.store.engine import Database, sqlite_path
from humas.store.instance import no_daemon_running
from humas.store.media import MediaStore
from humas.store.secrets import DbSecretStore, Keyring
from humas.store.verify import RegisterReport, verify_register
from humas.workflow.engine import Workflow

log = logging.getLogger("humas")


class App:
    """Settings, clock and everything built from them; parts are built on first use (no I/O at construction)."""

    def __init__(self, settings: Settings, clock: Clock = utcnow) -> None:
        self.settings = settings
        self.clock = clock

    # --- shared parts -----------------------------------------------------------------------------------------

    @cached_property
    def env(self) -> Env:
        env = Env.build(self.settings, self.clock)
        audit.anchor_commits(env.db, self.anchor)
        return env

    @cached_property
    def anchor(self) -> Anchor:
        """The register's checkpoint outside the database, signed with a key that is not in it either."""
        a = self.settings.audit
        key = a.anchor_key.reveal if a.anchor_key is not None else \
            (lambda: key_from_file(self.settings.data_dir / "audit-anchor.key"))
        return Anchor(a.anchor_file or self.settings.data_dir / "audit-anchor.json", key)

    def verify_register(self) -> RegisterReport:
        with self.db.read() as s:
            return verify_register(s, self.anchor)

    def records(self) -> Records:
        """Printable records (approval sheets, the register as PDF or CSV), each copy recorded in the register."""
        return Records(self.env, self.verify_register)

    @property
    def db(self) -> Database:
        return self.env.db

    @property
    def sops(self) -> SopRegistry:
        return self.env.sops

    @property
    def calendar(self) -> WorkingCalendar:
        return self.env.calendar

    @property
    def tz(self) -> ZoneInfo:
        return self.env.tz

    @property
    def media(self) -> MediaStore:
        return self.env.media

    def local(self, dt: datetime) -> datetime:
        return self.env.local(dt)

    @cached_property
    def secret_store(self) -> DbSecretStore:
        """Account secrets (rotating tokens, tokens from connecting), encrypted with keys kept outside the database."""
        k = self.settings.secrets
        keyring = Keyring(self.settings.data_dir / "secrets.key", key=k.key.reveal if k.key is not None else None,
                          previous=[p.reveal for p in k.previous_keys])
        return DbSecretStore(self.db, keyring)

    @cached_property
    def adapters(self) -> AdapterRegistry:
        return AdapterRegistry(BuildContext(self.settings, self.secret_store, self.clock))

    @cached_property
    def connector(self) -> Connector:
        """Connecting accounts through their platforms' OAuth flows (web, CLI)."""
        return Connector(self.settings, self.db, self.secret_store, self.account_states, self.clock,
                         forget=self.adapters.forget)

    @cached_property
    def notifier(self) -> RoleNotifier:
        return RoleNotifier(self.settings.notify)

    @cached_property
    def account_states(self) -> AccountStates:
        return AccountStates(self.settings, self.tz)

    @cached_property
    def platform_check(self) -> PlatformCheck:
        return PlatformCheck(self.settings, self.media, self.adapters.get)

    @cached_property
    def model_slot(self) -> ModelSlot:
        """The classifier in use: the configured one, or the learning loop's latest deployment (reloaded)."""
        from humas.sentiment.factory import build_classifier

        s = self.settings.sentiment

        def build(learned: Path | None) -> Classifier:
            model = str(learned) if learned is not None else s.model
            return build_classifier(s.backend, model, s.threshold, s.abusive_words_file, s.batch_size)

        return ModelSlot(self.settings.data_dir, build, follow=s.backend == "default" and not s.model)

    @property
    def classifier(self) -> Classifier:
        """The comment classifier, built on first use (loading a model takes a moment)."""
        return self.model_slot.get()

    def learning(self) -> Learning:
        """The learning loop: retrain the default model with the corrections, deploy it if it does not lose."""
        from humas.sentiment.data import default_data_dir
        from humas.sentiment.model import shipped_model_dir

        s = self.settings.sentiment

        def current() -> Path:
            self.model_slot.get()
            return self.model_slot.model_dir or (Path(s.model) if s.model else shipped_model_dir())

        return Learning(self.env, data_dirs=lambda: [s.training_data or default_data_dir()], current_model=current,
                        min_feedback=s.min_feedback)

    # --- stages -----------------------------------------------------------------------------------------------

    def workflow(self, session: Session) -> Workflow:
        """Content through its SOP in ``session``: roles notified, platform limits checked at submit."""
        return Workflow(self.env, session, notifier=self.notifier, platform_check=self.platform_check)

    def planning(self, session: Session) -> Planning:
        """Monthly content plans in ``session``; an approval creates drafts through :meth:`workflow`."""
        return Planning(self.env, session, notifier=self.notifier, workflow=self.workflow(session))

    def equipment(self, session: Session) -> Equipment:
        """The documentation equipment register in ``session``."""
        return Equipment(self.env, session)

    def inventory(self, session: Session) -> Inventory:
        """Inventory rounds of the documentation equipment in ``session``; step roles notified."""
        return Inventory(self.env, session, notifier=self.notifier)

    def agenda(self, session: Session) -> Agenda:
        """The leaders' agenda in ``session``; an entry opens content through :meth:`workflow`."""
        return Agenda(self.env, session, workflow=self.workflow(session), notifier=self.notifier)

    def cases(self, session: Session, adapter_for: AdapterFor | None = None) -> Cases:
        return Cases(self.env, session, adapter_for or self.adapters.get)

    def review(self, session: Session) -> Review:
        """Decisions on the review list ("Perlu ditinjau") in ``session``."""
        return Review(self.env, session)

    def completions(self) -> Completions:
        """What a job's end means, by job kind: a post for content, a reply for a case."""
        return {"post": PostCompletion(self.env, self.account_states, self.notifier),
                "reply": ReplyCompletion(self.env, self.notifier)}

    def dispatcher(self, owner: str, *, notify: Notify | None = None, stopping: Callable[[], bool] = lambda: False,
                   rng: random.Random | None = None) -> Dispatcher:
        return Dispatcher(self.env, owner, adapter_for=self.adapters.get, states=self.account_states,
                          completions=self.completions(), notify=notify, stopping=stopping, rng=rng)

    def monitor(self, owner: str, adapter_for: AdapterFor | None = None, **kw: Any) -> Monitor:
        return Monitor(self.env, owner, adapter_for=adapter_for or self.adapters.get, **kw)

    def classification(self, classifier: Classifier | None = None) -> Classification:
        s = self.settings.sentiment
        # comments per transaction: large for the linear model, the configured batch for transformers
        batch = max(s.batch_size, 256) if s.backend == "default" else s.batch_size
        return Classification(self.env, (lambda: classifier) if classifier is not None else lambda: self.classifier,
                              batch)

    def notify_case(self, oc: OpenedCase) -> bool:
        return case_opened(self.notifier, self.sops, oc, auto_hide=self.settings.sentiment.auto_hide_abusive)

    def escalator(self, adapter_for: AdapterFor | None = None,
                  notify_case: Callable[[OpenedCase], object] | None = None) -> Escalator:
        return Escalator(self.env, adapter_for=adapter_for or self.adapters.get,
                         notify_case=notify_case or self.notify_case)

    def comment_cycle(self, owner: str | None, *, adapter_for: AdapterFor | None = None,
                      classifier: Classifier | None = None, notify_case: Callable[[OpenedCase], object] | None = None,
                      rng: random.Random | None = None, **monitor_kw: Any) -> CommentCycle:
        """Sandbox public -> monitor -> classification -> escalation; ``owner`` None: no polling (webhooks)."""
        simulate = SandboxPublic(self.settings, self.clock, rng) if owner and SandboxPublic.wanted(self.settings) \
            else None
        return CommentCycle(self.monitor(owner, adapter_for, **monitor_kw) if owner else None,
                            self.classification(classifier), self.escalator(adapter_for, notify_case),
                            simulate=simulate, clock=self.clock)

    def process_comments(self) -> PipelineReport:
        """Classify and escalate what is stored (after a webhook delivery)."""
        return self.comment_cycle(None).process()

    def remind_overdue(self, now: datetime | None = None) -> int:
        return remind_overdue(self.env, self.notifier, now)

    def remind_cadence(self, now: datetime | None = None) -> int:
        return remind_cadence(self.env, self.notifier, now)

    def remind_inventory(self, now: datetime | None = None) -> bool:
        """Remind the first inventory role when an equipment inventory round is due (once per due period)."""
        return remind_due(self.env, self.notifier, now)

    def daily_recap(self, now: datetime | None = None, *, send: bool = True) -> str:
        return daily_recap(self.env, self.notifier, now, send=send)

    # --- backup and restore -----------------------------------------------------------------------------------

    def backup(self, target: Path) -> int:
        """A consistent copy of the database at ``target`` (while the daemon runs); returns the register's length."""
        backup.backup(self.db, target)
        with self.db.session() as s:
            return audit.head(s)[0]

    def restore(self, source: Path) -> RestoreReport:
        """Replace the database with the backup ``source``; refused while any daemon runs.

        The backup's register must verify (chain and facts) before anything is replaced (SQLite; on PostgreSQL it
        is verified right after). Then the register is anchored at its restored head, and every job that was due
        or in flight when the backup was taken becomes ``in_doubt``: the dispatcher asks the platform before it
        posts anything again, so nothing is posted twice.
        """
        taken = datetime.fromtimestamp(source.stat().st_mtime, self.tz) if source.is_file() else None
        with no_daemon_running(self.db):
            if sqlite_path(self.db.url) is not None:
                _refuse_unverified(self._verify_copy(source), source)
            backup.restore(self.db, source)
            migrate.upgrade(self.db)  # a backup from an older humas
            with self.db.session() as s:
                report = verify_register(s)
                seq, entry_hash = audit.head(s)
            _refuse_unverified(report, source)
            self.anchor.reset(seq, entry_hash)
            stamp = f"{taken:%Y-%m-%d %H:%M}" if taken else "earlier"
            held = jobs.in_doubt_after_restore(self.db, now=self.clock(), taken_at=stamp)
            with self.db.session() as s:
                audit.append(s, actor="humas", action="db.restored", note=f"restored from {source.name}",
                             data={"backup_taken": stamp, "register_head": seq, "jobs_in_doubt": held},
                             at=self.clock())
        return RestoreReport(seq, held)

    def _verify_copy(self, source: Path) -> RegisterReport:
        check_sqlite_backup(source)
        with tempfile.TemporaryDirectory(prefix="humas-restore-") as tmp:
            copy = Database(f"sqlite:///{Path(tmp) / 'check.sqlite3'}")
            try:
                backup.restore(copy, source)
                with copy.session() as s:
                    return verify_register(s)
            finally:
                copy.dispose()

    # --- for the entry points ---------------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Refuse to work on a database whose schema is behind the code (``humas db upgrade`` fixes it)."""
        from humas.store.migrate import current_revision, head_revision

        current = current_revision(self.db)
        if current != head_revision(self.db):
            where = "not initialised" if current is None else f"at revision {current}"
            raise InvalidTransition(f"the database is {where}; run 'humas init' (or 'humas db upgrade') first")

    def actor(self, session: Session, name: str | None) -> Actor:
        return users.find_actor(session, name)


@dataclass(frozen=True)
class RestoreReport:
    register_head: int
    jobs_in_doubt: int


def _refuse_unverified(report: RegisterReport, source: Path) -> None:
    if not report.ok:
        raise InvalidInput(f"{source}: the backup's register does not verify: " + "; ".join(report.findings))
