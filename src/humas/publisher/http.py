"""Small helpers shared by the ``requests``-based adapters: a clock, timeouts, and transport-failure mapping.

HTTP *statuses* are not handled here: each adapter maps them in its own ``_raise_for``. This module only decides
what a failure *below* HTTP means for the queue:

* the request surely did not reach the platform (``ConnectTimeout``, DNS, refused, TLS handshake) -> ``NetworkError``;
* it may have reached it and no answer came (``ReadTimeout``, connection dropped mid-exchange, truncated body)
  -> ``OutcomeUnknown`` for calls that change something, ``NetworkError`` for calls that are safe to repeat.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import requests
from urllib3.exceptions import MaxRetryError

from humas.clock import utcnow as utcnow  # the default adapter clock
from humas.errors import NetworkError, OutcomeUnknown, PublishError

DEFAULT_TIMEOUT: float = 30.0
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def maybe_sent(exc: requests.RequestException) -> bool:
    """Whether the request in ``exc`` may have reached the server before it failed."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError | requests.exceptions.ProxyError):
        return False
    if isinstance(exc, requests.ConnectionError):
        # requests wraps "could not connect" in MaxRetryError; a bare ProtocolError/OSError means the connection
        # broke during the exchange (reset, RemoteDisconnected), possibly after the body was written.
        reason = exc.args[0] if exc.args else None
        return isinstance(reason, Exception) and not isinstance(reason, MaxRetryError)
    if isinstance(exc, requests.Timeout):  # ReadTimeout: sent, no answer in time
        return True
    # The response started arriving and broke off.
    return isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError)


def transport_error(
    exc: requests.RequestException, *, idempotent: bool, platform: str = "", account: str = ""
) -> PublishError:
    """The humas error for a transport failure; raise it ``from exc``.

    ``idempotent``: repeating the call cannot post twice (reads, token refresh, starting an upload session).
    """
    what = f"{exc.request.method} {_strip_query(exc.request.url)}" if exc.request is not None else "request"
    if maybe_sent(exc) and not idempotent:
        return OutcomeUnknown(
            f"{platform}: no answer to {what} after it was sent ({type(exc).__name__})",
            platform=platform,
            account=account,
        )
    return NetworkError(f"{platform}: {what} failed ({type(exc).__name__})", platform=platform, account=account)


def request(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
    idempotent: bool | None = None,
    platform: str = "",
    account: str = "",
    **kwargs: Any,
) -> requests.Response:
    """``session.request`` with a timeout; transport failures raised as humas errors (see :func:`transport_error`).

    The response is returned whatever its status. ``idempotent`` defaults to "``method`` is GET/HEAD/OPTIONS".
    """
    if idempotent is None:
        idempotent = method.upper() in SAFE_METHODS
    try:
        return session.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        raise transport_error(exc, idempotent=idempotent, platform=platform, account=account) from exc


def json_body(resp: requests.Response) -> dict[str, Any]:
    """The response's JSON object, or ``{}`` when the body is empty, not JSON, or not an object."""
    try:
        data = resp.json()
    except (ValueError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


class DefaultTimeout:
    """A stand-in for a ``requests.Session`` that adds a timeout (and optional headers/auth) to every call.

    For vendor clients that call ``session.request(...)`` without a timeout (tweepy), and whose host is hard-coded
    (``rewrite_url`` moves it to an account's ``api_base``). Everything else is delegated
    to the wrapped session, which is not modified.
    """

    def __init__(
        self,
        session: requests.Session,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        rewrite_url: Callable[[str], str] | None = None,
    ) -> None:
        self._session = session
        self._timeout = timeout
        # prepare(kwargs) -> kwargs: lets the adapter set auth headers at call time (rotating tokens)
        self._prepare = prepare
        # rewrite_url(url) -> url: sends a vendor client's hard-coded host to the account's configured one
        self._rewrite_url = rewrite_url

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        if self._prepare is not None:
            kwargs = self._prepare(kwargs)
        if self._rewrite_url is not None:
            url = self._rewrite_url(url)
        return self._session.request(method, url, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


def _strip_query(url: str | None) -> str:
    # query strings may carry tokens (Graph API access_token): never put them in messages
    return (url or "").split("?", 1)[0]
