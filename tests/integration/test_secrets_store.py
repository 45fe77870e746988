"""Account secrets encrypted at rest: nothing readable in the database or the data dir, rows written before
encryption sealed at start, key rotation in one transaction with the old key accepted meanwhile."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from humas.app import App
from humas.cli.main import main
from humas.store.models import AccountSecret
from humas.store.secrets import PREFIX, DbSecretStore, Keyring, SecretsUnreadable

TOKEN = "xrt-Very-Secret-Refresh-Token-0123456789"


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def _raw(app: App) -> dict[tuple[str, str], str]:
    with app.db.session() as s:
        return {(r.account, r.key): r.value for r in s.execute(select(AccountSecret)).scalars()}


def test_a_stored_token_is_nowhere_in_the_database_file_or_the_data_dir(make_app: Callable[..., App],
                                                                          tmp_path: Path) -> None:
    app = make_app()  # SQLite under the data dir (WAL files included in the search)
    store = app.secret_store
    store.set("kota-x", "oauth2_refresh_token", TOKEN)
    with app.db.session() as s:
        store.put(s, "kota-fb", {"page_token": TOKEN + "-page"})
    assert store.get("kota-x", "oauth2_refresh_token") == TOKEN
    assert store.get("kota-fb", "page_token") == TOKEN + "-page"
    with app.db.engine.begin() as conn:  # the control: a value stored plainly is found by the same search
        conn.execute(text("INSERT INTO account_secrets (account, key, value, updated_at) VALUES "
                          "('control', 'k', 'PLAIN-CANARY-4711', CURRENT_TIMESTAMP)"))
    app.db.dispose()  # whatever SQLite keeps in memory is on disk now
    data_dir = app.settings.data_dir
    assert _files_containing(tmp_path, b"PLAIN-CANARY-4711")
    assert (data_dir / "humas.sqlite3").is_file()
    assert _files_containing(tmp_path, TOKEN.encode()) == []
    assert _files_containing(tmp_path, b"Very-Secret") == []
    key_file = data_dir / "secrets.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert all(v.startswith(PREFIX) for k, v in _raw(app).items() if k[0] != "control")
    assert TOKEN not in repr(store) and TOKEN not in repr(store.keyring)


def test_a_value_moved_to_another_row_does_not_decrypt(app: App) -> None:
    app.secret_store.set("a", "page_token", TOKEN)
    app.secret_store.set("b", "page_token", "other")
    with app.db.session() as s:
        moved = s.get(AccountSecret, ("a", "page_token"))
        assert moved is not None
        s.execute(update(AccountSecret).where(AccountSecret.account == "b").values(value=moved.value))
    with pytest.raises(SecretsUnreadable, match="belongs to another row"):
        app.secret_store.get("b", "page_token")


def test_rows_stored_before_encryption_are_read_and_sealed_at_init(make_app: Callable[..., App], db_url: str,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    app = make_app(db_url)
    with app.db.engine.begin() as conn:  # what humas before issue 14 wrote
        conn.execute(text("INSERT INTO account_secrets (account, key, value, updated_at) VALUES "
                          "('kota-x', 'oauth2_refresh_token', :v, CURRENT_TIMESTAMP)"), {"v": TOKEN})
    assert app.secret_store.get("kota-x", "oauth2_refresh_token") == TOKEN  # still readable: no data loss
    config = tmp_path / "humas.toml"
    config.write_text(f'data_dir = "{app.settings.data_dir}"\ndatabase_url = "{db_url}"\n', encoding="utf-8")
    monkeypatch.setenv("HUMAS_CONFIG", str(config))
    for var in ("HUMAS_DATABASE_URL", "HUMAS_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    main(["init"])
    stored = _raw(app)[("kota-x", "oauth2_refresh_token")]
    assert stored.startswith(PREFIX) and TOKEN not in stored
    assert app.secret_store.get("kota-x", "oauth2_refresh_token") == TOKEN
    assert app.secret_store.seal_plaintext() == 0


def test_rotation_with_the_key_file_reencrypts_every_row_and_a_stale_process_follows(
        make_app: Callable[..., App], db_url: str) -> None:
    app = make_app(db_url)
    store = app.secret_store
    for i in range(3):
        store.set(f"acc{i}", "oauth2_refresh_token", f"{TOKEN}-{i}")
    before = _raw(app)
    key_file = app.settings.data_dir / "secrets.key"
    old_key = key_file.read_text()
    other = DbSecretStore(app.db, Keyring(key_file))  # another process: it loaded the old key
    assert other.get("acc0", "oauth2_refresh_token") == f"{TOKEN}-0"

    rotation = store.rotate_key()

    assert rotation.rows == 3 and rotation.key_file == key_file
    after = _raw(app)
    assert all(after[k] != before[k] for k in before)
    assert key_file.read_text() != old_key and (key_file.parent / "secrets.key.old").read_text() == old_key
    assert not (key_file.parent / "secrets.key.new").exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [store.get(f"acc{i}", "oauth2_refresh_token") for i in range(3)] == [f"{TOKEN}-{i}" for i in range(3)]
    assert other.get("acc2", "oauth2_refresh_token") == f"{TOKEN}-2"  # reloaded the rotated key file
    other.set("acc9", "k", "written-after-rotation")  # and encrypts with the new key
    (key_file.parent / "secrets.key.old").unlink()
    assert DbSecretStore(app.db, Keyring(key_file)).get("acc9", "k") == "written-after-rotation"


def test_an_interrupted_rotation_loses_nothing(make_app: Callable[..., App]) -> None:
    app = make_app()
    store = app.secret_store
    store.set("acc", "k", TOKEN)
    store.keyring.stage_new_key()  # the new key written, the process died before re-encrypting
    fresh = DbSecretStore(app.db, Keyring(store.keyring.key_file))
    assert fresh.get("acc", "k") == TOKEN
    assert fresh.rotate_key().rows == 1  # finishing it reuses the staged key
    assert DbSecretStore(app.db, Keyring(store.keyring.key_file)).get("acc", "k") == TOKEN


def test_rotation_with_keys_from_the_environment(make_app: Callable[..., App], db_url: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_KEY_OLD", "o" * 40)
    monkeypatch.setenv("T_KEY_NEW", "n" * 40)
    old = make_app(db_url, secrets={"key": "env:T_KEY_OLD"})
    old.secret_store.set("acc", "k", TOKEN)
    assert not (old.settings.data_dir / "secrets.key").exists()  # the key is not in the data dir
    only_new = DbSecretStore(old.db, Keyring(old.settings.data_dir / "secrets.key", key=lambda: "n" * 40))
    with pytest.raises(SecretsUnreadable):
        only_new.get("acc", "k")
    both = make_app(db_url, secrets={"key": "env:T_KEY_NEW", "previous_keys": ["env:T_KEY_OLD"]})
    assert both.secret_store.get("acc", "k") == TOKEN  # the old key accepted during the rotation
    assert both.secret_store.rotate_key().rows == 1
    assert only_new.get("acc", "k") == TOKEN  # now readable with the new key alone


def test_rotate_key_command_is_for_admins_and_recorded(make_app: Callable[..., App], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from humas.store import audit
    from tests.conftest import add_user

    app = make_app()
    add_user(app, "admin", "admin")
    add_user(app, "ana", "tim_reviu")
    app.secret_store.set("acc", "k", TOKEN)
    config = tmp_path / "humas.toml"
    config.write_text(f'data_dir = "{app.settings.data_dir}"\n', encoding="utf-8")
    monkeypatch.setenv("HUMAS_CONFIG", str(config))
    for var in ("HUMAS_DATABASE_URL", "HUMAS_DATA_DIR", "HUMAS_USER"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(SystemExit) as refused:
        main(["secrets", "rotate-key", "--as", "ana"])
    assert refused.value.code == 3 and capsys.readouterr().err.startswith("error: ")
    main(["secrets", "rotate-key", "--as", "admin", "--json"])
    assert '"rows": 1' in capsys.readouterr().out
    assert app.secret_store.get("acc", "k") == TOKEN
    with app.db.session() as s:
        assert audit.head(s)[0] >= 1
        assert "secrets.key_rotated" in {e.action for e in s.execute(select(audit.AuditEntry)).scalars()}


def test_a_short_key_is_refused(make_app: Callable[..., App], monkeypatch: pytest.MonkeyPatch) -> None:
    from humas.errors import ConfigError

    monkeypatch.setenv("T_SHORT", "short")
    app = make_app(secrets={"key": "env:T_SHORT"})
    with pytest.raises(ConfigError, match="at least 32"):
        app.secret_store.set("acc", "k", "v")
    assert "short" not in repr(app.settings.secrets)
    assert os.environ["T_SHORT"] == "short"
