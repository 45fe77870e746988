"""``humas run`` with a Facebook account that is not connected yet: the daemon starts and keeps running, the
account is paused with the reason and its job waits; the admin connects it from another process with the CLI
(against the loopback Graph fake), and the running daemon publishes with the new token without a restart. The
daemon's start also encrypts a secret stored in plain text by an older humas."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from humas.app import App
from humas.config import load_settings
from humas.queue import service
from humas.store.models import AccountState, User, UserRole
from humas.store.secrets import PREFIX
from humas.testing_graph import FakeGraphServer
from tests.acceptance.cli import Humas
from tests.acceptance.daemon import ROLES, job_states, stop, wait_for
from tests.conftest import approve_all

PAGE, SECRET = "104030201", "daemon-app-secret"


@pytest.mark.slow
def test_the_daemon_holds_a_not_connected_account_and_publishes_once_it_is_connected(tmp_path: Path) -> None:
    with FakeGraphServer(page_id=PAGE, app_secret=SECRET) as fb:
        cfg = tmp_path / "humas.toml"
        cfg.write_text(f'''data_dir = "data"
[queue]
tick_seconds = 0.2
[monitor]
enabled = false
[web]
public_base_url = "http://127.0.0.1:9"
[[accounts]]
name = "kota-fb"
platform = "facebook"
options = {{ page_id = "{PAGE}", app_id = "{fb.app_id}", api_base = "{fb.url}" }}
credentials = {{ app_secret = "env:T_FB_APP_SECRET" }}
''', encoding="utf-8")
        h = Humas(tmp_path, config=cfg, T_FB_APP_SECRET=SECRET)
        h("init")
        h("user", "add", "admin", "--role", "admin")
        env = {k: v for k, v in h.env.items() if k.startswith("HUMAS_")}
        app = App(load_settings(cfg, environ=env))
        with app.db.session() as s:
            u = User(name="ana", display_name="ana")
            u.roles = [UserRole(role=r) for r in ROLES]
            s.add(u)
        with app.db.session() as s:
            actor = app.actor(s, "ana")
            wf = app.workflow(s)
            c = wf.create(actor, sop_id="mojokerto-acc", title="Kabar", text="Narasi",
                          caption="Pelayanan KTP keliling hari Sabtu", accounts=["kota-fb"])
            wf.submit(actor, c.id)
            approve_all(app, s, c.id)
            service.schedule(app.env, s, actor, c.id, app.clock(), platform_check=app.platform_check)
        with app.db.engine.begin() as conn:  # what an older humas left in plain text
            conn.execute(text("INSERT INTO account_secrets (account, key, value, updated_at) VALUES "
                              "('lama', 'oauth2_refresh_token', 'PLAIN-OLD-TOKEN', CURRENT_TIMESTAMP)"))

        daemon = h.popen("run", "--no-web")
        try:
            def paused() -> bool:
                with app.db.read() as s:
                    st = s.get(AccountState, "kota-fb")
                    return st is not None and st.status == "paused"

            wait_for(paused, 30, "the not-connected account to be paused")
            with app.db.read() as s:
                st = s.get(AccountState, "kota-fb")
                assert st is not None and "belum terhubung" in st.paused_reason
            assert job_states(app) == {"retry_wait": 1}  # paused in the transaction that put the job back to wait
            with app.db.engine.connect() as conn:
                stored = conn.execute(text("SELECT value FROM account_secrets WHERE account = 'lama'")).scalar_one()
            assert stored.startswith(PREFIX) and "PLAIN-OLD-TOKEN" not in stored
            assert daemon.poll() is None

            started = h("accounts", "connect", "kota-fb", "--json", "--as", "admin").json()
            landed = requests.get(started["authorize_url"].replace("https://www.facebook.com", fb.url),
                                  allow_redirects=False, timeout=10).headers["Location"]
            done = json.loads(h("accounts", "connect", "kota-fb", "--redirected-url", landed, "--as", "admin",
                                "--json").out)
            assert done["identity"] == "Humas Fake"

            wait_for(lambda: job_states(app) == {"published": 1}, 30, "the held job to be published")
            assert [p.message for p in fb.posts.values()] == ["Pelayanan KTP keliling hari Sabtu"]
        finally:
            code, out = stop(daemon, signal.SIGTERM)
            app.db.dispose()
        assert code == 0, out
