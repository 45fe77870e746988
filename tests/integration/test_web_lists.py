"""The list pages (Konten, Komentar, Eskalasi): paging, search taken literally, date filters in the office's days,
filters kept in the page links, and unreadable filter values shown on the form instead of failing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from humas.app import App
from humas.store.models import Comment, Post
from humas.web.paging import day_range, page_number
from tests.integration.test_web_helpers import WebEnv, build, draft, published_comment


@pytest.fixture
def env(team: App) -> WebEnv:
    return build(team)


def many_comments(app: App, texts: list[str], days_apart: float = 0.0) -> None:
    """``texts`` as public comments on one published post, the first oldest."""
    first_id, _ = published_comment(app, "komentar pertama", label="neutral", case=False)
    with app.db.session() as s:
        first = s.get(Comment, first_id)
        assert first is not None
        post = s.get(Post, first.post_id)
        assert post is not None
        for i, text in enumerate(texts):
            s.add(Comment(post_id=post.id, platform="sandbox", account=first.account, remote_id=f"bulk-{i}",
                          author_handle=f"warga{i}", text=text,
                          created_at=first.created_at + timedelta(days=days_apart * i, seconds=i),
                          label="neutral", classified_at=first.created_at))


def ids_on(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'href="/komentar/(\d+)"', page)]


def test_comments_come_in_pages_of_fifty_with_the_filters_in_the_links(env: WebEnv) -> None:
    many_comments(env.app, [f"Laporan jalan rusak nomor {i}" for i in range(120)])
    c = env.client("redaktur")
    first = c.get("/komentar?label=neutral")
    assert first.status_code == 200 and len(ids_on(first.text)) == 50
    assert "1–50 dari 121" in first.text and "Halaman 1 dari 3" in first.text
    assert 'href="?label=neutral&amp;halaman=2"' in first.text and 'rel="prev"' not in first.text
    last = c.get("/komentar?label=neutral&halaman=3")
    assert len(ids_on(last.text)) == 21 and 'rel="next"' not in last.text
    seen = set(ids_on(first.text)) | set(ids_on(c.get("/komentar?label=neutral&halaman=2").text)) | \
        set(ids_on(last.text))
    assert len(seen) == 121  # no row twice, none skipped
    assert ids_on(c.get("/komentar?label=neutral&halaman=999").text) == ids_on(last.text)  # past the end: the last
    assert len(ids_on(c.get("/komentar?label=neutral&halaman=abc").text)) == 50


def test_search_is_literal_and_case_insensitive(env: WebEnv) -> None:
    many_comments(env.app, ["Diskon 100% untuk warga?", "Jalan RUSAK di desa Sooko", "nama_pengguna ditulis",
                            "tidak ada apa-apa", "harga naik 100 persen"])
    c = env.client("redaktur")
    assert "Diskon 100% untuk warga?" in c.get("/komentar", params={"q": "100%"}).text
    assert "harga naik 100 persen" not in c.get("/komentar", params={"q": "100%"}).text  # % is no wildcard
    page = c.get("/komentar", params={"q": "_pengguna"}).text
    assert "nama_pengguna" in page and "1–1 dari 1" in page
    assert "1–1 dari 1" in c.get("/komentar", params={"q": "jalan rusak"}).text
    assert "0–0 dari 0" in c.get("/komentar", params={"q": "' OR 1=1 --"}).text
    assert "1–1 dari 1" in c.get("/komentar", params={"q": "warga2"}).text  # the author's handle


def test_dates_are_the_offices_days_and_a_bad_date_is_named_not_fatal(env: WebEnv) -> None:
    many_comments(env.app, [f"komentar hari ke-{i}" for i in range(5)], days_apart=1)
    app = env.app
    with app.db.read() as s:
        day2 = app.local(s.execute(select(Comment).where(Comment.remote_id == "bulk-2")).scalar_one().created_at)
    c = env.client("redaktur")
    page = c.get("/komentar", params={"dari": day2.date().isoformat(), "sampai": day2.date().isoformat()}).text
    assert "komentar hari ke-2" in page and "komentar hari ke-3" not in page and "komentar hari ke-1" not in page
    shown = day2.strftime("%d-%m-%Y")  # the format the pages display works too
    assert "komentar hari ke-2" in c.get("/komentar", params={"dari": shown, "sampai": shown}).text
    bad = c.get("/komentar", params={"dari": "31-02-2026", "q": "hari ke-4"})
    assert bad.status_code == 200 and "Tanggal tidak terbaca" in bad.text and "31-02-2026" in bad.text
    assert "komentar hari ke-4" in bad.text and 'value="hari ke-4"' in bad.text  # the rest applies, input kept


def test_content_and_cases_search(env: WebEnv) -> None:
    draft(env.app, "Sosialisasi Zona Integritas")
    draft(env.app, "Rapat koordinasi 50% selesai")
    published_comment(env.app, "Pelayanan PERIZINAN lambat sekali")
    c = env.client("redaktur")
    page = c.get("/konten", params={"q": "zona integritas"}).text
    assert "Sosialisasi Zona Integritas" in page and "Rapat koordinasi" not in page
    assert "Rapat koordinasi 50% selesai" in c.get("/konten", params={"q": "50%"}).text
    cases = c.get("/eskalasi", params={"q": "perizinan"}).text
    assert "Pelayanan PERIZINAN lambat sekali" in cases and "1–1 dari 1" in cases
    assert "0–0 dari 0" in c.get("/eskalasi", params={"q": "tidak ada kasus ini"}).text


def test_the_helpers() -> None:
    from zoneinfo import ZoneInfo

    wib = ZoneInfo("Asia/Jakarta")
    r = day_range("2026-12-01", "01-12-2026", wib)
    assert r.problem is None and r.since is not None and r.until is not None
    assert (r.until - r.since) == timedelta(days=1) and r.since.utcoffset() == timedelta(hours=7)
    assert day_range("2026-12-02", "2026-12-01", wib).problem == "2026-12-01"  # until before since: ignored
    assert day_range("kemarin", "", wib).since is None
    assert [page_number(v) for v in ("0", "-5", "x", "3", "9" * 30)] == [1, 1, 1, 3, 100_000]
