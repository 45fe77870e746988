"""Engagement figures of the Facebook Page and WordPress adapters against their loopback fakes (issue 15): every
byte through ``requests``, the socket and the fakes' wire formats."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from humas.errors import AuthExpired
from humas.publisher.base import Engagement
from humas.publisher.facebook import REACH_METRIC, FacebookPageAdapter
from humas.publisher.wordpress import WordPressAdapter
from humas.testing import FakeClock
from humas.testing_graph import FakeGraphServer
from humas.testing_wordpress import FakeWordPressServer

PAGE = "1234567890"
TOKEN = "EAAGloopbackPAGEtoken"
SECRET = "loopback-app-secret"
WP_USER = "humas-kota"
WP_PASSWORD = "Xc8d 2KpL 9wQz Tn4R 7vMb Hs3J"
START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def graph(clock: FakeClock) -> Iterator[FakeGraphServer]:
    with FakeGraphServer(page_id=PAGE, page_token=TOKEN, app_secret=SECRET, require_proof=True,
                         clock=clock) as server:
        yield server
        assert server.server_errors == []


@pytest.fixture
def fb(graph: FakeGraphServer, clock: FakeClock) -> Iterator[FacebookPageAdapter]:
    session = requests.Session()
    yield FacebookPageAdapter("loopback-fb", page_id=PAGE, page_token=TOKEN, app_secret=SECRET, session=session,
                              clock=clock, timeout=5, api_base=graph.url)
    session.close()


def test_facebook_reactions_comments_shares_and_reach(graph: FakeGraphServer, fb: FacebookPageAdapter) -> None:
    post = graph.add_post("Jadwal layanan publik")
    post.reactions, post.shares, post.reach = 37, 4, 1250
    first = graph.add_comment(post.id, "Terima kasih")
    graph.add_comment(post.id, "Sama-sama", parent_id=first.id)  # a reply: the default summary counts top level
    graph.add_comment(post.id, "Info bagus")
    quiet = graph.add_post("Belum ada yang membagikan")
    got = fb.engagement([post.id, quiet.id])
    assert got == {post.id: Engagement(START, likes=37, comments=2, shares=4, reach=1250),
                   quiet.id: Engagement(START, likes=0, comments=0, shares=0)}  # no insights permission: no reach
    fields = [c for c in graph.calls if c.path == post.id]
    assert fields[0].params["fields"] == ("shares,reactions.summary(total_count).limit(0),"
                                         "comments.summary(total_count).limit(0)")
    insights = [c for c in graph.calls if c.path == f"{post.id}/insights"]
    assert insights[0].params == {"metric": REACH_METRIC}
    assert all(not c.token_in_query and c.appsecret_proof for c in graph.calls)


def test_facebook_leaves_a_deleted_post_out_and_keeps_the_others(graph: FakeGraphServer,
                                                                  fb: FacebookPageAdapter) -> None:
    post = graph.add_post("Masih ada")
    post.reactions = 5
    got = fb.engagement([f"{PAGE}_999999", post.id])
    assert list(got) == [post.id] and got[post.id].likes == 5


def test_facebook_insights_throttled_still_gives_the_counts(graph: FakeGraphServer, fb: FacebookPageAdapter) -> None:
    post = graph.add_post("Ramai")
    post.reactions, post.reach = 9, 300
    graph.fail_next(code=4, path=r"/insights$")
    assert fb.engagement([post.id]) == {post.id: Engagement(START, likes=9, comments=0, shares=0)}


def test_facebook_expired_token_propagates(graph: FakeGraphServer, fb: FacebookPageAdapter) -> None:
    post = graph.add_post("Token habis")
    graph.fail_next(code=190, path=post.id + "$")
    with pytest.raises(AuthExpired):
        fb.engagement([post.id])


@pytest.fixture
def site(clock: FakeClock) -> Iterator[FakeWordPressServer]:
    with FakeWordPressServer(username=WP_USER, application_password=WP_PASSWORD, clock=clock) as server:
        yield server
        assert server.server_errors == []


def test_wordpress_counts_approved_comments_only(site: FakeWordPressServer, clock: FakeClock) -> None:
    article = site.add_post("Rapat koordinasi", "<p>Isi</p>")
    for i in range(3):
        site.add_comment(article.id, f"komentar {i}")
    site.add_comment(article.id, "menunggu moderasi", status="hold")
    empty = site.add_post("Belum dikomentari", "<p>Isi</p>")
    session = requests.Session()
    wp = WordPressAdapter("situs", api_base=site.url, username=WP_USER, application_password=WP_PASSWORD,
                          session=session, clock=clock, timeout=5)
    try:
        got = wp.engagement([str(article.id), str(empty.id)])
    finally:
        session.close()
    assert got == {str(article.id): Engagement(START, comments=3), str(empty.id): Engagement(START, comments=0)}
    assert [c.params.get("per_page") for c in site.calls if c.path == "comments"] == ["1", "1"]
