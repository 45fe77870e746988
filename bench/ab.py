"""A/B: one benchmark script run against two revisions of humas, alternating, in one session.

    .venv/bin/python bench/ab.py BASE_REV [NEW_REV] --rounds 5 -- bench/queue_bench.py --db sqlite --workers 1

Each revision is checked out into a temporary git worktree (``NEW_REV`` defaults to the working tree as it is) and
its own copy of the script (``--same-script``: the working tree's copy) runs with that revision's ``src`` first on
``PYTHONPATH`` (the installed dependencies are shared). Runs alternate A, B, A, B... so drift of the machine hits
both alike. Every run prints one JSON object (the last line of the script's output); the summary is the median and
the spread (min-max) of each numeric field.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def checkout(rev: str, into: Path) -> Path:
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(into), rev], check=True,
                   capture_output=True)
    return into


def run(tree: Path, script: Path, args: list[str]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    out = subprocess.run([sys.executable, str(script), *args], env=env, check=True, text=True,
                         capture_output=True, cwd=tree).stdout
    last = [line for line in out.splitlines() if line.startswith("{")][-1]
    row: dict[str, Any] = json.loads(last)
    return row


def summary(rows: list[dict[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in rows[0]:
        values = [r[key] for r in rows if isinstance(r.get(key), int | float) and not isinstance(r.get(key), bool)]
        if len(values) == len(rows):
            out[key] = f"{statistics.median(values):g} ({min(values):g}-{max(values):g})"
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("base")
    p.add_argument("new", nargs="?", default=None, help="a revision; default: the working tree")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--same-script", action="store_true",
                   help="run the working tree's copy of the script on both sides (a script older revisions lack)")
    argv = sys.argv[1:]
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        p.error("give the benchmark after --: SCRIPT [ARGS...], the script relative to the repository")
    a = p.parse_args(argv[: argv.index("--")])
    command = argv[argv.index("--") + 1 :]
    script, args = command[0], command[1:]
    with tempfile.TemporaryDirectory(prefix="humas-ab-") as tmp:
        trees = {"A": checkout(a.base, Path(tmp) / "a"),
                 "B": checkout(a.new, Path(tmp) / "b") if a.new else REPO}
        rows: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
        try:
            for i in range(a.rounds):
                for side in ("A", "B"):
                    copy = (REPO if a.same_script else trees[side]) / script
                    rows[side].append(run(trees[side], copy, args))
                    print(json.dumps({"round": i + 1, "side": side, **rows[side][-1]}), flush=True)
        finally:
            for side in ("A", "B"):
                if trees[side] != REPO:
                    subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(trees[side])],
                                   check=False, capture_output=True)
    names = {"A": a.base, "B": a.new or "working tree"}
    for side in ("A", "B"):
        print(f"{side} = {names[side]}: median (min-max) over {a.rounds} runs")
        for key, value in summary(rows[side]).items():
            print(f"  {key:<22} {value}")


if __name__ == "__main__":
    main()
