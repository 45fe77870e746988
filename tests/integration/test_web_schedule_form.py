"""The approval and scheduling forms: notes not refilled by the browser, pages not cached, a date-time input in the
office's time zone with a "Sekarang" button, and every time format the interface shows accepted back."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from humas.app import App
from humas.errors import InvalidInput
from humas.queue.service import parse_when
from humas.store.models import PublicationJob
from tests.integration.test_web_helpers import WebEnv, advance, approved, build, draft

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def env(team: App) -> WebEnv:
    return build(team)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-01 14:00", datetime(2026, 12, 1, 14, 0, tzinfo=WIB)),
    ("2026-12-01T14:00", datetime(2026, 12, 1, 14, 0, tzinfo=WIB)),  # <input type="datetime-local">
    ("01-12-2026 14:00", datetime(2026, 12, 1, 14, 0, tzinfo=WIB)),  # as the pages display it
    (" 01-12-2026 14:00:30 ", datetime(2026, 12, 1, 14, 0, 30, tzinfo=WIB)),
    ("01/12/2026 14:00", datetime(2026, 12, 1, 14, 0, tzinfo=WIB)),
    ("2026-12-01T14:00+00:00", datetime(2026, 12, 1, 14, 0, tzinfo=UTC)),
])
def test_parse_when_accepts_the_shown_and_the_browser_formats(app: App, text: str, expected: datetime) -> None:
    got = parse_when(app.env, text)
    assert got == expected and got.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", ["kemarin", "12-01-26 14:00", "2026-12-01", "31-02-2026 09:00", "01-13-2026 09:00",
                                  "01-01-0001 00:00", "0001-01-01T00:00", "31-12-9999 23:59"])
def test_parse_when_refuses_other_text(app: App, text: str) -> None:
    with pytest.raises(InvalidInput, match="invalid time"):
        parse_when(app.env, text)


def test_parse_when_now_in_both_languages(app: App) -> None:
    assert parse_when(app.env, "now") == parse_when(app.env, "Sekarang") == app.clock()


def test_approval_form_notes_are_not_refilled_and_the_page_is_not_cached(env: WebEnv) -> None:
    cid = draft(env.app)
    advance(env.app, cid, [])
    r = env.client("reviu").get(f"/konten/{cid}")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    for action in ("setujui", "tolak"):
        form = re.search(rf'<form method="post" action="/konten/{cid}/{action}".*?</form>', r.text, re.S)
        assert form is not None, action
        note = re.search(r'<input name="note"[^>]*>', form.group(0))
        assert note is not None and 'autocomplete="off"' in note.group(0), action


def test_schedule_field_is_a_datetime_input_in_the_office_zone(env: WebEnv) -> None:
    cid = approved(env.app)
    page = env.client("sosmed").get(f"/konten/{cid}").text
    field = re.search(r'<input type="datetime-local" name="at"[^>]*>', page)
    assert field is not None
    assert 'value="2026-03-02T08:00"' in field.group(0)  # the fake clock's 01:00 UTC in Asia/Jakarta
    assert "Zona waktu kantor: Asia/Jakarta" in page
    assert re.search(r'<button type="submit" name="now" value="1" formnovalidate>Sekarang</button>', page)


@pytest.mark.parametrize(("fields", "local"), [
    ({"at": "2026-03-03T09:30"}, datetime(2026, 3, 3, 9, 30)),
    ({"at": "03-03-2026 10:15"}, datetime(2026, 3, 3, 10, 15)),
    ({"at": "", "now": "1"}, datetime(2026, 3, 2, 8, 0)),
])
def test_schedule_from_the_page_in_each_format(env: WebEnv, fields: dict[str, str], local: datetime) -> None:
    cid = approved(env.app)
    r = env.client("sosmed").post(f"/konten/{cid}/jadwal", {**fields, "accounts": ["sandbox-x"]})
    assert r.status_code == 303
    with env.app.db.session() as s:
        run_at = s.execute(select(PublicationJob.run_at).where(PublicationJob.content_id == cid)).scalar_one()
    assert env.app.local(run_at).replace(tzinfo=None) == local
