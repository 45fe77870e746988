"""``humas comments`` and ``humas cases`` through typer (the groups the lead mounts on ``humas``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from humas.app import App
from humas.cli.common import CliState
from humas.cli.monitor import cases_app, comments_app, monitor_app
from humas.errors import PermissionDenied
from humas.escalation.fakes import KeywordClassifier
from humas.publisher.base import DictCheckpoint, PostDraft, PublishRequest
from humas.publisher.sandbox import SandboxPlatform
from humas.store.models import Post, PublicationJob
from tests.conftest import MOJOKERTO_TEAM, add_user

HOSTILE = "[bold red]buruk[/] sekali, kecewa <script>alert(1)</script>"


def root() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root(ctx: typer.Context, config: Path = typer.Option(..., "--config")) -> None:
        ctx.obj = CliState(config)

    app.add_typer(monitor_app, name="monitor")
    app.add_typer(comments_app, name="comments")
    app.add_typer(cases_app, name="cases")
    return app


@pytest.fixture
def cli(make_app: Callable[..., App], db_url: str, tmp_path: Path) -> tuple[App, Callable[..., Any]]:
    app = make_app(db_url, monitor={"sandbox_simulation": False})
    for name, roles in MOJOKERTO_TEAM.items():
        add_user(app, name, *roles)
    config = tmp_path / "humas.toml"
    config.write_text(f'data_dir = "{app.settings.data_dir}"\ndatabase_url = "{db_url}"\n'
                      "[monitor]\nsandbox_simulation = false\n", encoding="utf-8")
    runner, cmd = CliRunner(), root()

    def run(*args: str, ok: bool = True) -> Any:
        result = runner.invoke(cmd, ["--config", str(config), *args], env={"COLUMNS": "250"})
        if ok:
            assert result.exit_code == 0, (result.output, result.exception)
        return result

    return app, run


def seed(app: App) -> str:
    res = app.adapters.get("sandbox-facebook").publish(
        PublishRequest("post:1:sandbox-facebook", "sandbox-facebook", PostDraft(text="x")), DictCheckpoint())
    now = app.clock()
    with app.db.session() as s:
        job = PublicationJob(kind="post", dedupe_key="post:1:fb", account="sandbox-facebook", platform="sandbox",
                             run_at=now, state="published", remote_id=res.remote_id)
        s.add(job)
        s.flush()
        s.add(Post(job_id=job.id, account="sandbox-facebook", platform="sandbox", remote_id=res.remote_id,
                   published_at=now, next_poll_at=now))
    sandbox = SandboxPlatform(app.settings.sandbox_db)
    sandbox.add_comment(res.remote_id, HOSTILE, author="warga[red]")
    sandbox.add_comment(res.remote_id, "Terima kasih, mantap")
    app.comment_cycle("t", classifier=KeywordClassifier(), notify_case=lambda oc: None).run_once()
    return res.remote_id


def test_lists_and_the_case_actions(cli: tuple[App, Callable[..., Any]]) -> None:
    app, run = cli
    remote_id = seed(app)
    comments = json.loads(run("comments", "list", "--json").stdout)
    assert [c["text"] for c in comments] == [HOSTILE, "Terima kasih, mantap"]
    first = comments[0]
    assert {"id", "text", "label", "remote_id", "comment_remote_id", "author", "created_at", "account", "escalate",
            "abusive", "probabilities"} <= set(first)
    assert (first["remote_id"], first["label"], first["escalate"], first["account"]) == (
        remote_id, "negative", True, "sandbox-facebook")
    assert [c["id"] for c in json.loads(run("comments", "list", "--flagged", "--json").stdout)] == [first["id"]]
    assert json.loads(run("comments", "list", "--account", "sandbox-x", "--json").stdout) == []

    [case] = json.loads(run("cases", "list", "--json").stdout)
    assert {"id", "text", "label", "status", "remote_id", "comment_id", "reason", "draft", "note", "opened_at",
            "due_at"} <= set(case)
    assert (case["status"], case["reason"], case["remote_id"], case["comment_id"], case["text"]) == (
        "open", "negative", remote_id, first["id"], HOSTILE)
    cid = str(case["id"])
    run("cases", "draft", cid, "--text", "Mohon maaf, kami tindak lanjuti.", "--as", "sosmed")
    denied = run("cases", "approve", cid, "--as", "sosmed", ok=False)
    assert isinstance(denied.exception, PermissionDenied)
    run("cases", "reject", cid, "--note", "Tambahkan nomor pengaduan", "--as", "redaktur")
    assert json.loads(run("cases", "list", "--status", "rejected", "--json").stdout)[0]["note"] == \
        "Tambahkan nomor pengaduan"
    run("cases", "draft", cid, "--text", "Mohon maaf, hubungi 112.", "--as", "sosmed")
    approved = json.loads(run("cases", "approve", cid, "--as", "redaktur", "--json").stdout)
    assert approved["status"] == "approved" and approved["reply_job_id"] is not None
    run("cases", "relabel", cid, "--label", "neutral", "--as", "redaktur")
    assert json.loads(run("cases", "list", "--status", "active", "--json").stdout)[0]["label"] == "neutral"
    shown = json.loads(run("cases", "show", cid, "--json").stdout)
    assert [t["text"] for t in shown["thread"]] == [HOSTILE]

    praise = comments[1]["id"]
    out = run("comments", "reply", str(praise), "--text", "Sama-sama!", "--as", "sosmed").stdout
    assert "answer queued" in out


def test_hostile_comment_text_is_printed_verbatim(cli: tuple[App, Callable[..., Any]]) -> None:
    app, run = cli
    seed(app)
    for args in (("comments", "list"), ("cases", "list")):
        out = run(*args).stdout
        assert "[bold red]buruk[/]" in out and "<script>" in out
    assert "warga[red]" in run("comments", "list").stdout


def test_monitor_run_once_needs_the_configured_classifier(cli: tuple[App, Callable[..., Any]]) -> None:
    from humas.sentiment.model import shipped_model_dir

    if not (shipped_model_dir() / "meta.json").is_file():
        pytest.skip("the default sentiment model is not built yet (humas sentiment train)")
    app, run = cli
    report = json.loads(run("monitor", "run", "--once", "--json").stdout)
    assert {a["account"] for a in report["accounts"]} == {a.name for a in app.settings.accounts}


def test_monitor_json_needs_once(cli: tuple[App, Callable[..., Any]]) -> None:
    """--json promises one JSON document; without --once the monitor would print one per round until stopped."""
    _, run = cli
    result = run("monitor", "run", "--json", ok=False)
    assert result.exit_code == 2 and result.stdout == ""
    assert "needs --once" in result.output  # one "error:" line through humas's main (tests/unit/test_cli_usage.py)
