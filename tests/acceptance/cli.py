"""Running the real ``humas`` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from humas.app import App

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Humas:
    """``humas`` with its own data dir and database, from the repository's example config."""

    def __init__(self, tmp: Path, db_url: str | None = None, config: Path | None = None, **env: str) -> None:
        self.tmp = tmp
        self.env = {
            **os.environ,
            "HUMAS_CONFIG": str(config or REPO / "config.example.toml"),
            "HUMAS_DATA_DIR": str(tmp / "data"),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.env.pop("HUMAS_USER", None)
        if db_url:
            self.env["HUMAS_DATABASE_URL"] = db_url

    def __call__(self, *args: str, check: bool = True, timeout: float = 120, stdin: str | None = None) -> Result:
        p = subprocess.run(
            [sys.executable, "-m", "humas.cli.main", *args], env=self.env, cwd=self.tmp, capture_output=True,
            text=True, timeout=timeout, input=stdin,
        )
        r = Result(p.returncode, p.stdout, p.stderr)
        if check and r.code != 0:
            raise AssertionError(f"humas {' '.join(args)} exited {r.code}: {r.err or r.out}")
        return r

    def fails(self, *args: str) -> Result:
        r = self(*args, check=False)
        assert r.code != 0, f"humas {' '.join(args)} should have failed: {r.out}"
        lines = [ln for ln in r.err.strip().splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), f"expected one error line, got: {r.err!r}"
        return r

    def popen(self, *args: str, **kw: Any) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "humas.cli.main", *args], env=self.env, cwd=self.tmp,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)

    def app(self) -> App:
        """The App this ``humas`` runs on (same config, data dir and database); dispose of its ``db`` after use."""
        from humas.app import App
        from humas.config import load_settings

        environ = {k: v for k, v in self.env.items() if k.startswith("HUMAS_") and k != "HUMAS_CONFIG"}
        return App(load_settings(self.env["HUMAS_CONFIG"], environ=environ))

    def add_users(self, team: Mapping[str, Sequence[str]], password: str | None = None) -> None:
        """What ``humas user add NAME --role ROLE...`` records for each member, in this process: a CLI call costs a
        second, and the command itself is tested on its own."""
        add_users(self.app(), team, password)


def add_users(app: App, team: Mapping[str, Sequence[str]], password: str | None = None) -> None:
    from humas.store import audit
    from humas.store.models import User, UserRole
    from humas.users import set_password

    try:
        with app.db.session() as s:
            for name, roles in team.items():
                user = User(name=name, display_name=name, created_at=app.clock())
                user.roles = [UserRole(role=r) for r in dict.fromkeys(roles)]
                s.add(user)
                s.flush()
                audit.append(s, actor="cli", action="user.added", subject_type="user", subject_id=name,
                             data={"roles": sorted(set(roles))}, at=app.clock())
                if password is not None:
                    set_password(s, user, password)
    finally:
        app.db.dispose()
