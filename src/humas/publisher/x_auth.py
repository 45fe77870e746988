"""How an X account signs its requests: OAuth 1.0a user context, or OAuth 2.0 user context with rotating tokens.

OAuth 1.0a tokens never expire. OAuth 2.0 access tokens are short-lived and X rotates the refresh token on every
refresh, so both live in the :class:`SecretStore` (platform-apis.md §1.1). Credentials are applied per request by
:meth:`XAuth.apply`, never handed to tweepy (it logs request headers at DEBUG level, style.md §9). HTTP statuses are
not read here: the token endpoint is called through the adapter's ``post``, which raises through its ``_raise_for``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from requests_oauthlib import OAuth1

from humas.errors import AuthExpired, ConfigError
from humas.publisher.base import SecretStore

TOKEN_PATH = "/2/oauth2/token"
TOKEN_URL = f"https://api.x.com{TOKEN_PATH}"  # the default; an account's ``api_base`` replaces the host

KEY_ACCESS = "oauth2_access_token"
KEY_REFRESH = "oauth2_refresh_token"
KEY_EXPIRES = "oauth2_expires_at"

TokenPost = Callable[..., dict[str, Any]]
"""``post(url, data=..., auth=...)``: the JSON body of a successful answer; failures raised as humas errors."""


class XAuth:
    """One X account's credentials; OAuth 1.0a when the four consumer/access keys are given, else OAuth 2.0."""

    def __init__(
        self,
        account: str,
        *,
        consumer_key: str | None,
        consumer_secret: str | None,
        access_token: str | None,
        access_token_secret: str | None,
        client_id: str | None,
        client_secret: str | None,
        secret_store: SecretStore | None,
        clock: Callable[[], datetime],
        post: TokenPost,
        platform: str,
        token_url: str = TOKEN_URL,
    ) -> None:
        oauth1 = (consumer_key, consumer_secret, access_token, access_token_secret)
        self.oauth1: OAuth1 | None = None
        if any(oauth1):
            if not all(oauth1):
                raise ConfigError(f"X account {account}: OAuth 1.0a needs consumer key/secret and access token/secret")
            self.oauth1 = OAuth1(consumer_key, consumer_secret, access_token, access_token_secret)
        elif not (client_id and secret_store is not None):
            raise ConfigError(f"X account {account}: give OAuth 1.0a keys, or OAuth 2.0 client_id and secret store")
        self._account = account
        self._client_id = client_id
        self._client_secret = client_secret
        self._store = secret_store
        self._clock = clock
        self._post = post
        self._platform = platform
        self._token_url = token_url

    def apply(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """``requests`` keyword arguments with this account's credentials in place of any ``Authorization``."""
        headers = dict(kwargs.get("headers") or {})
        headers.pop("Authorization", None)
        if self.oauth1 is not None:
            kwargs["auth"] = self.oauth1
        else:
            headers["Authorization"] = f"Bearer {self._access_token()}"
        kwargs["headers"] = headers
        return kwargs

    def _access_token(self) -> str:
        assert self._store is not None
        token = self._store.get(self._account, KEY_ACCESS)
        expires = self._store.get(self._account, KEY_EXPIRES)
        if token and expires and datetime.fromisoformat(expires) > self._clock() + timedelta(seconds=60):
            return token
        return self.refresh()

    def refresh(self) -> str:
        """Swap the stored refresh token for a new access token; X rotates refresh tokens, so store the new one.

        Workers refresh one at a time per account within a process; a worker in another process may still rotate
        the token between our read and our request: X then refuses ours, and the store holds that worker's fresh
        tokens, which are taken (or refreshed once more) instead of pausing the account."""
        with _REFRESHING.setdefault(self._account, threading.Lock()):
            return self._refresh(again=True)

    def _refresh(self, *, again: bool) -> str:
        assert self._store is not None and self._client_id is not None
        refresh_token = self._store.get(self._account, KEY_REFRESH)
        if not refresh_token:
            raise AuthExpired(
                f"X account {self._account}: no OAuth 2.0 refresh token stored; authorise it again",
                platform=self._platform,
                account=self._account,
            )
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        auth: tuple[str, str] | None = None
        if self._client_secret:
            auth = (self._client_id, self._client_secret)  # confidential client: HTTP Basic (§1.1)
        else:
            form["client_id"] = self._client_id
        # a lost refresh answer posts nothing (idempotent); if X rotated anyway the next refresh gets
        # invalid_request/invalid_grant and the account is paused for re-authorisation
        try:
            body = self._post(self._token_url, data=form, auth=auth)
        except AuthExpired:
            if not again or self._store.get(self._account, KEY_REFRESH) in (None, refresh_token):
                raise
            token = self._store.get(self._account, KEY_ACCESS)  # rotated meanwhile by another process
            expires = self._store.get(self._account, KEY_EXPIRES)
            if token and expires and datetime.fromisoformat(expires) > self._clock() + timedelta(seconds=60):
                return token
            return self._refresh(again=False)
        if new_refresh := body.get("refresh_token"):
            self._store.set(self._account, KEY_REFRESH, new_refresh)
        access = str(body["access_token"])
        expires_at = self._clock() + timedelta(seconds=int(body.get("expires_in") or 7200))
        self._store.set(self._account, KEY_ACCESS, access)
        self._store.set(self._account, KEY_EXPIRES, expires_at.isoformat())
        return access


#: one refresh at a time per account in this process (the dispatcher's worker threads share accounts)
_REFRESHING: dict[str, threading.Lock] = {}
