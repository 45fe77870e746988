"""Watching a ``humas run`` started by a test: waiting on the database it shares with the test, and stopping it.

A daemon's stages hand over through the database (collected, classified, escalated, sent), so a test waits for the
stage it needs next, never for an earlier one: a comment that is collected is not yet classified."""

from __future__ import annotations

import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable

from sqlalchemy import func, select

from humas.app import App
from humas.store.models import Base, Comment, PublicationJob

ROLES = ["tim_konten_kreatif", "tim_reviu", "tim_editor", "redaktur", "pimpinan_redaktur", "penanggung_jawab",
         "tim_sosial_media"]


def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def stop(p: subprocess.Popen[str], sig: int = signal.SIGTERM, timeout: float = 30) -> tuple[int, str]:
    p.send_signal(sig)
    out, _ = p.communicate(timeout=timeout)
    return p.returncode, out


def stopped(p: subprocess.Popen[str]) -> tuple[int, str]:
    """Stop the daemon, or collect what it said if it already exited (a crash is then in the output)."""
    if p.poll() is not None:
        out, _ = p.communicate(timeout=10)
        return p.returncode, out
    return stop(p)


def count(app: App, model: type[Base]) -> int:
    with app.db.read() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def classified(app: App) -> int:
    """Comments the classifier has seen: only these can be answered or escalated."""
    with app.db.read() as s:
        return int(s.execute(select(func.count()).where(Comment.classified_at.is_not(None))).scalar_one())


def job_states(app: App) -> Counter[str]:
    with app.db.read() as s:
        return Counter(s.execute(select(PublicationJob.state)).scalars())


def note_errors(app: App, seen: list[str]) -> bool:
    """Collect every job's visible error (``last_error``) as it changes; always True (for ``wait_for``)."""
    with app.db.read() as s:
        for e in s.execute(select(PublicationJob.last_error)).scalars():
            if e and e not in seen:
                seen.append(e)
    return True
