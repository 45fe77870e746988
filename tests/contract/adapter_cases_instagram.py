"""The Instagram Graph API adapter under the adapter contract: one image, published in two phases (container, then
``media_publish``; platform-apis.md §3.1).

Answers are the Graph API bodies recorded in ``tests/unit/fixtures/meta`` (``ig_publish.json``, ``errors.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

import requests

from humas.publisher.base import MediaFile, PlatformAdapter, PostDraft, PublishRequest
from tests.contract.test_adapters_common import NOW, AdapterCase, Env, fixture

ACCOUNT = "contract-ig"
IG = "17841400000000000"
CONTAINER = "17889455560051444"
MEDIA_ID = "17920238422030506"
GRAPH = "https://graph.facebook.com/v25.0"  # humas.publisher.graph.GRAPH_URL, spelled out: the contract is the wire
LIMIT = f"{GRAPH}/{IG}/content_publishing_limit"
MEDIA = f"{GRAPH}/{IG}/media"
PUBLISH = f"{GRAPH}/{IG}/media_publish"


def _pub(name: str) -> dict[str, object]:
    body: dict[str, object] = fixture("meta", "ig_publish.json")[name]
    return body


def _err(name: str) -> dict[str, object]:
    body: dict[str, object] = fixture("meta", "errors.json")[name]
    return body


def _factory(_: Env) -> PlatformAdapter:
    from humas.publisher.instagram import InstagramAdapter

    return InstagramAdapter(
        ACCOUNT,
        ig_user_id=IG,
        access_token="EAAGcontractIGtoken",
        media_url=lambda m: f"https://humas.example.go.id/media/{m.sha256}.jpg",
        session=requests.Session(),
        clock=lambda: NOW,
    )


def _request(folder: Path) -> PublishRequest:
    path = folder / "poster.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0contract")  # Meta downloads it from media_url: the bytes are never read here
    image = MediaFile(path, sha256="c0ffee", mime="image/jpeg", size=1_000, width=1080, height=1350)
    draft = PostDraft("Jadwal layanan publik pekan ini #PemkotBandung", media=(image,))
    return PublishRequest(f"post:1:{ACCOUNT}", ACCOUNT, draft, not_before=NOW)


def _finished_container(env: Env) -> None:
    env.rsps.get(LIMIT, json=_pub("limit_ok"))
    env.rsps.post(MEDIA, json=_pub("container"))
    env.rsps.get(f"{GRAPH}/{CONTAINER}", json=_pub("status_finished"))


def _success(env: Env) -> None:
    _finished_container(env)
    env.rsps.post(PUBLISH, json=_pub("media_publish"))
    env.rsps.get(f"{GRAPH}/{MEDIA_ID}", json=_pub("permalink"))


def _rate_limited(env: Env) -> None:
    # (#80002) too many calls to this Instagram account; the BUC header says when access comes back (§2.3)
    buc = {
        IG: [
            {
                "type": "instagram",
                "call_count": 100,
                "total_cputime": 10,
                "total_time": 10,
                "estimated_time_to_regain_access": 12,
            }
        ]
    }
    env.rsps.get(LIMIT, json=_pub("limit_ok"))
    env.rsps.post(MEDIA, status=400, json=_err("ig_80002"), headers={"X-Business-Use-Case-Usage": json.dumps(buc)})


def _auth_expired(env: Env) -> None:
    env.rsps.get(LIMIT, status=400, json=_err("190_463"))


def _server_error(env: Env) -> None:
    env.rsps.get(LIMIT, json=_pub("limit_ok"))
    env.rsps.post(MEDIA, status=500, json=_err("ig_-1_2207001"))


def _timeout_after_send(env: Env) -> None:
    _finished_container(env)
    env.rsps.post(PUBLISH, body=requests.exceptions.ReadTimeout("read timed out"))


CASES = [
    AdapterCase(
        name="instagram",
        factory=_factory,
        request=_request,
        expected_id=MEDIA_ID,
        success=_success,
        rate_limited=_rate_limited,
        auth_expired=_auth_expired,
        server_error=_server_error,
        timeout_after_send=_timeout_after_send,
    )
]
