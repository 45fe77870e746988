"""The embedded default platform: a local imitation of X, Facebook, Instagram or YouTube.

:class:`SandboxPlatform` is the "platform server". It keeps posts and comments in its own SQLite file, separate from
humas's database, so a post it accepted survives even when humas's transaction did not commit, exactly as on a real
platform; several processes may share the file. :class:`SandboxAdapter` is the :class:`PlatformAdapter` over it,
with the imitated platform's limits, duplicate rules, id formats and (optionally) injected failures.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import sqlite3
import threading
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, cast
from urllib.parse import quote

from humas.errors import (
    AlreadyPublished,
    AuthExpired,
    ConfigError,
    ContentRejected,
    InvalidInput,
    NetworkError,
    NotFound,
    OutcomeUnknown,
    PlatformUnavailable,
    QuotaExhausted,
    RateLimited,
)
from humas.publisher.base import (
    AccountStatus,
    Checkpoint,
    CommentPage,
    CommentRef,
    MediaFile,
    Platform,
    PlatformLimits,
    PlatformPostRef,
    PostDraft,
    Problem,
    PublishRequest,
    PublishResult,
    RemoteComment,
    ReplyResult,
    check_limits,
    reject_if_invalid,
)
from humas.publisher.limits import LIMITS

FAILURE_MODES = ("rate_limited", "server_error", "timeout_after_send", "auth_expired", "network_error")
COMMENT_KINDS = ("praise", "question", "complaint", "abusive", "spam", "other")
PAGE_SIZE = 50
DAY = timedelta(days=1)
FIND_WINDOW = timedelta(hours=48)
SANDBOX_HOST = "https://sandbox.humas.local"
_SANDBOX = Platform.SANDBOX.value

# The mix of public comments simulate() draws: mostly questions and complaints, as on local-government pages.
_KIND_WEIGHTS = {"praise": 22, "question": 25, "complaint": 28, "other": 12, "abusive": 6, "spam": 7}
_DECAY_S = 60.0  # seconds: a newcomer sees the first comments within a minute or two
_REPLY_SHARE = 0.15  # share of simulated comments that answer an earlier public comment


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Rules:
    label: str
    duplicate_window: timedelta | None  # same text, same account: refused (X 403 duplicate §1.4, FB 506 §2.3)
    duplicate_message: str
    daily_posts: int | None  # IG: 50 API-published posts per rolling 24 h (§3.1)


_RULES: dict[Platform, _Rules] = {
    Platform.X: _Rules("X", DAY, "You are not allowed to create a Tweet with duplicate content.", None),
    Platform.FACEBOOK: _Rules("Facebook", DAY, "(#506) Duplicate status message", None),
    Platform.INSTAGRAM: _Rules("Instagram", None, "", 50),
    Platform.YOUTUBE: _Rules("YouTube", None, "", None),
}


def _rules(imitates: Platform) -> _Rules:
    try:
        return _RULES[imitates]
    except KeyError:
        names = ", ".join(p.value for p in _RULES)
        raise ConfigError(f"the sandbox cannot imitate {imitates.value!r}; choose one of: {names}") from None


@dataclass(frozen=True)
class SandboxPost:
    remote_id: str
    account: str
    text: str
    created_at: datetime
    url: str
    imitates: Platform
    reply_to: str | None = None
    title: str = ""
    idempotency_key: str | None = None


@dataclass(frozen=True)
class SandboxComment:
    remote_id: str
    post_remote_id: str
    text: str
    author: str
    created_at: datetime
    seq: int
    parent_remote_id: str | None = None
    hidden: bool = False
    deleted: bool = False
    is_own: bool = False


@dataclass(frozen=True)
class _SampleComment:
    text: str
    kind: str


_SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    remote_id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    imitates TEXT NOT NULL,
    text TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    media TEXT NOT NULL DEFAULT '[]',
    idempotency_key TEXT,
    created_at TEXT NOT NULL,
    url TEXT NOT NULL,
    in_reply_to TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    simulated_until TEXT
);
CREATE INDEX IF NOT EXISTS posts_account ON posts (account, imitates, created_at);
CREATE TABLE IF NOT EXISTS comments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    remote_id TEXT NOT NULL UNIQUE,
    post_remote_id TEXT NOT NULL REFERENCES posts (remote_id),
    parent_remote_id TEXT,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    hidden INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    is_own INTEGER NOT NULL DEFAULT 0,
    idempotency_key TEXT UNIQUE
);
CREATE INDEX IF NOT EXISTS comments_post ON comments (post_remote_id, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS failure_script (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    op TEXT NOT NULL,
    mode TEXT NOT NULL
);
"""


def _ts(dt: datetime) -> str:
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt!r}: the sandbox needs aware datetimes")
    # fixed width, so that stored timestamps compare correctly as strings
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def _b64id(seed: str, length: int) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:length]


def _post_id(imitates: Platform, account: str, n: int) -> str:
    if imitates is Platform.X:
        return str(1_880_000_000_000_000_000 + n * 4_194_304)  # 19-digit snowflake
    if imitates is Platform.FACEBOOK:
        page_id = 100_000_000_000_000 + int(hashlib.sha256(account.encode()).hexdigest()[:12], 16) % 10**14
        return f"{page_id}_{122_100_000_000_000 + n * 17}"  # "{page-id}_{post-id}"
    if imitates is Platform.INSTAGRAM:
        return str(17_900_000_000_000_000 + n * 7)  # 17-digit IG media id
    return _b64id(f"video:{account}:{n}", 11)  # YouTube video id


def _comment_id(imitates: Platform, post_remote_id: str, parent: str | None, n: int) -> str:
    if imitates is Platform.X:
        return str(1_880_000_000_000_000_000 + n * 4_194_304)  # replies are tweets, from the same counter
    if imitates is Platform.FACEBOOK:
        return f"{post_remote_id.rsplit('_', 1)[-1]}_{1_000_000 + n}"
    if imitates is Platform.INSTAGRAM:
        return str(17_850_000_000_000_000 + n * 3)
    if parent is not None:
        return f"{parent.split('.', 1)[0]}.{_b64id(f'reply:{n}', 22)}"
    return "Ugz" + _b64id(f"thread:{n}", 23)


def _counter(imitates: Platform, what: str) -> str:
    return f"{imitates.value}.tweet" if imitates is Platform.X else f"{imitates.value}.{what}"


def _url(imitates: Platform, account: str, remote_id: str) -> str:
    return f"{SANDBOX_HOST}/{imitates.value}/{quote(account, safe='')}/{quote(remote_id, safe='')}"


def _poisson(lam: float, rng: random.Random) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _age_share(age_s: float) -> float:
    """Share of a post's first-day comments that arrive by ``age_s`` seconds (hyperbolic decay)."""
    return math.log1p(min(age_s, DAY.total_seconds()) / _DECAY_S) / math.log1p(DAY.total_seconds() / _DECAY_S)


def load_sample_comments() -> tuple[list[_SampleComment], list[str]]:
    """The sample comments and author handles in ``sandbox_comments.toml``."""
    raw = resources.files("humas.publisher").joinpath("sandbox_comments.toml").read_text(encoding="utf-8")
    data = tomllib.loads(raw)
    samples = [_SampleComment(str(c["text"]), str(c["kind"])) for c in data["comment"]]
    unknown = sorted({s.kind for s in samples} - set(COMMENT_KINDS))
    if unknown:
        raise ConfigError(f"sandbox_comments.toml: unknown kind(s) {unknown}")
    return samples, [str(a) for a in data["authors"]]


class SandboxPlatform:
    """The platform side of the sandbox: posts, comments, counters and scripted failures in one SQLite file.

    Each instance holds one connection (guarded by a lock, so threads may share the instance); any number of
    instances in any number of processes may use the same file (WAL, ``busy_timeout``). Every check-then-insert is
    one ``BEGIN IMMEDIATE`` transaction, so two processes cannot both pass a duplicate check. ``close()`` releases
    the connection; the next call opens it again.
    """

    def __init__(self, db_path: Path, clock: Callable[[], datetime] = utcnow, *, busy_timeout_s: float = 10.0):
        self.db_path = Path(db_path)
        self.clock = clock
        self._busy_timeout_ms = int(busy_timeout_s * 1000)
        self._samples: tuple[list[_SampleComment], list[str]] | None = None
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._connection().executescript(f"BEGIN IMMEDIATE; {_SCHEMA} COMMIT;")

    def __repr__(self) -> str:
        return f"SandboxPlatform({str(self.db_path)!r})"

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self.db_path, timeout=self._busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            conn.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL: a commit survives the crash of any process (what the sandbox imitates), not a power cut
            conn.execute("PRAGMA synchronous = NORMAL")
            self._conn = conn
        return self._conn

    @contextmanager
    def _tx(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # --- posts ------------------------------------------------------------------------------------------------

    def create_post(
        self,
        account: str,
        text: str,
        *,
        imitates: Platform,
        title: str = "",
        media: Sequence[MediaFile] = (),
        idempotency_key: str | None = None,
        in_reply_to: str | None = None,
    ) -> SandboxPost:
        """Store a post as the imitated platform would accept it.

        Raises ``AlreadyPublished`` (X, Facebook: the same text from the same account within 24 h) and
        ``QuotaExhausted`` (Instagram: 50 posts per rolling 24 h); ``NotFound`` when ``in_reply_to`` is unknown.
        """
        rules = _rules(imitates)
        now = self.clock()
        with self._tx(write=True) as conn:
            if in_reply_to is not None:
                self._post_row(conn, in_reply_to)
            if rules.duplicate_window is not None:
                dup = conn.execute(
                    "SELECT remote_id, url FROM posts WHERE account = ? AND imitates = ? AND text = ? AND deleted = 0"
                    " AND created_at > ? ORDER BY seq LIMIT 1",
                    (account, imitates.value, text, _ts(now - rules.duplicate_window)),
                ).fetchone()
                if dup is not None:
                    raise AlreadyPublished(
                        f"sandbox {rules.label}: {rules.duplicate_message}",
                        remote_id=dup["remote_id"],
                        remote_url=dup["url"],
                        platform=_SANDBOX,
                        account=account,
                    )
            if rules.daily_posts is not None:
                recent = conn.execute(
                    "SELECT created_at FROM posts WHERE account = ? AND imitates = ? AND created_at > ?"
                    " ORDER BY created_at",
                    (account, imitates.value, _ts(now - DAY)),
                ).fetchall()
                if len(recent) >= rules.daily_posts:
                    raise QuotaExhausted(
                        f"sandbox {rules.label}: (#9/2207042) daily publishing limit of {rules.daily_posts} reached",
                        resets_at=datetime.fromisoformat(recent[0]["created_at"]) + DAY,
                        platform=_SANDBOX,
                        account=account,
                    )
            remote_id = _post_id(imitates, account, self._next(conn, _counter(imitates, "post")))
            url = _url(imitates, account, remote_id)
            media_json = json.dumps([{"sha256": m.sha256, "mime": m.mime} for m in media])
            conn.execute(
                "INSERT INTO posts (remote_id, account, imitates, text, title, media, idempotency_key, created_at,"
                " url, in_reply_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (remote_id, account, imitates.value, text, title, media_json, idempotency_key, _ts(now), url,
                 in_reply_to),
            )
        return SandboxPost(remote_id, account, text, now, url, imitates, in_reply_to, title, idempotency_key)

    def get_post(self, remote_id: str) -> SandboxPost:
        """One post, deleted or not; ``NotFound`` when there is none."""
        with self._tx() as conn:
            return self._to_post(self._post_row(conn, remote_id))

    def list_posts(self, account: str | None = None) -> list[SandboxPost]:
        """Posts that are not deleted, newest first; all accounts when ``account`` is None."""
        sql = "SELECT * FROM posts WHERE deleted = 0"
        args: tuple[str, ...] = ()
        if account is not None:
            sql, args = sql + " AND account = ?", (account,)
        with self._tx() as conn:
            return [self._to_post(r) for r in conn.execute(sql + " ORDER BY seq DESC", args)]

    def find_post(
        self, account: str, imitates: Platform, *, since: datetime, idempotency_key: str, text: str, title: str = ""
    ) -> SandboxPost | None:
        """The account's earliest visible post since ``since`` with this idempotency key, else with this text and
        title (never matched on an empty text and title)."""
        base = "SELECT * FROM posts WHERE account = ? AND imitates = ? AND deleted = 0 AND created_at >= ?"
        args = (account, imitates.value, _ts(since))
        with self._tx() as conn:
            row = conn.execute(base + " AND idempotency_key = ? ORDER BY seq LIMIT 1", (*args, idempotency_key))
            found = row.fetchone()
            if found is None and (text or title):
                row = conn.execute(base + " AND text = ? AND title = ? ORDER BY seq LIMIT 1", (*args, text, title))
                found = row.fetchone()
        return None if found is None else self._to_post(found)

    def delete_post(self, remote_id: str) -> None:
        """Delete a post as its owner would on the platform; it disappears from lists and searches."""
        with self._tx(write=True) as conn:
            self._post_row(conn, remote_id)
            conn.execute("UPDATE posts SET deleted = 1 WHERE remote_id = ?", (remote_id,))

    # --- comments ---------------------------------------------------------------------------------------------

    def add_comment(
        self, post_remote_id: str, text: str, author: str = "warga", reply_to: str | None = None,
        *, at: datetime | None = None,
    ) -> SandboxComment:
        """A public comment (``reply_to``: a comment on the same post). ``NotFound`` for an unknown post or comment."""
        with self._tx(write=True) as conn:
            post = self._post_row(conn, post_remote_id)
            if reply_to is not None:
                self._comment_row(conn, reply_to, post_remote_id)
            return self._insert_comment(conn, post, text, author, reply_to, at or self.clock(), is_own=False)

    def add_reply(self, account: str, comment_id: str, text: str, *, idempotency_key: str) -> SandboxComment:
        """A reply written by ``account`` under a comment.

        A second reply with the same ``idempotency_key`` raises ``AlreadyPublished`` with the first reply's id.
        Instagram answers a reply to a reply in the top-level thread and refuses replies to hidden comments (§3.1).
        """
        with self._tx(write=True) as conn:
            dup = conn.execute("SELECT * FROM comments WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
            if dup is not None:
                raise AlreadyPublished(
                    "sandbox: this reply was already posted",
                    remote_id=dup["remote_id"],
                    remote_url=self._comment_url(conn, dup),
                    platform=_SANDBOX,
                    account=account,
                )
            target = self._comment_row(conn, comment_id)
            post = self._post_row(conn, target["post_remote_id"])
            parent = comment_id
            if Platform(post["imitates"]) is Platform.INSTAGRAM:
                if target["hidden"]:
                    raise ContentRejected(
                        "sandbox Instagram: cannot reply to a hidden comment",
                        rule="comment_hidden", platform=_SANDBOX, account=account,
                    )
                parent = target["parent_remote_id"] or comment_id
            return self._insert_comment(
                conn, post, text, account, parent, self.clock(), is_own=post["account"] == account,
                idempotency_key=idempotency_key,
            )

    def comments(self, post_remote_id: str, after_seq: int = 0, limit: int = PAGE_SIZE) -> list[SandboxComment]:
        """Comments on a post after ``after_seq``, oldest first, hidden and deleted ones included (flagged)."""
        with self._tx() as conn:
            self._post_row(conn, post_remote_id)
            rows = conn.execute(
                "SELECT * FROM comments WHERE post_remote_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (post_remote_id, after_seq, limit),
            ).fetchall()
        return [self._to_comment(r) for r in rows]

    def comment_url(self, comment_id: str) -> str:
        with self._tx() as conn:
            return self._comment_url(conn, self._comment_row(conn, comment_id))

    def hide(self, comment_id: str, hidden: bool = True) -> None:
        with self._tx(write=True) as conn:
            self._comment_row(conn, comment_id)
            conn.execute("UPDATE comments SET hidden = ? WHERE remote_id = ?", (int(hidden), comment_id))

    def delete_comment(self, comment_id: str) -> None:
        with self._tx(write=True) as conn:
            self._comment_row(conn, comment_id)
            conn.execute("UPDATE comments SET deleted = 1 WHERE remote_id = ?", (comment_id,))

    def simulate(
        self, now: datetime, rng: random.Random, *, mean_per_post: float = 30.0, max_per_post: int = 40
    ) -> int:
        """Add the public comments that arrived on every post up to ``now``; returns how many were added.

        A post's comments arrive at a rate ~ 1 / (1 + age / 1 min) during its first day, ``mean_per_post`` on
        average and at most ``max_per_post``, texts drawn from ``sandbox_comments.toml``. The same file contents,
        ``now`` and ``rng`` state give the same comments. Each post remembers how far it was simulated, so calling
        this often, or from several processes, adds each comment once.
        """
        samples, authors = self._sample_comments()
        by_kind = {k: [s for s in samples if s.kind == k] for k in _KIND_WEIGHTS}
        kinds = [k for k in _KIND_WEIGHTS if by_kind[k]]
        weights = [_KIND_WEIGHTS[k] for k in kinds]
        added = 0
        with self._tx(write=True) as conn:
            posts = conn.execute(
                "SELECT * FROM posts WHERE deleted = 0 AND created_at > ? ORDER BY seq", (_ts(now - 2 * DAY),)
            ).fetchall()
            for post in posts:
                created = datetime.fromisoformat(post["created_at"])
                start = max(created, datetime.fromisoformat(post["simulated_until"] or post["created_at"]))
                end = min(now, created + DAY)
                if end <= start:
                    continue
                f0 = _age_share((start - created).total_seconds())
                f1 = _age_share((end - created).total_seconds())
                public = [r["remote_id"] for r in conn.execute(
                    "SELECT remote_id FROM comments WHERE post_remote_id = ? AND is_own = 0 ORDER BY seq",
                    (post["remote_id"],),
                )]
                count = min(_poisson(mean_per_post * (f1 - f0), rng), max(0, max_per_post - len(public)))
                shares = sorted(rng.uniform(f0, f1) for _ in range(count))
                for share in shares:
                    age_s = _DECAY_S * math.expm1(share * math.log1p(DAY.total_seconds() / _DECAY_S))
                    sample = rng.choice(by_kind[rng.choices(kinds, weights)[0]])
                    parent = rng.choice(public) if public and rng.random() < _REPLY_SHARE else None
                    at = min(end, created + timedelta(seconds=age_s))
                    comment = self._insert_comment(conn, post, sample.text, rng.choice(authors), parent, at, False)
                    if parent is None:
                        public.append(comment.remote_id)
                    added += 1
                conn.execute("UPDATE posts SET simulated_until = ? WHERE seq = ?", (_ts(end), post["seq"]))
        return added

    # --- failure scripts --------------------------------------------------------------------------------------

    def script_failures(self, account: str, modes: Sequence[str], *, op: str = "publish") -> None:
        """Make the next ``op`` ("publish" or "reply") calls of ``account`` fail, in order, in any process."""
        unknown = [m for m in modes if m not in FAILURE_MODES]
        if unknown or op not in ("publish", "reply"):
            known = ", ".join(FAILURE_MODES)
            raise InvalidInput(
                f"sandbox: unknown failure mode(s) {unknown} or op {op!r} (modes: {known}; ops: publish, reply)"
            )
        with self._tx(write=True) as conn:
            conn.executemany(
                "INSERT INTO failure_script (account, op, mode) VALUES (?, ?, ?)", [(account, op, m) for m in modes]
            )

    def take_failure(self, account: str, op: str) -> str | None:
        """Consume the next scripted failure mode of ``account`` for ``op``; None when none is left."""
        with self._tx(write=True) as conn:
            row = conn.execute(
                "SELECT seq, mode FROM failure_script WHERE account = ? AND op = ? ORDER BY seq LIMIT 1", (account, op)
            ).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM failure_script WHERE seq = ?", (row["seq"],))
            return str(row["mode"])

    # --- helpers ----------------------------------------------------------------------------------------------

    def _sample_comments(self) -> tuple[list[_SampleComment], list[str]]:
        if self._samples is None:
            self._samples = load_sample_comments()
        return self._samples

    @staticmethod
    def _next(conn: sqlite3.Connection, name: str) -> int:
        row = conn.execute(
            "INSERT INTO counters (name, value) VALUES (?, 1)"
            " ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
            (name,),
        ).fetchone()
        return int(row[0])

    @staticmethod
    def _post_row(conn: sqlite3.Connection, remote_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM posts WHERE remote_id = ?", (remote_id,)).fetchone()
        if row is None:
            raise NotFound(f"sandbox: no post with id {remote_id!r}")
        return cast(sqlite3.Row, row)

    @staticmethod
    def _comment_row(conn: sqlite3.Connection, comment_id: str, post_remote_id: str | None = None) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM comments WHERE remote_id = ?", (comment_id,)).fetchone()
        if row is None or (post_remote_id is not None and row["post_remote_id"] != post_remote_id):
            where = f" on post {post_remote_id!r}" if post_remote_id is not None else ""
            raise NotFound(f"sandbox: no comment with id {comment_id!r}{where}")
        return cast(sqlite3.Row, row)

    def _comment_url(self, conn: sqlite3.Connection, comment: sqlite3.Row) -> str:
        post = self._post_row(conn, comment["post_remote_id"])
        return f"{post['url']}?comment={quote(comment['remote_id'], safe='')}"

    def _insert_comment(
        self, conn: sqlite3.Connection, post: sqlite3.Row, text: str, author: str, parent: str | None,
        at: datetime, is_own: bool, idempotency_key: str | None = None,
    ) -> SandboxComment:
        imitates = Platform(post["imitates"])
        remote_id = _comment_id(imitates, post["remote_id"], parent, self._next(conn, _counter(imitates, "comment")))
        cur = conn.execute(
            "INSERT INTO comments (remote_id, post_remote_id, parent_remote_id, author, text, created_at, is_own,"
            " idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (remote_id, post["remote_id"], parent, author, text, _ts(at), int(is_own), idempotency_key),
        )
        return SandboxComment(remote_id, post["remote_id"], text, author, at.astimezone(UTC), int(cur.lastrowid or 0),
                              parent, is_own=is_own)

    @staticmethod
    def _to_post(row: sqlite3.Row) -> SandboxPost:
        return SandboxPost(
            remote_id=row["remote_id"], account=row["account"], text=row["text"],
            created_at=datetime.fromisoformat(row["created_at"]), url=row["url"], imitates=Platform(row["imitates"]),
            reply_to=row["in_reply_to"], title=row["title"], idempotency_key=row["idempotency_key"],
        )

    @staticmethod
    def _to_comment(row: sqlite3.Row) -> SandboxComment:
        return SandboxComment(
            remote_id=row["remote_id"], post_remote_id=row["post_remote_id"], text=row["text"], author=row["author"],
            created_at=datetime.fromisoformat(row["created_at"]), seq=row["seq"],
            parent_remote_id=row["parent_remote_id"], hidden=bool(row["hidden"]), deleted=bool(row["deleted"]),
            is_own=bool(row["is_own"]),
        )


@dataclass
class FailurePlan:
    """Failures a :class:`SandboxAdapter` injects into ``publish``: first ``next`` in order, then at random.

    Probabilities are per publish call. ``timeout_after_send`` stores the post and then raises ``OutcomeUnknown``
    (what ``find_published`` must resolve); the other modes fail before anything is stored. To script failures
    for a daemon in another process use :meth:`SandboxPlatform.script_failures`, which the adapter consults first.
    """

    rate_limited: float = 0.0
    server_error: float = 0.0
    timeout_after_send: float = 0.0
    auth_expired: float = 0.0
    network_error: float = 0.0
    next: list[str] = field(default_factory=list)
    seed: int | None = None
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = [m for m in self.next if m not in FAILURE_MODES]
        if unknown:
            raise ConfigError(f"sandbox failures: unknown mode(s) {unknown}; known: {', '.join(FAILURE_MODES)}")
        probs = [self._probability(m) for m in FAILURE_MODES]
        if any(p < 0 for p in probs) or sum(probs) > 1:
            raise ConfigError("sandbox failures: probabilities must be >= 0 and sum to at most 1")
        self._rng = random.Random(self.seed)

    def _probability(self, mode: str) -> float:
        return float(getattr(self, mode))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FailurePlan:
        """From settings such as ``{"rate_limited": 0.1, "server_error": 0.05, "seed": 1}``."""
        unknown = sorted(set(config) - {*FAILURE_MODES, "next", "seed"})
        if unknown:
            raise ConfigError(f"sandbox failures: unknown key(s) {unknown}")
        try:
            probs = {m: float(config[m]) for m in FAILURE_MODES if m in config}
            seed = None if config.get("seed") is None else int(config["seed"])
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"sandbox failures: {exc}") from exc
        return cls(**probs, next=[str(m) for m in config.get("next", [])], seed=seed)

    def draw(self) -> str | None:
        """The failure for the next publish call, or None to let it succeed."""
        if self.next:
            return self.next.pop(0)
        u, acc = self._rng.random(), 0.0
        for mode in FAILURE_MODES:
            acc += self._probability(mode)
            if u < acc:
                return mode
        return None


class SandboxAdapter:
    """A sandbox account that behaves like an account on the platform it ``imitates``.

    ``limits`` is a class variable in :class:`PlatformAdapter`, but here it depends on ``imitates``; so
    ``SandboxAdapter(...)`` returns an instance of a subclass per imitated platform whose class variable ``limits``
    holds that platform's limits. The Protocol is satisfied for the type checker and at run time, and
    ``type(adapter).limits`` tells the truth.

    ``latency_ms`` is the platform's own response time, slept on every call; it is never a rate-limit wait.
    """

    platform: ClassVar[Platform] = Platform.SANDBOX
    limits: ClassVar[PlatformLimits]
    imitates: ClassVar[Platform]

    def __new__(cls, account: str, *, imitates: Platform, **kwargs: Any) -> SandboxAdapter:
        _rules(imitates)
        sub = _adapter_class(imitates)
        if not issubclass(sub, cls):
            raise ConfigError(f"{cls.__name__} cannot imitate {imitates.value!r}")
        return super().__new__(sub)

    def __init__(
        self,
        account: str,
        *,
        imitates: Platform,
        db_path: Path,
        latency_ms: int = 0,
        failures: FailurePlan | None = None,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.account = account
        self.latency_ms = latency_ms
        self.failures = failures
        self.clock = clock
        self.server = SandboxPlatform(db_path, clock)
        self._sleep = sleep
        self._label = f"Sandbox ({_rules(imitates).label})"

    def __repr__(self) -> str:
        return f"SandboxAdapter(account={self.account!r}, imitates={self.imitates.value!r})"

    def close(self) -> None:
        self.server.close()

    def validate(self, draft: PostDraft) -> list[Problem]:
        """The imitated platform's limits plus its rules that are not plain limits."""
        problems = check_limits(self.limits, draft, self._label)
        if self.imitates is Platform.X and any(m.is_video for m in draft.media) and len(draft.media) > 1:
            problems.append(Problem("media_mix", f"{self._label}: satu video saja, tanpa foto atau video lain"))
        if self.imitates is Platform.YOUTUBE and not draft.title.strip():
            problems.append(Problem("title_required", f"{self._label}: wajib mengisi judul video"))
        return problems

    def publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        """Post once, as the imitated platform would; see :class:`FailurePlan` for injected failures.

        Half the latency passes before the post is stored (the request travelling) and half after (the answer
        travelling back), so a worker killed in the second half leaves a stored post it never heard about.
        """
        self._latency(0.5)
        mode = self.server.take_failure(self.account, "publish")
        if mode is None and self.failures is not None:
            mode = self.failures.draw()
        if mode is not None and mode != "timeout_after_send":
            self._raise_for(mode)
        reject_if_invalid(self.validate(req.draft), platform=_SANDBOX, account=self.account)
        post = self.server.create_post(
            self.account, req.draft.text, imitates=self.imitates, title=req.draft.title, media=req.draft.media,
            idempotency_key=req.idempotency_key,
        )
        if mode is not None:
            self._raise_for(mode)
        self._latency(0.5)
        return PublishResult(post.remote_id, post.url, post.created_at)

    def find_published(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult | None:
        """Search the account's posts since ``req.not_before`` (else the last 48 h) by key, then by text."""
        self._latency()
        since = req.not_before or self.clock() - FIND_WINDOW
        post = self.server.find_post(
            self.account, self.imitates, since=since, idempotency_key=req.idempotency_key,
            text=req.draft.text, title=req.draft.title,
        )
        return None if post is None else PublishResult(post.remote_id, post.url, post.created_at)

    def fetch_comments(self, ref: PlatformPostRef, cursor: str | None) -> CommentPage:
        """Comments after ``cursor`` (a sequence number), oldest first, 50 a page; ``NotFound`` for an unknown post."""
        self._latency()
        try:
            after = int(cursor) if cursor else 0
        except ValueError:
            raise InvalidInput(f"sandbox: invalid comment cursor {cursor!r}") from None
        if self.server.get_post(ref.remote_id).account != self.account:
            raise NotFound(f"sandbox: post {ref.remote_id!r} does not belong to account {self.account!r}")
        rows = self.server.comments(ref.remote_id, after, PAGE_SIZE + 1)
        page = rows[:PAGE_SIZE]
        comments = [
            RemoteComment(
                remote_id=c.remote_id, post_remote_id=c.post_remote_id, text=c.text, author_handle=c.author,
                created_at=c.created_at, parent_remote_id=c.parent_remote_id, is_own=c.is_own, hidden=c.hidden,
                deleted=c.deleted,
            )
            for c in page
        ]
        return CommentPage(comments, str(page[-1].seq) if len(rows) > PAGE_SIZE else None, cost=1)

    def reply(self, comment: CommentRef, text: str, ckpt: Checkpoint) -> ReplyResult:
        """Reply as the account. The key saved in ``ckpt`` ("reply_key") makes a retry answer ``AlreadyPublished``."""
        self._latency()
        done = ckpt.get("reply_id")
        if done is not None:
            raise AlreadyPublished(
                "sandbox: this reply was already posted", remote_id=str(done), platform=_SANDBOX, account=self.account
            )
        mode = self.server.take_failure(self.account, "reply")
        if mode is not None and mode != "timeout_after_send":
            self._raise_for(mode)
        if self.limits.reply_max is not None and len(text) > self.limits.reply_max:
            raise ContentRejected(
                f"{self._label}: balasan {len(text)} karakter, maksimal {self.limits.reply_max}", rule="reply_max",
                platform=_SANDBOX, account=self.account,
            )
        key = ckpt.get("reply_key")
        if key is None:
            key = f"reply:{uuid.uuid4().hex}"
            ckpt.save("reply_key", key)
        created = self.server.add_reply(self.account, comment.remote_id, text, idempotency_key=str(key))
        ckpt.save("reply_id", created.remote_id)
        if mode is not None:
            self._raise_for(mode)
        return ReplyResult(created.remote_id, self.server.comment_url(created.remote_id))

    def hide_comment(self, comment: CommentRef) -> None:
        """Hide a comment on one of the account's posts; ``NotFound`` when there is no such comment."""
        self._latency()
        if self.server.get_post(comment.post_remote_id).account != self.account:
            raise NotFound(f"sandbox: post {comment.post_remote_id!r} does not belong to account {self.account!r}")
        self.server.hide(comment.remote_id)

    def check(self) -> AccountStatus:
        """Always fine: the sandbox needs no credentials."""
        self._latency()
        return AccountStatus(ok=True, detail="sandbox")

    def _latency(self, share: float = 1.0) -> None:
        if self.latency_ms > 0:
            self._sleep(self.latency_ms * share / 1000)

    def _raise_for(self, mode: str) -> None:
        """The one place that turns an injected failure into humas's error."""
        account = self.account
        if mode == "rate_limited":
            reset_at = self.clock() + timedelta(seconds=60)
            raise RateLimited("sandbox: rate limit reached (injected)", reset_at=reset_at, platform=_SANDBOX,
                              account=account)
        if mode == "server_error":
            raise PlatformUnavailable("sandbox: 503 Service Unavailable (injected)", platform=_SANDBOX, account=account)
        if mode == "network_error":
            raise NetworkError("sandbox: connection refused (injected)", platform=_SANDBOX, account=account)
        if mode == "auth_expired":
            raise AuthExpired("sandbox: access token expired (injected)", platform=_SANDBOX, account=account)
        if mode == "timeout_after_send":
            raise OutcomeUnknown("sandbox: sent, no answer before the timeout (injected)", platform=_SANDBOX,
                                 account=account)
        raise ConfigError(f"sandbox: unknown failure mode {mode!r}")


@cache
def _adapter_class(imitates: Platform) -> type[SandboxAdapter]:
    name = f"Sandbox{_rules(imitates).label}Adapter"
    return cast(type[SandboxAdapter], type(name, (SandboxAdapter,), {"limits": LIMITS[imitates], "imitates": imitates}))
