"""Adapters built from the config: an explicit table from platform to constructor (no scanning, no singleton)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from humas.clock import Clock
from humas.config import AccountConfig, Settings
from humas.errors import AuthExpired, ConfigError, Unavailable
from humas.publisher.base import (
    AccountStatus,
    Checkpoint,
    CommentPage,
    CommentRef,
    MediaFile,
    Platform,
    PlatformAdapter,
    PlatformLimits,
    PlatformPostRef,
    PostDraft,
    Problem,
    PublishRequest,
    PublishResult,
    ReplyResult,
    SecretStore,
)
from humas.publisher.limits import LIMITS

# What connecting an account (humas.accounts.connect) leaves in the secret store, read here when it is built.
KEY_CONNECTED = "connected"  # when it was connected (ISO time): a new value means new tokens, rebuild the adapter
KEY_PAGE_TOKEN = "page_token"  # Facebook: the Page access token
KEY_IG_TOKEN = "access_token"  # Instagram: the Page access token its professional account publishes with
KEY_IG_USER = "ig_user_id"
KEY_IG_USERNAME = "username"
KEY_YT_REFRESH = "connect_refresh_token"  # YouTube: the refresh token Google gave when connecting
KEY_YT_CHANNEL = "channel_id"
CONNECTABLE = frozenset({Platform.X, Platform.FACEBOOK, Platform.INSTAGRAM, Platform.YOUTUBE})


@dataclass(frozen=True)
class BuildContext:
    """What a constructor may use besides the account's own config: never the database or anything else."""

    settings: Settings
    secrets: SecretStore  # rotating credentials (refresh tokens, sessions), kept in humas's database
    clock: Clock


Factory = Callable[[BuildContext, AccountConfig], PlatformAdapter]


def _cred(acc: AccountConfig, key: str, required: bool = True) -> str | None:
    secret = acc.credentials.get(key)
    if secret is None:
        if required:
            raise ConfigError(f"accounts.{acc.name}.credentials.{key}: missing (expected \"env:NAME\")")
        return None
    return secret.reveal()


def _opt(acc: AccountConfig, key: str, required: bool = True) -> str | None:
    value = acc.options.get(key)
    if value is None:
        if required:
            raise ConfigError(f"accounts.{acc.name}.options.{key}: missing")
        return None
    return str(value)


def _sandbox(ctx: BuildContext, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.sandbox import FailurePlan, SandboxAdapter

    assert acc.imitates is not None
    failures = FailurePlan.from_config(acc.failures.model_dump()) if acc.failures else None
    return SandboxAdapter(acc.name, imitates=acc.imitates, db_path=ctx.settings.sandbox_db,
                          latency_ms=acc.latency_ms, failures=failures, clock=ctx.clock)


def _x(ctx: BuildContext, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.x import KEY_REFRESH, XAdapter

    store = ctx.secrets
    connected = bool(store.get(acc.name, KEY_CONNECTED))  # then OAuth 2.0 with the tokens from connecting

    def oauth1(key: str) -> str | None:
        return None if connected else _cred(acc, key, False)

    keys = [oauth1(k) for k in ("consumer_key", "consumer_secret", "access_token", "access_token_secret")]
    if not connected:
        seed = _cred(acc, "refresh_token", False)
        if seed and not store.get(acc.name, KEY_REFRESH):
            # OAuth 2.0: the first refresh token comes from the config; X rotates it on every refresh, and from
            # then on the database holds the current one
            store.set(acc.name, KEY_REFRESH, seed)
        if not any(keys) and not store.get(acc.name, KEY_REFRESH):
            return not_connected(acc)
    return XAdapter(
        acc.name, consumer_key=keys[0], consumer_secret=keys[1], access_token=keys[2], access_token_secret=keys[3],
        client_id=_cred(acc, "client_id", False), client_secret=_cred(acc, "client_secret", False),
        secret_store=store, user_id=_opt(acc, "user_id", False), clock=ctx.clock,
        api_base=_opt(acc, "api_base", False),
    )


def _facebook(ctx: BuildContext, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.facebook import FacebookPageAdapter

    token = ctx.secrets.get(acc.name, KEY_PAGE_TOKEN) or _cred(acc, "page_token", False)
    if not token:
        return not_connected(acc)
    return FacebookPageAdapter(acc.name, page_id=str(_opt(acc, "page_id")), page_token=token,
                               app_secret=_cred(acc, "app_secret", False), clock=ctx.clock,
                               api_base=_opt(acc, "api_base", False), video_base=_opt(acc, "video_base", False))


def _public_media_url(settings: Settings) -> Callable[[MediaFile], str]:
    base = settings.web.public_base_url
    if not base:
        raise ConfigError("web.public_base_url: required for Instagram (Meta downloads media from a public URL)")

    def url(m: MediaFile) -> str:
        return f"{base.rstrip('/')}/media/{m.sha256}"

    return url


def _instagram(ctx: BuildContext, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.instagram import InstagramAdapter

    store = ctx.secrets
    token = store.get(acc.name, KEY_IG_TOKEN) if store.get(acc.name, KEY_CONNECTED) else None
    if token:
        user_id, username = store.get(acc.name, KEY_IG_USER), store.get(acc.name, KEY_IG_USERNAME)
    else:
        token = _cred(acc, "access_token", False)
        if not token:
            return not_connected(acc)
        user_id, username = _opt(acc, "ig_user_id"), _opt(acc, "username", False)
    return InstagramAdapter(acc.name, ig_user_id=str(user_id), access_token=token,
                            media_url=_public_media_url(ctx.settings),
                            app_secret=_cred(acc, "app_secret", False), clock=ctx.clock,
                            api_base=_opt(acc, "api_base", False), username=username)


def _instagram_private(ctx: BuildContext, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.instagram_private import InstagramPrivateAdapter

    return InstagramPrivateAdapter(acc.name, username=str(_opt(acc, "username")), password=str(_cred(acc, "password")),
                                   totp_seed=_cred(acc, "totp_seed", False), secret_store=ctx.secrets,
                                   clock=ctx.clock)


def _youtube(ctx: BuildContext, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.youtube import YouTubeAdapter

    privacy = str(acc.options.get("privacy", "public"))
    refresh = ctx.secrets.get(acc.name, KEY_YT_REFRESH)
    channel = ctx.secrets.get(acc.name, KEY_YT_CHANNEL) if refresh else _opt(acc, "channel_id", False)
    refresh = refresh or _cred(acc, "refresh_token", False)
    if not refresh:
        return not_connected(acc)
    return YouTubeAdapter(acc.name, client_id=str(_cred(acc, "client_id")),
                          client_secret=str(_cred(acc, "client_secret")),
                          refresh_token=refresh, channel_id=channel,
                          secret_store=ctx.secrets, privacy=privacy, clock=ctx.clock,
                          api_base=_opt(acc, "api_base", False), upload_base=_opt(acc, "upload_base", False),
                          token_url=_opt(acc, "token_url", False))


def _wordpress(ctx: BuildContext, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.wordpress import WordPressAdapter

    return WordPressAdapter(acc.name, api_base=str(_opt(acc, "api_base")), username=str(_opt(acc, "username")),
                            application_password=str(_cred(acc, "application_password")),
                            categories=_opt(acc, "categories", False), tags=_opt(acc, "tags", False),
                            status=str(acc.options.get("status", "publish")), clock=ctx.clock)


class NotConnected:
    """An account that is configured but not connected yet ("belum terhubung"): its drafts are checked against the
    platform's limits as usual, and every platform call raises :class:`AuthExpired` with the reason, so the queue
    pauses the account and holds its jobs until an admin connects it (``humas accounts connect``)."""

    platform: ClassVar[Platform]
    limits: ClassVar[PlatformLimits]
    _validate: ClassVar[Callable[[Any, PostDraft], list[Problem]]]

    def __init__(self, account: str) -> None:
        self.account = account

    def __repr__(self) -> str:
        return f"NotConnected(account={self.account!r}, platform={self.platform.value!r})"

    @property
    def reason(self) -> str:
        return (f"akun {self.account} belum terhubung: admin menghubungkannya di Admin → Akun platform atau dengan "
                f"'humas accounts connect {self.account}'")

    def _refuse(self) -> AuthExpired:
        return AuthExpired(self.reason, platform=self.platform.value, account=self.account)

    def validate(self, draft: PostDraft) -> list[Problem]:
        return type(self)._validate(self, draft)  # the platform adapter's own check (it reads only ``limits``)

    def publish(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult:
        raise self._refuse()

    def find_published(self, req: PublishRequest, ckpt: Checkpoint) -> PublishResult | None:
        raise self._refuse()

    def fetch_comments(self, ref: PlatformPostRef, cursor: str | None) -> CommentPage:
        raise self._refuse()

    def reply(self, comment: CommentRef, text: str, ckpt: Checkpoint) -> ReplyResult:
        raise self._refuse()

    def hide_comment(self, comment: CommentRef) -> None:
        raise self._refuse()

    def check(self) -> AccountStatus:
        return AccountStatus(ok=False, detail=self.reason)


def not_connected(acc: AccountConfig) -> PlatformAdapter:
    """The :class:`NotConnected` stand-in for ``acc``."""
    from humas.publisher.facebook import FacebookPageAdapter
    from humas.publisher.instagram import InstagramAdapter
    from humas.publisher.x import XAdapter
    from humas.publisher.youtube import YouTubeAdapter

    real: dict[Platform, Any] = {Platform.X: XAdapter, Platform.FACEBOOK: FacebookPageAdapter,
                                 Platform.INSTAGRAM: InstagramAdapter, Platform.YOUTUBE: YouTubeAdapter}
    cls = type(f"NotConnected{acc.platform.name.title()}", (NotConnected,),
               {"platform": acc.platform, "limits": LIMITS[acc.platform], "_validate": real[acc.platform].validate})
    adapter: PlatformAdapter = cls(acc.name)
    return adapter


REGISTRY: dict[Platform, Factory] = {
    Platform.SANDBOX: _sandbox,
    Platform.X: _x,
    Platform.FACEBOOK: _facebook,
    Platform.INSTAGRAM: _instagram,
    Platform.INSTAGRAM_PRIVATE: _instagram_private,
    Platform.YOUTUBE: _youtube,
    Platform.WORDPRESS: _wordpress,
}


class AdapterRegistry:
    """Builds each configured account's adapter once, on first use (secrets are resolved then, not at start).

    ``get`` is the adapter lookup (:data:`humas.publisher.base.AdapterFor`) the stages receive.
    """

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx
        self._built: dict[str, PlatformAdapter] = {}
        self._generation: dict[str, str | None] = {}
        self._overridden: set[str] = set()

    def get(self, name: str) -> PlatformAdapter:
        if name in self._overridden:
            return self._built[name]
        acc = self.ctx.settings.account(name)
        # An account can be connected (or reconnected, or disconnected) by another process: its adapter is rebuilt
        # when the connection changed since it was built, so new tokens are used without a restart.
        generation = self.ctx.secrets.get(name, KEY_CONNECTED) if acc.platform in CONNECTABLE else None
        if name not in self._built or self._generation.get(name) != generation:
            try:
                self._built[name] = REGISTRY[acc.platform](self.ctx, acc)
            except ImportError as exc:
                raise Unavailable(f"account {name}: unavailable: {exc}") from None
            self._generation[name] = generation
        return self._built[name]

    def forget(self, name: str) -> None:
        """Build ``name``'s adapter again at its next use (after connecting or disconnecting it)."""
        if name not in self._overridden:
            self._built.pop(name, None)

    def override(self, name: str, adapter: PlatformAdapter) -> None:
        """Use ``adapter`` for account ``name`` (a :class:`humas.testing.FakePlatform` in tests and demos)."""
        self.ctx.settings.account(name)
        self._built[name] = adapter
        self._overridden.add(name)
