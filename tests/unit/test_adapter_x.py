"""XAdapter against recorded X API v2 responses (platform-apis.md §1); every HTTP call is stubbed by ``responses``."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses
import tweepy
from responses import matchers

from humas.errors import (
    AlreadyPublished,
    AuthExpired,
    ConfigError,
    ContentRejected,
    NetworkError,
    OutcomeUnknown,
    PlatformUnavailable,
    RateLimited,
    RetryLater,
)
from humas.publisher.base import (
    CommentRef,
    DictCheckpoint,
    MediaFile,
    MemorySecretStore,
    PlatformAdapter,
    PlatformPostRef,
    PostDraft,
    PublishRequest,
)
from humas.publisher.x import XAdapter, normalise_text, snowflake_time

FIX = Path(__file__).parent / "fixtures" / "x"
TW = "https://api.twitter.com/2"  # tweepy's hard-coded host
MEDIA = "https://api.x.com/2/media/upload"
TOKEN = "https://api.x.com/2/oauth2/token"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
POST_ID = "2123702910448566337"
TEXT = "Jadwal layanan publik pekan ini 👇"


def fx(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIX / name).read_text())
    return data


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as r:
        yield r


def oauth1(clock: Clock | None = None, **kw: Any) -> XAdapter:
    return XAdapter(
        "humas-kota",
        consumer_key="CK-secret",
        consumer_secret="CS-secret",
        access_token="AT1-secret",
        access_token_secret="ATS-secret",
        session=requests.Session(),
        clock=clock or Clock(),
        **kw,
    )


def oauth2(
    store: MemorySecretStore, clock: Clock | None = None, client_secret: str | None = "CSEC", **kw: Any
) -> XAdapter:
    return XAdapter(
        "humas-kota",
        client_id="CID",
        client_secret=client_secret,
        secret_store=store,
        session=requests.Session(),
        clock=clock or Clock(),
        **kw,
    )


def store_with(
    refresh: str = "RT-old", access: str | None = None, expires_at: datetime | None = None
) -> MemorySecretStore:
    s = MemorySecretStore()
    s.set("humas-kota", "oauth2_refresh_token", refresh)
    if access:
        s.set("humas-kota", "oauth2_access_token", access)
        s.set("humas-kota", "oauth2_expires_at", (expires_at or NOW + timedelta(hours=1)).isoformat())
    return s


def req(text: str = TEXT, media: tuple[MediaFile, ...] = (), not_before: datetime | None = NOW) -> PublishRequest:
    return PublishRequest("post:1:humas-kota", "humas-kota", PostDraft(text, media=media), not_before=not_before)


def media_file(tmp_path: Path, name: str, mime: str, size: int) -> MediaFile:
    p = tmp_path / name
    p.write_bytes(bytes(i % 251 for i in range(size)))
    return MediaFile(p, sha256=f"sha-{name}", mime=mime, size=size)


def auth_header(call: responses.Call) -> str:
    value = call.request.headers["Authorization"]
    return value.decode() if isinstance(value, bytes) else value  # requests_oauthlib gives bytes


def query(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(urlparse(str(call.request.url)).query)


# --- publish ---------------------------------------------------------------------------------------------------------


def test_satisfies_protocol_and_repr_hides_secrets() -> None:
    a = oauth1()
    assert isinstance(a, PlatformAdapter)
    assert "secret" not in repr(a)


def test_publish_text_success_oauth1(rsps: responses.RequestsMock) -> None:
    rsps.post(
        f"{TW}/tweets", json=fx("create_tweet.json"), status=201, match=[matchers.json_params_matcher({"text": TEXT})]
    )
    ckpt = DictCheckpoint()
    result = oauth1().publish(req(), ckpt)
    assert result.remote_id == POST_ID
    assert result.remote_url == f"https://x.com/i/status/{POST_ID}"
    assert result.published_at == snowflake_time(POST_ID)
    assert ckpt.data["tweet_id"] == POST_ID
    assert auth_header(rsps.calls[0]).startswith("OAuth ")
    # a retry of the same job never posts again
    assert oauth1().publish(req(), ckpt).remote_id == POST_ID
    assert len(rsps.calls) == 1


def test_publish_appends_link_not_in_text(rsps: responses.RequestsMock) -> None:
    rsps.post(
        f"{TW}/tweets",
        json=fx("create_tweet.json"),
        status=201,
        match=[matchers.json_params_matcher({"text": "Info\nhttps://humas.example.id/a"})],
    )
    draft = PostDraft("Info", link="https://humas.example.id/a")
    oauth1().publish(PublishRequest("k", "humas-kota", draft), DictCheckpoint())


def test_429_raises_rate_limited_at_reset(rsps: responses.RequestsMock) -> None:
    reset = int((NOW + timedelta(minutes=12)).timestamp())
    rsps.post(
        f"{TW}/tweets",
        json=fx("error_too_many_429.json"),
        status=429,
        headers={"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
    )
    with pytest.raises(RateLimited) as ei:
        oauth1().publish(req(), DictCheckpoint())
    assert ei.value.reset_at == datetime.fromtimestamp(reset, tz=UTC)
    assert ei.value.retry_after == ei.value.reset_at
    assert isinstance(ei.value.__cause__, tweepy.TooManyRequests)


def test_429_on_daily_user_cap_waits_for_the_24h_reset(rsps: responses.RequestsMock) -> None:
    window = int((NOW + timedelta(minutes=5)).timestamp())
    daily = int((NOW + timedelta(hours=20)).timestamp())
    rsps.post(
        f"{TW}/tweets",
        json=fx("error_too_many_429.json"),
        status=429,
        headers={
            "x-rate-limit-remaining": "40",
            "x-rate-limit-reset": str(window),
            "x-user-limit-24hour-limit": "100",
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": str(daily),
        },
    )
    with pytest.raises(RateLimited) as ei:
        oauth1().publish(req(), DictCheckpoint())
    assert ei.value.reset_at == datetime.fromtimestamp(daily, tz=UTC)


def test_401_is_auth_expired(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{TW}/tweets", json=fx("error_unauthorized_401.json"), status=401)
    with pytest.raises(AuthExpired) as ei:
        oauth1().publish(req(), DictCheckpoint())
    assert ei.value.platform == "x" and ei.value.account == "humas-kota"
    assert isinstance(ei.value.__cause__, tweepy.Unauthorized)


def test_403_duplicate_is_already_published_and_located(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{TW}/tweets", json=fx("error_duplicate_403.json"), status=403)
    rsps.get(f"{TW}/users/me", json=fx("users_me.json"))
    rsps.get(f"{TW}/users/112233/tweets", json=fx("users_tweets.json"))
    ckpt = DictCheckpoint()
    with pytest.raises(AlreadyPublished) as ei:
        oauth1().publish(req(TEXT + " & info lengkap https://humas.example.id/jadwal"), ckpt)
    assert ei.value.remote_id == POST_ID
    assert ei.value.remote_url == f"https://x.com/humas_kota/status/{POST_ID}"
    assert ckpt.data["tweet_id"] == POST_ID
    assert isinstance(ei.value.__cause__, AlreadyPublished)
    assert isinstance(ei.value.__cause__.__cause__, tweepy.Forbidden)


def test_403_duplicate_still_already_published_when_lookup_fails(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{TW}/tweets", json=fx("error_duplicate_403.json"), status=403)
    rsps.get(f"{TW}/users/112233/tweets", json=fx("error_service_unavailable_503.json"), status=503)
    with pytest.raises(AlreadyPublished) as ei:
        oauth1(user_id="112233").publish(req(), DictCheckpoint())
    assert ei.value.remote_id is None


@pytest.mark.parametrize(
    ("fixture", "error", "rule"),
    [
        ("error_forbidden_403.json", ContentRejected, "forbidden"),
        ("error_oauth1_permissions_403.json", AuthExpired, None),
    ],
)
def test_other_403(rsps: responses.RequestsMock, fixture: str, error: type[Exception], rule: str | None) -> None:
    rsps.post(f"{TW}/tweets", json=fx(fixture), status=403)
    with pytest.raises(error) as ei:
        oauth1().publish(req(), DictCheckpoint())
    if rule:
        assert isinstance(ei.value, ContentRejected) and ei.value.rule == rule
        assert "not allowed" in ei.value.message


def test_400_is_content_rejected_with_x_message(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{TW}/tweets", json=fx("error_bad_request_400.json"), status=400)
    with pytest.raises(ContentRejected) as ei:
        oauth1().publish(req(), DictCheckpoint())
    assert ei.value.rule == "invalid"
    assert "Your media IDs are invalid." in ei.value.message


def test_5xx_is_platform_unavailable(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{TW}/tweets", json=fx("error_service_unavailable_503.json"), status=503)
    with pytest.raises(PlatformUnavailable):
        oauth1().publish(req(), DictCheckpoint())


def test_read_timeout_after_send_is_outcome_unknown(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{TW}/tweets", body=requests.exceptions.ReadTimeout("read timed out"))
    ckpt = DictCheckpoint()
    with pytest.raises(OutcomeUnknown) as ei:
        oauth1().publish(req(), ckpt)
    assert isinstance(ei.value.__cause__, requests.exceptions.ReadTimeout)
    assert "tweet_id" not in ckpt.data


@pytest.mark.parametrize("exc", [requests.exceptions.ConnectionError("refused"), requests.exceptions.ConnectTimeout()])
def test_connection_failure_before_send_is_network_error(rsps: responses.RequestsMock, exc: Exception) -> None:
    rsps.post(f"{TW}/tweets", body=exc)
    with pytest.raises(NetworkError):
        oauth1().publish(req(), DictCheckpoint())


def test_read_timeout_on_a_read_is_network_error(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{TW}/users/112233/tweets", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(NetworkError) as ei:
        oauth1(user_id="112233").find_published(req(), DictCheckpoint())
    assert not isinstance(ei.value, OutcomeUnknown)


# --- media -----------------------------------------------------------------------------------------------------------


def test_video_chunked_upload_pending_then_resumed_from_checkpoint(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    video = media_file(tmp_path, "rapat.mp4", "video/mp4", 600_000)
    clock = Clock()
    rsps.post(
        f"{MEDIA}/initialize",
        json=fx("media_initialize.json"),
        match=[
            matchers.json_params_matcher(
                {"media_type": "video/mp4", "total_bytes": 600_000, "media_category": "tweet_video"}
            )
        ],
    )
    for _ in range(3):
        rsps.post(f"{MEDIA}/1880028106020515840/append", json=fx("media_append.json"))
    rsps.post(f"{MEDIA}/1880028106020515840/finalize", json=fx("media_finalize_pending.json"))
    ckpt = DictCheckpoint()
    with pytest.raises(RetryLater) as ei:
        oauth1(clock, media_chunk_size=262_144).publish(req(media=(video,)), ckpt)
    assert ei.value.retry_after == NOW + timedelta(seconds=5)
    assert not isinstance(ei.value, RateLimited)
    appends = [c for c in rsps.calls if str(c.request.url).endswith("/append")]
    sizes = []
    for i, call in enumerate(appends):
        body = call.request.body
        assert isinstance(body, bytes)
        assert f'name="segment_index"\r\n\r\n{i}'.encode() in body
        assert auth_header(call).startswith("OAuth ")
        sizes.append(len(body))
    assert sizes[0] == sizes[1] > sizes[2]  # 262144, 262144, 75712 bytes of media
    assert ckpt.data["x_media"][0]["id"] == "1880028106020515840"
    assert ckpt.data["x_media"][0]["state"] == "pending"

    # the queue comes back: still processing -> RetryLater at X's check_after_secs, no re-upload
    rsps.reset()
    clock.now = NOW + timedelta(seconds=6)
    status = [matchers.query_param_matcher({"command": "STATUS", "media_id": "1880028106020515840"})]
    rsps.get(MEDIA, json=fx("media_status_in_progress.json"), match=status)
    with pytest.raises(RetryLater) as ei:
        oauth1(clock).publish(req(media=(video,)), ckpt)
    assert ei.value.retry_after == clock.now + timedelta(seconds=10)

    # a new adapter instance ("after a restart"): succeeded -> the tweet carries the checkpointed media id
    rsps.reset()
    clock.now = NOW + timedelta(seconds=20)
    rsps.get(MEDIA, json=fx("media_status_succeeded.json"), match=status)
    rsps.post(
        f"{TW}/tweets",
        json=fx("create_tweet.json"),
        status=201,
        match=[matchers.json_params_matcher({"text": TEXT, "media": {"media_ids": ["1880028106020515840"]}})],
    )
    result = oauth1(clock).publish(req(media=(video,)), ckpt)
    assert result.remote_id == POST_ID
    assert ckpt.data["x_media"][0]["state"] == "succeeded"
    assert not any("initialize" in str(c.request.url) for c in rsps.calls)


def test_image_upload_without_processing_posts_at_once(tmp_path: Path, rsps: responses.RequestsMock) -> None:
    image = media_file(tmp_path, "poster.png", "image/png", 300_000)
    rsps.post(
        f"{MEDIA}/initialize",
        json=fx("media_initialize_image.json"),
        match=[
            matchers.json_params_matcher(
                {"media_type": "image/png", "total_bytes": 300_000, "media_category": "tweet_image"}
            )
        ],
    )
    rsps.post(f"{MEDIA}/1880028106020515841/append", json=fx("media_append.json"))
    rsps.post(f"{MEDIA}/1880028106020515841/finalize", json=fx("media_finalize_image.json"))
    rsps.post(
        f"{TW}/tweets",
        json=fx("create_tweet.json"),
        status=201,
        match=[matchers.json_params_matcher({"text": TEXT, "media": {"media_ids": ["1880028106020515841"]}})],
    )
    assert oauth1().publish(req(media=(image,)), DictCheckpoint()).remote_id == POST_ID


def test_media_processing_failed_is_content_rejected(tmp_path: Path, rsps: responses.RequestsMock) -> None:
    video = media_file(tmp_path, "rapat.mp4", "video/mp4", 1000)
    ckpt = DictCheckpoint(
        {
            "x_media": [
                {
                    "sha256": "sha-rapat.mp4",
                    "id": "1880028106020515840",
                    "state": "pending",
                    "expires_at": int((NOW + timedelta(hours=20)).timestamp()),
                    "check_after_secs": 5,
                }
            ]
        }
    )
    rsps.get(MEDIA, json=fx("media_status_failed.json"))
    with pytest.raises(ContentRejected) as ei:
        oauth1().publish(req(media=(video,)), ckpt)
    assert ei.value.rule == "media_processing"
    assert "Unsupported video format" in ei.value.message


def test_expired_checkpointed_media_is_uploaded_again(tmp_path: Path, rsps: responses.RequestsMock) -> None:
    image = media_file(tmp_path, "poster.png", "image/png", 1000)
    ckpt = DictCheckpoint(
        {
            "x_media": [
                {
                    "sha256": "sha-poster.png",
                    "id": "111",
                    "state": "succeeded",
                    "expires_at": int((NOW - timedelta(minutes=1)).timestamp()),
                }
            ]
        }
    )
    rsps.post(f"{MEDIA}/initialize", json=fx("media_initialize_image.json"))
    rsps.post(f"{MEDIA}/1880028106020515841/append", json=fx("media_append.json"))
    rsps.post(f"{MEDIA}/1880028106020515841/finalize", json=fx("media_finalize_image.json"))
    rsps.post(
        f"{TW}/tweets",
        json=fx("create_tweet.json"),
        status=201,
        match=[matchers.json_params_matcher({"text": TEXT, "media": {"media_ids": ["1880028106020515841"]}})],
    )
    oauth1().publish(req(media=(image,)), ckpt)
    assert ckpt.data["x_media"][0]["id"] == "1880028106020515841"


# --- OAuth 2.0 -------------------------------------------------------------------------------------------------------


def test_oauth2_refresh_rotates_and_persists_the_refresh_token(rsps: responses.RequestsMock) -> None:
    store = store_with("RT-old")
    basic = base64.b64encode(b"CID:CSEC").decode()
    rsps.post(
        TOKEN,
        json=fx("oauth2_token.json"),
        match=[
            matchers.urlencoded_params_matcher({"grant_type": "refresh_token", "refresh_token": "RT-old"}),
            matchers.header_matcher({"Authorization": f"Basic {basic}"}),
        ],
    )
    rsps.post(
        f"{TW}/tweets",
        json=fx("create_tweet.json"),
        status=201,
        match=[matchers.header_matcher({"Authorization": "Bearer AT-new-VmNjRlZ3"})],
    )
    oauth2(store).publish(req(), DictCheckpoint())
    assert store.get("humas-kota", "oauth2_refresh_token") == "RT-rotated-bWRjR2"
    assert store.get("humas-kota", "oauth2_access_token") == "AT-new-VmNjRlZ3"
    assert store.get("humas-kota", "oauth2_expires_at") == (NOW + timedelta(seconds=7200)).isoformat()


def test_oauth2_uses_stored_token_then_refreshes_once_on_401(rsps: responses.RequestsMock) -> None:
    store = store_with("RT-old", access="AT-old")
    rsps.post(
        f"{TW}/tweets",
        json=fx("error_unauthorized_401.json"),
        status=401,
        match=[matchers.header_matcher({"Authorization": "Bearer AT-old"})],
    )
    rsps.post(
        TOKEN,
        json=fx("oauth2_token.json"),
        match=[
            matchers.urlencoded_params_matcher(
                {"grant_type": "refresh_token", "refresh_token": "RT-old", "client_id": "CID"}
            )
        ],
    )  # public client
    rsps.post(
        f"{TW}/tweets",
        json=fx("create_tweet.json"),
        status=201,
        match=[matchers.header_matcher({"Authorization": "Bearer AT-new-VmNjRlZ3"})],
    )
    assert oauth2(store, client_secret=None).publish(req(), DictCheckpoint()).remote_id == POST_ID
    assert store.get("humas-kota", "oauth2_refresh_token") == "RT-rotated-bWRjR2"


@pytest.mark.parametrize("fixture", ["oauth2_invalid_grant.json", "oauth2_invalid_request.json"])
def test_oauth2_refused_refresh_is_auth_expired(rsps: responses.RequestsMock, fixture: str) -> None:
    rsps.post(TOKEN, json=fx(fixture), status=400)
    with pytest.raises(AuthExpired):
        oauth2(store_with("RT-revoked")).publish(req(), DictCheckpoint())


def test_oauth2_without_refresh_token_is_auth_expired() -> None:
    with pytest.raises(AuthExpired):
        oauth2(MemorySecretStore()).publish(req(), DictCheckpoint())


def test_tokens_never_reach_logs_or_repr(rsps: responses.RequestsMock, caplog: pytest.LogCaptureFixture) -> None:
    store = store_with("RT-old")
    rsps.post(TOKEN, json=fx("oauth2_token.json"))
    rsps.post(f"{TW}/tweets", json=fx("create_tweet.json"), status=201)
    caplog.set_level(logging.DEBUG)
    a = oauth2(store)
    a.publish(req(), DictCheckpoint())
    for secret in ("AT-new-VmNjRlZ3", "RT-old", "CSEC"):
        assert secret not in caplog.text
        assert secret not in repr(a)


def test_constructor_needs_complete_credentials() -> None:
    with pytest.raises(ConfigError):
        XAdapter("a", consumer_key="ck", consumer_secret="cs")
    with pytest.raises(ConfigError):
        XAdapter("a", client_id="cid")


# --- find_published --------------------------------------------------------------------------------------------------


def test_find_published_from_checkpoint_needs_no_call() -> None:
    found = oauth1().find_published(req(), DictCheckpoint({"tweet_id": POST_ID}))
    assert found is not None and found.remote_id == POST_ID


def test_find_published_matches_text_ignoring_urls_and_whitespace(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{TW}/users/me", json=fx("users_me.json"))
    rsps.get(f"{TW}/users/112233/tweets", json=fx("users_tweets.json"))
    ckpt = DictCheckpoint()
    found = oauth1().find_published(req(TEXT + " & info lengkap https://humas.example.id/jadwal"), ckpt)
    assert found is not None
    assert found.remote_id == POST_ID
    assert found.remote_url == f"https://x.com/humas_kota/status/{POST_ID}"
    q = query(rsps.calls[1])
    assert q["start_time"] == ["2026-11-20T09:00:00Z"]
    assert q["exclude"] == ["retweets,replies"]
    assert ckpt.data["tweet_id"] == POST_ID


def test_find_published_returns_none_when_absent(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{TW}/users/112233/tweets", json=fx("users_tweets_other.json"))
    assert oauth1(user_id="112233").find_published(req(), DictCheckpoint()) is None


def test_normalise_text() -> None:
    assert normalise_text("a  &amp;\n b https://t.co/x") == normalise_text("a & b")


# --- comments --------------------------------------------------------------------------------------------------------


def test_fetch_comments_pages_and_returns_newest_id_as_cursor(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{TW}/users/me", json=fx("users_me.json"))
    rsps.get(f"{TW}/tweets/search/recent", json=fx("search_replies_page1.json"))
    rsps.get(f"{TW}/tweets/search/recent", json=fx("search_replies_page2.json"))
    page = oauth1(Clock(NOW + timedelta(hours=2))).fetch_comments(PlatformPostRef("humas-kota", POST_ID), None)
    assert page.cost == 3  # billed per post read
    assert page.cursor == "2123720505553846403"
    q1, q2 = query(rsps.calls[1]), query(rsps.calls[2])
    assert q1["query"] == [f"conversation_id:{POST_ID} is:reply"]
    assert "since_id" not in q1 and "next_token" not in q1
    assert q1["expansions"] == ["author_id"]
    assert q2["next_token"] == ["b26v89c19zqg8o3fpds2c5hdgaqmmfgwb2kylcyz5zx4t"]
    by_id = {c.remote_id: c for c in page.comments}
    top = by_id["2123717988971446401"]
    assert (top.author_handle, top.parent_remote_id, top.is_own) == ("budi_s", None, False)
    assert top.created_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    ours = by_id["2123719247262646402"]
    assert ours.is_own and ours.parent_remote_id == "2123717988971446401"
    nested = by_id["2123720505553846403"]
    assert nested.text.endswith("& belum dilayani")
    assert nested.author_handle == "sari_w"


def test_fetch_comments_since_cursor(rsps: responses.RequestsMock) -> None:
    rsps.get(
        f"{TW}/tweets/search/recent",
        json=fx("search_empty.json"),
        match=[matchers.query_param_matcher({"since_id": "2123720505553846403"}, strict_match=False)],
    )
    page = oauth1(Clock(NOW + timedelta(hours=3)), user_id="112233").fetch_comments(
        PlatformPostRef("humas-kota", POST_ID), "2123720505553846403"
    )
    assert page.comments == [] and page.cost == 0
    assert page.cursor == "2123720505553846403"


def test_fetch_comments_bounded_pages_continue_next_call(rsps: responses.RequestsMock) -> None:
    a = oauth1(Clock(NOW + timedelta(hours=2)), user_id="112233")
    a.comment_pages_max = 1
    rsps.get(f"{TW}/tweets/search/recent", json=fx("search_replies_page1.json"))
    first = a.fetch_comments(PlatformPostRef("humas-kota", POST_ID), "2123702910448566400")
    assert first.cursor == "2123720505553846403:2123702910448566400:b26v89c19zqg8o3fpds2c5hdgaqmmfgwb2kylcyz5zx4t"
    rsps.get(
        f"{TW}/tweets/search/recent",
        json=fx("search_replies_page2.json"),
        match=[
            matchers.query_param_matcher(
                {"since_id": "2123702910448566400", "next_token": "b26v89c19zqg8o3fpds2c5hdgaqmmfgwb2kylcyz5zx4t"},
                strict_match=False,
            )
        ],
    )
    second = a.fetch_comments(PlatformPostRef("humas-kota", POST_ID), first.cursor)
    assert [c.remote_id for c in second.comments] == ["2123717988971446401"]
    assert second.cursor == "2123720505553846403"  # the newest seen in the first call


def test_fetch_comments_drops_since_id_older_than_search_window(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{TW}/tweets/search/recent", json=fx("search_empty.json"))
    oauth1(Clock(NOW + timedelta(days=8)), user_id="112233").fetch_comments(
        PlatformPostRef("humas-kota", POST_ID), "2123720505553846403"
    )
    assert "since_id" not in query(rsps.calls[0])


# --- reply / hide / check / validate ---------------------------------------------------------------------------------


def test_reply_posts_in_reply_to_and_is_idempotent(rsps: responses.RequestsMock) -> None:
    rsps.post(
        f"{TW}/tweets",
        json=fx("create_reply.json"),
        status=201,
        match=[
            matchers.json_params_matcher(
                {"text": "Loket buka pukul 08.00 WIB.", "reply": {"in_reply_to_tweet_id": "2123717988971446401"}}
            )
        ],
    )
    ref = CommentRef("humas-kota", POST_ID, "2123717988971446401")
    ckpt = DictCheckpoint()
    first = oauth1().reply(ref, "Loket buka pukul 08.00 WIB.", ckpt)
    again = oauth1().reply(ref, "Loket buka pukul 08.00 WIB.", ckpt)
    assert first.remote_id == again.remote_id == "2123733088465846500"
    assert len(rsps.calls) == 1


def test_hide_comment(rsps: responses.RequestsMock) -> None:
    rsps.put(
        f"{TW}/tweets/2123720505553846403/hidden",
        json=fx("hide_reply.json"),
        match=[matchers.json_params_matcher({"hidden": True})],
    )
    oauth1().hide_comment(CommentRef("humas-kota", POST_ID, "2123720505553846403"))


def test_check(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{TW}/users/me", json=fx("users_me.json"))
    rsps.get(f"{TW}/users/me", json=fx("error_unauthorized_401.json"), status=401)
    status = oauth1().check()
    assert status.ok and "@humas_kota" in status.detail and status.expires_at is None
    assert not oauth1().check().ok


def test_validate(tmp_path: Path) -> None:
    a = oauth1()
    img = [media_file(tmp_path, f"f{i}.jpg", "image/jpeg", 10) for i in range(5)]
    vid = media_file(tmp_path, "v.mp4", "video/mp4", 10)
    assert a.validate(PostDraft(TEXT, media=img[:4])) == []
    assert a.validate(PostDraft(TEXT, media=(vid,))) == []
    assert {p.rule for p in a.validate(PostDraft("a" * 281))} == {"text_max"}
    assert {p.rule for p in a.validate(PostDraft(TEXT, media=img))} == {"media_max"}
    assert {p.rule for p in a.validate(PostDraft(TEXT, media=(vid, img[0])))} == {"media_mix"}
    # the appended link counts as 23 weighted characters
    assert {p.rule for p in a.validate(PostDraft("a" * 260, link="https://humas.example.id/x"))} == {"text_max"}


# --- issue 14: a refused reply stays with people; a token without media.write pauses the account ------------------


def test_reply_403_is_its_own_reason_with_an_indonesian_message(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{TW}/tweets", status=403, json=fx("error_forbidden_403.json"))
    ref = CommentRef("humas-kota", POST_ID, "2123717988971446401")
    ckpt = DictCheckpoint()
    with pytest.raises(ContentRejected) as ei:
        oauth1().reply(ref, "Loket buka pukul 08.00 WIB.", ckpt)
    err = ei.value
    assert err.rule == "reply_restricted"
    assert "Balas secara manual" in err.message and "mention" in err.message
    assert ckpt.get("tweet_id") is None


def test_reply_403_duplicate_is_still_already_published(rsps: responses.RequestsMock) -> None:
    rsps.post(f"{TW}/tweets", status=403, json=fx("error_duplicate_403.json"))
    with pytest.raises(AlreadyPublished):
        oauth1().reply(CommentRef("humas-kota", POST_ID, "2123717988971446401"), "Sama-sama.", DictCheckpoint())


def test_media_upload_403_without_media_write_pauses_the_account(
    tmp_path: Path, rsps: responses.RequestsMock
) -> None:
    image = media_file(tmp_path, "poster.png", "image/png", 1_000)
    store = store_with(access="AT-live")
    forbidden = {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Forbidden"}
    rsps.post(f"{MEDIA}/initialize", status=403, json=forbidden)
    with pytest.raises(AuthExpired) as ei:
        oauth2(store).publish(req(media=(image,)), DictCheckpoint())
    assert "media.write" in ei.value.message
