"""Meta webhooks through FastAPI's TestClient: verification, signatures, storage shared with polling."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from humas.app import App
from humas.escalation.fakes import KeywordClassifier
from humas.monitor.webhooks import MAX_BODY, webhook_router
from humas.publisher.base import Platform, RemoteComment
from humas.store.models import Case, Comment, Post, PublicationJob
from humas.testing import FakeClock, FakePlatform

APP_SECRET = "app-secret-for-tests"
VERIFY = "verify-token-for-tests"
PAGE = "1234567890"
IG_USER = "17841400000000000"
POST_ID = "1234567890_111"
MEDIA_ID = "18172143295349192"
ACCOUNTS = [
    {"name": "pemkot-fb", "platform": "facebook", "options": {"page_id": PAGE}},
    {"name": "pemkot-ig", "platform": "instagram", "options": {"ig_user_id": IG_USER}},
]


def make_post(app: App, account: str, remote_id: str, published_at: datetime) -> int:
    platform = app.settings.account(account).platform.value
    with app.db.session() as s:
        job = PublicationJob(kind="post", dedupe_key=f"post:test:{account}:{remote_id}", account=account,
                             platform=platform, run_at=published_at, state="published", remote_id=remote_id)
        s.add(job)
        s.flush()
        post = Post(job_id=job.id, account=account, platform=platform, remote_id=remote_id,
                    published_at=published_at, next_poll_at=published_at)
        s.add(post)
        s.flush()
        return post.id


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def feed(comment_id: str = "1234567890111_24680", *, verb: str = "add", sender: str = "5550001",
         message: str = "Kapan pendaftaran dibuka?", post_id: str = POST_ID) -> dict[str, Any]:
    return {"object": "page", "entry": [{"id": PAGE, "time": 1790000000, "changes": [{"field": "feed", "value": {
        "item": "comment", "verb": verb, "comment_id": comment_id, "post_id": post_id, "parent_id": post_id,
        "from": {"id": sender, "name": "Siti"}, "message": message, "created_time": 1790000000}}]}]}


#: Instagram accounts need a public URL; the secrets come from the environment, as in a real config
WEB = {"public_base_url": "https://humas.example.go.id"}
SECRETS = {"meta_app_secret": "env:HUMAS_TEST_META_APP_SECRET", "meta_verify_token": "env:HUMAS_TEST_META_VERIFY_TOKEN"}


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUMAS_TEST_META_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("HUMAS_TEST_META_VERIFY_TOKEN", VERIFY)


@pytest.fixture
def wapp(make_app: Callable[..., App], db_url: str, clock: FakeClock) -> App:
    app = make_app(db_url, accounts=ACCOUNTS, web={**WEB, **SECRETS})
    make_post(app, "pemkot-fb", POST_ID, clock())
    make_post(app, "pemkot-ig", MEDIA_ID, clock())
    return app


def client(app: App) -> TestClient:
    api = FastAPI()
    process = app.comment_cycle(None, classifier=KeywordClassifier()).process
    api.include_router(webhook_router(app.env, after_store=process))
    return TestClient(api)


def post_json(c: TestClient, payload: Any, signature: str | None = "auto", raw: bytes | None = None) -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "auto":
        headers["X-Hub-Signature-256"] = sign(body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return c.post("/webhooks/meta", content=body, headers=headers)


def comments(app: App) -> list[Comment]:
    with app.db.session() as s:
        return list(s.execute(select(Comment).order_by(Comment.id)).scalars())


def test_verification_echoes_the_challenge_only_for_our_token(wapp: App) -> None:
    c = client(wapp)
    ok = c.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.challenge": "1158201444",
                                         "hub.verify_token": VERIFY})
    assert ok.status_code == 200 and ok.text == "1158201444" and ok.headers["content-type"].startswith("text/plain")
    for params in ({"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "wrong"},
                   {"hub.mode": "unsubscribe", "hub.challenge": "1", "hub.verify_token": VERIFY},
                   {"hub.mode": "subscribe", "hub.challenge": "1"}):
        assert c.get("/webhooks/meta", params=params).status_code == 403


def test_verification_refused_without_a_configured_token(make_app: Callable[..., App], db_url: str) -> None:
    c = client(make_app(db_url, accounts=ACCOUNTS, web=WEB))
    r = c.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": ""})
    assert r.status_code == 403


def test_a_signed_delivery_is_stored_and_classified(wapp: App) -> None:
    r = post_json(client(wapp), feed(message="Pelayanan lambat dan buruk, kecewa"))
    assert r.status_code == 200 and r.json()["new"] == 1
    [row] = comments(wapp)
    assert (row.remote_id, row.source, row.author_handle, row.account) == (
        "1234567890111_24680", "webhook", "Siti", "pemkot-fb")
    assert row.parent_remote_id is None and row.label == "negative"  # classified after the answer was sent
    with wapp.db.session() as s:
        assert s.execute(select(Case.reason)).scalar_one() == "negative"


@pytest.mark.parametrize("signature", [None, "", "sha256=" + "0" * 64, "sha1=abc", sign(b"other body"),
                                       sign(b"x", secret="not-the-secret")])
def test_missing_or_wrong_signatures_are_rejected(wapp: App, signature: str | None) -> None:
    r = post_json(client(wapp), feed(), signature=signature)
    assert r.status_code == 403
    assert comments(wapp) == []


def test_the_signature_covers_the_raw_bytes(wapp: App) -> None:
    body = json.dumps(feed()).encode()
    spaced = json.dumps(feed(), indent=2).encode()  # same JSON, other bytes
    assert post_json(client(wapp), None, signature=sign(body), raw=spaced).status_code == 403
    assert post_json(client(wapp), None, signature=sign(spaced), raw=spaced).status_code == 200


def test_without_an_app_secret_every_delivery_is_refused(make_app: Callable[..., App], db_url: str,
                                                         clock: FakeClock) -> None:
    app = make_app(db_url, accounts=ACCOUNTS, web=WEB)
    make_post(app, "pemkot-fb", POST_ID, clock())
    r = post_json(client(app), feed())
    assert r.status_code == 503
    assert comments(app) == []


def test_own_replies_unknown_posts_and_other_items_are_skipped(wapp: App) -> None:
    c = client(wapp)
    assert post_json(c, feed(sender=PAGE)).json()["own"] == 1
    assert post_json(c, feed(post_id="1234567890_999")).json()["ignored"] == 1
    reaction = feed()
    reaction["entry"][0]["changes"][0]["value"]["item"] = "reaction"
    assert post_json(c, reaction).json()["received"] == 0
    assert comments(wapp) == []


def test_instagram_comments_and_removals(wapp: App) -> None:
    c = client(wapp)
    ig = {"object": "instagram", "entry": [{"id": IG_USER, "time": 1790000000, "changes": [{"field": "comments",
          "value": {"id": "17919697626119712", "text": "Info lowongan?",
                    "from": {"id": "2105722729836161", "username": "warga_bdg"},
                    "media": {"id": MEDIA_ID, "media_product_type": "FEED"}}}]}]}
    assert post_json(c, ig).json()["new"] == 1
    post_json(c, feed())
    assert post_json(c, feed(verb="remove")).json()["updated"] == 1
    rows = {r.remote_id: r for r in comments(wapp)}
    assert rows["17919697626119712"].author_handle == "warga_bdg" and rows["17919697626119712"].account == "pemkot-ig"
    assert rows["1234567890111_24680"].deleted


def test_a_comment_seen_by_webhook_and_by_polling_is_stored_once(wapp: App, clock: FakeClock) -> None:
    fake = FakePlatform("pemkot-fb", Platform.FACEBOOK, clock=clock)
    ig = FakePlatform("pemkot-ig", Platform.INSTAGRAM, clock=clock)
    seen = RemoteComment(remote_id="1234567890111_24680", post_remote_id=POST_ID, text="Kapan pendaftaran dibuka?",
                         author_handle="Siti", created_at=clock(), author_id="5550001")
    later = RemoteComment(remote_id="1234567890111_24681", post_remote_id=POST_ID, text="Terima kasih infonya",
                          author_handle="Budi", created_at=clock())
    fake.comments[POST_ID] = [seen, later]
    assert post_json(client(wapp), feed()).json()["new"] == 1  # the webhook first
    m = wapp.comment_cycle("m1", adapter_for={"pemkot-fb": fake, "pemkot-ig": ig}.__getitem__,
                           classifier=KeywordClassifier(), notify_case=lambda oc: None)
    assert m.run_once().new_comments == 1  # polling adds only the one the webhook did not bring
    assert post_json(client(wapp), feed(comment_id="1234567890111_24681")).json()["new"] == 0  # and back
    rows = comments(wapp)
    assert [(r.remote_id, r.source) for r in rows] == [("1234567890111_24680", "webhook"),
                                                      ("1234567890111_24681", "poll")]
    with wapp.db.session() as s:
        n = s.execute(select(func.count()).select_from(Comment).where(Comment.classified_at.is_not(None))).scalar()
    assert n == 2


# --- bounded, untrusted input: size caps before reading, parse failures as 400 -----------------------------------

CHUNK = 64 * 1024


class Upload:
    """An ASGI ``receive`` that hands out ``total`` bytes in 64 KiB messages and counts how many were taken.

    One chunk object is reused, so the test itself never holds more than 64 KiB whatever ``total`` is.
    """

    def __init__(self, total: int, data: bytes | None = None) -> None:
        self.total = total if data is None else len(data)
        self.data = data
        self.taken = 0
        self.calls = 0
        self._filler = b"x" * CHUNK

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.taken >= self.total:
            return {"type": "http.disconnect"}
        n = min(CHUNK, self.total - self.taken)
        chunk = self._filler[:n] if self.data is None else self.data[self.taken:self.taken + n]
        self.taken += n
        return {"type": "http.request", "body": chunk, "more_body": self.taken < self.total}


def deliver_asgi(app: App, upload: Callable[[], Any], headers: dict[str, str]) -> tuple[int, Any]:
    """POST /webhooks/meta straight through the ASGI interface, the way uvicorn drives it."""
    api = client(app).app
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/webhooks/meta", "raw_path": b"/webhooks/meta", "query_string": b"",
             "root_path": "", "client": ("192.0.2.1", 40000), "server": ("testserver", 80),
             "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]}
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(api(scope, upload, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body)


def test_a_declared_length_over_the_cap_is_refused_before_reading(wapp: App) -> None:
    upload = Upload(300 * 1024 * 1024)
    status, body = deliver_asgi(wapp, upload, {"content-length": str(upload.total),
                                               "content-type": "application/json"})
    assert status == 413 and body == {"error": "payload too large"}
    assert upload.taken == 0  # not one byte of the body was read
    assert comments(wapp) == []


def test_a_chunked_body_over_the_cap_is_refused_after_at_most_the_cap(wapp: App) -> None:
    upload = Upload(64 * 1024 * 1024)  # no Content-Length: Transfer-Encoding chunked
    status, body = deliver_asgi(wapp, upload, {"transfer-encoding": "chunked", "content-type": "application/json",
                                               "x-hub-signature-256": sign(b"whatever")})
    assert status == 413 and body == {"error": "payload too large"}
    assert MAX_BODY < upload.taken <= MAX_BODY + CHUNK  # reading stopped at the first chunk past the cap


def test_a_chunked_body_under_the_cap_is_read_whole_and_stored(wapp: App) -> None:
    data = json.dumps(feed(message="Kapan? " + "panjang " * 20_000)).encode()  # about 160 KB: three chunks
    upload = Upload(0, data)
    status, body = deliver_asgi(wapp, upload, {"transfer-encoding": "chunked", "content-type": "application/json",
                                               "x-hub-signature-256": sign(data)})
    assert status == 200 and body["new"] == 1 and upload.taken == len(data)
    assert comments(wapp)[0].text.startswith("Kapan? panjang")


def test_a_body_at_the_cap_is_accepted_and_one_byte_more_is_not(wapp: App) -> None:
    payload = feed()
    raw = json.dumps(payload).encode()
    exact = raw[:-1] + b" " * (MAX_BODY - len(raw)) + raw[-1:]  # same JSON, padded to exactly the cap
    assert len(exact) == MAX_BODY
    assert post_json(client(wapp), None, raw=exact).status_code == 200
    over = exact[:-1] + b" " + exact[-1:]
    assert post_json(client(wapp), None, raw=over).status_code == 413


def test_an_invalid_content_length_is_400(wapp: App) -> None:
    upload = Upload(10)
    status, body = deliver_asgi(wapp, upload, {"content-length": "ten", "x-hub-signature-256": sign(b"x" * 10)})
    assert status == 400 and "error" in body and upload.taken == 0


def test_a_body_cut_off_by_the_client_is_400(wapp: App) -> None:
    upload = Upload(10 * CHUNK)
    upload.total = 3 * CHUNK  # the client goes away after three chunks, though it promised more
    status, body = deliver_asgi(wapp, _Promising(upload), {"transfer-encoding": "chunked",
                                                           "x-hub-signature-256": sign(b"x")})
    assert status == 400 and "error" in body and upload.taken == 3 * CHUNK


class _Promising:
    """Passes an upload's messages on, always announcing more body (the client then disconnects)."""

    def __init__(self, upload: Upload) -> None:
        self.upload = upload

    async def __call__(self) -> dict[str, Any]:
        message = await self.upload()
        if message["type"] == "http.request":
            message["more_body"] = True
        return message


def test_the_size_caps_come_before_the_signature(wapp: App) -> None:
    """An unsigned flood is refused for its size alone: the server never hashes (or keeps) more than the cap."""
    upload = Upload(8 * 1024 * 1024)
    status, _ = deliver_asgi(wapp, upload, {"transfer-encoding": "chunked"})
    assert status == 413 and upload.taken <= MAX_BODY + CHUNK


@pytest.mark.parametrize("raw", [
    b"[" * 100_000 + b"]" * 100_000,  # RecursionError in the JSON parser
    b'{"object": "page", "entry": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_000 + b"}",
    bytes(range(256)) * 4,  # garbage
    b'{"object": "page", "entry": "caf\xe9"}',  # Latin-1, not UTF-8
    b"\xef\xbb\xbf" + json.dumps(feed()).encode(),  # a byte-order mark is not JSON either
    b'{"object": "page", "entry": [',  # cut off
    b'{"object": "page", "n": ' + b"9" * 5000 + b"}",  # an integer longer than Python converts
    b"",
], ids=["deep-arrays", "deep-objects", "garbage", "latin-1", "bom", "truncated", "long-integer", "empty"])
def test_a_signed_body_that_is_not_understood_is_400(wapp: App, raw: bytes) -> None:
    r = post_json(client(wapp), None, raw=raw)
    assert r.status_code == 400
    assert r.json()["error"].startswith("invalid payload")
    assert comments(wapp) == []


@pytest.mark.parametrize("payload", [
    {"object": "page", "entry": 5},
    {"object": "page", "entry": [{"id": PAGE, "changes": 7}]},
    {"object": "page", "entry": [{"id": PAGE, "changes": [{"field": "feed", "value": [1, 2]}]}]},
    {"object": "page", "entry": [{"id": [PAGE], "changes": [{"field": "feed", "value": {
        "item": "comment", "verb": ["add"], "comment_id": {}, "post_id": POST_ID}}]}]},
    [feed()],
    "page",
    None,
], ids=["entry-int", "changes-int", "value-list", "wrong-types", "list", "string", "null"])
def test_a_signed_delivery_of_an_unexpected_shape_stores_nothing(wapp: App, payload: Any) -> None:
    r = post_json(client(wapp), payload)
    assert r.status_code == 200 and r.json()["received"] == 0
    assert comments(wapp) == []


def test_text_no_database_can_store_is_cleaned(wapp: App) -> None:
    """NUL characters (PostgreSQL refuses them) and lone surrogates (neither database encodes them)."""
    odd = feed(message="Jalan\x00 rusak \ud800!", sender="5550\x00001")
    assert post_json(client(wapp), odd).json()["new"] == 1
    [row] = comments(wapp)
    assert (row.text, row.author_id) == ("Jalan rusak ?!", "5550001")


def test_timestamps_out_of_range_become_now(wapp: App, clock: FakeClock) -> None:
    c = client(wapp)
    huge = feed(comment_id="1234567890111_1")
    huge["entry"][0]["changes"][0]["value"]["created_time"] = 10**30
    assert post_json(c, huge).json()["new"] == 1
    raw = json.dumps(feed(comment_id="1234567890111_2")).replace("1790000000}", "1e400}").encode()  # Infinity
    assert b"1e400" in raw
    assert post_json(c, None, raw=raw).json()["new"] == 1
    assert [r.created_at for r in comments(wapp)] == [clock(), clock()]
