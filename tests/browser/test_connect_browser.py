"""Connecting accounts in real headless Chromium against a real ``humas web`` server and loopback fakes of X,
Google and the Graph API: an admin clicks *Hubungkan* for each platform, the browser goes to the fake consent page
and comes back to the callback; the page shows each account connected (and a missing permission by name). Then a
post goes out to the Facebook Page and to X, a photo to Instagram (fetched from humas's public URL) and a video
to YouTube (resumable upload), each with the token the browser obtained."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from humas.app import App
from humas.config import load_settings
from humas.testing_graph import FakeGraphServer
from humas.testing_instagram import FakeInstagramServer
from humas.testing_oauth import FakeGoogleOAuth, FakeXOAuth
from humas.testing_x import FakeXServer
from humas.testing_youtube import FakeYouTubeServer
from tests.acceptance.cli import add_users
from tests.browser.test_web_browser import ARGS, PASSWORD, _chromium
from tests.conftest import approve_all
from tests.integration.test_web_helpers import jpeg

pytestmark = pytest.mark.browser

PAGE, APP_SECRET = "104030201", "browser-app-secret"
ALL_ROLES = ["tim_konten_kreatif", "tim_reviu", "tim_editor", "redaktur", "pimpinan_redaktur", "penanggung_jawab",
             "tim_sosial_media"]


@dataclass
class Site:
    base: str
    config: Path
    env: dict[str, str]
    x: FakeXServer
    google: FakeYouTubeServer  # Google's token endpoint and the YouTube Data API
    graph: FakeInstagramServer  # the Graph API of the Page and of its Instagram account


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(port: int, x: FakeXOAuth, g: FakeGoogleOAuth, fb: FakeGraphServer) -> str:
    meta = (f'page_id = "{PAGE}", app_id = "{fb.app_id}", api_base = "{fb.url}", '
            f'authorize_url = "{fb.url}/v25.0/dialog/oauth"')
    return f"""\
data_dir = "data"
default_sop = "mojokerto-acc"
log_level = "WARNING"
[monitor]
sandbox_simulation = false
[notify]
enabled = false
[web]
public_base_url = "http://127.0.0.1:{port}"
[[accounts]]
name = "kota-x"
platform = "x"
credentials = {{ client_id = "env:T_XID", client_secret = "env:T_XSEC" }}
options = {{ api_base = "{x.url}", authorize_url = "{x.authorize_url}" }}
[[accounts]]
name = "kota-yt"
platform = "youtube"
credentials = {{ client_id = "env:T_GID", client_secret = "env:T_GSEC" }}
options = {{ api_base = "{g.url}", authorize_url = "{g.authorize_url}" }}
[[accounts]]
name = "kota-fb"
platform = "facebook"
credentials = {{ app_secret = "env:T_FBSEC" }}
options = {{ {meta} }}
[[accounts]]
name = "kota-ig"
platform = "instagram"
credentials = {{ app_secret = "env:T_FBSEC" }}
options = {{ {meta} }}
"""


def _humas(site_env: dict[str, str], cwd: Path, *args: str) -> str:
    p = subprocess.run([sys.executable, "-m", "humas.cli.main", *args], env=site_env, cwd=cwd, capture_output=True,
                       text=True, timeout=180)
    assert p.returncode == 0, f"humas {' '.join(args)}: {p.stderr or p.stdout}"
    return p.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    _chromium()
    tmp = tmp_path_factory.mktemp("connect")
    with FakeXServer() as x, FakeYouTubeServer() as g, \
            FakeInstagramServer(page_id=PAGE, app_secret=APP_SECRET, ig_user_id="17841400000000009",
                                check_media_urls=True) as fb:
        assert isinstance(x, FakeXOAuth) and isinstance(g, FakeGoogleOAuth)
        port = _free_port()
        config = tmp / "humas.toml"
        config.write_text(_config(port, x, g, fb), encoding="utf-8")
        env = {**os.environ, "HUMAS_CONFIG": str(config), "PYTHONUNBUFFERED": "1", "T_XID": x.client_id,
               "T_XSEC": str(x.client_secret), "T_GID": g.client_id, "T_GSEC": str(g.client_secret),
               "T_FBSEC": APP_SECRET}
        for key in ("HUMAS_DATABASE_URL", "HUMAS_DATA_DIR", "HUMAS_USER"):
            env.pop(key, None)
        _humas(env, tmp, "init")  # the four accounts are not connected yet: init does not mind
        add_users(App(load_settings(config, environ={})), {"admin": ["admin"], "ana": ALL_ROLES}, PASSWORD)
        log = (tmp / "web.log").open("w")
        proc = subprocess.Popen([sys.executable, "-m", "humas.cli.main", "web", "--host", "127.0.0.1", "--port",
                                 str(port)], env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.2)
            else:
                raise AssertionError("humas web did not start: " + (tmp / "web.log").read_text())
            yield Site(base, config, env, x, g, fb)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            log.close()


@pytest.fixture(scope="module")
def page(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=ARGS)
        ctx = browser.new_context(base_url=site.base, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
        p = ctx.new_page()
        errors: list[str] = []
        p.on("pageerror", lambda e: errors.append(str(e)))
        p.goto("/login")
        p.fill("input[name=name]", "admin")
        p.fill("input[name=password]", PASSWORD)
        p.click("button[type=submit].primary")
        p.wait_for_url(re.compile(r".*/$"))
        yield p
        assert errors == []
        browser.close()


def _connect(page: Any, name: str) -> None:
    page.goto("/admin/akun")
    row = page.locator(f"#akun-{name}")
    assert row.get_attribute("data-connection") == "not_connected"
    with page.expect_navigation(url=re.compile(r".*/admin/akun(#.*)?$")):
        row.locator("button", has_text="Hubungkan").click()  # → the platform's consent page → the callback


@pytest.mark.parametrize("name,identity", [("kota-x", "@humaskota"), ("kota-yt", "Humas Kota"),
                                           ("kota-ig", "@humas_fake"), ("kota-fb", "Humas Fake")])
def test_an_admin_connects_each_platform_in_the_browser(page: Any, site: Site, name: str, identity: str) -> None:
    if name == "kota-x":
        site.x.granted_scopes = ["tweet.read", "tweet.write", "users.read", "offline.access", "tweet.moderate.write"]
    _connect(page, name)
    assert f"Akun {name} terhubung sebagai {identity}." in page.locator(".flash").first.inner_text()
    row = page.locator(f"#akun-{name}")
    assert row.get_attribute("data-connection") == "connected"
    assert identity in row.locator(".connection").inner_text()
    if name == "kota-x":  # the person left media.write unticked: the page names it in Indonesian
        assert "Izin belum diberikan: media.write" in row.locator(".missing-scope").inner_text()
    assert row.locator("button", has_text="Hubungkan ulang").count() == 1


def test_the_connected_page_publishes_with_the_token_from_the_browser(page: Any, site: Site,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from humas.app import App
    from humas.config import load_settings
    from humas.queue import service
    from humas.store.models import JobState, PublicationJob

    page.goto("/admin/akun")
    assert page.locator("#akun-kota-fb").get_attribute("data-connection") == "connected"
    for key in ("T_XID", "T_XSEC", "T_GID", "T_GSEC", "T_FBSEC"):
        monkeypatch.setenv(key, site.env[key])
    app = App(load_settings(site.config, environ={}))
    try:
        with app.db.session() as s:
            wf = app.workflow(s)
            ana = app.actor(s, "ana")
            c = wf.create(ana, sop_id="mojokerto-acc", title="Info", text="Narasi",
                          caption="Layanan pengaduan dibuka setiap hari kerja", accounts=["kota-fb", "kota-x"])
            wf.submit(ana, c.id)
            approve_all(app, s, c.id)
            jids = [j.id for j in service.schedule(app.env, s, ana, c.id, service.parse_when(app.env, "now"), None,
                                                   platform_check=app.platform_check)]
            photo = Path(tempfile.mkdtemp()) / "layanan.jpg"
            photo.write_bytes(jpeg())
            ig = wf.create(ana, sop_id="mojokerto-acc", title="Foto layanan", text="Narasi", media=[photo],
                           caption="Loket layanan terpadu", accounts=["kota-ig"])
            wf.submit(ana, ig.id)
            approve_all(app, s, ig.id)
            jids += [j.id for j in service.schedule(app.env, s, ana, ig.id, service.parse_when(app.env, "now"),
                                                    None, platform_check=app.platform_check)]
            clip = photo.with_name("pelantikan.mp4")
            clip.write_bytes(b"\0\0\0\x18ftypmp42" + bytes(i % 251 for i in range(300_000)))
            yt = wf.create(ana, sop_id="mojokerto-acc", title="Pelantikan pejabat", text="Narasi", media=[clip],
                           caption="Pelantikan hari ini", accounts=["kota-yt"])
            wf.submit(ana, yt.id)
            approve_all(app, s, yt.id)
            jids += [j.id for j in service.schedule(app.env, s, ana, yt.id, service.parse_when(app.env, "now"),
                                                    None, platform_check=app.platform_check)]
        app.dispatcher("browser-test").run_due()
        with app.db.read() as s:
            for jid in jids:
                done = s.get(PublicationJob, jid)
                assert done is not None and done.state == JobState.PUBLISHED, done and done.last_error
    finally:
        app.db.dispose()
    assert [p.message for p in site.graph.posts.values()] == ["Layanan pengaduan dibuka setiap hari kerja"]
    # Instagram fetched the photo from humas's own public URL (check_media_urls), then published it
    assert [m.caption for m in site.graph.media.values()] == ["Loket layanan terpadu"]
    assert [(status, kind) for _, status, kind in site.graph.media_url_checks] == [(200, "image/jpeg")]
    assert [v.title for v in site.google.videos.values()] == ["Pelantikan pejabat"]  # uploaded, resumable
    # the X API beside its token endpoint: the token the browser obtained posted it
    assert [t.text for t in site.x.own_tweets()] == ["Layanan pengaduan dibuka setiap hari kerja"]
    data = site.config.parent / "data"
    for path in data.rglob("*"):
        if path.is_file():
            assert site.graph.page_token.encode() not in path.read_bytes(), path
