"""Loopback fakes of the OAuth 2.0 servers humas connects accounts with, shipped for humas's tests and users' tests.

:class:`FakeXOAuth` speaks X's OAuth 2.0 (``x.com/i/oauth2/authorize``, ``api.x.com/2/oauth2/token``, PKCE
required, refresh tokens rotated on every refresh) and answers ``GET /2/users/me``; :class:`FakeGoogleOAuth` speaks
Google's web-server flow (``accounts.google.com/o/oauth2/v2/auth``, ``oauth2.googleapis.com/token``, a refresh token
only with ``access_type=offline``, kept on refresh) and answers ``GET /youtube/v3/channels?mine=true``. Both are
real HTTP servers on 127.0.0.1; pass ``fake.url`` as the account's ``api_base`` (and ``authorize_url``
``fake.authorize_url``). Error bodies follow RFC 6749 §5.2 as both platforms send them (``{"error":
"invalid_grant", "error_description": ...}``).

The authorize endpoint answers the browser with a redirect to ``redirect_uri`` carrying a single-use ``code``
(:meth:`FakeOAuthServer.deny_next` makes the person refuse); headless tests can take a code from
:meth:`FakeOAuthServer.issue_code` instead.
"""

from __future__ import annotations

import abc
import base64
import email.message
import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from humas.testing import LoopbackAnswer, LoopbackServer

__all__ = ["FakeGoogleOAuth", "FakeOAuthServer", "FakeXOAuth", "OAuthCall"]


@dataclass(frozen=True)
class OAuthCall:
    """One request as the fake received it: ``params`` query and form merged; ``basic_client`` the client id of an
    HTTP Basic ``Authorization`` header, if any."""

    method: str
    path: str
    params: dict[str, str]
    basic_client: str | None


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scopes: list[str]
    challenge: str | None
    offline: bool


@dataclass
class _Token:
    scopes: list[str]
    expires_at: datetime


Answer = tuple[int, dict[str, str], bytes]


class FakeOAuthServer(LoopbackServer):
    """An OAuth 2.0 authorization server with the authorization-code grant (PKCE S256) and refresh tokens.

    Clients authenticate with HTTP Basic or ``client_secret`` in the form; a public client (no secret) sends only
    ``client_id``, and then PKCE is mandatory. Every request is recorded in ``calls``; ``fail_next_token`` makes
    the token endpoint answer an error once. ``granted_scopes`` (None: all asked for) is what the person allows.
    """

    authorize_path: ClassVar[str]
    token_path: ClassVar[str]
    access_lifetime: ClassVar[int]
    rotate_refresh: ClassVar[bool]  # a new refresh token on every refresh (X); else the same one is kept (Google)
    pkce_required: ClassVar[bool]
    prefix: ClassVar[str]
    verbs: ClassVar[frozenset[str]] = frozenset({"GET", "POST"})

    def __init__(self, *, client_id: str, client_secret: str | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.granted_scopes: list[str] | None = None
        self.codes: dict[str, _Code] = {}
        self.access_tokens: dict[str, _Token] = {}
        self.refresh_tokens: dict[str, list[str]] = {}  # live refresh token -> scopes
        self.calls: list[OAuthCall] = []
        self._deny = False
        self._failures: list[tuple[int, dict[str, str]]] = []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client_id={self.client_id!r})"

    @property
    def authorize_url(self) -> str:
        return self.url + self.authorize_path

    @property
    def token_url(self) -> str:
        return self.url + self.token_path

    # --- scripting ----------------------------------------------------------------------------------------------

    def deny_next(self) -> None:
        """The next authorization ends with the person refusing (``error=access_denied``)."""
        with self._lock:
            self._deny = True

    def fail_next_token(self, status: int = 400, error: str = "invalid_grant", description: str = "") -> None:
        with self._lock:
            self._failures.append((status, {"error": error, "error_description": description or error}))

    def issue_code(self, redirect_uri: str, *, scopes: list[str] | None = None, challenge: str | None = None,
                   offline: bool = True) -> str:
        """A code as the consent screen would give it (``challenge``: the PKCE S256 challenge it was asked with)."""
        with self._lock:
            code = f"{self.prefix}-code-" + secrets.token_urlsafe(18)
            self.codes[code] = _Code(self.client_id, redirect_uri, list(scopes or self.granted_scopes or []),
                                     challenge, offline)
            return code

    def expire_access_tokens(self) -> None:
        """Every access token issued so far expires now (refresh tokens stay valid)."""
        with self._lock:
            for t in self.access_tokens.values():
                t.expires_at = self.clock() - timedelta(seconds=1)

    # --- the wire -----------------------------------------------------------------------------------------------

    def _answer(self, method: str, target: str, headers: email.message.Message, body: bytes) -> LoopbackAnswer:
        return LoopbackAnswer(*self._dispatch(method, target, dict(headers.items()), body))

    def _dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Answer:
        parts = urlsplit(target)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if body:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        basic: tuple[str, str] | None = None
        if auth.startswith("Basic "):
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            basic = (user, pw)
        with self._lock:
            self.calls.append(OAuthCall(method, parts.path, dict(params), basic[0] if basic else None))
            if parts.path == self.authorize_path and method == "GET":
                return self._authorize(params)
            if parts.path == self.token_path and method == "POST":
                if self._failures:
                    status, err = self._failures.pop(0)
                    return _json(status, err)
                return self._token(params, basic)
            bearer = auth[7:] if auth.startswith("Bearer ") else ""
            token = self.access_tokens.get(bearer)
            if token is None or token.expires_at <= self.clock():
                return self._unauthorized()
            return self._resource(method, parts.path, params, token)

    def _authorize(self, params: dict[str, str]) -> Answer:
        redirect_uri = params.get("redirect_uri", "")
        if params.get("client_id") != self.client_id or not redirect_uri or params.get("response_type") != "code":
            return _json(400, {"error": "invalid_request", "error_description": "unknown client or redirect_uri"})
        challenge = params.get("code_challenge")
        if challenge and params.get("code_challenge_method") != "S256":
            return _json(400, {"error": "invalid_request", "error_description": "code_challenge_method must be S256"})
        if self.pkce_required and not challenge:
            return _json(400, {"error": "invalid_request", "error_description": "code_challenge is required"})
        query = {"state": params.get("state", "")}
        if self._deny:
            self._deny = False
            query["error"] = "access_denied"
        else:
            asked = [s for s in re.split(r"[\s,]+", params.get("scope", "")) if s]
            granted = asked if self.granted_scopes is None else [s for s in asked if s in self.granted_scopes]
            query["code"] = self.issue_code(redirect_uri, scopes=granted, challenge=challenge,
                                            offline=self._offline(params))
        sep = "&" if "?" in redirect_uri else "?"
        return 302, {"Location": f"{redirect_uri}{sep}{urlencode(query)}"}, b""

    def _offline(self, params: dict[str, str]) -> bool:
        return True

    def _client_ok(self, params: dict[str, str], basic: tuple[str, str] | None) -> bool:
        client, secret = basic if basic else (params.get("client_id", ""), params.get("client_secret"))
        if client != self.client_id:
            return False
        return self.client_secret is None or secret == self.client_secret

    def _token(self, params: dict[str, str], basic: tuple[str, str] | None) -> Answer:
        if not self._client_ok(params, basic):
            return _json(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
        grant = params.get("grant_type")
        if grant == "authorization_code":
            code = self.codes.pop(params.get("code", ""), None)
            if code is None:
                return _json(400, {"error": "invalid_grant",
                                   "error_description": "Value passed for the authorization code was invalid."})
            if code.redirect_uri != params.get("redirect_uri"):
                return _json(400, {"error": "invalid_grant", "error_description": "redirect_uri mismatch"})
            if code.challenge is not None:
                verifier = params.get("code_verifier", "")
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
                if digest != code.challenge:
                    return _json(400, {"error": "invalid_grant", "error_description": "code_verifier is invalid"})
            return _json(200, self._grant(code.scopes, refresh=code.offline))
        if grant == "refresh_token":
            old = params.get("refresh_token", "")
            scopes = self.refresh_tokens.get(old)
            if scopes is None:
                return _json(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
            if self.rotate_refresh:
                del self.refresh_tokens[old]
            return _json(200, self._grant(scopes, refresh=self.rotate_refresh))
        return _json(400, {"error": "unsupported_grant_type", "error_description": f"grant_type {grant!r}"})

    def _grant(self, scopes: list[str], *, refresh: bool) -> dict[str, Any]:
        access = f"{self.prefix}-at-" + secrets.token_urlsafe(24)
        self.access_tokens[access] = _Token(scopes, self.clock() + timedelta(seconds=self.access_lifetime))
        body: dict[str, Any] = {"access_token": access, "token_type": "bearer", "expires_in": self.access_lifetime,
                                "scope": " ".join(scopes)}
        if refresh:
            rt = f"{self.prefix}-rt-" + secrets.token_urlsafe(24)
            self.refresh_tokens[rt] = scopes
            body["refresh_token"] = rt
        return body

    @abc.abstractmethod
    def _unauthorized(self) -> Answer:
        """The platform's answer to a resource request without a valid token."""

    @abc.abstractmethod
    def _resource(self, method: str, path: str, params: dict[str, str], token: _Token) -> Answer:
        """The platform's answer to a resource request with a valid ``token``."""


class FakeXOAuth(FakeOAuthServer):
    """X's OAuth 2.0 with PKCE (confidential client: HTTP Basic; public: ``client_id`` in the form) and
    ``GET /2/users/me`` (``data.id``, ``data.username``). Access tokens live 2 hours; each refresh rotates the
    refresh token; without ``offline.access`` no refresh token is given."""

    authorize_path = "/i/oauth2/authorize"
    token_path = "/2/oauth2/token"
    access_lifetime = 7200
    rotate_refresh = True
    pkce_required = True
    prefix = "x"

    def __init__(self, *, client_id: str = "fake-x-client", client_secret: str | None = "fake-x-secret",
                 user_id: str = "1590000000000000001", username: str = "humaskota",
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret, clock=clock)
        self.user_id = user_id
        self.username = username

    def _grant(self, scopes: list[str], *, refresh: bool) -> dict[str, Any]:
        return super()._grant(scopes, refresh=refresh and "offline.access" in scopes)

    def _unauthorized(self) -> Answer:
        return _json(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})

    def _resource(self, method: str, path: str, params: dict[str, str], token: _Token) -> Answer:
        if method == "GET" and path == "/2/users/me":
            if "users.read" not in token.scopes:
                return _json(403, {"title": "Forbidden", "status": 403, "type": "about:blank",
                                   "detail": "Missing scope users.read"})
            return _json(200, {"data": {"id": self.user_id, "name": "Humas Kota", "username": self.username}})
        return _json(404, {"title": "Not Found Error", "status": 404, "type": "about:blank", "detail": path})


class FakeGoogleOAuth(FakeOAuthServer):
    """Google's OAuth 2.0 web-server flow (PKCE optional; ``client_secret`` in the form or HTTP Basic), the token
    endpoint at ``/token`` (the account's ``<api_base>/token``) and ``GET /youtube/v3/channels?mine=true``. A
    refresh token is given only with ``access_type=offline``; a refresh keeps it and answers none."""

    authorize_path = "/o/oauth2/v2/auth"
    token_path = "/token"
    access_lifetime = 3599
    rotate_refresh = False
    pkce_required = False
    prefix = "ya29"

    def __init__(self, *, client_id: str = "fake-google.apps.googleusercontent.com",
                 client_secret: str | None = "fake-google-secret", channel_id: str = "UCfakeHumasKota00000000",
                 channel_title: str = "Humas Kota", clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret, clock=clock)
        self.channel_id: str | None = channel_id
        self.channel_title = channel_title

    def _offline(self, params: dict[str, str]) -> bool:
        return params.get("access_type") == "offline"

    def _unauthorized(self) -> Answer:
        return _json(401, {"error": {"code": 401, "message": "Request had invalid authentication credentials.",
                                     "status": "UNAUTHENTICATED",
                                     "errors": [{"reason": "authError", "domain": "global"}]}})

    def _resource(self, method: str, path: str, params: dict[str, str], token: _Token) -> Answer:
        if method == "GET" and path == "/youtube/v3/channels" and params.get("mine") == "true":
            items = [] if self.channel_id is None else [{
                "kind": "youtube#channel", "id": self.channel_id, "snippet": {"title": self.channel_title}}]
            return _json(200, {"kind": "youtube#channelListResponse", "items": items,
                               "pageInfo": {"totalResults": len(items), "resultsPerPage": 5}})
        return _json(404, {"error": {"code": 404, "message": "Not Found", "errors": [{"reason": "notFound"}]}})


def _json(status: int, body: Any) -> Answer:
    return status, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode()
