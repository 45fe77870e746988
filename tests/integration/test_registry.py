"""Adapters built from the config: the explicit registry, credentials resolved at use, never logged."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from humas.accounts.overview import describe
from humas.app import App
from humas.errors import ConfigError
from humas.publisher.base import Platform, PlatformAdapter

ACCOUNTS = [
    {"name": "fb", "platform": "facebook", "options": {"page_id": "1234"},
     "credentials": {"page_token": "env:T_FB", "app_secret": "env:T_APP"}},
    {"name": "ig", "platform": "instagram", "options": {"ig_user_id": "178"},
     "credentials": {"access_token": "env:T_IG"}},
    {"name": "yt", "platform": "youtube", "options": {"channel_id": "UCx"},
     "credentials": {"client_id": "env:T_YID", "client_secret": "env:T_YSEC", "refresh_token": "env:T_YRT"}},
    {"name": "xx", "platform": "x", "credentials": {"client_id": "env:T_XID", "client_secret": "env:T_XSEC",
                                                      "refresh_token": "env:T_XRT"}},
    {"name": "sb", "platform": "sandbox", "imitates": "instagram"},
]
SECRETS = {"T_FB": "fb-SECRET-1", "T_APP": "app-SECRET-2", "T_IG": "ig-SECRET-3", "T_YID": "yid",
           "T_YSEC": "ysec-SECRET-4", "T_YRT": "yrt-SECRET-5", "T_XID": "xid", "T_XSEC": "xsec-SECRET-6",
           "T_XRT": "xrt-SECRET-7"}


def test_every_platform_builds_from_config(make_app: Callable[..., App], db_url: str,
                                            monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    app = make_app(db_url, accounts=ACCOUNTS, web={"public_base_url": "https://humas.example.go.id"})
    with caplog.at_level(logging.DEBUG):
        built = {a["name"]: app.adapters.get(str(a["name"])) for a in ACCOUNTS}
        for a in built.values():
            logging.getLogger("humas").debug("built %r", a)
    assert all(isinstance(a, PlatformAdapter) for a in built.values())
    assert type(built["sb"]).limits.hashtags_max == 5 and type(built["fb"]).platform is Platform.FACEBOOK
    from humas.publisher.x import KEY_REFRESH

    assert app.secret_store.get("xx", KEY_REFRESH) == "xrt-SECRET-7"  # seeded once from the config (encrypted)
    shown = caplog.text + "".join(repr(a) for a in built.values()) + repr(describe(app.settings.account("fb")))
    for value in SECRETS.values():
        if "SECRET" in value:
            assert value not in shown


def test_instagram_needs_a_public_base_url(make_app: Callable[..., App], db_url: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_IG", "x")
    with pytest.raises(ConfigError, match="public_base_url"):  # refused with the config, not at the first post
        make_app(db_url, accounts=[ACCOUNTS[1]])


def test_a_missing_secret_is_named(make_app: Callable[..., App], db_url: str) -> None:
    app = make_app(db_url, accounts=[ACCOUNTS[0]])
    with pytest.raises(ConfigError, match="T_FB is not set"):
        app.adapters.get("fb")
