"""CLI usage errors: one ``error:`` line on stderr and exit 2, whatever kind of mistake (never a traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from humas.cli.main import main

CASES = {
    "missing option": (["content", "new", "--as", "ana"], "Missing option '--title'"),
    "unknown option": (["content", "list", "--bogus"], "No such option: --bogus"),
    "wrong type": (["content", "show", "abc"], "Invalid value for 'ID'"),
    "unknown command": (["nosuchcmd"], "No such command 'nosuchcmd'"),
    "option without its value": (["queue", "list", "--status"], "Option '--status' requires an argument"),
    "unknown subcommand": (["content", "frobnicate"], "No such command 'frobnicate'"),
    "value out of range": (["comments", "list", "--limit", "0"], "Invalid value for '--limit'"),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_usage_error_is_one_line_and_exit_2(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv, expected = CASES[kind]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and expected in err, err
    assert "Traceback" not in err and "--help" in err


def test_accounts_check_exits_non_zero_when_a_check_fails(capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "humas.toml"
    config.write_text(f'''data_dir = "{tmp_path / 'data'}"
[[accounts]]
name = "pemkot-fb"
platform = "facebook"
options = {{ page_id = "123" }}
credentials = {{ page_token = "env:HUMAS_TEST_UNSET_TOKEN" }}
''', encoding="utf-8")
    monkeypatch.setenv("HUMAS_CONFIG", str(config))
    monkeypatch.delenv("HUMAS_TEST_UNSET_TOKEN", raising=False)
    monkeypatch.delenv("HUMAS_DATABASE_URL", raising=False)
    monkeypatch.delenv("HUMAS_DATA_DIR", raising=False)
    main(["init"])
    with pytest.raises(SystemExit) as exit_info:
        main(["accounts", "check"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 1
    assert "FAILED" in out and "HUMAS_TEST_UNSET_TOKEN is not set" in out
