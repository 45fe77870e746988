"""Every host an adapter talks to comes from the account's options (issue 14 item 3; platform-apis.md §2.6, §4.5, §1.6).

Each test builds an adapter with a custom ``api_base`` (a loopback fake, as a later test tier will run) and drives
every kind of call the adapter makes. ``responses`` knows only the fake host: a call to any real host is refused
("Connection refused by Responses") and fails the test, and every URL seen is checked once more at the end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from humas.errors import ConfigError, HumasError
from humas.publisher.base import (
    CommentRef,
    DictCheckpoint,
    MediaFile,
    MemorySecretStore,
    PlatformPostRef,
    PostDraft,
    PublishRequest,
)
from humas.publisher.facebook import FacebookPageAdapter
from humas.publisher.graph import GRAPH_VERSION, graph_urls
from humas.publisher.instagram import InstagramAdapter
from humas.publisher.x import XAdapter
from humas.publisher.youtube import YouTubeAdapter

FAKE = "http://127.0.0.1:8765"
FIX = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def fx(platform: str, name: str) -> Any:
    return json.loads((FIX / platform / name).read_text())


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as r:
        yield r
        assert r.calls, "no call was made"
        for call in r.calls:
            assert str(call.request.url).startswith(f"{FAKE}/"), call.request.url


def media(tmp_path: Path, name: str, mime: str, size: int = 1_000) -> MediaFile:
    p = tmp_path / name
    p.write_bytes(bytes(i % 251 for i in range(size)))
    return MediaFile(p, sha256=f"sha{name}", mime=mime, size=size, width=1080, height=1350)


def test_graph_urls_default_to_meta_and_follow_api_base() -> None:
    assert graph_urls() == (f"https://graph.facebook.com/{GRAPH_VERSION}",
                            f"https://graph-video.facebook.com/{GRAPH_VERSION}")
    assert graph_urls(FAKE) == (f"{FAKE}/{GRAPH_VERSION}", f"{FAKE}/{GRAPH_VERSION}")
    assert graph_urls(FAKE, "http://127.0.0.1:9999/") == (f"{FAKE}/{GRAPH_VERSION}",
                                                          f"http://127.0.0.1:9999/{GRAPH_VERSION}")


def test_facebook_sends_everything_to_api_base(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    g = f"{FAKE}/{GRAPH_VERSION}"
    page, post = "1234567890", "1234567890_111"
    pub = fx("meta", "fb_publish.json")
    a = FacebookPageAdapter("fb", page_id=page, page_token="EAAGtoken", session=requests.Session(),
                            clock=lambda: NOW, api_base=FAKE)
    assert a.graph.token_url == f"{g}/oauth/access_token"
    rsps.post(f"{g}/{page}/feed", json=pub["feed"])
    a.publish(PublishRequest("post:1:fb", "fb", PostDraft("Halo"), not_before=NOW), DictCheckpoint())
    rsps.post(f"{g}/{page}/photos", json=pub["photo"])
    a.publish(PublishRequest("post:2:fb", "fb", PostDraft("Foto", media=[media(tmp_path, "a.jpg", "image/jpeg")])),
              DictCheckpoint())
    rsps.post(f"{g}/{page}/videos", json=pub["video"])  # the video host too
    a.publish(PublishRequest("post:3:fb", "fb", PostDraft("Video", media=[media(tmp_path, "v.mp4", "video/mp4")])),
              DictCheckpoint())
    rsps.get(f"{g}/{page}/posts", json={"data": []})
    assert a.find_published(PublishRequest("post:4:fb", "fb", PostDraft("x"), not_before=NOW), DictCheckpoint()) \
        is None
    # paging.next on the fake host is followed (Meta's own hosts would be refused here: not this account's)
    comment = {"id": "c1", "message": "Kapan?", "created_time": "2026-11-22T09:00:00+0000", "from": {"id": "5"}}
    rsps.get(f"{g}/{post}/comments", json={"data": [comment], "paging": {
        "cursors": {"after": "A1"}, "next": f"{g}/{post}/comments?access_token=leak&after=A1"}})
    rsps.get(f"{g}/{post}/comments", json={"data": []})
    assert len(a.fetch_comments(PlatformPostRef("fb", post), None).comments) == 1
    rsps.post(f"{g}/c1/comments", json=pub["reply"])
    a.reply(CommentRef("fb", post, "c1"), "Senin.", DictCheckpoint())
    rsps.post(f"{g}/c1", json=pub["success"])
    a.hide_comment(CommentRef("fb", post, "c1"))
    rsps.get(f"{g}/{page}", json=pub["page"])
    rsps.get(f"{g}/me", json=pub["me"])
    assert a.check().ok


def test_instagram_sends_everything_to_api_base(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    g = f"{FAKE}/{GRAPH_VERSION}"
    ig, container, media_id = "17841400000000000", "17889455560051444", "17920238422030506"
    pub = fx("meta", "ig_publish.json")
    a = InstagramAdapter("ig", ig_user_id=ig, access_token="EAAGtoken", media_url=lambda m: f"{FAKE}/m/{m.sha256}",
                         session=requests.Session(), clock=lambda: NOW, api_base=FAKE)
    rsps.get(f"{g}/{ig}/content_publishing_limit", json=pub["limit_ok"])
    rsps.post(f"{g}/{ig}/media", json=pub["container"])
    rsps.get(f"{g}/{container}", json=pub["status_finished"])
    rsps.post(f"{g}/{ig}/media_publish", json=pub["media_publish"])
    rsps.get(f"{g}/{media_id}", json=pub["permalink"])
    draft = PostDraft("Halo #Bandung", media=[media(tmp_path, "a.jpg", "image/jpeg")])
    assert a.publish(PublishRequest("post:1:ig", "ig", draft, not_before=NOW), DictCheckpoint()).remote_id == media_id
    comment = {"id": "c1", "text": "Info?", "timestamp": "2026-11-22T09:00:00+0000", "username": "warga",
               "from": {"id": "77"}, "replies": {"data": [], "paging": {"next": f"{g}/c1/replies?after=R1"}}}
    rsps.get(f"{g}/{media_id}/comments", json={"data": [comment], "paging": {"next": f"{g}/{media_id}/comments?a=2"}})
    rsps.get(f"{g}/{ig}", json=pub["user"])
    rsps.get(f"{g}/c1/replies", json={"data": []})
    rsps.get(f"{g}/{media_id}/comments", json={"data": []})
    assert len(a.fetch_comments(PlatformPostRef("ig", media_id), None).comments) == 1
    rsps.post(f"{g}/c1/replies", json=pub["reply"])
    a.reply(CommentRef("ig", media_id, "c1"), "Cek situs.", DictCheckpoint())


def test_youtube_api_base_alone_moves_api_uploads_and_token(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    yt_fx = FIX / "youtube"
    a = YouTubeAdapter("yt", client_id="cid", client_secret="csec", refresh_token="rt", channel_id="UCabc",
                       session=requests.Session(), clock=lambda: NOW, chunk_size=262_144, api_base=FAKE)
    assert a.token_url == f"{FAKE}/token"
    rsps.post(f"{FAKE}/token", json=json.loads((yt_fx / "token.json").read_text()))
    session = f"{FAKE}/upload/youtube/v3/videos?uploadType=resumable&upload_id=u1"
    rsps.post(f"{FAKE}/upload/youtube/v3/videos", headers={"Location": session})
    rsps.put(session, status=201, json=json.loads((yt_fx / "video_resource.json").read_text()))
    video = media(tmp_path, "v.mp4", "video/mp4", 10_000)
    a.publish(PublishRequest("post:1:yt", "yt", PostDraft("Rapat", media=(video,))), DictCheckpoint())
    rsps.get(f"{FAKE}/youtube/v3/commentThreads", json={"items": []})
    a.fetch_comments(PlatformPostRef("yt", "dQw4w9WgXcQ"), None)
    rsps.post(f"{FAKE}/youtube/v3/comments", json=json.loads((yt_fx / "comment_insert.json").read_text()))
    a.reply(CommentRef("yt", "dQw4w9WgXcQ", "UgzK3vEXAMPLE"), "Terima kasih.", DictCheckpoint())
    rsps.post(f"{FAKE}/youtube/v3/comments/setModerationStatus", status=204)
    a.hide_comment(CommentRef("yt", "dQw4w9WgXcQ", "UgzK3vEXAMPLE"))
    rsps.get(f"{FAKE}/youtube/v3/channels", json=json.loads((yt_fx / "channels_mine.json").read_text()))
    assert a.check().ok


def test_youtube_hosts_one_by_one() -> None:
    a = YouTubeAdapter("yt", client_id="c", client_secret="s", refresh_token="r", api_base=FAKE,
                       upload_base="http://127.0.0.1:9001", token_url="http://127.0.0.1:9002/o/token")
    assert a.token_url == "http://127.0.0.1:9002/o/token"
    assert a._upload_url == "http://127.0.0.1:9001/upload/youtube/v3/videos"
    default = YouTubeAdapter("yt", client_id="c", client_secret="s", refresh_token="r")
    assert default.token_url == "https://oauth2.googleapis.com/token"
    assert default._upload_url == "https://www.googleapis.com/upload/youtube/v3/videos"


def test_x_sends_everything_to_api_base(rsps: responses.RequestsMock, tmp_path: Path) -> None:
    x_fx = FIX / "x"

    def body(name: str) -> Any:
        return json.loads((x_fx / name).read_text())

    store = MemorySecretStore()
    store.set("xk", "oauth2_refresh_token", "RT-old")
    a = XAdapter("xk", client_id="CID", client_secret="CSEC", secret_store=store, session=requests.Session(),
                 clock=lambda: NOW, api_base=FAKE)
    rsps.post(f"{FAKE}/2/oauth2/token", json=body("oauth2_token.json"))  # the OAuth 2.0 token endpoint
    rsps.post(f"{FAKE}/2/media/upload/initialize", json=body("media_initialize_image.json"))
    rsps.post(f"{FAKE}/2/media/upload/1880028106020515841/append", json=body("media_append.json"))
    rsps.post(f"{FAKE}/2/media/upload/1880028106020515841/finalize", json=body("media_finalize_image.json"))
    rsps.post(f"{FAKE}/2/tweets", status=201, json=body("create_tweet.json"))  # tweepy's call, host replaced
    image = media(tmp_path, "p.png", "image/png")
    a.publish(PublishRequest("post:1:xk", "xk", PostDraft("Halo", media=(image,))), DictCheckpoint())
    rsps.get(f"{FAKE}/2/users/me", json=body("users_me.json"))
    rsps.get(f"{FAKE}/2/tweets/search/recent", json=body("search_empty.json"))
    a.fetch_comments(PlatformPostRef("xk", "2123702910448566337"), None)


@pytest.mark.parametrize("value", ["ftp://fake", "127.0.0.1:8765", "http://", "https://x.example/?a=1", 5])
def test_config_refuses_a_host_option_that_is_not_a_base_url(value: object) -> None:
    from humas.config import AccountConfig

    with pytest.raises((ConfigError, ValueError)):
        AccountConfig(name="fb", platform="facebook", options={"api_base": value})  # type: ignore[arg-type]


def test_config_accepts_host_options() -> None:
    from humas.config import AccountConfig

    acc = AccountConfig(name="yt", platform="youtube",  # type: ignore[arg-type]
                        options={"api_base": FAKE, "upload_base": FAKE, "token_url": f"{FAKE}/token"})
    assert acc.options["api_base"] == FAKE


@pytest.mark.parametrize(
    ("platform", "credentials", "options"),
    [
        ("facebook", {"page_token": "env:T"}, {"page_id": "1", "api_base": FAKE, "video_base": FAKE}),
        ("instagram", {"access_token": "env:T"}, {"ig_user_id": "1", "api_base": FAKE, "username": "humas"}),
        ("x", {"consumer_key": "env:T", "consumer_secret": "env:T", "access_token": "env:T",
               "access_token_secret": "env:T"}, {"api_base": FAKE}),
        ("youtube", {"client_id": "env:T", "client_secret": "env:T", "refresh_token": "env:T"},
         {"api_base": FAKE, "upload_base": FAKE, "token_url": f"{FAKE}/token"}),
    ],
)
def test_the_config_options_reach_the_adapter(rsps: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch,
                                              platform: str, credentials: dict[str, str],
                                              options: dict[str, str]) -> None:
    """``humas accounts check`` on an account whose options name a fake host calls that host and no other."""
    import re

    from humas.accounts.registry import REGISTRY, BuildContext
    from humas.config import Platform, parse_settings

    monkeypatch.setenv("T", "secret-value")
    settings = parse_settings({
        "web": {"public_base_url": "https://humas.example.go.id"},
        "accounts": [{"name": "acc", "platform": platform, "credentials": credentials, "options": options}],
    })
    anything = re.compile(re.escape(FAKE) + "/.*")
    for method in (responses.GET, responses.POST):
        rsps.add(method, anything, json={"error": {"message": "fake host", "code": 1}}, status=400)
    rsps.assert_all_requests_are_fired = False
    adapter = REGISTRY[Platform(platform)](BuildContext(settings, MemorySecretStore(), lambda: NOW),
                                           settings.accounts[0])
    try:
        status = adapter.check()
    except HumasError:  # the fake's refusal, typed: what matters here is which host heard it
        pass
    else:
        assert not status.ok
