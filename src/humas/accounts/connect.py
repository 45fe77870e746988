"""Connecting platform accounts through their OAuth 2.0 flows, all four in one place (platform-apis.md §9).

* **X**: authorization code with PKCE (S256) and ``offline.access``; the refresh token is rotated on every refresh
  by :mod:`humas.publisher.x_auth`, which reads what is stored here.
* **Facebook Pages / Instagram**: Facebook Login (authorization code) → a short-lived user token → a long-lived one
  (``grant_type=fb_exchange_token``) → the Page token from ``/me/accounts``; for Instagram, the professional account
  from the Page's ``instagram_business_account``. The user tokens are not kept, only the Page token.
* **YouTube**: Google's web-server flow with ``access_type=offline`` (a refresh token) and PKCE; the channel is
  looked up with ``channels?mine=true``.

Authlib's requests client (``OAuth2Session``) builds the authorization URL (state, PKCE) and exchanges the code.
``state`` is random, bound to the person who started the flow, single use and valid for :data:`FLOW_TTL`; only its
sha256 is stored (``oauth_flows``). :meth:`Connector.complete` marks it used and commits before anything else, so a
replayed redirect is refused even when the exchange then fails. The tokens, the connection row, the account's
resumption and the register entry are written in one transaction; the tokens go to the encrypted secret store.
The redirect URI is ``web.public_base_url`` + :data:`CALLBACK_PATH`: the browser lands there (the web interface
completes the flow), or an admin pastes the URL it landed on into ``humas accounts connect NAME --redirected-url``
(the server need not be reachable from the platform).
"""

from __future__ import annotations

import abc
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from humas import authz
from humas.accounts.registry import (
    CONNECTABLE,
    KEY_CONNECTED,
    KEY_IG_TOKEN,
    KEY_IG_USER,
    KEY_IG_USERNAME,
    KEY_PAGE_TOKEN,
    KEY_YT_CHANNEL,
    KEY_YT_REFRESH,
)
from humas.accounts.state import AccountStates
from humas.clock import Clock
from humas.config import AccountConfig, Settings
from humas.errors import ConfigError, HumasError, NotFound, PublishError, RuleBroken
from humas.platforms import Platform
from humas.store import audit
from humas.store.engine import Database
from humas.store.models import AccountConnection, AccountState, OAuthFlow
from humas.store.secrets import DbSecretStore

log = logging.getLogger("humas.accounts")

FLOW_TTL = timedelta(minutes=20)
CALLBACK_PATH = "/admin/akun/callback"
TIMEOUT = 30.0

#: what each platform is asked for; a connection missing any of them is shown with the missing ones named
SCOPES: dict[Platform, tuple[str, ...]] = {
    # tweet.moderate.write: hiding replies (XAdapter.hide_comment); media.write: uploads (§1.2)
    Platform.X: ("tweet.read", "tweet.write", "users.read", "offline.access", "media.write", "tweet.moderate.write"),
    Platform.FACEBOOK: ("pages_show_list", "pages_read_engagement", "pages_manage_posts", "pages_read_user_content",
                        "pages_manage_engagement"),
    Platform.INSTAGRAM: ("instagram_basic", "instagram_content_publish", "instagram_manage_comments",
                         "pages_show_list", "pages_read_engagement"),
    Platform.YOUTUBE: ("https://www.googleapis.com/auth/youtube.upload",
                       "https://www.googleapis.com/auth/youtube.force-ssl"),
}
AUTHORIZE_URLS = {
    Platform.X: "https://x.com/i/oauth2/authorize",
    Platform.FACEBOOK: "https://www.facebook.com/{version}/dialog/oauth",
    Platform.INSTAGRAM: "https://www.facebook.com/{version}/dialog/oauth",
    Platform.YOUTUBE: "https://accounts.google.com/o/oauth2/v2/auth",
}
PLATFORM_NAMES = {Platform.X: "X", Platform.FACEBOOK: "Facebook", Platform.INSTAGRAM: "Instagram",
                  Platform.YOUTUBE: "YouTube"}


class ConnectRefused(RuleBroken):
    """Connecting the account was refused (an unknown, used, expired or foreign ``state``; the person or the
    platform said no); ``indonesian`` is what the web interface shows. Start connecting again."""


def _refused(rule: str, message: str, indonesian: str) -> ConnectRefused:
    return ConnectRefused(message, rule=f"connect.{rule}", indonesian=indonesian)


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def missing_scope_message(missing: list[str]) -> str:
    """The Indonesian notice naming the permissions a connection lacks ("" when none)."""
    if not missing:
        return ""
    return (f"Izin belum diberikan: {', '.join(missing)}. Hubungkan ulang akun ini dan setujui semua izin yang "
            "diminta; tanpa izin itu sebagian fungsi akan gagal.")


@dataclass(frozen=True)
class Started:
    account: str
    platform: str
    authorize_url: str
    redirect_uri: str
    expires_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"account": self.account, "platform": self.platform, "authorize_url": self.authorize_url,
                "redirect_uri": self.redirect_uri, "expires_at": self.expires_at.isoformat(timespec="seconds")}


@dataclass(frozen=True)
class Grant:
    """What a finished flow obtained: ``store`` goes to the secret store (never shown), the rest is shown."""

    store: dict[str, str] = field(repr=False)
    identity: str
    scopes: list[str]
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Connected:
    account: str
    platform: str
    identity: str
    scopes: list[str]
    missing_scopes: list[str]
    expires_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {"account": self.account, "platform": self.platform, "identity": self.identity,
                "scopes": self.scopes, "missing_scopes": self.missing_scopes,
                "missing_message": missing_scope_message(self.missing_scopes),
                "token_expires_at": self.expires_at.isoformat(timespec="seconds") if self.expires_at else None}


@dataclass(frozen=True)
class _Pending:
    account: str
    verifier: str
    redirect_uri: str


class Connector:
    """Starts and completes connect flows, disconnects accounts and lists their connection state.

    ``session_factory`` makes the HTTP session of each exchange (tests pass one with their own transport);
    ``forget`` drops an account's built adapter so the next use picks up the new tokens.
    """

    def __init__(self, settings: Settings, db: Database, store: DbSecretStore, states: AccountStates,
                 clock: Clock, *, forget: Callable[[str], None] = lambda name: None,
                 session_factory: Callable[[], requests.Session] = requests.Session) -> None:
        self.settings = settings
        self.db = db
        self.store = store
        self.states = states
        self.clock = clock
        self.forget = forget
        self.session_factory = session_factory

    def __repr__(self) -> str:
        return "Connector()"

    # --- start --------------------------------------------------------------------------------------------------

    def redirect_uri(self) -> str:
        base = self.settings.web.public_base_url
        if not base:
            raise ConfigError("web.public_base_url: required to connect accounts (the platform sends the browser "
                              f"back to <public_base_url>{CALLBACK_PATH}; register that address with the platform)")
        return base.rstrip("/") + CALLBACK_PATH

    def authorize_origins(self) -> list[str]:
        """The origins of the consent pages of the connectable accounts (a page whose form starts a flow must allow
        them as form targets: the browser follows the answer there)."""
        origins = []
        for acc in self.settings.accounts:
            if acc.platform in CONNECTABLE:
                parts = urlsplit(_flow(acc).authorize_url)
                origins.append(f"{parts.scheme}://{parts.netloc}")
        return sorted(set(origins))

    def start(self, session: Session, actor: authz.Actor, name: str, *, via: str = "cli") -> Started:
        """A new flow for account ``name`` started by ``actor`` (an admin): the URL to open in a browser."""
        authz.require_admin(actor, f"connect account {name}")
        acc = self._connectable(name)
        flow = _flow(acc)
        redirect_uri = self.redirect_uri()
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64) if flow.pkce else ""
        with flow.oauth(self.session_factory(), redirect_uri) as oauth:
            url, _ = oauth.create_authorization_url(flow.authorize_url, state=state, code_verifier=verifier or None,
                                                    **flow.authorize_params)
        now = self.clock()
        # flows older than a day are of no use any more (a replay of one is refused as unknown instead of used)
        session.execute(delete(OAuthFlow).where(OAuthFlow.expires_at < now - timedelta(days=1)))
        session.add(OAuthFlow(state_hash=state_hash(state), account=name, platform=acc.platform.value,
                              user_id=actor.id, via=via, redirect_uri=redirect_uri,
                              verifier=self.store.keyring.encrypt(verifier.encode()) if verifier else "",
                              created_at=now, expires_at=now + FLOW_TTL))
        session.flush()
        return Started(name, acc.platform.value, str(url), redirect_uri, now + FLOW_TTL)

    # --- complete -----------------------------------------------------------------------------------------------

    def complete(self, actor: authz.Actor, redirected_url: str, *, account: str | None = None) -> Connected:
        """Finish the flow the browser came back from (``redirected_url``, as it landed on the redirect URI).

        Refused (:class:`ConnectRefused`) unless its ``state`` names a flow ``actor`` started (for ``account``,
        when given) that is unused and not expired. Runs its own transactions: call it outside one."""
        query = dict(parse_qsl(urlsplit(redirected_url.strip()).query, keep_blank_values=True))
        pending = self._claim(actor, query.get("state", ""), account)
        acc = self.settings.account(pending.account)
        label = PLATFORM_NAMES[acc.platform]
        if query.get("error"):
            reason = query.get("error_description") or query["error"]
            raise _refused("denied", f"{label} did not grant access: {reason}",
                           f"{label} tidak memberi izin ({reason}). Hubungkan lagi dan setujui izinnya.")
        if not query.get("code"):
            raise _refused("no_code", "the redirected URL has no authorization code",
                           "Alamat kembali tidak memuat kode otorisasi. Hubungkan lagi.")
        flow = _flow(acc)
        try:
            with self.session_factory() as http, flow.oauth(http, pending.redirect_uri) as oauth:
                grant = flow.exchange(oauth, http, redirected_url.split("#", 1)[0], query["state"],
                                      pending.verifier, self.clock())
        except HumasError:
            raise
        except Exception as exc:  # Authlib's errors, requests' errors, an odd answer: one line, no secrets
            raise _refused("exchange", f"{label}: the token exchange failed: {_describe(exc)}",
                           f"{label} menolak pertukaran token: {_describe(exc)}. Hubungkan lagi.") from None
        missing = [s for s in SCOPES[acc.platform] if s not in grant.scopes]
        now = self.clock()
        with self.db.session() as s:
            self.store.drop(s, acc.name)
            self.store.put(s, acc.name, {**grant.store, KEY_CONNECTED: now.isoformat()})
            row = s.get(AccountConnection, acc.name)
            if row is None:
                row = AccountConnection(account=acc.name)
                s.add(row)
            row.platform, row.identity, row.scopes = acc.platform.value, grant.identity[:300], grant.scopes
            row.missing_scopes, row.connected_at, row.connected_by = missing, now, actor.name
            state = self.states.get(s, acc.name)
            resumed = state.status == "paused"
            self.states.resume(s, acc.name)
            state.token_expires_at = grant.expires_at
            audit.append(s, actor=actor.name, action="account.connected", subject_type="account",
                         subject_id=acc.name, data={"platform": acc.platform.value, "identity": grant.identity,
                                                    "scopes": grant.scopes, "missing_scopes": missing,
                                                    "resumed": resumed}, at=now)
        self.forget(acc.name)
        log.info("account %s connected as %s", acc.name, grant.identity)
        return Connected(acc.name, acc.platform.value, grant.identity, grant.scopes, missing, grant.expires_at)

    def _claim(self, actor: authz.Actor, state: str, account: str | None) -> _Pending:
        """The flow ``state`` names, marked used (committed): refused unless ``actor``'s, unused and live."""
        def refuse(why: str, indonesian: str) -> ConnectRefused:
            log.warning("connect flow refused for %s: %s", actor.name, why)
            return _refused("state", f"the connect request is refused: {why}; start connecting again",
                            f"Permintaan menghubungkan akun ditolak: {indonesian}. Mulai lagi dari awal.")

        if not state:
            raise refuse("the redirected URL has no state", "alamat kembali tidak memuat state")
        now = self.clock()
        with self.db.session() as s:
            row = s.execute(select(OAuthFlow).where(OAuthFlow.state_hash == state_hash(state))).scalar_one_or_none()
            if row is None:
                raise refuse("unknown state", "state tidak dikenal")
            if row.used_at is not None:
                raise refuse("this state was already used", "state sudah pernah dipakai")
            if row.user_id != actor.id:
                raise refuse("the flow was started by another user", "alur ini dimulai oleh pengguna lain")
            if account is not None and row.account != account:
                raise refuse(f"the flow is for account {row.account}, not {account}",
                             f"alur ini untuk akun {row.account}, bukan {account}")
            if row.expires_at <= now:
                raise refuse("the flow expired", "waktunya habis")
            row.used_at = now
            verifier = self.store.keyring.decrypt(row.verifier).decode() if row.verifier else ""
            return _Pending(row.account, verifier, row.redirect_uri)

    # --- disconnect and status ----------------------------------------------------------------------------------

    def disconnect(self, session: Session, actor: authz.Actor, name: str) -> int:
        """Forget the tokens obtained by connecting ``name`` (its configured credentials, if any, are used again);
        how many secrets were deleted. The tokens are not revoked at the platform."""
        authz.require_admin(actor, f"disconnect account {name}")
        acc = self._connectable(name)
        row = session.get(AccountConnection, name)
        if row is None:
            raise NotFound(f"account {name} is not connected")
        dropped = self.store.drop(session, name)
        session.delete(row)
        session.execute(delete(OAuthFlow).where(OAuthFlow.account == name, OAuthFlow.used_at.is_(None)))
        state = session.get(AccountState, name)
        if state is not None:
            state.token_expires_at = None
        audit.append(session, actor=actor.name, action="account.disconnected", subject_type="account",
                     subject_id=name, data={"platform": acc.platform.value, "identity": row.identity},
                     at=self.clock())
        session.flush()
        self.forget(name)
        return dropped

    def status(self, session: Session) -> list[dict[str, Any]]:
        """Every configured account with its connection: ``connection`` is ``connected``, ``configured``
        (credentials from the config), ``not_connected`` or ``sandbox``; scopes, missing ones with the Indonesian
        notice, token expiry, the last check and pause."""
        links = {r.account: r for r in session.execute(select(AccountConnection)).scalars()}
        states = {r.name: r for r in session.execute(select(AccountState)).scalars()}
        out = []
        for acc in self.settings.accounts:
            link, st = links.get(acc.name), states.get(acc.name)
            if acc.platform not in CONNECTABLE:
                connection = "sandbox" if acc.platform is Platform.SANDBOX else "configured"
            elif link is not None:
                connection = "connected"
            else:
                connection = "configured" if _configured(acc) else "not_connected"
            missing = list(link.missing_scopes) if link is not None else []
            out.append({
                "name": acc.name, "label": acc.label or acc.name, "platform": acc.platform.value,
                "imitates": acc.imitates.value if acc.imitates else None, "enabled": acc.enabled,
                "connectable": acc.platform in CONNECTABLE, "connection": connection,
                "identity": link.identity if link else "", "scopes": list(link.scopes) if link else [],
                "missing_scopes": missing, "missing_message": missing_scope_message(missing),
                "connected_at": link.connected_at if link else None,
                "connected_by": link.connected_by if link else "",
                "status": st.status if st else "active", "paused_reason": st.paused_reason if st else "",
                "token_expires_at": st.token_expires_at if st else None,
                "last_check_at": st.last_check_at if st else None,
                "last_check_ok": st.last_check_ok if st else None,
                "last_check_detail": st.last_check_detail if st else "",
            })
        return out

    def _connectable(self, name: str) -> AccountConfig:
        acc = self.settings.account(name)
        if acc.platform not in CONNECTABLE:
            raise _refused("platform", f"account {name} ({acc.platform.value}) is not connected through OAuth",
                           f"Akun {name} ({acc.platform.value}) tidak dihubungkan lewat OAuth.")
        return acc


def _configured(acc: AccountConfig) -> bool:
    """Whether the config itself holds a token for ``acc`` (``env:`` credentials, the way before connecting)."""
    keys = {Platform.X: ("refresh_token", "access_token"), Platform.FACEBOOK: ("page_token",),
            Platform.INSTAGRAM: ("access_token",), Platform.YOUTUBE: ("refresh_token",)}[acc.platform]
    return any(k in acc.credentials for k in keys)


def _describe(exc: Exception) -> str:
    error = getattr(exc, "error", None)
    if isinstance(error, dict):  # Graph's token endpoint: {"error": {"message", "code", ...}}
        return f"{error.get('message', 'error')} (code {error.get('code')})"
    if error:
        description = getattr(exc, "description", "") or ""
        return f"{error}" + (f": {description}" if description else "")
    if isinstance(exc, requests.RequestException):
        return f"{type(exc).__name__} (the platform did not answer)"
    return type(exc).__name__


# --- the platforms --------------------------------------------------------------------------------------------


def _secret(acc: AccountConfig, key: str) -> str:
    value = acc.credentials.get(key)
    if value is None:
        raise ConfigError(f"accounts.{acc.name}.credentials.{key}: missing (expected \"env:NAME\"); needed to "
                          "connect the account")
    return value.reveal()


def _option(acc: AccountConfig, key: str) -> str:
    value = acc.options.get(key)
    if value is None or value == "":
        raise ConfigError(f"accounts.{acc.name}.options.{key}: missing; needed to connect the account")
    return str(value)


class _Flow(abc.ABC):
    """One platform's flow for one account."""

    pkce = True

    def __init__(self, acc: AccountConfig) -> None:
        self.acc = acc
        default = AUTHORIZE_URLS[acc.platform].format(version=_graph_version())
        self.authorize_url = str(acc.options.get("authorize_url") or default)
        self.authorize_params: dict[str, str] = {}

    @property
    def api_base(self) -> str | None:
        value = self.acc.options.get("api_base")
        return str(value).rstrip("/") if value else None

    @abc.abstractmethod
    def client(self) -> tuple[str, str | None]:
        """The account's OAuth client id and secret (None: a public client, PKCE only)."""

    def token_auth_method(self, secret: str | None) -> str:
        return "client_secret_basic" if secret else "none"

    def oauth(self, http: requests.Session, redirect_uri: str) -> Any:
        from authlib.integrations.requests_client import OAuth2Session

        client_id, secret = self.client()
        session = OAuth2Session(client_id, secret, scope=list(SCOPES[self.acc.platform]), redirect_uri=redirect_uri,
                                code_challenge_method="S256" if self.pkce else None,
                                token_endpoint_auth_method=self.token_auth_method(secret), default_timeout=TIMEOUT)
        for prefix, adapter in http.adapters.items():  # the caller's transport (tests)
            session.mount(prefix, adapter)
        return session

    @abc.abstractmethod
    def exchange(self, oauth: Any, http: requests.Session, url: str, state: str, verifier: str,
                 now: datetime) -> Grant:
        """Exchange the code in ``url`` (``oauth`` sends its token on its own requests; ``http`` sends none)."""


def _graph_version() -> str:
    from humas.publisher.graph import GRAPH_VERSION

    return GRAPH_VERSION


class _XFlow(_Flow):
    def client(self) -> tuple[str, str | None]:
        secret = self.acc.credentials.get("client_secret")
        return _secret(self.acc, "client_id"), secret.reveal() if secret is not None else None

    def exchange(self, oauth: Any, http: requests.Session, url: str, state: str, verifier: str,
                 now: datetime) -> Grant:
        from humas.publisher.x import API
        from humas.publisher.x_auth import KEY_ACCESS, KEY_EXPIRES, KEY_REFRESH, TOKEN_PATH

        base = self.api_base or API
        token = oauth.fetch_token(f"{base}{TOKEN_PATH}", authorization_response=url, state=state,
                                  code_verifier=verifier)
        scopes = str(token.get("scope") or "").split()
        if not token.get("refresh_token"):
            raise _refused("no_refresh", "X gave no refresh token (was offline.access granted?)",
                           "X tidak memberi refresh token: izin offline.access belum disetujui. Hubungkan lagi dan "
                           "setujui semua izin.")
        me = oauth.get(f"{base}/2/users/me", timeout=TIMEOUT)
        data = me.json().get("data") if me.ok else None
        identity = f"@{data.get('username')}" if isinstance(data, dict) else "(tidak diketahui)"
        access_until = now + timedelta(seconds=int(token.get("expires_in") or 7200))
        return Grant({KEY_REFRESH: str(token["refresh_token"]), KEY_ACCESS: str(token["access_token"]),
                      KEY_EXPIRES: access_until.isoformat()},
                     identity, scopes, None)  # the refresh token itself has no set expiry


class _MetaFlow(_Flow):
    """Facebook Login for a Page (and its Instagram professional account)."""

    pkce = False  # Facebook Login's web flow is a confidential client: the app secret authenticates the exchange

    def client(self) -> tuple[str, str | None]:
        return _option(self.acc, "app_id"), _secret(self.acc, "app_secret")

    def token_auth_method(self, secret: str | None) -> str:
        return "client_secret_post"  # Graph's /oauth/access_token reads client_id and client_secret as parameters

    def exchange(self, oauth: Any, http: requests.Session, url: str, state: str, verifier: str,
                 now: datetime) -> Grant:
        from humas.publisher.graph import GraphClient, graph_urls

        page_id = _option(self.acc, "page_id")
        base = graph_urls(self.api_base)[0]
        token_url = f"{base}/oauth/access_token"
        oauth.fetch_token(token_url, authorization_response=url, state=state)
        short = str(oauth.token["access_token"])
        oauth.scope = None  # the exchange below asks for no scope
        long_lived = oauth.fetch_token(token_url, grant_type="fb_exchange_token", fb_exchange_token=short)
        app_secret = _secret(self.acc, "app_secret")

        def graph(token: str) -> GraphClient:
            return GraphClient(token, platform=self.acc.platform.value, account=self.acc.name, app_secret=app_secret,
                               session=http, timeout=TIMEOUT, base_url=base)

        user = graph(str(long_lived["access_token"]))
        try:
            granted = [str(p["permission"]) for p in user.get("me/permissions").get("data") or []
                       if p.get("status") == "granted"]
            page = next((p for body in user.pages("me/accounts", {"fields": "id,name,access_token,tasks"}, 10)
                         for p in body.get("data") or [] if str(p.get("id")) == page_id), None)
            if page is None or not page.get("access_token"):
                raise _refused("page", f"the Facebook user does not manage page {page_id} (or did not share it)",
                               f"Akun Facebook ini tidak mengelola halaman {page_id}, atau halaman itu tidak "
                               "dipilih saat memberi izin. Hubungkan lagi dengan akun admin halaman itu.")
            page_token = str(page["access_token"])
            if self.acc.platform is Platform.FACEBOOK:
                return Grant({KEY_PAGE_TOKEN: page_token}, str(page.get("name") or page_id), granted)
            fields = graph(page_token).get(page_id, {"fields": "id,name,instagram_business_account{id,username}"})
        except PublishError as exc:
            raise _refused("graph", f"Graph refused: {exc.message}", f"Graph menolak: {exc.message}") from None
        ig = fields.get("instagram_business_account") or {}
        if not ig.get("id"):
            raise _refused("no_instagram", f"page {page_id} has no linked Instagram professional account",
                           f"Halaman {page_id} belum ditautkan ke akun Instagram profesional (Bisnis/Kreator). "
                           "Tautkan di pengaturan halaman, lalu hubungkan lagi.")
        username = str(ig.get("username") or "")
        store = {KEY_IG_TOKEN: page_token, KEY_IG_USER: str(ig["id"])}
        if username:
            store[KEY_IG_USERNAME] = username
        return Grant(store, f"@{username}" if username else str(ig["id"]), granted)


class _GoogleFlow(_Flow):
    def __init__(self, acc: AccountConfig) -> None:
        super().__init__(acc)
        # offline: a refresh token; consent: Google gives one again on a reconnect, not only the first time
        self.authorize_params = {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"}

    def client(self) -> tuple[str, str | None]:
        return _secret(self.acc, "client_id"), _secret(self.acc, "client_secret")

    def token_auth_method(self, secret: str | None) -> str:
        return "client_secret_post"  # as google-auth sends it on refresh

    def exchange(self, oauth: Any, http: requests.Session, url: str, state: str, verifier: str,
                 now: datetime) -> Grant:
        from humas.publisher.youtube import API_PATH, GOOGLEAPIS, TOKEN_URI

        base = self.api_base
        token_url = str(self.acc.options.get("token_url") or (f"{base}/token" if base else TOKEN_URI))
        token = oauth.fetch_token(token_url, authorization_response=url, state=state, code_verifier=verifier)
        if not token.get("refresh_token"):
            raise _refused("no_refresh", "Google gave no refresh token",
                           "Google tidak memberi refresh token. Cabut akses aplikasi di akun Google, lalu hubungkan "
                           "lagi.")
        answer = oauth.get(f"{base or GOOGLEAPIS}{API_PATH}/channels", params={"part": "id,snippet", "mine": "true"},
                           timeout=TIMEOUT)
        items = answer.json().get("items") if answer.ok else None
        if not items:
            raise _refused("no_channel", "this Google account has no YouTube channel",
                           "Akun Google ini tidak punya kanal YouTube. Hubungkan dengan akun pemilik kanal.")
        channel = items[0]
        title = str((channel.get("snippet") or {}).get("title") or channel["id"])
        return Grant({KEY_YT_REFRESH: str(token["refresh_token"]), KEY_YT_CHANNEL: str(channel["id"])},
                     title, str(token.get("scope") or "").split())


def _flow(acc: AccountConfig) -> _Flow:
    flows: dict[Platform, Callable[[AccountConfig], _Flow]] = {Platform.X: _XFlow, Platform.FACEBOOK: _MetaFlow,
                                                             Platform.INSTAGRAM: _MetaFlow,
                                                             Platform.YOUTUBE: _GoogleFlow}
    return flows[acc.platform](acc)
