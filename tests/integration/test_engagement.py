"""Engagement figures end to end (issue 15): the monitor reads and stores them in its polling pass (hourly cap,
``engagement_every``, batches, budget, errors), the report sums them per account and ranks posts, and the Laporan
page, its CSV and PDF (charts as PNG), the API, the CLI and the content page show them. SQLite always, PostgreSQL
when configured."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select, update

from humas.app import App
from humas.cli.main import main
from humas.errors import AuthExpired, PlatformUnavailable, RateLimited
from humas.monitor.engagement import latest_figures, store_figures
from humas.monitor.poller import Monitor
from humas.publisher.base import Engagement, Platform
from humas.reports.weekly import report_csv, report_dict, week_report
from humas.store.models import Content, Post, PostMetric, PublicationJob, User
from humas.testing import FakeClock, FakePlatform
from tests.conftest import MOJOKERTO_TEAM, add_user
from tests.integration.test_web_helpers import approved, build

X = {"name": "pemkot-x", "platform": "x"}
WEDNESDAY = datetime(2026, 3, 11, 5, 0, tzinfo=UTC)
MONDAY = date(2026, 3, 9)
YT = {"name": "pemkot-yt", "platform": "youtube"}


class EngagingFake(FakePlatform):
    """A fake account that also reads engagement: figures scripted per remote id, calls recorded, failures on
    request."""

    engagement_batch: ClassVar[int] = 2

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.figures: dict[str, Engagement] = {}
        self.batches: list[list[str]] = []
        self.fail_figures: list[Exception] = []

    def engagement_cost(self, count: int) -> int:
        return count

    def engagement(self, remote_ids: Sequence[str]) -> dict[str, Engagement]:
        self.batches.append(list(remote_ids))
        if self.fail_figures:
            raise self.fail_figures.pop(0)
        return {r: self.figures[r] for r in remote_ids if r in self.figures}


def make_post(app: App, account: str, remote_id: str, published_at: datetime, content_id: int | None = None,
              url: str | None = None) -> int:
    platform = app.settings.account(account).platform.value
    with app.db.session() as s:
        job = PublicationJob(kind="post", dedupe_key=f"post:eng:{account}:{remote_id}", account=account,
                             platform=platform, run_at=published_at, state="published", remote_id=remote_id,
                             remote_url=url, published_at=published_at, content_id=content_id)
        s.add(job)
        s.flush()
        post = Post(job_id=job.id, content_id=content_id, account=account, platform=platform, remote_id=remote_id,
                    remote_url=url, published_at=published_at, next_poll_at=published_at)
        s.add(post)
        s.flush()
        return post.id


def rows(app: App, post_id: int | None = None) -> list[PostMetric]:
    with app.db.session() as s:
        q = select(PostMetric).order_by(PostMetric.post_id, PostMetric.hour)
        if post_id is not None:
            q = q.where(PostMetric.post_id == post_id)
        out = list(s.execute(q).scalars())
        s.expunge_all()
        return out


@pytest.fixture
def xapp(make_app: Callable[..., App], db_url: str) -> App:
    return make_app(db_url, accounts=[X, YT], monitor={"daily_budget": {"youtube": 2000, "x": 500},
                                                      "engagement_every": "1h"})


def fake_for(clock: FakeClock, account: str = "pemkot-x", platform: Platform = Platform.X) -> EngagingFake:
    return EngagingFake(account, platform, clock=clock)


def monitor(app: App, fakes: dict[str, FakePlatform]) -> Monitor:
    return app.monitor("m1", adapter_for=fakes.__getitem__)


# --- the monitor -------------------------------------------------------------------------------------------------


def test_figures_are_read_in_batches_for_polled_posts_and_at_most_once_per_interval(xapp: App,
                                                                                    clock: FakeClock) -> None:
    fake = fake_for(clock)
    ids = [make_post(xapp, "pemkot-x", f"t{i}", clock()) for i in range(3)]
    for i in range(3):
        fake.figures[f"t{i}"] = Engagement(clock(), likes=10 * i, comments=i, shares=1, views=100 + i)
    m = monitor(xapp, {"pemkot-x": fake})

    r = m.run_once()
    assert fake.batches == [["t0", "t1"], ["t2"]]  # the adapter's batch size, all in the polling pass
    rep = r.accounts[0]
    assert (rep.outcome, rep.figures) == ("ok", 3)
    assert rep.budget_used == 3 + 3  # three comment fetches, three posts' figures (X bills per post)
    with xapp.db.session() as s:
        latest = latest_figures(s, ids)
    assert {pid: (f.likes, f.views) for pid, f in latest.items()} == {ids[0]: (0, 100), ids[1]: (10, 101),
                                                                     ids[2]: (20, 102)}

    clock.advance(minutes=2)  # the posts are due for comments again (every 2 minutes), not for figures
    m.run_once()
    assert len(fake.batches) == 2

    clock.advance(minutes=59)
    fake.figures["t0"] = Engagement(clock(), likes=55, comments=3, shares=2, views=400)
    m.run_once()
    assert fake.batches[2:] == [["t0", "t1"], ["t2"]]
    assert [(row.likes, row.views) for row in rows(xapp, ids[0])] == [(0, 100), (55, 400)]  # history, one an hour


def test_history_keeps_one_row_per_post_and_hour(xapp: App, clock: FakeClock) -> None:
    pid = make_post(xapp, "pemkot-x", "t1", clock())
    clock.set(clock().replace(minute=5))
    with xapp.db.session() as s:
        store_figures(s, pid, Engagement(clock(), likes=1, views=10, reach=8), clock())
    clock.advance(minutes=40)  # same hour: the hour's row is updated
    with xapp.db.session() as s:
        store_figures(s, pid, Engagement(clock(), likes=3, views=30), clock())  # reach not given this time
    assert [(r.likes, r.views, r.reach, r.fetched_at) for r in rows(xapp, pid)] == [(3, 30, 8, clock())]
    clock.advance(minutes=20)  # the next hour: a new row
    with xapp.db.session() as s:
        store_figures(s, pid, Engagement(clock(), likes=4, views=41, reach=20), clock())
        assert latest_figures(s, [pid])[pid].likes == 4
    assert [r.likes for r in rows(xapp, pid)] == [3, 4]


def test_figures_spend_at_most_half_the_daily_budget(make_app: Callable[..., App], db_url: str,
                                                     clock: FakeClock) -> None:
    app = make_app(db_url, accounts=[X], monitor={"daily_budget": {"x": 10}})
    fake = fake_for(clock)
    for i in range(4):
        make_post(app, "pemkot-x", f"t{i}", clock())
        fake.figures[f"t{i}"] = Engagement(clock(), likes=i)
    rep = monitor(app, {"pemkot-x": fake}).run_once().accounts[0]
    # four comment fetches cost 4; figures may take the budget to 5 (half of 10): one post, the first
    assert fake.batches == [["t0"]]
    assert (rep.figures, rep.budget_used, rep.outcome) == (1, 5, "ok")
    assert len(rows(app)) == 1


def test_an_engagement_setting_of_0m_reads_no_figures(make_app: Callable[..., App], db_url: str,
                                                      clock: FakeClock) -> None:
    app = make_app(db_url, accounts=[X], monitor={"engagement_every": "0m"})
    fake = fake_for(clock)
    make_post(app, "pemkot-x", "t0", clock())
    monitor(app, {"pemkot-x": fake}).run_once()
    assert fake.batches == [] and fetches(fake) == 1


def fetches(fake: FakePlatform) -> int:
    return sum(1 for c in fake.calls if c[0] == "fetch_comments")


def test_a_failed_figures_call_keeps_the_comments_and_waits_an_interval(xapp: App, clock: FakeClock,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    fake = fake_for(clock)
    pid = make_post(xapp, "pemkot-x", "t0", clock())
    fake.add_comment("t0", "Mantap")
    fake.figures["t0"] = Engagement(clock(), likes=3)
    fake.fail_figures.append(PlatformUnavailable("X: server error 503 (token=AT1-secret-should-not-show)"))
    m = monitor(xapp, {"pemkot-x": fake})
    with caplog.at_level(logging.WARNING, logger="humas.monitor"):
        rep = m.run_once().accounts[0]
    assert (rep.outcome, rep.new, rep.figures) == ("ok", 1, 0)  # the comment was stored all the same
    assert [r.getMessage() for r in caplog.records] == [
        "monitor: pemkot-x: engagement figures left out: X: server error 503 (token=AT1-secret-should-not-show)"]
    clock.advance(minutes=2)
    m.run_once()
    assert len(fake.batches) == 1  # not tried again at every 2-minute poll
    clock.advance(hours=1)
    m.run_once()
    assert len(fake.batches) == 2 and [r.likes for r in rows(xapp, pid)] == [3]


def test_an_unexpected_exception_is_logged_by_its_type_only(xapp: App, clock: FakeClock,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    fake = fake_for(clock)
    make_post(xapp, "pemkot-x", "t0", clock())
    fake.fail_figures.append(ValueError("https://api.x.com/2/tweets?access_token=SECRET"))
    with caplog.at_level(logging.WARNING, logger="humas.monitor"):
        rep = monitor(xapp, {"pemkot-x": fake}).run_once().accounts[0]
    assert rep.outcome == "ok"
    assert "SECRET" not in caplog.text and "engagement figures left out: ValueError" in caplog.text


def test_expired_credentials_and_rate_limits_act_on_the_account(xapp: App, clock: FakeClock) -> None:
    fake = fake_for(clock)
    make_post(xapp, "pemkot-x", "t0", clock())
    fake.fail_figures.append(AuthExpired("X: credentials refused (401)", platform="x", account="pemkot-x"))
    rep = monitor(xapp, {"pemkot-x": fake}).run_once().accounts[0]
    assert rep.outcome == "auth_expired" and rep.next_run_at == clock() + timedelta(minutes=15)

    clock.advance(minutes=20)
    reset = clock() + timedelta(minutes=12)
    fake.fail_figures.append(RateLimited("X: rate limit reached", reset_at=reset, platform="x", account="pemkot-x"))
    rep = monitor(xapp, {"pemkot-x": fake}).run_once().accounts[0]
    assert (rep.outcome, rep.next_run_at) == ("rate_limited", reset)


def test_adapters_without_the_capability_are_polled_as_before(xapp: App, clock: FakeClock) -> None:
    plain = FakePlatform("pemkot-x", Platform.X, clock=clock)
    make_post(xapp, "pemkot-x", "t0", clock())
    rep = monitor(xapp, {"pemkot-x": plain}).run_once().accounts[0]
    assert (rep.outcome, rep.figures, rep.budget_used) == ("ok", 0, 1)
    assert rows(xapp) == []


def test_sandbox_posts_get_figures_through_the_whole_cycle(make_app: Callable[..., App], db_url: str,
                                                           clock: FakeClock) -> None:
    from humas.escalation.fakes import KeywordClassifier
    from tests.integration.test_web_helpers import published_comment

    app = make_app(db_url, monitor={"sandbox_simulation": False})
    for name, roles in MOJOKERTO_TEAM.items():
        add_user(app, name, *roles)
    published_comment(app, "Mantap, terima kasih", label="positive", case=False)
    with app.db.session() as s:
        s.execute(update(Post).values(next_poll_at=clock()))
    r = app.comment_cycle("m1", classifier=KeywordClassifier(), notify_case=lambda oc: None).run_once()
    assert {a.account: a.figures for a in r.accounts}["sandbox-x"] == 1
    (row,) = rows(app)
    assert row.comments == 1 and row.likes is not None and row.shares is not None and row.reach is None  # X


# --- the report, the page, the CSV and the API -------------------------------------------------------------------


@pytest.fixture
def seeded(team: App, clock: FakeClock) -> dict[str, int]:
    """Posts this week (Wednesday, 12:00 WIB) with figures (one without), one the week before; the top one
    published through content."""
    clock.set(WEDNESDAY)
    now = clock()
    cid = approved(team, "Sosialisasi pajak daerah", ("sandbox-x",))
    out = {
        "top": make_post(team, "sandbox-x", "x-top", now - timedelta(hours=3), cid,
                         "https://sandbox.humas.local/x/sandbox-x/x-top"),
        "low": make_post(team, "sandbox-x", "x-low", now - timedelta(hours=2)),
        "fb": make_post(team, "sandbox-facebook", "fb-1", now - timedelta(hours=1)),
        "bare": make_post(team, "sandbox-x", "x-bare", now - timedelta(hours=1)),
        "old": make_post(team, "sandbox-x", "x-old", now - timedelta(days=8)),
    }
    with team.db.session() as s:
        store_figures(s, out["top"], Engagement(now, likes=120, comments=14, shares=9, views=5400), now)
        store_figures(s, out["low"], Engagement(now, likes=3, comments=0, shares=0, views=80), now)
        store_figures(s, out["fb"], Engagement(now, likes=40, comments=6, shares=2, reach=900), now)
        store_figures(s, out["old"], Engagement(now, likes=999, comments=99, shares=99, views=9), now)
    return out


def test_the_report_sums_per_account_and_ranks_posts(team: App, clock: FakeClock, seeded: dict[str, int]) -> None:
    with team.db.read() as s:
        r = week_report(team.env, s, MONDAY)
        only_x = week_report(team.env, s, MONDAY, "sandbox-x")
    eng = {e.account: e for e in r.engagement}
    x = eng["sandbox-x"]
    assert (x.posts, x.measured, x.likes, x.comments, x.shares, x.views, x.reach) == (3, 2, 123, 14, 9, 5480, None)
    fb = eng["sandbox-facebook"]
    assert (fb.posts, fb.measured, fb.likes, fb.views, fb.reach) == (1, 1, 40, None, 900)
    assert eng["sandbox-youtube"].measured == 0 and eng["sandbox-youtube"].likes is None
    assert [p.remote_id for p in r.top_posts] == ["x-top", "fb-1", "x-low"]  # last week's post is not in this week
    assert r.top_posts[0].title == "Sosialisasi pajak daerah" and r.top_posts[0].interactions == 143
    assert [e.account for e in only_x.engagement] == ["sandbox-x"] and len(only_x.posts) == 2

    data = report_dict(r, team.tz)
    by_account = {e["account"]: e for e in data["engagement"]}
    assert by_account["sandbox-x"]["likes"] == 123 and by_account["sandbox-x"]["reach"] is None
    assert data["top_posts"][0]["likes"] == 120 and data["top_posts"][0]["content_id"] is not None

    table = list(csv.reader(io.StringIO(report_csv(r))))
    head = table.index(["week", "account", "posts", "posts_measured", "likes", "comments", "shares", "views",
                        "reach"])
    x_row = next(row for row in table[head + 1 :] if row[1] == "sandbox-x")
    assert x_row[2:] == ["3", "2", "123", "14", "9", "5480", ""]  # empty: X gives no reach
    per_post = next(i for i, row in enumerate(table) if row[:3] == ["week", "account", "platform"])
    assert [row[3] for row in table[per_post + 1 :]] == ["x-top", "fb-1", "x-low"]


def test_the_report_page_api_and_content_page_show_the_figures(team: App, clock: FakeClock,
                                                                seeded: dict[str, int]) -> None:
    env = build(team)
    page = env.client("redaktur").get("/laporan")
    assert page.status_code == 200
    assert 'id="engagement-accounts"' in page.text and 'id="top-posts"' in page.text
    assert '<tr data-account="sandbox-x"><td>sandbox-x</td><td>2/3</td><td>123</td><td>14</td><td>9</td>' \
           '<td>5480</td><td>—</td></tr>' in page.text
    top = page.text.index(f'data-post="{seeded["top"]}"')
    assert top < page.text.index(f'data-post="{seeded["fb"]}"') < page.text.index(f'data-post="{seeded["low"]}"')
    assert 'href="/sandbox/post/x-top"' in page.text  # the sandbox link goes to this app's sandbox page
    with team.db.session() as s:
        cid = s.execute(select(Content.id).where(Content.title == "Sosialisasi pajak daerah")).scalar_one()
    assert f'<a href="/konten/{cid}">Sosialisasi pajak daerah</a>' in page.text

    with team.db.session() as s:
        s.execute(update(User).where(User.name == "pj").values(language="en"))
    english = env.client("pj").get("/laporan")
    assert "<h2>Engagement</h2>" in english.text and "Top posts" in english.text and "Likes" in english.text

    csv_text = env.client("redaktur").get("/laporan.csv").text
    assert "posts_measured" in csv_text and "x-top" in csv_text

    api = env.anonymous().http.get("/api/v1/reports/weekly", headers={"Authorization": f"Bearer {env.token('pj')}"})
    assert api.status_code == 200
    body = api.json()
    assert [p["remote_id"] for p in body["top_posts"]] == ["x-top", "fb-1", "x-low"]
    assert {e["account"]: e["likes"] for e in body["engagement"]}["sandbox-facebook"] == 40

    detail = env.client("redaktur").get(f"/konten/{cid}")
    assert detail.status_code == 200
    assert '<td class="engagement">Suka 120 · Komentar 14 · Dibagikan 9 · Tayangan 5400 <span class="meta">' \
           '(11-03-2026 12:00)</span></td>' in detail.text  # no reach: X gives none


def test_the_report_downloads_as_pdf_and_its_charts_as_png(team: App, clock: FakeClock, seeded: dict[str, int],
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    env = build(team)
    redaktur = env.client("redaktur")
    page = redaktur.get("/laporan")
    assert 'href="/laporan.pdf?minggu=2026-W11' in page.text
    assert page.text.count('class="chart-png"') == 4 and 'href="/laporan/grafik/engagement.png?minggu=2026-W11' \
        in page.text

    pdf = redaktur.get("/laporan.pdf", params={"minggu": "2026-W11"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert 'filename="laporan-2026-W11.pdf"' in pdf.headers["content-disposition"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "LAPORAN HUMAS" in text and "9 Maret 2026 – 15 Maret 2026" in text
    assert "Sosialisasi pajak daerah" in text and "5400" in text and "sandbox-facebook" in text
    assert "Interaksi per akun" in text and "Suka" in text  # the engagement chart's title and legend
    assert "kode cetak" not in text  # a report is not a recorded copy

    png = redaktur.get("/laporan/grafik/engagement.png", params={"minggu": "2026-W11"})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert 'filename="laporan-2026-W11-engagement.png"' in png.headers["content-disposition"]
    colours = {c for _n, c in Image.open(io.BytesIO(png.content)).convert("RGB").getcolors(1 << 16) or []}
    assert (0x1F, 0x6F, 0xEB) in colours and (0x8E, 0x44, 0xAD) in colours  # likes and comments bars

    with team.db.session() as s:
        s.execute(update(User).where(User.name == "pj").values(language="en"))
    english = env.client("pj").get("/laporan.pdf", params={"dari": "2026-03-09", "sampai": "2026-03-11"})
    assert 'filename="laporan-2026-03-09_2026-03-11.pdf"' in english.headers["content-disposition"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(english.content)).pages)
    assert "PUBLIC RELATIONS REPORT" in text and "9 March 2026 – 11 March 2026" in text and "Likes" in text

    assert redaktur.get("/laporan/grafik/pie.png").status_code == 404
    bad = redaktur.get("/laporan.pdf", params={"dari": "2026-03-12", "sampai": "2026-03-01"})
    assert bad.status_code == 400 and "application/pdf" not in bad.headers["content-type"]
    assert env.anonymous().get("/laporan.pdf").status_code in (302, 303, 401)

    config = tmp_path / "humas.toml"
    config.write_text(f'data_dir = "{team.settings.data_dir}"\ndatabase_url = "{team.settings.database_url}"\n',
                      encoding="utf-8")

    for key in ("HUMAS_DATABASE_URL", "HUMAS_DATA_DIR", "HUMAS_USER"):
        monkeypatch.delenv(key, raising=False)

    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        try:
            main(["--config", str(config), "report", "week", "--week", "2026-W11", *args])
        except SystemExit as exc:
            return int(exc.code or 0), capsys.readouterr().err
        return 0, capsys.readouterr().out

    out = tmp_path / "laporan.pdf"
    assert run("--pdf", "--out", str(out)) == (0, f"report written to {out} ({out.stat().st_size:,} bytes)\n")
    assert "Sosialisasi pajak daerah" in "".join(pg.extract_text() for pg in PdfReader(out).pages)
    size = out.stat().st_size
    code, err = run("--pdf", "--out", str(out))  # an existing file is kept unless --force
    assert code == 1 and err == f"error: {out} exists (use --force to replace it)\n" and out.stat().st_size == size
    chart = tmp_path / "sentimen.png"
    assert run("--chart", "sentiment", "--out", str(chart))[0] == 0 and Image.open(chart).format == "PNG"
    code, err = run("--chart", "pie", "--out", str(tmp_path / "x.png"))
    assert code == 1 and "unknown chart 'pie'" in err
    assert not (tmp_path / "x.png").exists() and not list(tmp_path.glob(".*.tmp"))
    assert run("--pdf", "--csv")[0] == 1


def test_no_figures_yet_says_so(team: App) -> None:
    env = build(team)
    page = env.client("redaktur").get("/laporan")
    assert page.status_code == 200 and "Belum ada angka keterlibatan." in page.text
    with team.db.session() as s:
        assert s.execute(select(func.count()).select_from(PostMetric)).scalar_one() == 0
