"""The platform side of the sandbox: posts, comments, counters and scripted failures in their own SQLite file.

The file is separate from humas's database, so a post the sandbox accepted survives even when humas's transaction
did not commit, exactly as on a real platform; several processes may share the file. Rules, ids and URLs are the
imitated platform's (:mod:`.imitation`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast
from urllib.parse import quote

from humas.errors import AlreadyPublished, ContentRejected, InvalidInput, NotFound, QuotaExhausted
from humas.publisher.base import MediaFile, Platform
from humas.publisher.http import utcnow
from humas.publisher.sandbox import imitation
from humas.publisher.sandbox.failures import FAILURE_MODES
from humas.publisher.sandbox.imitation import DAY, rules_for

PAGE_SIZE = 50
_SANDBOX = Platform.SANDBOX.value


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
class SimulatedPost:
    """A post as the simulated public sees it: when it appeared and how far its comments were simulated."""

    seq: int
    remote_id: str
    imitates: Platform
    created_at: datetime
    simulated_until: datetime | None


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
        rules = rules_for(imitates)
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
                        f"sandbox {rules.label}: {rules.duplicate_message}", remote_id=dup["remote_id"],
                        remote_url=dup["url"], platform=_SANDBOX, account=account,
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
                        resets_at=datetime.fromisoformat(recent[0]["created_at"]) + DAY, platform=_SANDBOX,
                        account=account,
                    )
            n = self._next(conn, imitation.counter_name(imitates, "post"))
            remote_id = imitation.post_id(imitates, account, n)
            url = imitation.post_url(imitates, account, remote_id)
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
            return self._insert_comment(
                conn, post["remote_id"], Platform(post["imitates"]), text, author, reply_to, at or self.clock(),
                is_own=False,
            )

    def add_reply(self, account: str, comment_id: str, text: str, *, idempotency_key: str) -> SandboxComment:
        """A reply written by ``account`` under a comment.

        A second reply with the same ``idempotency_key`` raises ``AlreadyPublished`` with the first reply's id.
        Instagram answers a reply to a reply in the top-level thread and refuses replies to hidden comments (§3.1).
        """
        with self._tx(write=True) as conn:
            dup = conn.execute("SELECT * FROM comments WHERE idempotency_key = ?", (idempotency_key,)).fetchone()
            if dup is not None:
                raise AlreadyPublished(
                    "sandbox: this reply was already posted", remote_id=dup["remote_id"],
                    remote_url=self._comment_url(conn, dup), platform=_SANDBOX, account=account,
                )
            target = self._comment_row(conn, comment_id)
            post = self._post_row(conn, target["post_remote_id"])
            imitates = Platform(post["imitates"])
            parent = comment_id
            if imitates is Platform.INSTAGRAM:
                if target["hidden"]:
                    raise ContentRejected(
                        "sandbox Instagram: cannot reply to a hidden comment",
                        rule="comment_hidden", platform=_SANDBOX, account=account,
                    )
                parent = target["parent_remote_id"] or comment_id
            return self._insert_comment(
                conn, post["remote_id"], imitates, text, account, parent, self.clock(),
                is_own=post["account"] == account, idempotency_key=idempotency_key,
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

    # --- the simulated public ---------------------------------------------------------------------------------

    @contextmanager
    def public_session(self) -> Iterator[PublicSession]:
        """The hook :func:`humas.publisher.sandbox.public.simulate` writes through: one write transaction.

        Everything done through the yielded :class:`PublicSession` commits together, or not at all.
        """
        with self._tx(write=True) as conn:
            yield PublicSession(self, conn)

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
        self, conn: sqlite3.Connection, post_remote_id: str, imitates: Platform, text: str, author: str,
        parent: str | None, at: datetime, is_own: bool, idempotency_key: str | None = None,
    ) -> SandboxComment:
        n = self._next(conn, imitation.counter_name(imitates, "comment"))
        remote_id = imitation.comment_id(imitates, post_remote_id, parent, n)
        cur = conn.execute(
            "INSERT INTO comments (remote_id, post_remote_id, parent_remote_id, author, text, created_at, is_own,"
            " idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (remote_id, post_remote_id, parent, author, text, _ts(at), int(is_own), idempotency_key),
        )
        return SandboxComment(remote_id, post_remote_id, text, author, at.astimezone(UTC), int(cur.lastrowid or 0),
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


class PublicSession:
    """What the simulated public may do inside one write transaction of a :class:`SandboxPlatform`.

    Obtained from :meth:`SandboxPlatform.public_session`; valid only inside that ``with`` block.
    """

    def __init__(self, platform: SandboxPlatform, conn: sqlite3.Connection) -> None:
        self._platform = platform
        self._conn = conn

    def posts_since(self, since: datetime) -> list[SimulatedPost]:
        """Posts that are not deleted and were created after ``since``, oldest first."""
        rows = self._conn.execute(
            "SELECT * FROM posts WHERE deleted = 0 AND created_at > ? ORDER BY seq", (_ts(since),)
        ).fetchall()
        return [
            SimulatedPost(
                seq=r["seq"], remote_id=r["remote_id"], imitates=Platform(r["imitates"]),
                created_at=datetime.fromisoformat(r["created_at"]),
                simulated_until=None if r["simulated_until"] is None else datetime.fromisoformat(r["simulated_until"]),
            )
            for r in rows
        ]

    def public_comment_ids(self, post: SimulatedPost) -> list[str]:
        """Ids of the post's comments not written by its account, oldest first."""
        return [r["remote_id"] for r in self._conn.execute(
            "SELECT remote_id FROM comments WHERE post_remote_id = ? AND is_own = 0 ORDER BY seq", (post.remote_id,)
        )]

    def add_comment(
        self, post: SimulatedPost, text: str, author: str, parent: str | None, at: datetime
    ) -> SandboxComment:
        """A public comment on ``post`` (``parent``: a comment it answers), stored as written at ``at``."""
        return self._platform._insert_comment(
            self._conn, post.remote_id, post.imitates, text, author, parent, at, is_own=False
        )

    def mark_simulated(self, post: SimulatedPost, until: datetime) -> None:
        """Remember that the post's comments are simulated up to ``until``."""
        self._conn.execute("UPDATE posts SET simulated_until = ? WHERE seq = ?", (_ts(until), post.seq))
