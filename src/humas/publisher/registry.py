"""Adapters built from the config: an explicit table from platform to constructor (no scanning, no singleton)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from humas.config import AccountConfig
from humas.errors import ConfigError, Unavailable
from humas.publisher.base import MediaFile, Platform, PlatformAdapter, PostDraft, Problem

if TYPE_CHECKING:
    from humas.app import App
    from humas.store.models import Content

Factory = Callable[["App", AccountConfig], PlatformAdapter]


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


def _sandbox(app: App, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.sandbox import FailurePlan, SandboxAdapter

    assert acc.imitates is not None
    failures = FailurePlan.from_config(acc.failures) if acc.failures else None
    return SandboxAdapter(acc.name, imitates=acc.imitates, db_path=app.settings.sandbox_db,
                          latency_ms=acc.latency_ms, failures=failures, clock=app.clock)


def _x(app: App, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.x import KEY_REFRESH, XAdapter
    from humas.store.secrets import DbSecretStore

    store = DbSecretStore(app.db)
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
        secret_store=store, user_id=_opt(acc, "user_id", False), clock=app.clock,
    )


def _facebook(app: App, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.facebook import FacebookPageAdapter

    return FacebookPageAdapter(acc.name, page_id=str(_opt(acc, "page_id")), page_token=str(_cred(acc, "page_token")),
                               app_secret=_cred(acc, "app_secret", False), clock=app.clock)


def _public_media_url(app: App) -> Callable[[MediaFile], str]:
    base = app.settings.web.public_base_url
    if not base:
        raise ConfigError("web.public_base_url: required for Instagram (Meta downloads media from a public URL)")

    def url(m: MediaFile) -> str:
        return f"{base.rstrip('/')}/media/{m.sha256}"

    return url


def _instagram(app: App, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.instagram import InstagramAdapter

    return InstagramAdapter(acc.name, ig_user_id=str(_opt(acc, "ig_user_id")),
                            access_token=str(_cred(acc, "access_token")), media_url=_public_media_url(app),
                            app_secret=_cred(acc, "app_secret", False), clock=app.clock)


def _instagram_private(app: App, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.instagram_private import InstagramPrivateAdapter
    from humas.store.secrets import DbSecretStore

    return InstagramPrivateAdapter(acc.name, username=str(_opt(acc, "username")), password=str(_cred(acc, "password")),
                                   totp_seed=_cred(acc, "totp_seed", False), secret_store=DbSecretStore(app.db),
                                   clock=app.clock)


def _youtube(app: App, acc: AccountConfig) -> PlatformAdapter:
    from humas.publisher.youtube import YouTubeAdapter
    from humas.store.secrets import DbSecretStore

    privacy = str(acc.options.get("privacy", "public"))
    return YouTubeAdapter(acc.name, client_id=str(_cred(acc, "client_id")),
                          client_secret=str(_cred(acc, "client_secret")),
                          refresh_token=str(_cred(acc, "refresh_token")), channel_id=_opt(acc, "channel_id", False),
                          secret_store=DbSecretStore(app.db), privacy=privacy, clock=app.clock)


REGISTRY: dict[Platform, Factory] = {
    Platform.SANDBOX: _sandbox,
    Platform.X: _x,
    Platform.FACEBOOK: _facebook,
    Platform.INSTAGRAM: _instagram,
    Platform.INSTAGRAM_PRIVATE: _instagram_private,
    Platform.YOUTUBE: _youtube,
}

CAPTION_KEYS = {Platform.X: "x", Platform.FACEBOOK: "facebook", Platform.INSTAGRAM: "instagram",
                Platform.INSTAGRAM_PRIVATE: "instagram", Platform.YOUTUBE: "youtube"}


def draft_for(app: App, content: Content, acc: AccountConfig) -> PostDraft:
    """What ``content`` becomes on ``acc``'s platform: its per-platform caption, else the caption, else the text."""
    key = CAPTION_KEYS.get(acc.behaves_like, "")
    text = str(content.platform_captions.get(key) or content.caption or content.text)
    media = [app.media.media_file(m.blob) for m in content.media]
    return PostDraft(text=text, title=content.title, media=media)


class AdapterRegistry:
    """Builds each configured account's adapter once, on first use (secrets are resolved then, not at start)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._built: dict[str, PlatformAdapter] = {}

    def get(self, name: str) -> PlatformAdapter:
        if name not in self._built:
            acc = self.app.settings.account(name)
            try:
                self._built[name] = REGISTRY[acc.platform](self.app, acc)
            except ImportError as exc:
                raise Unavailable(f"account {name}: unavailable: {exc}") from None
        return self._built[name]

    def override(self, name: str, adapter: PlatformAdapter) -> None:
        """Use ``adapter`` for account ``name`` (a :class:`humas.testing.FakePlatform` in tests and demos)."""
        self.app.settings.account(name)
        self._built[name] = adapter

    def validate(self, content: Content, account: str) -> list[Problem]:
        acc = self.app.settings.account(account)
        return self.get(account).validate(draft_for(self.app, content, acc))

    def check_content(self, content: Content, accounts: Sequence[str]) -> list[str]:
        """Every platform problem of ``content`` on ``accounts``, as "account: message" lines."""
        out: list[str] = []
        for name in accounts:
            out += [f"{name}: {p.rule}: {p.message}" for p in self.validate(content, name)]
        return out

    def describe(self, name: str) -> dict[str, Any]:
        acc = self.app.settings.account(name)
        return {"name": acc.name, "platform": acc.platform.value, "label": acc.label,
                "imitates": acc.imitates.value if acc.imitates else None, "enabled": acc.enabled,
                "credentials": {k: v.source for k, v in acc.credentials.items()}}
