"""The monitor: polls published posts for comments, account by account, under leases and budgets.

One :meth:`Monitor.run_once`:

1. claims the accounts that are due (:mod:`humas.monitor.leases`: one atomic claim, so two daemons never poll one
   account at once);
2. per account, polls each post whose ``next_poll_at`` has come: follows the adapter's cursor for at most
   ``max_pages`` calls, stores each comment once (:func:`~humas.monitor.store.store_comments`), moves the post's
   cursor and its next poll along the decay schedule, and counts the API cost against the account's daily budget;
   each post is one transaction, fenced on the lease;
3. reads the engagement figures of the posts it polled (adapters with :class:`~humas.publisher.base.EngagementReader`),
   batched per account, at most once per post per ``monitor.engagement_every``, from at most half of the daily budget
   so figures never starve comment polling (:mod:`humas.monitor.engagement`).

What it stores is left unclassified for the classification stage (:mod:`humas.classify`).

A rate limit or quota postpones only that account (``next_run_at`` = the platform's reset); an expired token is
reported (the dispatcher pauses the account when it publishes); a spent budget stops the account until the next
local day. Network calls never run inside a database transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from humas.env import Env
from humas.errors import (
    AuthExpired,
    ContentRejected,
    HumasError,
    InvalidInput,
    NotFound,
    PublishError,
    QuotaExhausted,
    RateLimited,
)
from humas.monitor import leases
from humas.monitor.engagement import due_for_figures, store_figures
from humas.monitor.leases import PollClaim
from humas.monitor.schedule import next_poll, parse_schedule
from humas.monitor.store import store_comments
from humas.publisher.base import AdapterFor, EngagementReader, PlatformAdapter, PlatformPostRef, RemoteComment
from humas.store.models import Post

log = logging.getLogger("humas.monitor")

RETRY_AFTER_ERROR = timedelta(minutes=1)
RETRY_AFTER_AUTH = timedelta(minutes=15)
# Engagement figures may spend the daily budget only up to this share of it: comments come first.
ENGAGEMENT_BUDGET_SHARE = 0.5


@dataclass
class AccountReport:
    """One account's part of a run. ``outcome``: ok | rate_limited | budget_spent | auth_expired | error |
    lease_lost."""

    account: str
    posts: int = 0
    fetched: int = 0
    new: int = 0
    cost: int = 0
    budget_used: int = 0
    budget: int | None = None
    figures: int = 0  # posts whose engagement figures were stored
    outcome: str = "ok"
    detail: str = ""
    next_run_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"account": self.account, "posts": self.posts, "fetched": self.fetched, "new": self.new,
                "cost": self.cost, "budget_used": self.budget_used, "budget": self.budget, "figures": self.figures,
                "outcome": self.outcome,
                "detail": self.detail,
                "next_run_at": self.next_run_at.isoformat(timespec="seconds") if self.next_run_at else None}


@dataclass
class MonitorReport:
    accounts: list[AccountReport] = field(default_factory=list)

    @property
    def new_comments(self) -> int:
        return sum(a.new for a in self.accounts)

    def outcome(self, account: str) -> str | None:
        return next((a.outcome for a in self.accounts if a.account == account), None)


@dataclass
class _Fetched:
    comments: list[RemoteComment]
    cursor: str | None
    cost: int
    calls: int
    error: HumasError | None = None


class Monitor:
    """Comment polling for one daemon (``owner`` names it in leases, e.g. ``host:pid``) through ``adapter_for``."""

    def __init__(self, env: Env, owner: str, *, adapter_for: AdapterFor, max_pages: int = 10,
                 max_posts: int = 100) -> None:
        self.env = env
        self.owner = owner
        self.settings = env.settings.monitor
        self.schedule = parse_schedule(self.settings.schedule)
        self.adapter_for = adapter_for
        self.max_pages = max_pages
        self.max_posts = max_posts
        # account -> when to try its figures again after a failure (said once, not at every 2-minute poll)
        self._figures_paused_until: dict[str, datetime] = {}

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.lease_seconds)

    def accounts(self) -> list[str]:
        return [a.name for a in self.env.settings.accounts if a.enabled]

    # --- one run ------------------------------------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> MonitorReport:
        """Poll every due account this monitor can claim and store what is new."""
        now = now or self.env.clock()
        report = MonitorReport()
        names = self.accounts()
        leases.ensure(self.env.db, names, now)
        claims = leases.claim(self.env.db, self.owner, names, now=now, lease=self.lease)
        for c in claims:
            try:
                rep = self._poll_account(c, now)
            except Exception as exc:  # one broken account must not stop the others; the lease is handed back
                log.exception("monitor: account %s failed", c.account)
                rep = AccountReport(c.account, outcome="error", detail=f"{type(exc).__name__}: {exc}")
                rep.next_run_at = now + RETRY_AFTER_ERROR
                leases.release(self.env.db, c, next_run_at=rep.next_run_at)
            report.accounts.append(rep)
        return report

    # --- one account --------------------------------------------------------------------------------------------

    def budget_key(self, account: str) -> str:
        """The ``monitor.daily_budget`` key of an account: its platform, or the one a sandbox account imitates."""
        return self.env.settings.account(account).behaves_like.value

    def _poll_account(self, c: PollClaim, now: datetime) -> AccountReport:
        rep = AccountReport(c.account)
        day = self.env.local(now).date().isoformat()
        used = c.budget_used if c.budget_day == day else 0
        budget = self.settings.daily_budget.get(self.budget_key(c.account))
        rep.budget = budget
        next_run: datetime | None = None
        due = self._due_posts(c.account, now)
        polled: list[tuple[int, str]] = []  # (post id, remote id) polled in this pass: their figures may be read
        try:
            adapter = self.adapter_for(c.account) if due else None
        except HumasError as exc:  # missing credentials or extra: said once per retry period, never fatal
            rep.outcome, rep.detail = "error", exc.message
            rep.next_run_at = now + RETRY_AFTER_AUTH
            leases.release(self.env.db, c, next_run_at=rep.next_run_at)
            return rep
        for post_id in due:
            assert adapter is not None
            if budget is not None and used >= budget:
                rep.outcome, rep.detail = "budget_spent", f"daily budget {budget} spent"
                next_run = self._next_day(now)
                break
            with self.env.db.session() as s:
                post = s.get(Post, post_id)
                if post is None:
                    continue
                ref = PlatformPostRef(post.account, post.remote_id, post.published_at)
                cursor = post.poll_cursor
            got = self._fetch(adapter, ref, cursor, None if budget is None else budget - used)
            used += got.cost
            rep.posts += 1
            rep.fetched += len(got.comments)
            rep.cost += got.cost
            stop_post = isinstance(got.error, NotFound) or (
                isinstance(got.error, ContentRejected) and got.error.rule in ("not_found", "deleted"))
            with self.env.db.session() as s:
                post = s.get(Post, post_id)
                assert post is not None
                stored = store_comments(s, post, got.comments, source="poll", now=now)
                rep.new += len(stored.new)
                if got.calls or got.error is None:
                    post.poll_cursor = None if isinstance(got.error, InvalidInput) else got.cursor
                if got.error is None or stop_post or isinstance(got.error, (ContentRejected, InvalidInput)):
                    post.last_polled_at = now
                    post.next_poll_at = None if stop_post else next_poll(self.schedule, post.published_at, now)
                if not leases.record(s, c, budget_day=day, budget_used=used, lease_until=self.env.clock() + self.lease):
                    s.rollback()
                    rep.outcome, rep.detail = "lease_lost", "another monitor took over this account"
                    rep.budget_used = used
                    return rep
            err = got.error
            if err is None or stop_post or isinstance(err, (ContentRejected, InvalidInput)):
                if err is not None:
                    log.info("monitor: %s post %s: %s", c.account, ref.remote_id, err.message)
                if not stop_post:
                    polled.append((post_id, ref.remote_id))
                continue
            if isinstance(err, RateLimited | QuotaExhausted):
                reset = err.reset_at if isinstance(err, RateLimited) else err.resets_at
                rep.outcome, rep.detail = "rate_limited", err.message
                next_run = reset if reset is not None and reset > now else now + RETRY_AFTER_ERROR
            elif isinstance(err, AuthExpired):
                rep.outcome, rep.detail = "auth_expired", err.message
                next_run = now + RETRY_AFTER_AUTH
            else:
                rep.outcome, rep.detail = "error", err.message
                next_run = now + RETRY_AFTER_ERROR
            log.warning("monitor: %s: %s: %s", c.account, rep.outcome, err.message)
            break
        if rep.outcome == "ok" and isinstance(adapter, EngagementReader) and polled:
            spent = self._read_figures(c, adapter, polled, now, day, used, budget, rep)
            if spent is None:
                return rep  # the lease was lost: another monitor holds the account
            used = spent
            next_run = rep.next_run_at or next_run
        if rep.outcome == "ok" and budget is not None and used >= budget:
            rep.outcome, rep.detail, next_run = "budget_spent", f"daily budget {budget} spent", self._next_day(now)
        rep.budget_used = used
        rep.next_run_at = next_run or self._next_run(c.account, now)
        leases.release(self.env.db, c, next_run_at=rep.next_run_at)
        return rep

    def _read_figures(self, c: PollClaim, adapter: EngagementReader, polled: list[tuple[int, str]], now: datetime,
                      day: str, used: int, budget: int | None, rep: AccountReport) -> int | None:
        """Read and store the figures of the polled posts that are due for them, in the adapter's batches and within
        the budget's engagement share. Returns the budget used, or None when the lease was lost.

        ``AuthExpired``, ``RateLimited`` and ``QuotaExhausted`` act on the account as they do for comments (the
        report says so, ``rep.next_run_at`` is set); any other failure leaves the figures out, said once in the log,
        and the account's figures wait ``engagement_every`` before the next try. Comments stored before stand.
        """
        every = self.settings.engagement_interval
        paused = self._figures_paused_until.get(c.account)
        if every <= timedelta(0) or (paused is not None and now < paused):
            return used
        with self.env.db.session() as s:
            due = set(due_for_figures(s, [pid for pid, _ in polled], now, every))
        todo = [(pid, rid) for pid, rid in polled if pid in due]
        cap = None if budget is None else int(budget * ENGAGEMENT_BUDGET_SHARE)
        size = max(1, int(adapter.engagement_batch))
        while todo:
            batch = todo[:size]
            while batch and cap is not None and used + adapter.engagement_cost(len(batch)) > cap:
                batch.pop()
            if not batch:
                break
            todo = todo[len(batch):]
            used += adapter.engagement_cost(len(batch))  # a refused call is billed too
            rep.cost += adapter.engagement_cost(len(batch))
            try:
                figures = adapter.engagement([rid for _, rid in batch])
                err: Exception | None = None
            except Exception as exc:  # one broken figures call never costs the account its comments
                figures, err = {}, exc
            with self.env.db.session() as s:
                for pid, rid in batch:
                    if rid in figures:
                        store_figures(s, pid, figures[rid], now)
                        rep.figures += 1
                if not leases.record(s, c, budget_day=day, budget_used=used, lease_until=self.env.clock() + self.lease):
                    s.rollback()
                    rep.outcome, rep.detail = "lease_lost", "another monitor took over this account"
                    rep.figures, rep.budget_used = 0, used
                    return None
            if err is None:
                continue
            if isinstance(err, RateLimited | QuotaExhausted):
                reset = err.reset_at if isinstance(err, RateLimited) else err.resets_at
                rep.outcome, rep.detail = "rate_limited", err.message
                rep.next_run_at = reset if reset is not None and reset > now else now + RETRY_AFTER_ERROR
            elif isinstance(err, AuthExpired):
                rep.outcome, rep.detail = "auth_expired", err.message
                rep.next_run_at = now + RETRY_AFTER_AUTH
            else:
                self._figures_paused_until[c.account] = now + every
            # HumasError messages are written to be shown (secrets masked); of anything else only its type
            why = err.message if isinstance(err, HumasError) else type(err).__name__
            log.warning("monitor: %s: engagement figures left out: %s", c.account, why)
            break
        return used

    def _due_posts(self, account: str, now: datetime) -> list[int]:
        due = or_(Post.next_poll_at <= now, and_(Post.next_poll_at.is_(None), Post.last_polled_at.is_(None)))
        with self.env.db.session() as s:
            return list(s.execute(
                select(Post.id).where(Post.account == account, due)
                .order_by(func.coalesce(Post.next_poll_at, Post.published_at), Post.id)
                .limit(self.max_posts)
            ).scalars())

    def _fetch(self, adapter: PlatformAdapter, ref: PlatformPostRef, cursor: str | None,
               remaining: int | None) -> _Fetched:
        """Follow the adapter's cursor: until it ends (None), stops moving, returns nothing, the budget is spent or
        ``max_pages`` calls were made. Stops at the first error and returns it with what came before."""
        out = _Fetched([], cursor, 0, 0)
        for _ in range(self.max_pages):
            if remaining is not None and out.cost >= remaining:
                break
            try:
                page = adapter.fetch_comments(ref, out.cursor)
            except (PublishError, NotFound, InvalidInput) as exc:
                out.error = exc
                out.cost += 1  # a refused call usually costs too (YouTube: at least 1 unit)
                break
            out.calls += 1
            out.cost += max(0, int(page.cost))
            out.comments.extend(page.comments)
            moved = page.cursor != out.cursor
            out.cursor = page.cursor
            if page.cursor is None or not moved or not page.comments:
                break
        return out

    def _next_run(self, account: str, now: datetime) -> datetime:
        """The account is due again when its earliest post is, but at least every ``tick_seconds`` (new posts)."""
        tick = now + timedelta(seconds=self.settings.tick_seconds)
        with self.env.db.session() as s:
            earliest = s.execute(
                select(func.min(Post.next_poll_at)).where(Post.account == account, Post.next_poll_at.is_not(None))
            ).scalar()
        if earliest is None:
            return tick
        return max(now, min(earliest, tick))

    def _next_day(self, now: datetime) -> datetime:
        local = self.env.local(now)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        return midnight.astimezone(now.tzinfo)
