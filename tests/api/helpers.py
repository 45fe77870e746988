"""Helpers for the API tests (no tests here): a seeded humas with every kind of object the API serves, made through
the real services; the app under a real uvicorn server."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from sqlalchemy import update

from humas.app import App
from humas.store.models import Comment
from tests.integration.test_web_helpers import (
    WebEnv,
    advance,
    approved,
    build,
    draft,
    drafted_case,
    failed_job,
    published_comment,
)


@dataclass(frozen=True)
class Seeded:
    env: WebEnv
    draft_id: int
    review_id: int
    approved_id: int
    job_id: int
    case_id: int
    drafted_case_id: int
    review_comment_ids: tuple[int, ...]


def seed(team: App) -> Seeded:
    """Content in every early state, a failed job, an open and a drafted case, comments on the review list; then
two weeks pass (``app.clock`` is the tests' fake clock), so that SOP steps are overdue."""
    app = team
    review_id = draft(app, "Menunggu reviu")
    advance(app, review_id, [])
    job_id = failed_job(app)
    _comment, case_id = published_comment(app, "Pelayanan buruk sekali!")
    assert case_id is not None
    unsure = [published_comment(app, f"Kurang jelas ({n})", label="neutral", case=False)[0] for n in range(3)]
    with app.db.session() as s:  # what the classifier does with comments it is unsure about (tier "review")
        s.execute(update(Comment).where(Comment.id.in_(unsure)).values(tier="review", p_negative=0.55))
    seeded = Seeded(env=build(app), draft_id=draft(app), review_id=review_id, approved_id=approved(app),
                    job_id=job_id, case_id=case_id, drafted_case_id=drafted_case(app),
                    review_comment_ids=tuple(unsure))
    app.clock.advance(days=14)  # type: ignore[attr-defined]  # the fake clock: steps are overdue now
    return seeded


class serve:
    """``api`` under uvicorn in a thread, on a free loopback port (keep-alive, real HTTP/1.1)."""

    def __init__(self, api: FastAPI) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port: int = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=self.port, log_level="critical",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> int:
        self.thread.start()
        for _ in range(400):
            if self.server.started:
                return self.port
            time.sleep(0.025)
        raise AssertionError("uvicorn did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
