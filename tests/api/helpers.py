"""Helpers for the API tests (no tests here): a seeded humas with every kind of object the API serves, made through
the real services; the app under a real uvicorn server."""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from sqlalchemy import update

from humas.app import App
from humas.store.models import Comment
from tests.conftest import add_user
from tests.integration.test_web_helpers import (
    WebEnv,
    advance,
    approved,
    build,
    draft,
    drafted_case,
    failed_job,
    jpeg,
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
    plan_id: int
    item_id: int
    round_id: int
    entry_id: int


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
    plan_id, item_id, round_id, entry_id = plans_and_documentation(app)
    seeded = Seeded(env=build(app), draft_id=draft(app), review_id=review_id, approved_id=approved(app),
                    job_id=job_id, case_id=case_id, drafted_case_id=drafted_case(app),
                    review_comment_ids=tuple(unsure), plan_id=plan_id, item_id=item_id, round_id=round_id,
                    entry_id=entry_id)
    app.clock.advance(days=14)  # type: ignore[attr-defined]  # the fake clock: steps are overdue now
    return seeded


def plans_and_documentation(app: App) -> tuple[int, int, int, int]:
    """A monthly plan with an item (yogyakarta-plan), an equipment item, an inventory round, an agenda entry and
    a file in the media library (mojokerto-prokopim), by the roles those SOPs name."""
    from humas.documentation.inventory import CheckInput
    from humas.planning.model import ItemInput
    from humas.web import library

    for name, role in (("ppidp", "ppid_pelaksana"), ("ppid", "ppid"), ("kepala", "kepala_unit_kerja"),
                       ("kabag", "kabag_prokopim"), ("subko", "sub_koordinator_dokpim"), ("staf", "staf_sub_dokpim")):
        add_user(app, name, role)
    today = app.local(app.clock())
    month = (today.date().replace(day=1) + timedelta(days=40)).strftime("%Y-%m")
    meeting = (today + timedelta(days=14)).replace(hour=10, minute=0, second=0, microsecond=0)
    with app.db.session() as s:
        planning = app.planning(s)
        plan, _ = planning.create(app.actor(s, "ppidp"), sop_id="yogyakarta-plan", month=month, meeting_at=meeting)
        planning.submit(app.actor(s, "ppidp"), plan.id)
        item = planning.add_item(app.actor(s, "ppid"), plan.id, ItemInput(
            activity="Sosialisasi SAKIP", activity_date=f"{month}-10", owner="kepala"))
        equipment = app.equipment(s).add(app.actor(s, "kabag"), kind="kamera", name="Kamera A", serial="SN-1")
        inventory = app.inventory(s)
        inventory_round = inventory.start(app.actor(s, "kabag"), assign_to="subko")
        inventory.assign(app.actor(s, "subko"), inventory_round.id, "staf")
        inventory.check(app.actor(s, "staf"), inventory_round.id, equipment.id,
                        CheckInput(present=True, condition="baik", battery_percent=90, memory_free_gb=32))
        entry = app.agenda(s).add(app.actor(s, "kabag"), leader="bupati", activity="Rapat paripurna",
                                  place="DPRD", starts_at=f"{month}-12 09:00", ends_at=f"{month}-12 11:00")
        tmp = Path(tempfile.mkdtemp())
        (tmp / "poster.jpg").write_bytes(jpeg(640, 640))
        library.add(app, s, app.actor(s, "kabag"), [tmp / "poster.jpg"])
        return plan.id, item.id, inventory_round.id, entry.id


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
