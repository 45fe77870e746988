"""Meta webhooks through FastAPI's TestClient: verification, signatures, storage shared with polling."""

from __future__ import annotations

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
from humas.monitor.webhooks import webhook_router
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


@pytest.fixture
def wapp(make_app: Callable[..., App], db_url: str, clock: FakeClock) -> App:
    app = make_app(db_url, accounts=ACCOUNTS, web={"meta_app_secret": APP_SECRET, "meta_verify_token": VERIFY})
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
    c = client(make_app(db_url, accounts=ACCOUNTS))
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
    app = make_app(db_url, accounts=ACCOUNTS)
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
