"""``/healthz`` as a readiness check: 503 when the database does not answer, whatever the scheduler says."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from humas.app import App
from humas.config import parse_settings
from humas.testing import FakeClock
from humas.web.app import create_app

#: nothing listens on port 1: the connection is refused at once
REFUSED = "postgresql+psycopg://humas@127.0.0.1:1/humas"


def test_a_database_that_does_not_answer_is_503(tmp_path: Path, clock: FakeClock) -> None:
    app = App(parse_settings({"data_dir": str(tmp_path / "data"), "database_url": REFUSED}, "test"), clock=clock)
    try:
        api = create_app(app, first_admin=False, heartbeat=lambda: {"ok": True, "last_tick": None})
        r = TestClient(api).get("/healthz")
    finally:
        app.db.dispose()
    assert r.status_code == 503
    assert r.json() == {"ok": False, "database": False, "scheduler": {"ok": True, "last_tick": None}}
    assert "127.0.0.1" not in r.text  # the reason goes to the log, not to the answer


def test_a_schema_behind_the_code_is_503(app: App) -> None:
    api = create_app(app, first_admin=False)
    assert TestClient(api).get("/healthz").status_code == 200
    with app.db.session() as s:  # as after another instance ran a newer 'humas db upgrade'
        s.execute(text("UPDATE alembic_version SET version_num = 'elsewhere'"))
    r = TestClient(api).get("/healthz")
    assert r.status_code == 503 and r.json() == {"ok": False, "database": False, "scheduler": None}
