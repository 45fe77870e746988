"""The Sandbox page: the built-in platform's posts and comments as a feed; the links of sandbox posts and comments
in the other pages lead to it; hostile comment text is text; without sandbox accounts there is no such page."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from humas.app import App
from humas.publisher.sandbox import SandboxPlatform
from humas.web.pages.sandbox import platform_link
from tests.conftest import MOJOKERTO_TEAM, add_user
from tests.integration.test_web_helpers import HOSTILE, WebEnv, build, published_comment


@pytest.fixture
def env(team: App) -> WebEnv:
    return build(team)


def test_the_feed_shows_posts_and_comments_and_the_links_lead_there(env: WebEnv) -> None:
    comment_id, case_id = published_comment(env.app, HOSTILE)
    sandbox = SandboxPlatform(env.app.settings.sandbox_db, env.app.clock)
    try:
        [post] = sandbox.list_posts()
        [first] = sandbox.comments(post.remote_id)
        answer = sandbox.add_comment(post.remote_id, "Terima kasih atas laporannya", "pemkot", first.remote_id)
    finally:
        sandbox.close()
    c = env.client("redaktur")
    home = c.get("/")
    assert 'href="/sandbox"' in home.text  # in the navigation
    feed = c.get("/sandbox")
    assert feed.status_code == 200 and post.text in feed.text and "2 komentar" in feed.text
    assert "<script>" not in feed.text.split("<main", 1)[-1] and "&lt;script&gt;" in feed.text
    page = c.get(f"/sandbox/post/{post.remote_id}")
    assert page.status_code == 200 and f'id="c-{first.remote_id}"' in page.text
    assert f'id="c-{answer.remote_id}"' in page.text and "Terima kasih atas laporannya" in page.text
    case = c.get(f"/eskalasi/{case_id}").text  # the thread links to the sandbox page, not to a dead host
    assert f'href="/sandbox/post/{post.remote_id}"' in case and "sandbox.humas.local" not in case
    assert c.get("/sandbox/post/tidak-ada").status_code == 404
    assert c.get("/sandbox?akun=sandbox-x&halaman=x").status_code == 200
    assert comment_id


def test_links() -> None:
    assert platform_link("https://sandbox.humas.local/x/sandbox-x/1234") == "/sandbox/post/1234"
    assert platform_link("https://sandbox.humas.local/facebook/sandbox-facebook/11_22?comment=11_22_3") == \
        "/sandbox/post/11_22#c-11_22_3"
    assert platform_link("https://www.facebook.com/123/posts/456") == "https://www.facebook.com/123/posts/456"
    assert platform_link("javascript:alert(1)") is None and platform_link(None) is None
    assert platform_link("https://sandbox.humas.local/too/many/parts/here") is None


def test_no_sandbox_accounts_no_sandbox_page(make_app: Callable[..., App], db_url: str) -> None:
    app = make_app(db_url, accounts=[])
    for name, roles in MOJOKERTO_TEAM.items():
        add_user(app, name, *roles)
    env = build(app)
    c = env.client("redaktur")
    assert 'href="/sandbox"' not in c.get("/").text
    assert c.get("/sandbox").status_code == 404
