"""Engagement figures per adapter (issue 15): Instagram, YouTube and X against stubbed answers (``responses``), the
sandbox's derived figures, and which adapters offer the capability."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from humas.errors import AuthExpired, QuotaExhausted, RateLimited
from humas.publisher.base import (
    DictCheckpoint,
    Engagement,
    EngagementReader,
    Platform,
    PostDraft,
    PublishRequest,
)
from humas.publisher.facebook import FacebookPageAdapter, insight_value
from humas.publisher.graph import GRAPH_URL
from humas.publisher.instagram import InstagramAdapter
from humas.publisher.sandbox import SandboxAdapter
from humas.publisher.sandbox.adapter import sandbox_figures
from humas.publisher.wordpress import WordPressAdapter
from humas.publisher.x import XAdapter
from humas.publisher.youtube import YouTubeAdapter
from humas.testing import FakePlatform

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
IG = "17841400000000000"
IG_TOKEN = "EAAGsecretIGtoken9876543210"
YT_API = "https://www.googleapis.com/youtube/v3"
YT_TOKEN_URL = "https://oauth2.googleapis.com/token"
TW = "https://api.twitter.com/2"


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as r:
        yield r


def query(call: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def graph_error(code: int, message: str, subcode: int | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbC"}
    if subcode is not None:
        err["error_subcode"] = subcode
    return {"error": err}


# --- the capability ------------------------------------------------------------------------------------------------


def test_every_platform_adapter_reads_engagement_and_the_fake_platform_does_not(tmp_path: Path) -> None:
    adapters = [
        FacebookPageAdapter("fb", page_id="1", page_token="EAAGtokentoken"),
        InstagramAdapter("ig", ig_user_id=IG, access_token=IG_TOKEN, media_url=lambda m: "https://x/m"),
        YouTubeAdapter("yt", client_id="c", client_secret="s", refresh_token="r"),
        XAdapter("x", consumer_key="a", consumer_secret="b", access_token="c", access_token_secret="d"),
        WordPressAdapter("wp", api_base="https://situs.go.id", username="u", application_password="p w"),
        SandboxAdapter("sb", imitates=Platform.X, db_path=tmp_path / "sandbox.sqlite3"),
    ]
    for a in adapters:
        assert isinstance(a, EngagementReader), a
        assert a.engagement_batch >= 1
        assert a.engagement_cost(0) == 0 and a.engagement_cost(1) >= 1
    assert not isinstance(FakePlatform("f", Platform.X), EngagementReader)  # the monitor skips such adapters


def test_costs_are_known_before_the_call() -> None:
    yt = YouTubeAdapter("yt", client_id="c", client_secret="s", refresh_token="r")
    x = XAdapter("x", consumer_key="a", consumer_secret="b", access_token="c", access_token_secret="d")
    assert (yt.engagement_batch, yt.engagement_cost(50), yt.engagement_cost(0)) == (50, 1, 0)  # one unit per 50
    assert (x.engagement_batch, x.engagement_cost(7)) == (100, 7)  # billed per post read


def test_interactions_count_what_the_platform_gave() -> None:
    assert Engagement(NOW, likes=4, comments=2, shares=None, views=90).interactions == 6
    assert Engagement(NOW).interactions == 0


def test_insight_values_in_both_shapes_and_none_when_missing() -> None:
    body = {"data": [{"name": "reach", "period": "lifetime", "values": [{"value": 41}]},
                     {"name": "views", "period": "lifetime", "total_value": {"value": "77"}}]}
    assert insight_value(body, "reach") == 41
    assert insight_value(body, "views") == 77
    assert insight_value({"data": []}, "reach") is None  # Graph's answer while it has no data


# --- Instagram -----------------------------------------------------------------------------------------------------


def ig() -> InstagramAdapter:
    return InstagramAdapter("pemkot-ig", ig_user_id=IG, access_token=IG_TOKEN, media_url=lambda m: "https://x/m",
                            session=requests.Session(), clock=lambda: NOW)


def test_instagram_counts_and_insights(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/111", json={"id": "111", "like_count": 25, "comments_count": 3})
    rsps.get(f"{GRAPH_URL}/111/insights", json={"data": [
        {"name": "reach", "period": "lifetime", "values": [{"value": 410}], "id": "111/insights/reach/lifetime"},
        {"name": "views", "period": "lifetime", "values": [{"value": 620}], "id": "111/insights/views/lifetime"}]})
    got = ig().engagement(["111"])
    assert got == {"111": Engagement(NOW, likes=25, comments=3, views=620, reach=410)}
    assert query(rsps.calls[0]) == {"fields": "like_count,comments_count"}
    assert query(rsps.calls[1]) == {"metric": "reach,views"}
    assert all(IG_TOKEN not in str(c.request.url) for c in rsps.calls)  # the token travels in the header


def test_instagram_failed_insights_leave_reach_empty_and_a_deleted_media_out(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/111", json={"id": "111", "like_count": 5, "comments_count": 0})
    # documented: code 10 also means "Not enough viewers for the media to show insights"
    rsps.get(f"{GRAPH_URL}/111/insights", status=400,
             json=graph_error(10, "(#10) Not enough viewers for the media to show insights"))
    rsps.get(f"{GRAPH_URL}/222", status=400, json=graph_error(100, "Unsupported get request.", 33))
    got = ig().engagement(["111", "222"])
    assert got == {"111": Engagement(NOW, likes=5, comments=0)}


def test_instagram_expired_token_propagates(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{GRAPH_URL}/111", status=400, json=graph_error(190, "Error validating access token", 463))
    with pytest.raises(AuthExpired):
        ig().engagement(["111"])


# --- YouTube -------------------------------------------------------------------------------------------------------


def yt() -> YouTubeAdapter:
    return YouTubeAdapter("humas-yt", client_id="CID", client_secret="CSEC", refresh_token="1//RT-secret",
                          channel_id="UCabc", session=requests.Session(), clock=lambda: NOW)


def test_youtube_statistics_in_one_batched_call_of_one_unit(rsps: responses.RequestsMock) -> None:
    rsps.post(YT_TOKEN_URL, json={"access_token": "ya29.test", "expires_in": 3599, "token_type": "Bearer"})
    rsps.get(f"{YT_API}/videos", json={"kind": "youtube#videoListResponse", "items": [
        {"kind": "youtube#video", "id": "vid1",
         "statistics": {"viewCount": "1520", "likeCount": "48", "favoriteCount": "0", "commentCount": "9"}},
        {"kind": "youtube#video", "id": "vid2", "statistics": {"viewCount": "12", "favoriteCount": "0"}},
    ]})
    a = yt()
    got = a.engagement(["vid1", "vid2", "gone"])
    assert got == {"vid1": Engagement(NOW, likes=48, comments=9, views=1520),
                   "vid2": Engagement(NOW, views=12)}  # hidden likes, disabled comments: not given
    assert query(rsps.calls[1]) == {"part": "statistics", "id": "vid1,vid2,gone"}
    assert a.units_used == 1  # counted where the adapter keeps its quota


def test_youtube_quota_spent_is_raised(rsps: responses.RequestsMock) -> None:
    rsps.post(YT_TOKEN_URL, json={"access_token": "ya29.test", "expires_in": 3599, "token_type": "Bearer"})
    rsps.get(f"{YT_API}/videos", status=403, json={"error": {"code": 403, "message": "quota", "errors": [
        {"reason": "quotaExceeded", "domain": "youtube.quota"}]}})
    with pytest.raises(QuotaExhausted):
        yt().engagement(["vid1"])


# --- X -------------------------------------------------------------------------------------------------------------


def x() -> XAdapter:
    return XAdapter("humas-kota", consumer_key="CK-secret", consumer_secret="CS-secret", access_token="AT1-secret",
                    access_token_secret="ATS-secret", session=requests.Session(), clock=lambda: NOW)


def test_x_public_metrics_for_up_to_100_posts(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{TW}/tweets", json={
        "data": [{"id": "1860000000000000001", "text": "Jadwal layanan", "edit_history_tweet_ids": ["1"],
                  "public_metrics": {"retweet_count": 4, "reply_count": 7, "like_count": 31, "quote_count": 2,
                                     "bookmark_count": 1, "impression_count": 2048}}],
        "errors": [{"value": "1860000000000000002", "detail": "Could not find tweet with ids: [1860000000000000002].",
                    "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids",
                    "type": "https://api.twitter.com/2/problems/resource-not-found"}]})
    ids = ["1860000000000000001", "1860000000000000002"]
    got = x().engagement(ids)
    assert got == {"1860000000000000001": Engagement(NOW, likes=31, comments=7, shares=6, views=2048)}
    assert query(rsps.calls[0]) == {"ids": ",".join(ids), "tweet.fields": "public_metrics"}


def test_x_rate_limit_is_raised(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{TW}/tweets", status=429, json={"title": "Too Many Requests", "detail": "Too Many Requests"},
             headers={"x-rate-limit-reset": str(int(NOW.timestamp()) + 600)})
    with pytest.raises(RateLimited) as exc:
        x().engagement(["1860000000000000001"])
    assert exc.value.reset_at == datetime.fromtimestamp(int(NOW.timestamp()) + 600, UTC)


# --- sandbox -------------------------------------------------------------------------------------------------------


def test_sandbox_figures_follow_the_comments_and_the_imitated_platform(tmp_path: Path) -> None:
    a = SandboxAdapter("sb-fb", imitates=Platform.FACEBOOK, db_path=tmp_path / "sandbox.sqlite3", clock=lambda: NOW)
    other = SandboxAdapter("sb-x", imitates=Platform.X, db_path=tmp_path / "sandbox.sqlite3", clock=lambda: NOW)
    post = a.publish(PublishRequest("post:1:sb-fb", "sb-fb", PostDraft("Halo warga")), DictCheckpoint())
    theirs = other.publish(PublishRequest("post:1:sb-x", "sb-x", PostDraft("Halo")), DictCheckpoint())
    before = a.engagement([post.remote_id, theirs.remote_id, "no-such-post"])
    assert list(before) == [post.remote_id]  # another account's post and an unknown one are left out
    assert before[post.remote_id].comments == 0
    for i in range(4):
        a.server.add_comment(post.remote_id, f"komentar {i}")
    after = a.engagement([post.remote_id])[post.remote_id]
    assert after == a.engagement([post.remote_id])[post.remote_id]  # deterministic
    assert after.comments == 4
    assert (after.likes or 0) > (before[post.remote_id].likes or 0)
    assert after.views is None and after.reach is not None and after.shares is not None  # Facebook: no views
    assert sandbox_figures(Platform.X, "p", 3, NOW).reach is None  # X gives no reach
    assert sandbox_figures(Platform.YOUTUBE, "p", 3, NOW).shares is None
