"""Shared fixtures: databases (SQLite always, PostgreSQL when HUMAS_TEST_DATABASE_URL is set), apps, users."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from humas.app import App
from humas.config import parse_settings
from humas.store import migrate
from humas.store.engine import Database
from humas.store.models import User, UserRole
from humas.testing import FakeClock

PG_URL = os.environ.get("HUMAS_TEST_DATABASE_URL")
REPO = Path(__file__).resolve().parent.parent
DB_KINDS = ["sqlite", "postgresql"]


def _pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=DB_KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'humas.sqlite3'}"
        return
    with pg_schema() as url:
        yield url


@contextlib.contextmanager
def pg_schema() -> Iterator[str]:
    """A PostgreSQL schema of its own in the test database (its URL), dropped afterwards."""
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("HUMAS_TEST_DATABASE_URL must be set in CI: the PostgreSQL tests may not skip there")
        pytest.skip("HUMAS_TEST_DATABASE_URL not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(PG_URL, schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class SchemaTemplates:
    """The migrated schema, made once per test process and laid down per test: a copy of a migrated SQLite file, or
    the migrations' own SQL (alembic's offline mode, generated once) run in a fresh PostgreSQL schema. Running the
    migrations for every test cost 0.1 to 0.2 s each; tests/integration/test_migrations.py runs them for real."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sqlite: Path | None = None
        self._postgresql: str | None = None

    def sqlite(self) -> Path:
        if self._sqlite is None:
            path = self.root / "migrated.sqlite3"
            db = Database(f"sqlite:///{path}")
            migrate.upgrade(db)
            db.dispose()
            self._sqlite = path
        return self._sqlite

    def postgresql(self, db: Database) -> str:
        if self._postgresql is None:
            from alembic import command

            cfg = migrate.alembic_config(db.url)
            cfg.output_buffer = io.StringIO()
            with db.engine.connect() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head", sql=True)
            script = cfg.output_buffer.getvalue()
            self._postgresql = "\n".join(line for line in script.splitlines() if line not in ("BEGIN;", "COMMIT;"))
        return self._postgresql

    def lay_down(self, db: Database) -> None:
        """The migrated schema in ``db``: laid down where it is empty, upgraded where it already has one."""
        if db.dialect == "sqlite" and (path := db.engine.url.database) and not Path(path).exists():
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.sqlite(), path)
        elif db.dialect == "postgresql" and migrate.current_revision(db) is None:
            script = self.postgresql(db)
            with db.engine.begin() as conn:
                conn.connection.driver_connection.execute(script)  # type: ignore[union-attr]
        else:
            migrate.upgrade(db)


@pytest.fixture(scope="session")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> SchemaTemplates:
    return SchemaTemplates(tmp_path_factory.mktemp("schemas"))


@pytest.fixture
def make_app(tmp_path: Path, clock: FakeClock, schemas: SchemaTemplates) -> Iterator[Callable[..., App]]:
    apps: list[App] = []

    def make(url: str | None = None, **overrides: Any) -> App:
        data: dict[str, Any] = {"data_dir": str(tmp_path / "data"), **overrides}
        if url:
            data["database_url"] = url
        settings = parse_settings(data, "test")
        app = App(settings, clock=clock)
        schemas.lay_down(app.db)
        apps.append(app)
        return app

    yield make
    for a in apps:
        a.db.dispose()


@pytest.fixture
def app(make_app: Callable[..., App], db_url: str) -> App:
    return make_app(db_url)


def add_user(app: App, name: str, *roles: str) -> None:
    with app.db.session() as s:
        u = User(name=name, display_name=name)
        u.roles = [UserRole(role=r) for r in roles]
        s.add(u)


def approve_all(app: App, s: Session, content_id: int) -> None:
    """Approve content along its chain, each step by a user of that step's role only (``approver.ROLE``, made on
    first use): the shipped SOPs separate duties (``distinct_approvers``), so one person cannot walk a chain."""
    wf = app.workflow(s)
    c = wf.get(content_id)
    while c.status == "in_review":
        step = wf.current_step(c)
        assert step is not None
        name = f"approver.{step.role}"
        if s.execute(select(User.id).where(User.name == name)).scalar_one_or_none() is None:
            user = User(name=name, display_name=name)
            user.roles = [UserRole(role=step.role)]
            s.add(user)
            s.flush()
        wf.approve(app.actor(s, name), content_id)


MOJOKERTO_TEAM = {
    "kreatif": ["tim_konten_kreatif"],
    "data": ["perangkat_daerah_lain"],
    "reviu": ["tim_reviu"],
    "editor": ["tim_editor"],
    "redaktur": ["redaktur"],
    "pimred": ["pimpinan_redaktur"],
    "pj": ["penanggung_jawab"],
    "sosmed": ["tim_sosial_media"],
    "admin": ["admin"],
}


@pytest.fixture
def team(app: App) -> App:
    for name, roles in MOJOKERTO_TEAM.items():
        add_user(app, name, *roles)
    return app


def sentiment_data() -> Path:
    """The shared sentiment data (``$HUMAS_SENTIMENT_DATA`` or found beside the checkout). Missing: the test is
    skipped, or fails where ``HUMAS_REQUIRE_SENTIMENT_DATA`` is set (CI: these tests must run)."""
    from humas.errors import InvalidInput
    from humas.sentiment.data import default_data_dir

    try:
        return default_data_dir()
    except InvalidInput:
        if os.environ.get("HUMAS_REQUIRE_SENTIMENT_DATA"):
            pytest.fail("shared sentiment data not found and HUMAS_REQUIRE_SENTIMENT_DATA is set")
        pytest.skip("shared sentiment data not found (set HUMAS_SENTIMENT_DATA)")


#: test folders whose files run longest (daemons, SIGKILL runs, the fuzzer): collected first, so that under
#: ``make test`` (pytest-xdist, files whole per worker) no worker is left alone with a long file at the end
_LONG_FIRST = ("tests/reliability/", "tests/acceptance/", "tests/api/test_fuzz.py", "tests/browser/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid
        return next((i for i, prefix in enumerate(_LONG_FIRST) if path.startswith(prefix)), len(_LONG_FIRST))

    items.sort(key=rank)
