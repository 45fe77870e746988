"""Running the real ``humas`` command in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
