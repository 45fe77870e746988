"""Fakes shipped with humas, for its own tests and for users' tests: prefer them to ``mock.patch``.

* :class:`FakeClock` / :func:`fake_clock`: a settable clock, usable wherever humas takes ``clock=`` and ``sleep=``.
* :class:`FakePlatform`: an in-memory :class:`~humas.publisher.base.PlatformAdapter` that records every call and can
  be scripted to fail the way real platforms do.
* :class:`~humas.testing_graph.FakeGraphServer` (in :mod:`humas.testing_graph`): a loopback HTTP fake of the Meta
  Graph API for Facebook Pages.
* :class:`LoopbackServer`: what every loopback fake shares (the server's lifecycle, one request handler,
  :class:`Fault` scripting); a fake answers each request with a :class:`LoopbackAnswer`.
* :class:`~humas.publisher.base.MemorySecretStore`: re-exported.
"""

from __future__ import annotations

import abc
import dataclasses
import email
import email.message
import email.policy
import http.server
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any, ClassVar, Self, cast

from humas.errors import (
    AlreadyPublished,
    AuthExpired,
    ContentRejected,
    InvalidInput,
    NotFound,
    OutcomeUnknown,
    PlatformUnavailable,
    RateLimited,
)
from humas.publisher.base import (
    AccountStatus,
    Checkpoint,
    CommentPage,
    CommentRef,
    MemorySecretStore,
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
)
from humas.publisher.limits import LIMITS

__all__ = ["FAKE_FAILURE_MODES", "FakeClock", "FakePlatform", "FakePost", "MemorySecretStore", "fake_clock"]

DEFAULT_START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 08:00 WIB
FAKE_FAILURE_MODES = (
    "rate_limited",
    "already_published",
    "crash_after_send",
    "outcome_unknown",
    "server_error",
    "auth_expired",
    "content_rejected",
)


def _aware(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt!r}: pass a timezone-aware one")
    return dt.astimezone(UTC)


@dataclass
class LoopbackAnswer:
    """What a loopback fake answers one request with: ``status``, ``headers`` in the order sent (the handler adds
    ``Content-Length``) and ``payload``; with ``drop`` the connection is closed without an answer, with ``delay``
    the answer (or the drop) comes that many seconds late."""

    status: int
    headers: dict[str, str]
    payload: bytes = b""
    drop: bool = False
    delay: float = 0.0


@dataclass
class Fault:
    """A fault scripted for the next request that matches ``method`` (None: any) and ``path`` (a regular expression
    searched in the fake's own path; None: any).

    Without ``drop`` or ``delay`` the request gets ``answer`` and nothing is carried out. With ``drop`` the
    connection is closed without an answer, with ``delay`` the answer comes that many seconds late; ``apply``
    carries the request out first (the write happens, its answer is lost or late)."""

    method: str | None
    path: str | None
    answer: LoopbackAnswer = field(default_factory=lambda: LoopbackAnswer(0, {}))
    drop: bool = False
    delay: float = 0.0
    apply: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.path is None or re.search(self.path, path) is not None

    def late(self, answer: LoopbackAnswer) -> LoopbackAnswer:
        """``answer``, dropped or delayed as this fault says."""
        answer.drop, answer.delay = self.drop, self.delay
        return answer


class LoopbackHandler(http.server.BaseHTTPRequestHandler):
    """The request handler every loopback fake shares: it reads the body (``Content-Length`` bytes), asks the fake's
    :meth:`LoopbackServer._answer`, waits the answer's ``delay`` (outside the fake's lock: other requests are
    answered meanwhile), then closes the connection (``drop``) or writes status, headers, ``Content-Length``, the
    fake's :meth:`~LoopbackServer._every_answer_headers` and payload. A verb the fake does not serve gets 501, as
    :class:`~http.server.BaseHTTPRequestHandler` answers it."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server: LoopbackHTTPServer
    timeout = 10

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read the fake's calls instead
        return

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        if method not in fake.verbs:
            self.send_error(HTTPStatus.NOT_IMPLEMENTED, f"Unsupported method ({method!r})")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        answer = fake._answer(method, self.path, self.headers, body)
        if answer.delay:
            time.sleep(answer.delay)
        if answer.drop:
            self.close_connection = True
            return
        try:
            self.send_response(answer.status, fake.reasons.get(answer.status))
            for k, v in answer.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(answer.payload)))
            self.end_headers()
            self.wfile.write(answer.payload)
        except OSError:  # the client gave up waiting (a delayed answer)
            self.close_connection = True

    def end_headers(self) -> None:
        for k, v in self.server.fake._every_answer_headers().items():
            self.send_header(k, v)
        super().end_headers()


class LoopbackHTTPServer(http.server.ThreadingHTTPServer):
    """A server on 127.0.0.1 (a free port) whose :class:`LoopbackHandler` answers as ``fake``."""

    daemon_threads = True

    def __init__(self, fake: LoopbackServer) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), LoopbackHandler)


class LoopbackServer(abc.ABC):
    """The lifecycle every loopback fake shares: an HTTP server on 127.0.0.1 in a thread of its own, started and
    stopped by ``with`` (or ``start``/``stop``), its address in :attr:`url`. A fake answers each request in
    :meth:`_answer`, under its own :attr:`_lock` where it touches its state; :attr:`_faults` holds the faults it
    scripts (:meth:`_take_fault`)."""

    thread_name = "fake-server"
    #: the verbs the platform serves; another gets 501
    verbs: ClassVar[frozenset[str]] = frozenset({"GET", "POST", "PUT", "DELETE"})
    #: status lines the platform words its own way (status -> reason phrase)
    reasons: ClassVar[Mapping[int, str]] = {}
    _httpd: http.server.HTTPServer | None = None
    _thread: threading.Thread | None = None

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._faults: list[Fault] = []

    @abc.abstractmethod
    def _answer(self, method: str, target: str, headers: email.message.Message, body: bytes) -> LoopbackAnswer:
        """The answer to one request (``target``: the path and query as sent, ``headers`` as sent); called on the
        server's thread."""

    def _every_answer_headers(self) -> dict[str, str]:
        """Headers the platform sends last with every answer, the handler's own error pages included."""
        return {}

    def _make_server(self) -> http.server.HTTPServer:
        """A server bound to 127.0.0.1 on a free port, whose handler answers as this fake."""
        return LoopbackHTTPServer(self)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        """The first scripted fault that matches the request, taken off :attr:`_faults`; call it under the lock."""
        fault = next((f for f in self._faults if f.matches(method, path)), None)
        if fault is not None:
            self._faults.remove(fault)
        return fault

    def start(self) -> Self:
        if self._httpd is None:
            self._httpd = self._make_server()
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01},
                                            name=self.thread_name, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _url_or_none(self) -> str | None:
        if self._httpd is None:
            return None
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, the adapter's ``api_base``; the server must be started."""
        url = self._url_or_none()
        if url is None:
            raise InvalidInput(f"{type(self).__name__} is not started")
        return url



class DroppingServer(LoopbackServer):
    """A fake whose :meth:`_answer` takes scripted faults (:meth:`_take_fault`) and honours their ``drop``: the
    platform fakes whose writes can lose their answer."""

    def drop_next(self, *, apply: bool = False, method: str | None = None, path: str | None = None) -> None:
        """The next matching request is read and the connection closed without an answer; with ``apply`` the
        request is carried out first (the write happened, its answer is lost)."""
        with self._lock:
            self._faults.append(Fault(method, path, drop=True, apply=apply))


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
    """Fields and files (name -> (filename, content type, bytes)) of a ``multipart/form-data`` body."""
    msg = email.message_from_bytes(
        f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode() + body, policy=email.policy.HTTP
    )
    form: dict[str, str] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    for part in msg.iter_parts() if isinstance(msg, email.message.EmailMessage) else []:
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        raw = part.get_payload(decode=True)
        data = raw if isinstance(raw, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = (filename, part.get_content_type(), data)
        else:
            form[name] = data.decode("utf-8")
    return form, files


class FakeClock:
    """A clock that moves only when told to: call it for "now" (aware UTC); pass ``clock.sleep`` as ``sleep=``.

    ``sleep`` records the delay in ``sleeps`` and advances the clock by it instead of waiting.
    """

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self.now = _aware(start)
        self.sleeps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def __repr__(self) -> str:
        return f"FakeClock({self.now.isoformat()})"

    def advance(self, delta: timedelta | None = None, /, **kwargs: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**kwargs)`` (``advance(minutes=5)``); returns the new now."""
        self.now += (delta or timedelta()) + timedelta(**kwargs)
        return self.now

    def set(self, dt: datetime) -> None:
        self.now = _aware(dt)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


def fake_clock(start: datetime | str | None = None) -> FakeClock:
    """A :class:`FakeClock` at ``start`` (aware datetime or ISO 8601 text with offset); default 2026-03-02 01:00Z."""
    if start is None:
        return FakeClock()
    return FakeClock(datetime.fromisoformat(start) if isinstance(start, str) else start)


@dataclass(frozen=True)
class FakePost:
    """A post a :class:`FakePlatform` holds: the request that created it and what the platform answered."""

    request: PublishRequest
    result: PublishResult


class FakePlatform:
    """An in-memory platform account that records every call and fails on request.

    * ``calls``: every method call in order, as ``(method, key arguments...)`` tuples of strings.
    * ``published``: the requests it stored a post for, in order, including duplicates: it never refuses a
      repeated request on its own, so a test can assert ``len(fake.published) == 1``.
    * ``fail_next(*modes)``: the next ``publish`` / ``reply`` calls fail, one mode each, in order; see
      :data:`FAKE_FAILURE_MODES`. ``crash_after_send`` stores the post and then raises ``OutcomeUnknown``;
      ``outcome_unknown`` raises it with nothing stored.
    * ``find_published`` answers truthfully from what it holds, by idempotency key.
    * ``add_comment``: public comments for monitor tests.

    ``platform`` and ``limits`` are class variables in the Protocol, so ``FakePlatform(...)`` returns an instance of
    a (cached) subclass whose class variables hold the values asked for.
    """

    platform: ClassVar[Platform]
    limits: ClassVar[PlatformLimits]
    _classes: ClassVar[dict[tuple[type, Platform, PlatformLimits], type[FakePlatform]]] = {}

    def __new__(
        cls, account: str = "fake", platform: Platform = Platform.X, limits: PlatformLimits | None = None,
        **kwargs: Any,
    ) -> FakePlatform:
        limits = limits or LIMITS.get(platform, PlatformLimits())
        key = (cls, platform, limits)
        if key not in FakePlatform._classes:
            ns = {"platform": platform, "limits": limits}
            FakePlatform._classes[key] = cast(type[FakePlatform], type(cls.__name__, (cls,), ns))
        return super().__new__(FakePlatform._classes[key])

    def __init__(
        self,
        account: str = "fake",
        platform: Platform = Platform.X,
        limits: PlatformLimits | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        page_size: int = 50,
    ) -> None:
        self.account = account
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.page_size = page_size
        self.calls: list[tuple[str, ...]] = []
        self.published: list[PublishRequest] = []
        self.posts: dict[str, FakePost] = {}
        self.comments: dict[str, list[RemoteComment]] = {}
        self._failures: list[tuple[str, datetime | None]] = []
        self._seq = 0

    def __repr__(self) -> str:
        return f"FakePlatform(account={self.account!r}, platform={self.platform.value!r})"

    # --- scripting --------------------------------------------------------------------------------------------

    def fail_next(self, *modes: str, reset_at: datetime | None = None) -> None:
        """Make the next ``publish``/``reply`` calls fail, in order (``reset_at`` for ``rate_limited``;
        default now + 60 s)."""
        unknown = [m for m in modes if m not in FAKE_FAILURE_MODES]
        if unknown:
            raise InvalidInput(f"unknown failure mode(s) {unknown}; known: {', '.join(FAKE_FAILURE_MODES)}")
        self._failures.extend((m, reset_at) for m in modes)

    def add_comment(
        self,
        post_remote_id: str,
        text: str,
        *,
        author: str = "warga",
        parent: str | None = None,
        created_at: datetime | None = None,
        is_own: bool = False,
    ) -> RemoteComment:
        """A comment on a post (any remote id: the post need not have been published through this fake)."""
        comment = RemoteComment(
            remote_id=self._new_id("c"), post_remote_id=post_remote_id, text=text, author_handle=author,
            created_at=_aware(created_at) if created_at else self.clock(), parent_remote_id=parent, is_own=is_own,
        )
        self.comments.setdefault(post_remote_id, []).append(comment)
        return comment

    def posts_for(self, idempotency_key: str) -> list[FakePost]:
        """The posts stored for one idempotency key (more than one means a double post)."""
        return [p for p in self.posts.values() if p.request.idempotency_key == idempotency_key]

    # --- PlatformAdapter --------------------------------------------------------------------------------------

    def validate(self, draft: PostDraft) -> list[Problem]:
        """``check_limits`` with this fake's limits."""
        self.calls.append(("validate", draft.text))
        return check_limits(self.limits, draft, f"Fake {self.platform.value}")

    def publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        """Store the post, unless a scripted failure or the limits say otherwise."""
        self.calls.append(("publish", req.idempotency_key))
        mode, reset_at = self._failures.pop(0) if self._failures else (None, None)
        self._raise_before_send(mode, reset_at)
        if mode == "already_published":
            existing = self.posts_for(req.idempotency_key)
            post = existing[0].result if existing else self._store(req)
            raise AlreadyPublished(
                "fake: duplicate content", remote_id=post.remote_id, remote_url=post.remote_url, **self._who()
            )
        problems = check_limits(self.limits, req.draft, f"Fake {self.platform.value}")
        if problems:
            raise ContentRejected(problems[0].message, rule=problems[0].rule, **self._who())
        result = self._store(req)
        if mode == "crash_after_send":
            raise OutcomeUnknown("fake: sent, then the connection dropped (scripted)", **self._who())
        return result

    def find_published(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult | None:
        """The first stored post with ``req``'s idempotency key; None when there is none."""
        self.calls.append(("find_published", req.idempotency_key))
        found = self.posts_for(req.idempotency_key)
        return found[0].result if found else None

    def fetch_comments(self, ref: PlatformPostRef, cursor: str | None) -> CommentPage:
        """Comments in the order added; ``cursor`` is an offset, None when no more are held."""
        self.calls.append(("fetch_comments", ref.remote_id, cursor or ""))
        held = self.comments.get(ref.remote_id, [])
        start = int(cursor) if cursor else 0
        end = start + self.page_size
        return CommentPage(held[start:end], str(end) if end < len(held) else None, cost=1)

    def reply(self, comment: CommentRef, text: str, ckpt: Checkpoint) -> ReplyResult:
        """Store the reply as an own comment under ``comment``; scripted failures apply as for ``publish``."""
        self.calls.append(("reply", comment.remote_id, text))
        mode, reset_at = self._failures.pop(0) if self._failures else (None, None)
        self._raise_before_send(mode, reset_at)
        if mode == "already_published":
            raise AlreadyPublished("fake: reply already posted", remote_id=ckpt.get("reply_id"), **self._who())
        own = self.add_comment(comment.post_remote_id, text, author=self.account, parent=comment.remote_id,
                               is_own=True)
        ckpt.save("reply_id", own.remote_id)
        if mode == "crash_after_send":
            raise OutcomeUnknown("fake: sent, then the connection dropped (scripted)", **self._who())
        return ReplyResult(own.remote_id, self._url(own.remote_id))

    def hide_comment(self, comment: CommentRef) -> None:
        """Mark the comment hidden; ``NotFound`` when this fake holds no such comment."""
        self.calls.append(("hide_comment", comment.remote_id))
        held = self.comments.get(comment.post_remote_id, [])
        for i, c in enumerate(held):
            if c.remote_id == comment.remote_id:
                held[i] = dataclasses.replace(c, hidden=True)
                return
        raise NotFound(f"fake: no comment {comment.remote_id!r} on post {comment.post_remote_id!r}")

    def check(self) -> AccountStatus:
        self.calls.append(("check",))
        return AccountStatus(ok=True, detail="fake")

    # --- helpers ----------------------------------------------------------------------------------------------

    def _raise_before_send(self, mode: str | None, reset_at: datetime | None) -> None:
        who = self._who()
        if mode == "rate_limited":
            reset_at = reset_at or self.clock() + timedelta(seconds=60)
            raise RateLimited("fake: rate limited (scripted)", reset_at=reset_at, **who)
        if mode == "outcome_unknown":
            raise OutcomeUnknown("fake: no answer (scripted)", **who)
        if mode == "server_error":
            raise PlatformUnavailable("fake: 503 (scripted)", **who)
        if mode == "auth_expired":
            raise AuthExpired("fake: token expired (scripted)", **who)
        if mode == "content_rejected":
            raise ContentRejected("fake: rejected (scripted)", rule="fake", **who)

    def _store(self, req: PublishRequest) -> PublishResult:
        remote_id = self._new_id(self.platform.value)
        result = PublishResult(remote_id, self._url(remote_id), self.clock())
        self.posts[remote_id] = FakePost(req, result)
        self.published.append(req)
        return result

    def _new_id(self, prefix: str) -> str:
        self._seq += 1
        return f"{prefix}-{self._seq}"

    def _url(self, remote_id: str) -> str:
        return f"https://fake.invalid/{self.platform.value}/{self.account}/{remote_id}"

    def _who(self) -> dict[str, Any]:
        return {"platform": self.platform.value, "account": self.account}

