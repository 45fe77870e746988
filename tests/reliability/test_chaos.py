"""The reliability tier: real daemons SIGKILLed at random while the sandbox injects platform faults, on SQLite and on
PostgreSQL (two daemons at once there). Counted at the end: posts published twice (must be 0), jobs lost (every
job must end published), and the register (must verify). Bounded: a fixed fault seed, a fixed number of kills."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text

from humas.app import App
from humas.config import load_settings
from humas.publisher.sandbox import SandboxPlatform
from humas.queue import service
from humas.store.models import User, UserRole
from tests.acceptance.cli import Humas
from tests.acceptance.daemon import ROLES, stop, wait_for
from tests.conftest import approve_all

JOBS = 20
KILLS = 6
# Instagram's rules accept the same post twice, so a post sent twice would show as two posts
FAULTS = "{ server_error = 0.1, network_error = 0.05, timeout_after_send = 0.15, seed = 7 }"


def write_config(tmp: Path) -> Path:
    accounts = "".join(
        f'[[accounts]]\nname = "ig{i}"\nplatform = "sandbox"\nimitates = "instagram"\nlatency_ms = 300\n'
        f"failures = {FAULTS}\n\n" for i in range(2)
    )
    cfg = tmp / "humas.toml"
    cfg.write_text('data_dir = "data"\n'
                   "[queue]\ntick_seconds = 0.2\nlease_seconds = 5\nbatch = 2\nmax_attempts = 30\n"
                   "backoff_base_seconds = 0.2\nbackoff_max_seconds = 1\nin_doubt_settle_seconds = 0.5\n"
                   '[web]\npublic_base_url = "https://humas.example.go.id"\n'
                   f"[monitor]\nenabled = false\n\n{accounts}", encoding="utf-8")
    return cfg


def prepare(h: Humas, cfg: Path, tmp: Path) -> App:
    h("init")
    env = {k: v for k, v in h.env.items() if k.startswith("HUMAS_")}
    app = App(load_settings(cfg, environ=env))
    with app.db.session() as s:
        u = User(name="ana", display_name="ana")
        u.roles = [UserRole(role=r) for r in ROLES]
        s.add(u)
    for i in range(JOBS):
        photo = tmp / f"foto{i}.jpg"
        Image.new("RGB", (1080, 1080), (i * 15 % 255, 80, 140)).save(photo, "JPEG")
        with app.db.session() as s:
            actor = app.actor(s, "ana")
            wf = app.workflow(s)
            c = wf.create(actor, sop_id="mojokerto-acc", title=f"Kabar {i}", text=f"Kabar nomor {i}",
                          caption=f"Kabar nomor {i}", accounts=[f"ig{i % 2}"], media=[photo])
            wf.submit(actor, c.id)
            approve_all(app, s, c.id)
            service.schedule(app.env, s, actor, c.id, app.clock(), platform_check=app.platform_check)
    return app


def states(app: App) -> Counter[str]:
    with app.db.engine.connect() as conn:
        return Counter(r[0] for r in conn.execute(text("SELECT state FROM publication_jobs")))


@pytest.mark.slow
def test_random_sigkills_with_platform_faults_lose_nothing_and_post_nothing_twice(tmp_path: Path,
                                                                                  db_url: str) -> None:
    rng = random.Random(20261201)
    cfg = write_config(tmp_path)
    pg = not db_url.startswith("sqlite")
    h = Humas(tmp_path, config=cfg, **({"HUMAS_DATABASE_URL": db_url} if pg else {}))
    app = prepare(h, cfg, tmp_path)
    running: list[subprocess.Popen[str]] = [h.popen("run", "--no-web") for _ in range(2 if pg else 1)]
    kills = 0
    try:
        while kills < KILLS and states(app)["published"] < JOBS:
            time.sleep(rng.uniform(0.4, 1.5))
            victim = running.pop(rng.randrange(len(running)))
            victim.send_signal(signal.SIGKILL)
            victim.communicate(timeout=10)
            kills += 1
            running.append(h.popen("run", "--no-web"))
        wait_for(lambda: states(app)["published"] == JOBS, 120, "every job to be published")
    finally:
        for p in running:
            if p.poll() is None:
                stop(p)
    assert kills >= 3  # the daemons really died under way (while claiming, sending, or recording)
    assert states(app) == {"published": JOBS}  # nothing lost: every job ended published
    posts = SandboxPlatform(app.settings.sandbox_db).list_posts()
    per_post = Counter((p.account, p.text) for p in posts)
    assert sum(per_post.values()) == JOBS and max(per_post.values()) == 1  # nothing twice
    report = app.verify_register()
    assert report.ok, report.findings
    app.db.dispose()
