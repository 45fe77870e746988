"""Config: TOML into typed settings, env overrides, key-path errors, secrets that never print."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import pytest

from humas.config import Secret, default_accounts, load_settings, parse_settings
from humas.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_example_config_is_the_embedded_default() -> None:
    s = load_settings(REPO / "config.example.toml", environ={})
    assert [(a.name, a.platform, a.imitates) for a in s.accounts] == [
        (a.name, a.platform, a.imitates) for a in default_accounts()
    ]
    assert s.time.timezone == "Asia/Jakarta" and s.default_sop == "mojokerto-acc"
    assert s.data_dir == REPO / "data"


def test_example_config_documents_every_key() -> None:
    text = (REPO / "config.example.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    s = parse_settings(data)
    for section in ("time", "queue", "monitor", "sentiment", "notify", "web"):
        for key in type(getattr(s, section)).model_fields:
            assert f"{key} =" in text or f"{key}=" in text, f"[{section}] {key} is not documented"


def test_env_overrides(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('data_dir = "here"\n', encoding="utf-8")
    s = load_settings(cfg, environ={"HUMAS_DATA_DIR": "/srv/humas", "HUMAS_DATABASE_URL": "sqlite:////tmp/x.db"})
    assert s.data_dir == Path("/srv/humas") and s.db_url == "sqlite:////tmp/x.db"
    s = load_settings(None, environ={"HUMAS_CONFIG": str(cfg)})
    assert s.data_dir == tmp_path / "here"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[queue]\nbatch = 0\n", "queue.batch"),
        ('[time]\ntimezone = "Mars/Olympus"\n', "time.timezone"),
        ('[[accounts]]\nname = "a"\nplatform = "myspace"\n', "accounts[0].platform"),
        ('[[accounts]]\nname = "a"\nplatform = "sandbox"\n', "accounts[0]"),
        ('[[accounts]]\nname = "a"\nplatform = "x"\ncredentials = { token = "env:bad name" }\n',
         "accounts[0].credentials.token"),
        ('database_url = "mysql://x"\n', "database_url"),
        ("[web]\nport = 70000\n", "web.port"),
        ("[queue]\nbatchh = 3\n", "queue.batchh: unknown key"),
        ('default_sop = "tidak-ada"\n', "default_sop"),
        ("[[sops]]\nid = \"x\"\n", "sops[0]"),
        ("[queue\n", "invalid TOML"),
        ('[[accounts]]\nname = "a"\nplatform = "sandbox"\nimitates = "x"\nfailures = { rate_limitd = 0.1 }\n',
         "accounts[0].failures.rate_limitd: unknown key"),
        ('[[accounts]]\nname = "a"\nplatform = "sandbox"\nimitates = "x"\nfailures = { server_error = 1.5 }\n',
         "accounts[0].failures.server_error: Input should be less than or equal to 1"),
        ('[[monitor.schedule]]\nuntil = "1h"\nevery = "2x"\n', "monitor: schedule[0]: invalid duration"),
        ('[sentiment]\nbackend = "transformers"\n', "sentiment: backend = \"transformers\" needs model"),
        ('[[accounts]]\nname = "ig"\nplatform = "instagram"\n', "web.public_base_url is required for Instagram"),
    ],
)
def test_errors_name_the_key_path(tmp_path: Path, toml: str, message: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(cfg, environ={})
    assert message in str(exc.value) and str(cfg) in str(exc.value)
    assert exc.value.exit_code == 2 and "\n" not in str(exc.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_secrets_are_resolved_at_use_and_never_printed(caplog: pytest.LogCaptureFixture) -> None:
    s = parse_settings({"accounts": [{"name": "fb", "platform": "facebook", "options": {"page_id": "1"},
                                      "credentials": {"page_token": "env:FB_TOKEN", "app_secret": "env:FB_APP"}}]})
    acc = s.accounts[0]
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("humas").info("account %r settings %r", acc, s)
    text = repr(acc) + repr(s) + caplog.text + str(acc.credentials["page_token"])
    assert "tok-123" not in text and "env:FB_TOKEN" in text
    assert acc.credentials["page_token"].reveal({"FB_TOKEN": "tok-123"}) == "tok-123"
    with pytest.raises(ConfigError, match="FB_TOKEN is not set"):
        acc.credentials["page_token"].reveal({})
    assert Secret("env:X") == Secret("env:X")


def test_the_config_knows_every_sandbox_failure_mode() -> None:
    from typing import get_args

    from humas.config import FailureMode
    from humas.publisher.sandbox import FAILURE_MODES

    assert set(get_args(FailureMode)) == set(FAILURE_MODES)


@pytest.mark.parametrize("where", [
    {"web": {"secret_key": "literal-s3cret"}},
    {"notify": {"admins": ["tgram://literal-s3cret/1"]}},
    {"accounts": [{"name": "fb", "platform": "facebook", "credentials": {"page_token": "literal-s3cret"}}]},
])
def test_a_literal_secret_is_refused_without_repeating_it(where: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_settings(where, "humas.toml")
    message = str(exc.value)
    assert 'write "env:NAME"' in message and "literal-s3cret" not in message and "\n" not in message
