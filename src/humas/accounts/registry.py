"""Adapters built from the config: an explicit table from platform to constructor (no scanning, no singleton)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from humas.clock import Clock
from humas.config import AccountConfig, Settings
from humas.errors import ConfigError, Unavailable
from humas.publisher.base import MediaFile, Platform, PlatformAdapter, SecretStore


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
    seed = _cred(acc, "refresh_token", False)
    if seed and not store.get(acc.name, KEY_REFRESH):
        # OAuth 2.0: the first refresh token comes from the config; X rotates it on every refresh, and from then
        # on the database holds the current one
        store.set(acc.name, KEY_REFRESH, seed)
    return XAdapter(
        acc.name,
        consumer_key=_cred(acc, "consumer_key", False), consumer_secret=_cred(acc, "consumer_secret", False),
        access_token=_cred(acc, "access_token", False),
        access_token_secret=_cred(acc, "access_token_secret", False),
        client_id=_cred(acc, "client_id", False), client_secret=_cred(acc, "client_secret", False),
        secret_store=store, user_id=_opt(acc, "user_id", False), clock=ctx.clock,
        api_base=_opt(acc, "api_base", False),
    )


def _facebook(ctx: BuildContext, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.facebook import FacebookPageAdapter

    return FacebookPageAdapter(acc.name, page_id=str(_opt(acc, "page_id")), page_token=str(_cred(acc, "page_token")),
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

    return InstagramAdapter(acc.name, ig_user_id=str(_opt(acc, "ig_user_id")),
                            access_token=str(_cred(acc, "access_token")), media_url=_public_media_url(ctx.settings),
                            app_secret=_cred(acc, "app_secret", False), clock=ctx.clock,
                            api_base=_opt(acc, "api_base", False), username=_opt(acc, "username", False))


def _instagram_private(ctx: BuildContext, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.instagram_private import InstagramPrivateAdapter

    return InstagramPrivateAdapter(acc.name, username=str(_opt(acc, "username")), password=str(_cred(acc, "password")),
                                   totp_seed=_cred(acc, "totp_seed", False), secret_store=ctx.secrets,
                                   clock=ctx.clock)


def _youtube(ctx: BuildContext, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.youtube import YouTubeAdapter

    privacy = str(acc.options.get("privacy", "public"))
    return YouTubeAdapter(acc.name, client_id=str(_cred(acc, "client_id")),
                          client_secret=str(_cred(acc, "client_secret")),
                          refresh_token=str(_cred(acc, "refresh_token")), channel_id=_opt(acc, "channel_id", False),
                          secret_store=ctx.secrets, privacy=privacy, clock=ctx.clock,
                          api_base=_opt(acc, "api_base", False), upload_base=_opt(acc, "upload_base", False),
                          token_url=_opt(acc, "token_url", False))


REGISTRY: dict[Platform, Factory] = {
    Platform.SANDBOX: _sandbox,
    Platform.X: _x,
    Platform.FACEBOOK: _facebook,
    Platform.INSTAGRAM: _instagram,
    Platform.INSTAGRAM_PRIVATE: _instagram_private,
    Platform.YOUTUBE: _youtube,
}


class AdapterRegistry:
    """Builds each configured account's adapter once, on first use (secrets are resolved then, not at start).

    ``get`` is the adapter lookup (:data:`humas.publisher.base.AdapterFor`) the stages receive.
    """

    def __init__(self, ctx: BuildContext) -> None:
        self.ctx = ctx
        self._built: dict[str, PlatformAdapter] = {}

    def get(self, name: str) -> PlatformAdapter:
        if name not in self._built:
            acc = self.ctx.settings.account(name)
            try:
                self._built[name] = REGISTRY[acc.platform](self.ctx, acc)
            except ImportError as exc:
                raise Unavailable(f"account {name}: unavailable: {exc}") from None
        return self._built[name]

    def override(self, name: str, adapter: PlatformAdapter) -> None:
        """Use ``adapter`` for account ``name`` (a :class:`humas.testing.FakePlatform` in tests and demos)."""
        self.ctx.settings.account(name)
        self._built[name] = adapter
