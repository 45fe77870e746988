"""Peak RSS of ``humas run`` with the sentiment model loaded (the monitor has classified sandbox comments).

    .venv/bin/python bench/daemon_rss.py

Starts the daemon (web interface included) on a fresh data dir with the four sandbox accounts, publishes one post,
lets the sandbox's simulated public comment on it, waits until the monitor has classified comments, then reads
``VmHWM`` (peak resident set) and ``VmRSS`` from ``/proc/<pid>/status``.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: mojokerto-acc's approving steps in order, by role (separation of duties: one person per role)
CHAIN = ["tim_reviu", "tim_editor", "tim_reviu", "redaktur", "pimpinan_redaktur", "penanggung_jawab"]


def humas(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "humas.cli.main", *args], env=env, check=True, text=True,
                          capture_output=True).stdout


def status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmHWM", "VmRSS")):
            key, value = line.split(":")
            out[key] = int(value.split()[0]) // 1024
    return out


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="humas-rss-"))
    cfg = tmp / "humas.toml"
    example = (REPO / "config.example.toml").read_text(encoding="utf-8")
    cfg.write_text(example.replace("tick_seconds = 30", "tick_seconds = 2").replace("port = 8000", "port = 18765"),
                   encoding="utf-8")
    env = {**os.environ, "HUMAS_CONFIG": str(cfg), "HUMAS_DATA_DIR": str(tmp / "data")}
    humas(env, "init")
    humas(env, "user", "add", "ana", "--role", "tim_konten_kreatif", "--role", "tim_sosial_media")
    for role in dict.fromkeys(CHAIN):
        humas(env, "user", "add", role.replace("_", "-"), "--role", role)
    cid = json.loads(humas(env, "content", "new", "--title", "Uji", "--text", "Narasi",
                           "--caption", "Jadwal layanan KTP pekan ini", "--account", "sandbox-facebook",
                           "--as", "ana", "--json"))["id"]
    humas(env, "content", "submit", str(cid), "--as", "ana")
    for role in CHAIN:
        humas(env, "content", "approve", str(cid), "--as", role.replace("_", "-"))
    humas(env, "schedule", str(cid), "--at", "now", "--as", "ana")
    p = subprocess.Popen([sys.executable, "-m", "humas.cli.main", "run"], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    db = tmp / "data" / "humas.sqlite3"
    started = time.monotonic()
    classified = 0
    while time.monotonic() - started < 180:
        time.sleep(1)
        with sqlite3.connect(db) as conn:
            classified = conn.execute("SELECT count(*) FROM comments WHERE classified_at IS NOT NULL").fetchone()[0]
        if classified >= 3:
            break
    time.sleep(3)
    mem = status(p.pid)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=30)
    print(json.dumps({"classified_comments": classified, "peak_rss_mib": mem["VmHWM"], "rss_mib": mem["VmRSS"],
                      "exit_code": p.returncode}))


if __name__ == "__main__":
    main()
