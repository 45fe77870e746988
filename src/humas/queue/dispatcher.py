"""The dispatcher: claims due jobs, posts them once, and turns every outcome into a visible state.

Errors drive states (queue.md §5): ``RetryLater``/``RateLimited``/``QuotaExhausted`` → ``retry_wait``;
``ContentRejected`` → ``failed`` and back to the editor; ``AuthExpired`` → the account is paused;
``OutcomeUnknown`` or a worker that died mid-call → ``in_doubt``, resolved only by ``find_published``.

A tick reads its claimed batch in one session and writes the ``published`` marks of the batch together, in one
transaction of Core statements (one register lock, the batch's register entries inserted together), after its
last call or once the oldest mark has waited :data:`MARK_WITHIN`. Until then a sent job stays ``sending``: a
worker that dies holding marks leaves them ``in_doubt``, and the platform is asked before anything is sent again.
A job's own writes (claim, the ``sending`` fence) are single statements, in autocommit on PostgreSQL.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import lazyload

from humas.accounts.drafts import draft_for
from humas.accounts.state import AccountStates, Pace
from humas.env import Env
from humas.errors import (
    AlreadyPublished,
    AuthExpired,
    ContentRejected,
    HumasError,
    NotFound,
    OutcomeUnknown,
    QuotaExhausted,
    RateLimited,
    RetryLater,
)
from humas.publisher.base import AdapterFor, CommentRef, PlatformAdapter, PublishRequest, PublishResult
from humas.queue import jobs
from humas.queue.completion import SYSTEM, Completions
from humas.queue.jobs import Claim, Published, PublishedJob
from humas.store import audit
from humas.store.models import Content, JobState, PublicationJob

log = logging.getLogger("humas.queue")
S = JobState
#: A platform that names its own wait (IG container still processing, reset times) may ask this many times.
PLATFORM_WAITS_MAX = 60
#: The longest a sent job waits for its batch's ``published`` mark before the next call (it is ``sending`` till then).
MARK_WITHIN = timedelta(seconds=1)
#: Expired leases are looked for at most this often (a lease runs minutes; a busy dispatcher ticks many times a second).
REAP_EVERY = timedelta(seconds=1)
#: What :meth:`Dispatcher.process` answers for a job whose ``published`` mark waits for its batch.
SENT = "sent"

Notify = Callable[[str, str, str], None]  # (kind, subject, message)


@dataclass
class TickReport:
    reaped: int = 0
    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


@dataclass
class _Job:
    """What the batch's read learned about one claimed job (``problem``: raised when the job is processed)."""

    account: str
    kind: str
    checkpoint: dict[str, Any]
    request: PublishRequest | None = None
    problem: Exception | None = None


@dataclass(frozen=True)
class _Sent:
    """A job the platform has; its ``published`` mark is written with its batch's."""

    claim: Claim
    result: PublishResult | None
    note: str
    from_claim: bool  # an in-doubt job found on the platform: still ``claimed``, never ``sending``
    at: datetime


@dataclass
class Batch:
    """One tick's claimed jobs, read together, and the sent ones whose ``published`` marks are not written yet."""

    jobs: dict[int, _Job] = field(default_factory=dict)
    paces: dict[str, Pace] = field(default_factory=dict)
    sent: list[_Sent] = field(default_factory=list)


class JobCheckpoint:
    """A job's checkpoint, each ``save`` committed at once under the claim's fence (and extending the lease)."""

    def __init__(self, dispatcher: Dispatcher, claim: Claim, data: dict[str, Any]) -> None:
        self._d = dispatcher
        self._claim = claim
        self.data = dict(data)

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def save(self, key: str, value: Any) -> None:
        self.data[key] = value
        now = self._d.env.clock()
        if not jobs.fenced(self._d.env.db, self._claim, states=[S.SENDING, S.CLAIMED], now=now,
                           checkpoint=dict(self.data), lease_until=now + self._d.lease):
            log.warning("job %s: lease lost while saving progress", self._claim.id)


class Dispatcher:
    """Sends due jobs for one daemon (``owner`` names it in leases).

    ``adapter_for``: the adapter lookup. ``completions``: what a job's outcome means, by job kind (registered at
    the composition root). ``notify``: ``(kind, subject, message)`` for what an admin must act on.
    """

    def __init__(self, env: Env, owner: str, *, adapter_for: AdapterFor, states: AccountStates,
                 completions: Completions, notify: Notify | None = None,
                 stopping: Callable[[], bool] = lambda: False, rng: random.Random | None = None) -> None:
        self.env = env
        self.owner = owner
        self.adapter_for = adapter_for
        self.states = states
        self.completions = completions
        self.notify = notify or (lambda kind, subject, message: None)
        self.stopping = stopping
        self.rng = rng or random.Random()
        self.lease = timedelta(seconds=env.settings.queue.lease_seconds)
        self.settle = timedelta(seconds=env.settings.queue.in_doubt_settle_seconds)
        self._reaped_at: datetime | None = None

    # --- the loop ---------------------------------------------------------------------------------------------

    def tick(self) -> TickReport:
        """Reap dead calls (at most every :data:`REAP_EVERY`), claim a batch of due jobs and process them in turn."""
        report = TickReport()
        now = self.env.clock()
        if self._reaped_at is None or not now - REAP_EVERY < self._reaped_at <= now:
            report.reaped, self._reaped_at = jobs.reap(self.env.db, now=now), now
        if report.reaped:
            log.warning("%d job(s) in doubt: their worker stopped during the platform call", report.reaped)
        claims = jobs.claim(self.env.db, self.owner, now=now, lease=self.lease, limit=self.env.settings.queue.batch)
        report.claimed = len(claims)
        batch = self.read(claims)
        try:
            for c in claims:
                if self.stopping():
                    break
                if batch.sent and self.env.clock() - batch.sent[0].at >= MARK_WITHIN:
                    self._mark(batch, report)
                outcome = self.process(c, batch)
                if outcome != SENT:
                    report.add(outcome)
        finally:
            self._mark(batch, report)
        if self.stopping():
            jobs.release(self.env.db, self.owner, now=self.env.clock())
        return report

    def _mark(self, batch: Batch, report: TickReport) -> None:
        sent, batch.sent = batch.sent, []
        for outcome in self.mark_published(sent):
            report.add(outcome)

    def next_wait(self, report: TickReport, max_wait: float) -> float:
        """Seconds to wait before the next tick, after ``report``: none when the tick found work (more may be due
        now), else until the earliest due job, at most ``max_wait`` (jobs scheduled by another process are seen
        within that). Due jobs the claim skipped (a paused account, one already in flight) wait ``max_wait``."""
        if report.claimed or report.reaped:
            return 0.0
        earliest = jobs.next_due(self.env.db)
        if earliest is None:
            return max_wait
        left = (earliest - self.env.clock()).total_seconds()
        return max_wait if left <= 0 else min(max_wait, left)

    def run_due(self, max_rounds: int = 1000) -> TickReport:
        """Dispatch until nothing is due now (``humas queue run --once``)."""
        total = TickReport()
        for _ in range(max_rounds):
            r = self.tick()
            total.reaped += r.reaped
            total.claimed += r.claimed
            for k, v in r.outcomes.items():
                total.outcomes[k] = total.outcomes.get(k, 0) + v
            if r.claimed == 0 or self.stopping():
                break
        return total

    # --- one job ----------------------------------------------------------------------------------------------

    def read(self, claims: list[Claim]) -> Batch:
        """The claimed jobs, their content's drafts and their accounts' pacing, in one read."""
        batch = Batch()
        if not claims:
            return batch
        with self.env.db.read() as s:
            rows = jobs.claimed(s, claims)
            wanted = {j.content_id for j in rows if j.kind == "post" and j.content_id is not None}
            contents = {c.id: c for c in s.scalars(  # the drafts need media, not authors
                select(Content).where(Content.id.in_(wanted)).options(lazyload(Content.created_by)))} if wanted else {}
            for job in rows:
                batch.jobs[job.id] = one = _Job(job.account, job.kind, dict(job.checkpoint))
                if job.kind != "post":
                    continue
                try:
                    one.request = self._request(job, contents.get(job.content_id or 0))
                except Exception as exc:  # the job's own failure, met when it is processed
                    one.problem = exc
            batch.paces = self.states.paces(s, {j.account for j in rows if j.kind == "post"})
        return batch

    def process(self, c: Claim, batch: Batch) -> str:
        """One claimed job of ``batch``: its outcome, or :data:`SENT` when its mark waits for the batch's."""
        try:
            return self._process(c, batch)
        except Exception as exc:  # a bug or an unreachable database must not kill the daemon
            log.exception("job %s: unexpected error", c.id)
            message = f"{type(exc).__name__}: {exc}"
            # after the fenced step the post may be out: in doubt, never a blind retry
            if not self._in_doubt(c, f"unexpected error during the platform call: {message}"):
                self._retry(c, message, None, count=True)
            return "error"

    def _process(self, c: Claim, batch: Batch) -> str:
        job = batch.jobs.get(c.id)
        if job is None:
            raise NotFound(f"job {c.id} no longer exists")
        if job.problem is not None:
            raise job.problem
        account = job.account
        try:
            adapter = self.adapter_for(account)
        except HumasError as exc:
            self._retry(c, f"account {account}: {exc.message}", None, count=True)
            return "retry_wait"
        ckpt = JobCheckpoint(self, c, job.checkpoint)
        if c.state_before == S.IN_DOUBT:
            return self._resolve(c, adapter, job.request, ckpt, batch)
        pace = batch.paces.get(account)
        wait = self.states.next_allowed(account, pace, self.env.clock()) if pace is not None else None
        if wait is not None:
            jobs.fenced(self.env.db, c, states=[S.CLAIMED], now=self.env.clock(), state=c.state_before,
                        run_at=wait, lease_owner=None, lease_until=None)
            return "paced"
        if not jobs.start_sending(self.env.db, c, now=self.env.clock(), lease=self.lease):
            log.warning("job %s: lease lost before sending; another worker has it", c.id)
            return "lost"
        outcome = self._send(c, adapter, account, job.request, ckpt, batch)
        if outcome == SENT and pace is not None:  # the next post of the account in this batch keeps the pacing
            now = self.env.clock()
            batch.paces[account] = pace.after_post(now, self.states.local_day(now))
        return outcome

    def _request(self, job: Row[*tuple[Any, ...]], content: Content | None) -> PublishRequest:
        if content is None:
            raise NotFound(f"content {job.content_id} of job {job.id} no longer exists")
        acc = self.env.settings.account(job.account)
        return PublishRequest(idempotency_key=job.dedupe_key, account=job.account,
                              draft=draft_for(self.env.media, content, acc), not_before=job.created_at,
                              privacy=str(acc.options.get("privacy", "public")))

    def _send(self, c: Claim, adapter: PlatformAdapter, account: str, req: PublishRequest | None,
              ckpt: JobCheckpoint, batch: Batch) -> str:
        try:
            if req is not None:
                result = adapter.publish(req, ckpt)
            else:
                r = ckpt.data["reply"]
                ref = CommentRef(account=account, post_remote_id=r["post_remote_id"],
                                 remote_id=r["comment_remote_id"])
                rr = adapter.reply(ref, r["text"], ckpt)
                result = PublishResult(rr.remote_id, rr.remote_url)
        except AlreadyPublished as exc:
            found = PublishResult(exc.remote_id, exc.remote_url) if exc.remote_id else None
            if found is None and req is not None:
                found = self._find(adapter, req, ckpt)
            return self._published(batch, c, found, note=f"the platform reported a duplicate: {exc.message}")
        except OutcomeUnknown as exc:
            message = f"no answer from the platform after sending: {exc.message}"
            self._in_doubt(c, message)
            log.warning("job %s in doubt: %s", c.id, message)
            return "in_doubt"
        except ContentRejected as exc:
            self._rejected(c, exc)
            return "failed"
        except AuthExpired as exc:
            self._auth_expired(c, exc)
            return "paused"
        except (RateLimited, QuotaExhausted) as exc:
            self._retry(c, exc.message, exc.retry_after, count=False)
            return "retry_wait"
        except RetryLater as exc:
            self._retry(c, exc.message, exc.retry_after, count=exc.retry_after is None)
            return "retry_wait"
        except HumasError as exc:
            self._retry(c, exc.message, None, count=True)
            return "retry_wait"
        return self._published(batch, c, result)

    def _find(self, adapter: PlatformAdapter, req: PublishRequest, ckpt: JobCheckpoint) -> PublishResult | None:
        try:
            return adapter.find_published(req, ckpt)
        except HumasError as exc:
            log.warning("find_published for %s failed: %s", req.idempotency_key, exc.message)
            return None

    def _resolve(self, c: Claim, adapter: PlatformAdapter, req: PublishRequest | None, ckpt: JobCheckpoint,
                 batch: Batch) -> str:
        """An in-doubt job: ask the platform; publish again only once it says the post is not there."""
        now = self.env.clock()
        if req is None:  # a reply: adapters keep a reply key in the checkpoint; a person confirms the rest
            if ckpt.get("reply_id"):
                return self._published(batch, c, PublishResult(str(ckpt.get("reply_id"))), from_claim=True)
            jobs.fenced(self.env.db, c, states=[S.CLAIMED], now=now, state=S.IN_DOUBT,
                        run_at=now + timedelta(days=3650), lease_owner=None, lease_until=None,
                        last_error="the reply may have been posted: check the thread, then retry or cancel the job")
            return "held"
        try:
            found = adapter.find_published(req, ckpt)
        except AuthExpired as exc:
            self._pause(c, exc, states=[S.CLAIMED], state=S.IN_DOUBT, run_at=now,
                        last_error=f"in doubt; account paused: {exc.message}")
            return "paused"
        except HumasError as exc:
            delay = self._backoff(1)
            jobs.fenced(self.env.db, c, states=[S.CLAIMED], now=now, state=S.IN_DOUBT, run_at=now + delay,
                        lease_owner=None, lease_until=None,
                        last_error=f"in doubt; cannot ask the platform: {exc.message}")
            return "in_doubt"
        if found is not None:
            return self._published(batch, c, found, from_claim=True,
                                   note="found on the platform after an unknown outcome")
        if self.env.settings.queue.in_doubt_policy == "hold" and not ckpt.get("confirmed_not_published"):
            jobs.fenced(self.env.db, c, states=[S.CLAIMED], now=now, state=S.IN_DOUBT,
                        run_at=now + timedelta(days=3650), lease_owner=None, lease_until=None,
                        last_error="not found on the platform; confirm and retry to post it again")
            return "held"
        jobs.fenced(self.env.db, c, states=[S.CLAIMED], now=now, state=S.SCHEDULED, run_at=now, lease_owner=None,
                    lease_until=None, last_error="not found on the platform after an unknown outcome; posting again")
        self._audit(c.id, "job.rescheduled", "not found on the platform after an unknown outcome")
        return "rescheduled"

    # --- outcomes ---------------------------------------------------------------------------------------------

    def _published(self, batch: Batch, c: Claim, result: PublishResult | None, *, from_claim: bool = False,
                   note: str = "") -> str:
        batch.sent.append(_Sent(c, result, note, from_claim, self.env.clock()))
        return SENT

    def mark_published(self, sent: list[_Sent]) -> list[str]:
        """Write the ``published`` marks of ``sent`` in one transaction; one by one if that fails, and a mark that
        cannot be written leaves its job ``in_doubt`` (the platform is asked before anything is sent again)."""
        if not sent:
            return []
        try:
            return self._write_published(sent)
        except Exception as exc:
            if len(sent) > 1:
                log.exception("%d published jobs could not be marked together; marking them one by one", len(sent))
                return [outcome for one in sent for outcome in self.mark_published([one])]
            d = sent[0]
            log.exception("job %s: published, but the mark could not be written", d.claim.id)
            try:
                self._in_doubt(d.claim, f"posted, but not recorded ({type(exc).__name__}: {exc}); checking the "
                                        "platform before any retry",
                               states=[S.CLAIMED] if d.from_claim else [S.SENDING])
            except Exception:  # the database is gone: the lease runs out and the reaper makes it in doubt
                log.exception("job %s: could not mark it in doubt either", d.claim.id)
            return ["error"]

    def _write_published(self, sent: list[_Sent]) -> list[str]:
        now = self.env.clock()
        token = sent[0].claim.token  # one claim statement, one token
        assert all(d.claim.token == token for d in sent)
        with self.env.db.session() as s:
            rows = jobs.mark_published(s, token, sending=[d.claim.id for d in sent if not d.from_claim],
                                       claimed=[d.claim.id for d in sent if d.from_claim], now=now)
            published: list[Published] = []
            for d in sent:
                if (row := rows.get(d.claim.id)) is None:
                    continue
                r = d.result
                job = PublishedJob(**row._asdict(), remote_id=r.remote_id if r else None,
                                   remote_url=r.remote_url if r else None,
                                   published_at=r.published_at if r and r.published_at else d.at)
                published.append(Published(job, r, d.note))
            if published:
                jobs.write_published(s, published)
            for kind in dict.fromkeys(p.job.kind for p in published):
                self.completions[kind].published(s, [p for p in published if p.job.kind == kind], now)
        outcomes: list[str] = []
        for d in sent:
            if d.claim.id in rows:
                log.info("job %s published: %s", d.claim.id, d.result.remote_url if d.result else "(duplicate, no id)")
                outcomes.append("published")
            else:
                log.warning("job %s: published, but another worker holds it now; it will find the post", d.claim.id)
                outcomes.append("lost")
        return outcomes

    def _retry(self, c: Claim, message: str, retry_after: datetime | None, *, count: bool) -> None:
        now = self.env.clock()
        q = self.env.settings.queue
        with self.env.db.session() as s:
            job = s.get(PublicationJob, c.id)
            if job is None or job.lease_owner != c.token:
                return
            attempts = job.attempts
        limit = q.max_attempts if count else PLATFORM_WAITS_MAX
        if attempts >= limit:
            self._fail(c, f"gave up after {attempts} attempts: {message}")
            return
        run_at = retry_after if retry_after is not None and retry_after > now else now + self._backoff(attempts)
        jobs.fenced(self.env.db, c, states=[S.SENDING, S.CLAIMED], now=now, state=S.RETRY_WAIT, run_at=run_at,
                    lease_owner=None, lease_until=None, last_error=message)
        log.info("job %s: retry at %s: %s", c.id, run_at.isoformat(timespec="seconds"), message)

    def _backoff(self, attempts: int) -> timedelta:
        """Exponential backoff with full jitter, bounded."""
        q = self.env.settings.queue
        cap = min(q.backoff_max_seconds, q.backoff_base_seconds * (2 ** max(attempts - 1, 0)))
        return timedelta(seconds=max(1.0, self.rng.uniform(cap / 2, cap)))

    def _fail(self, c: Claim, message: str, *, rejected: bool = False) -> None:
        now = self.env.clock()
        if not jobs.fenced(self.env.db, c, states=[S.SENDING, S.CLAIMED], now=now, state=S.FAILED,
                           lease_owner=None, lease_until=None, last_error=message):
            return
        with self.env.db.session() as s:
            job = s.get(PublicationJob, c.id)
            assert job is not None
            audit.append(s, actor=SYSTEM, action="job.failed", subject_type="job", subject_id=job.id, note=message,
                         data={"content": job.content_id, "account": job.account}, at=now)
            self.completions[job.kind].failed(s, job, message, now, rejected=rejected)
        self.notify("job_failed", f"Publikasi gagal (job {c.id})", message)

    def _rejected(self, c: Claim, exc: ContentRejected) -> None:
        message = f"{exc.platform or 'platform'} rejected the content ({exc.rule or 'rejected'}): {exc.message}"
        self._fail(c, message, rejected=True)

    def _pause(self, c: Claim, exc: AuthExpired, *, states: list[str], **job: Any) -> None:
        """Pause the job's account and write ``job`` to the job (fenced, from ``states``), in one transaction."""
        now = self.env.clock()
        with self.env.db.session() as s:
            account = s.execute(select(PublicationJob.account).where(PublicationJob.id == c.id)).scalar_one()
            first = self.states.pause(s, account, exc.message, now)
            if first:
                audit.append(s, actor=SYSTEM, action="account.paused", subject_type="account", subject_id=account,
                             note=exc.message, at=now)
            jobs.fence(s, c, states=states, now=now, lease_owner=None, lease_until=None, **job)
        if first:
            self.notify("account_paused", f"Akun {exc.account or ''} dijeda: otorisasi kedaluwarsa", exc.message)

    def _auth_expired(self, c: Claim, exc: AuthExpired) -> None:
        # not the job's fault: it waits, attempts unchanged, until an admin re-authorises and resumes the account
        self._pause(c, exc, states=[S.SENDING], state=S.RETRY_WAIT, run_at=self.env.clock(),
                    attempts=PublicationJob.attempts - 1, last_error=f"account paused: {exc.message}")

    def _in_doubt(self, c: Claim, message: str, *, states: Sequence[str] = (S.SENDING,)) -> bool:
        """The job may be on the platform: ``in_doubt`` (fenced, from ``states``), asked again after the settle
        time, never re-sent blindly. True when the mark was written."""
        now = self.env.clock()
        return jobs.fenced(self.env.db, c, states=states, now=now, state=S.IN_DOUBT, run_at=now + self.settle,
                           lease_owner=None, lease_until=None, last_error=message)

    def _audit(self, job_id: int, action: str, note: str) -> None:
        with self.env.db.session() as s:
            audit.append(s, actor=SYSTEM, action=action, subject_type="job", subject_id=job_id, note=note,
                         at=self.env.clock())

