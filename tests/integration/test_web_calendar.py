"""The calendar (issue 15): a legend, a time axis in the week view, and scheduled posts moved by drag and drop
(the same POST without the script) under the scheduling form's checks: roles, state, not in the past."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from humas.app import App
from humas.queue import service as queue
from humas.store.models import AuditEntry, JobState, PublicationJob
from humas.web.catalog import error
from tests.integration.test_web_helpers import WebEnv, approved, build


@pytest.fixture
def env(team: App) -> WebEnv:
    return build(team)


def _scheduled(app: App, at: datetime) -> int:
    cid = approved(app)
    with app.db.session() as s:
        return queue.schedule(app.env, s, app.actor(s, "sosmed"), cid, at, ["sandbox-x"],
                              platform_check=app.platform_check)[0].id


def _week(day: datetime) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def test_a_scheduled_post_is_dragged_to_another_day_and_hour(env: WebEnv) -> None:
    app = env.app
    start = app.local(app.clock()).replace(hour=10, minute=30, second=0, microsecond=0) + timedelta(days=2)
    job_id = _scheduled(app, start)
    c = env.client("sosmed")
    page = c.get(f"/kalender?view=week&minggu={_week(start)}").text
    assert f'data-job="{job_id}" data-time="10:30"' in page and 'draggable="true"' in page
    assert re.search(r'class="axis">07:00<', page) and re.search(r'class="axis">20:00<', page)  # the time axis
    assert 'class="legend"' in page and 'id="move-job"' in page
    assert f'data-day="{start.date().isoformat()}" data-hour="10"' in page

    target = (start + timedelta(days=1)).replace(hour=14)
    back = f"/kalender?view=week&minggu={_week(start)}"
    r = c.post(f"/antrian/{job_id}/jadwal", {"at": target.strftime("%Y-%m-%dT%H:%M"), "back": back})
    assert r.status_code == 303 and r.headers["location"] == back
    with app.db.read() as s:
        job = s.get(PublicationJob, job_id)
        assert job is not None and app.local(job.run_at) == target and job.state == JobState.SCHEDULED
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "job.rescheduled")).scalar_one()
        assert entry.actor == "sosmed" and entry.data["to"].startswith(target.strftime("%Y-%m-%dT14:30"))
    assert "dipindah ke" in c.get(back).text

    # the displayed format is accepted too; another site's address is not followed
    r = c.post(f"/antrian/{job_id}/jadwal", {"at": target.strftime("%d-%m-%Y 09:15"), "back": "https://evil.example"})
    assert r.status_code == 303 and r.headers["location"] == "/kalender"


def test_moves_are_refused_like_the_form_refuses_a_schedule(env: WebEnv) -> None:
    app = env.app
    start = app.local(app.clock()) + timedelta(days=2)
    job_id = _scheduled(app, start)
    sosmed = env.client("sosmed")
    past = (app.local(app.clock()) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = sosmed.post(f"/antrian/{job_id}/jadwal", {"at": past})
    assert r.status_code == 400
    english = f"the time {past.replace('T', ' ')} is in the past"
    assert error(english, "id") in html.unescape(r.text)
    assert sosmed.post(f"/antrian/{job_id}/jadwal", {"at": "besok"}).status_code == 400
    kreatif = env.client("kreatif")
    assert kreatif.post(f"/antrian/{job_id}/jadwal", {"at": start.strftime("%Y-%m-%dT%H:%M")}).status_code == 403
    assert 'draggable="true"' not in kreatif.get(f"/kalender?view=week&minggu={_week(start)}").text
    with app.db.session() as s:
        queue.cancel(app.env, s, app.actor(s, "sosmed"), job_id)
    assert sosmed.post(f"/antrian/{job_id}/jadwal", {"at": start.strftime("%Y-%m-%dT%H:%M")}).status_code in (400, 409)
    with app.db.read() as s:
        assert s.execute(select(AuditEntry).where(AuditEntry.action == "job.rescheduled")).first() is None
