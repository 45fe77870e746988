"""Publication cadence (mojokerto-acc: "Publikasi konten dilaksanakan setiap satu minggu sekali"): periods in the
office's time zone, met/pending/missed from what was published, the once-per-period reminder to the first role when
nothing is on its way, the dashboard, the weekly report and the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import apprise
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from humas.app import App
from humas.cli.main import app as cli
from humas.reports import cadence
from humas.reports.weekly import report_csv, report_dict, week_report
from humas.store.models import AuditEntry, Content, ContentStatus, Post, PublicationJob
from humas.testing import FakeClock
from tests.conftest import MOJOKERTO_TEAM, add_user
from tests.integration.test_web_helpers import approved, build, draft

WIB = ZoneInfo("Asia/Jakarta")
SENT: list[dict[str, str]] = []


@apprise.decorators.notify(on="humascadence")  # type: ignore[untyped-decorator,no-untyped-call]
def _capture(body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any) -> bool:
    SENT.append({"to": str(meta.get("host", "")), "title": title, "body": body})
    return True


@pytest.fixture
def capp(make_app: Callable[..., App], db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    monkeypatch.setenv("HUMAS_TEST_URL_KREATIF", "humascadence://kreatif")
    app = make_app(db_url, monitor={"sandbox_simulation": False},
                   notify={"targets": [{"role": "tim_konten_kreatif", "urls": ["env:HUMAS_TEST_URL_KREATIF"]}]})
    for name, roles in MOJOKERTO_TEAM.items():
        add_user(app, name, *roles)
    SENT.clear()
    yield app
    SENT.clear()


def published(app: App, at: datetime) -> int:
    """Approved mojokerto-acc content with a post published at ``at`` (as the dispatcher records it)."""
    cid = approved(app, f"Konten {at.isoformat()}")
    with app.db.session() as s:
        job = PublicationJob(kind="post", dedupe_key=f"post:{cid}", account="sandbox-x", platform="sandbox",
                             content_id=cid, run_at=at, state="published", remote_id=f"r{cid}", published_at=at)
        s.add(job)
        s.flush()
        s.add(Post(job_id=job.id, content_id=cid, account="sandbox-x", platform="sandbox", remote_id=f"r{cid}",
                   published_at=at))
        content = s.get(Content, cid)
        assert content is not None
        content.status = ContentStatus.PUBLISHED
    return cid


def acc_rows(rows: list[cadence.CadenceRow]) -> list[tuple[str, int, str]]:
    return [(r.period.label, r.published, r.status) for r in rows if r.sop_id == "mojokerto-acc"]


def test_periods_follow_the_offices_calendar() -> None:
    sunday_late = datetime(2026, 12, 13, 23, 30, tzinfo=WIB)  # Sunday 23:30 WIB is still week 50
    week = cadence.period_of("1w", sunday_late, WIB)
    assert (week.label, week.kind) == ("2026-W50", "week")
    assert week.start == datetime(2026, 12, 7, tzinfo=WIB) and week.end == datetime(2026, 12, 14, tzinfo=WIB)
    assert cadence.period_of("1w", sunday_late + timedelta(minutes=30), WIB).label == "2026-W51"
    assert cadence.period_of("1w", datetime(2026, 12, 31, 17, 30, tzinfo=UTC), WIB).label == "2026-W53"
    month = cadence.period_of("30d", datetime(2026, 12, 31, 17, 30, tzinfo=UTC), WIB)  # 1 Jan 00:30 WIB
    assert (month.label, month.title()) == ("2027-01", "Januari 2027")
    assert cadence.period_of("1d", datetime(2026, 12, 7, 16, 59, tzinfo=UTC), WIB).label == "2026-12-07"
    window = cadence.period_of("2w", datetime(2024, 1, 20, 12, tzinfo=WIB), WIB)
    assert (window.start, window.end) == (datetime(2024, 1, 15, tzinfo=WIB), datetime(2024, 1, 29, tzinfo=WIB))
    assert cadence.previous("1w", week, WIB).label == "2026-W49"
    assert "7" in week.title() and "13-12-2026" in week.title()


def test_a_week_is_met_pending_or_missed_by_what_was_published(capp: App, clock: FakeClock) -> None:
    monday = clock()  # Monday 2 March 2026, 08:00 WIB (week 10)
    with capp.db.read() as s:
        [now] = [r for r in cadence.current(capp.env, s, monday) if r.sop_id == "mojokerto-acc"]
    assert (now.status, now.published, now.in_pipeline) == ("pending", 0, 0)
    published(capp, monday + timedelta(hours=1))
    draft(capp)  # on its way
    clock.advance(days=21)  # week 13
    with capp.db.read() as s:
        rows = acc_rows(cadence.history(capp.env, s, clock(), 8))  # from week 10, when the register began
        [current] = cadence.current(capp.env, s, clock(), {"mojokerto-acc"})
    assert rows == [("2026-W10", 1, "met"), ("2026-W11", 0, "missed"), ("2026-W12", 0, "missed"),
                    ("2026-W13", 0, "pending")]
    assert current.in_pipeline == 1  # the draft; the published content is not counted
    published(capp, clock())
    with capp.db.read() as s:
        assert acc_rows(cadence.history(capp.env, s, clock(), 1)) == [("2026-W13", 1, "met")]


def test_one_content_on_three_accounts_counts_once(capp: App, clock: FakeClock) -> None:
    cid = published(capp, clock())
    with capp.db.session() as s:
        for n, account in enumerate(("sandbox-facebook", "sandbox-instagram")):
            job = PublicationJob(kind="post", dedupe_key=f"post:{cid}:{n}", account=account, platform="sandbox",
                                 content_id=cid, run_at=clock(), state="published", remote_id=f"x{n}",
                                 published_at=clock())
            s.add(job)
            s.flush()
            s.add(Post(job_id=job.id, content_id=cid, account=account, platform="sandbox", remote_id=f"x{n}",
                       published_at=clock()))
    with capp.db.read() as s:
        assert acc_rows(cadence.history(capp.env, s, clock(), 1)) == [("2026-W10", 1, "met")]


def test_the_first_role_is_reminded_once_a_period_when_nothing_is_on_its_way(capp: App, clock: FakeClock) -> None:
    clock.set(datetime(2026, 3, 1, 23, 0, tzinfo=UTC))  # Monday 06:00 WIB: before working hours
    assert capp.remind_cadence() == 0 and SENT == []
    clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # 08:00 WIB
    assert capp.remind_cadence() == len(cadence.cadence_sops(capp.env))  # yogyakarta-plan is monthly
    [sent] = SENT  # only the Tim Konten Kreatif has a notification target here
    assert sent["to"] == "kreatif" and "Penerbitan Anti Corruption Center" in sent["title"]
    assert "setiap minggu" in sent["body"] and "Menyiapkan kerangka" in sent["body"]
    clock.advance(hours=2)
    assert capp.remind_cadence() == 0 and len(SENT) == 1  # once per period, also across restarts (the register)
    with capp.db.read() as s:
        [entry] = s.execute(select(AuditEntry).where(AuditEntry.action == cadence.ACTION_REMINDED,
                                                     AuditEntry.subject_id == "mojokerto-acc")).scalars()
    assert (entry.subject_type, entry.subject_id, entry.data["period"]) == ("sop", "mojokerto-acc", "2026-W10")
    assert capp.verify_register().ok

    clock.advance(days=7)  # next week: something is on its way, so nobody is reminded
    draft(capp)
    capp.remind_cadence()
    clock.advance(days=7)  # and the week after, with the draft still going: none either
    capp.remind_cadence()
    assert [m["title"] for m in SENT if m["title"].startswith("Belum ada publikasi")] == [sent["title"]]


def test_a_period_with_a_publication_needs_no_reminder(capp: App, clock: FakeClock) -> None:
    published(capp, clock() - timedelta(hours=1))  # Monday 07:00 WIB: already published this week
    capp.remind_cadence()
    assert not [m for m in SENT if m["title"].startswith("Belum ada publikasi")]


def test_the_weekly_report_lists_missed_periods(capp: App, clock: FakeClock) -> None:
    published(capp, clock())
    clock.advance(days=21)
    start = capp.local(clock()).date() - timedelta(days=capp.local(clock()).weekday())
    with capp.db.read() as s:
        r = week_report(capp.env, s, start)
    assert [c.period.label for c in r.missed if c.sop_id == "mojokerto-acc"] == ["2026-W11", "2026-W12"]
    data = report_dict(r, capp.tz)
    acc = [c for c in data["cadence"] if c["sop"] == "mojokerto-acc"]
    assert [c["period"] for c in acc] == ["2026-W10", "2026-W11", "2026-W12", "2026-W13"]  # since the first entry
    assert [c["status"] for c in acc] == ["met", "missed", "missed", "pending"]
    assert acc[-1]["start"].startswith("2026-03-23T00:00:00+07:00")
    assert "mojokerto-acc,1w,2026-W11,0,missed" in report_csv(r)


def test_dashboard_and_report_page_show_the_cadence(capp: App, clock: FakeClock) -> None:
    env = build(capp)
    page = env.client("kreatif").get("/")
    assert page.status_code == 200 and "Ritme publikasi" in page.text
    assert 'data-sop="mojokerto-acc" data-status="pending"' in page.text
    assert "Belum tayang dan belum ada konten yang diproses" in page.text
    published(capp, clock())
    page = env.client("kreatif").get("/")
    assert 'data-sop="mojokerto-acc" data-status="met"' in page.text and "Sudah tayang: 1 konten" in page.text
    assert 'data-sop="yogyakarta-plan"' not in page.text  # only the SOPs the user works under
    clock.advance(days=14)
    report = env.client("redaktur").get("/laporan")
    assert report.status_code == 200 and "Periode terlewat" in report.text
    assert report.text.count('data-status="missed"') >= 1
    api = env.anonymous().http.get("/api/v1/reports/weekly", headers={"Authorization": f"Bearer {env.token('pj')}"})
    assert api.status_code == 200 and any(c["status"] == "missed" for c in api.json()["cadence"])


def test_cadence_from_the_cli(capp: App, tmp_path: Path) -> None:
    config = tmp_path / "humas.toml"
    config.write_text(f'data_dir = "{capp.settings.data_dir}"\ndatabase_url = "{capp.settings.database_url}"\n',
                      encoding="utf-8")
    published(capp, datetime.now(UTC))
    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, ["--config", str(config), "report", *args], env={"COLUMNS": "250"})

    out = run("cadence", "--periods", "3", "--json")
    assert out.exit_code == 0, out.output
    rows = [r for r in json.loads(out.stdout)["periods"] if r["sop"] == "mojokerto-acc"]
    assert [r["status"] for r in rows][-1] == "met" and len(rows) == 3
    table = run("cadence").stdout
    assert "mojokerto-acc" in table and "terpenuhi" in table
    week = run("week", "--json")
    assert week.exit_code == 0 and "cadence" in json.loads(week.stdout)
    assert run("cadence", "--periods", "0").exit_code == 2


def test_reports_over_any_range_of_days(capp: App, clock: FakeClock) -> None:
    from humas.errors import InvalidInput
    from humas.reports.weekly import parse_range

    published(capp, clock())  # Monday 2 March
    clock.advance(days=10)
    published(capp, clock())  # Thursday 12 March
    with capp.db.read() as s:
        lo, hi = parse_range("2026-03-01", "12-03-2026")
        r = week_report(capp.env, s, lo, "", hi)
        lo5, hi5 = parse_range("2026-03-01", "2026-03-05")
        only_first = week_report(capp.env, s, lo5, "", hi5)
    assert r.week == "01-03-2026 s.d. 12-03-2026" and not r.is_week
    assert sum(a.posts for a in r.accounts) == 2 and sum(a.posts for a in only_first.accounts) == 1
    assert report_dict(r, capp.tz)["end"] == "2026-03-13"
    assert parse_range("", "2026-03-12", clock().date()) == (parse_range("2026-03-06", "2026-03-12"))
    for bad in (("2026-03-12", "2026-03-01"), ("kemarin", "2026-03-01"), ("2024-01-01", "2026-01-01"),
                ("0001-01-01", "0001-01-02")):
        with pytest.raises(InvalidInput):
            parse_range(*bad)
    env = build(capp)
    page = env.client("redaktur").get("/laporan", params={"dari": "2026-03-01", "sampai": "2026-03-12"})
    assert page.status_code == 200 and "01-03-2026 s.d. 12-03-2026" in page.text
    assert "dari=2026-03-01" in page.text  # the CSV link keeps the range
    csv = env.client("redaktur").get("/laporan.csv", params={"dari": "2026-03-01", "sampai": "2026-03-12"})
    assert csv.status_code == 200 and "laporan-2026-03-01_2026-03-12.csv" in csv.headers["content-disposition"]
    bad = env.client("redaktur").get("/laporan", params={"dari": "2026-03-12", "sampai": "2026-03-01"})
    assert bad.status_code == 400 and "Rentang tanggal tidak terbaca" in bad.text
    api = env.anonymous().http.get("/api/v1/reports/range", params={"since": "2026-03-01", "until": "2026-03-12"},
                                   headers={"Authorization": f"Bearer {env.token('pj')}"})
    assert api.status_code == 200 and api.json()["end"] == "2026-03-13"
    assert env.anonymous().http.get("/api/v1/reports/range", params={"since": "2026-03-12", "until": "2026-03-01"},
                                    headers={"Authorization": f"Bearer {env.token('pj')}"}).status_code == 400
