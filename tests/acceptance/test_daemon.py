"""The daemon as a user runs it: crash while sending, clean SIGTERM, one daemon per SQLite file, several on
PostgreSQL sharing the work with no post published twice."""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from humas.app import App
from humas.config import load_settings
from humas.publisher.sandbox import SandboxPlatform
from humas.queue import service
from humas.store.models import User, UserRole
from tests.acceptance.cli import Humas
from tests.acceptance.daemon import ROLES, job_states, stop, wait_for
from tests.conftest import PG_URL, _pg_schema_url, approve_all


def write_config(tmp: Path, latency_ms: int, accounts: int = 1, tick: float = 0.2) -> Path:
    acc = "".join(
        f'[[accounts]]\nname = "sbx{i}"\nplatform = "sandbox"\nimitates = "facebook"\nlatency_ms = {latency_ms}\n\n'
        for i in range(accounts)
    )
    cfg = tmp / "humas.toml"
    cfg.write_text(f'data_dir = "data"\n[queue]\ntick_seconds = {tick}\nlease_seconds = 5\nbatch = 2\n'
                   f'[monitor]\nenabled = false\n\n{acc}', encoding="utf-8")
    return cfg


def prepare(h: Humas, cfg: Path, n: int, accounts: int = 1, later: dict[int, float] | None = None) -> App:
    """n approved contents scheduled now (``later``: content index -> seconds from now), one per account in turn
    (set up through the API: faster than the CLI)."""
    h("init")
    env = {k: v for k, v in h.env.items() if k.startswith("HUMAS_")}
    app = App(load_settings(cfg, environ=env))
    with app.db.session() as s:
        u = User(name="ana", display_name="ana")
        u.roles = [UserRole(role=r) for r in ROLES]
        s.add(u)
    with app.db.session() as s:
        actor = app.actor(s, "ana")
        wf = app.workflow(s)
        for i in range(n):
            c = wf.create(actor, sop_id="mojokerto-acc", title=f"Kabar {i}", text=f"Kabar nomor {i}",
                          accounts=[f"sbx{i % accounts}"])
            wf.submit(actor, c.id)
            approve_all(app, s, c.id)
            at = app.clock() + timedelta(seconds=(later or {}).get(i, 0.0))
            service.schedule(app.env, s, actor, c.id, at, platform_check=app.platform_check)
    return app


@pytest.mark.slow
def test_sigkill_while_sending_then_restart_posts_exactly_once(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, latency_ms=3000)
    h = Humas(tmp_path, config=cfg)
    app = prepare(h, cfg, 1)
    sandbox = SandboxPlatform(app.settings.sandbox_db)
    first = h.popen("run", "--no-web")
    wait_for(lambda: job_states(app)["sending"] == 1, 30, "the job to be sending")
    wait_for(lambda: len(sandbox.list_posts("sbx0")) == 1, 10, "the platform to store the post")
    first.kill()  # SIGKILL while the answer is on its way back: humas never heard it
    first.communicate(timeout=10)
    assert job_states(app) == {"sending": 1}
    second = h.popen("run", "--no-web")
    try:
        wait_for(lambda: job_states(app) == {"published": 1}, 60, "the job to end published")
    finally:
        code, out = stop(second)
    assert code == 0, out
    assert "in doubt" in out
    posts = sandbox.list_posts("sbx0")
    assert len(posts) == 1 and posts[0].text == "Kabar nomor 0"


@pytest.mark.slow
def test_sigterm_finishes_the_call_in_flight_and_exits_0(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, latency_ms=2000)
    h = Humas(tmp_path, config=cfg)
    app = prepare(h, cfg, 2)  # one account: the second job waits behind the first
    p = h.popen("run", "--no-web")
    wait_for(lambda: job_states(app)["sending"] == 1, 30, "the first job to be sending")
    code, out = stop(p)
    assert code == 0, out
    assert job_states(app) == {"published": 1, "scheduled": 1}  # finished the call, started nothing new
    assert "humas stopped" in out
    assert len(SandboxPlatform(app.settings.sandbox_db).list_posts()) == 1


@pytest.mark.slow
def test_the_dispatcher_does_not_wait_for_its_tick(tmp_path: Path) -> None:
    """A 30 s tick: a backlog drains back to back (2 per claim), and a job due in 3 s is sent when due, not at the
    next tick."""
    cfg = write_config(tmp_path, latency_ms=0, tick=30)
    h = Humas(tmp_path, config=cfg)
    app = prepare(h, cfg, 7, later={6: 3.0})
    p = h.popen("run", "--no-web")
    try:
        wait_for(lambda: job_states(app) == {"published": 6, "scheduled": 1}, 20, "the backlog of 6 to drain")
        wait_for(lambda: job_states(app) == {"published": 7}, 20, "the job due 3 s later")
    finally:
        code, out = stop(p)
    assert code == 0, out


@pytest.mark.slow
def test_second_daemon_on_the_same_sqlite_file_is_refused(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, latency_ms=0)
    h = Humas(tmp_path, config=cfg)
    h("init")
    first = h.popen("run", "--no-web")
    try:
        wait_for(lambda: (tmp_path / "data" / "humas.sqlite3.daemon.lock").exists(), 30, "the first daemon")
        time.sleep(0.5)
        r = h("run", "--no-web", check=False, timeout=30)
        assert r.code != 0 and "another humas daemon" in r.err and len(r.err.strip().splitlines()) == 1
    finally:
        code, out = stop(first)
    assert code == 0, out


@pytest.mark.slow
def test_three_daemons_on_postgresql_share_the_work_without_double_posts(tmp_path: Path) -> None:
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("HUMAS_TEST_DATABASE_URL must be set in CI")
        pytest.skip("HUMAS_TEST_DATABASE_URL not set")
    schema = f"t_daemons_{os.getpid()}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        cfg = write_config(tmp_path, latency_ms=100, accounts=6)
        h = Humas(tmp_path, config=cfg, HUMAS_DATABASE_URL=_pg_schema_url(PG_URL, schema))
        app = prepare(h, cfg, 30, accounts=6)
        procs = [h.popen("run", "--no-web") for _ in range(3)]
        try:
            wait_for(lambda: job_states(app) == {"published": 30}, 120, "all 30 jobs to be published")
        finally:
            results = [stop(p) for p in procs]
        assert all(code == 0 for code, _ in results), results
        posts = SandboxPlatform(app.settings.sandbox_db).list_posts()
        texts = Counter(p.text for p in posts)
        assert len(posts) == 30 and max(texts.values()) == 1
        owners = [out.count("published") for _, out in results]
        assert sum(1 for n in owners if n) >= 2, "the work was not shared"
        app.db.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
