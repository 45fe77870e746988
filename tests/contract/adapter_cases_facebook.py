"""The Facebook Page adapter under the adapter contract: a text post to ``/{page-id}/feed`` (platform-apis.md §2).

Answers are the Graph API bodies recorded in ``tests/unit/fixtures/meta`` (``fb_publish.json``, ``errors.json``).
"""

from __future__ import annotations

from pathlib import Path

import requests

from humas.publisher.base import PlatformAdapter, PostDraft, PublishRequest
from tests.contract.test_adapters_common import NOW, AdapterCase, Env, fixture

ACCOUNT = "contract-fb"
PAGE = "1234567890"
GRAPH = "https://graph.facebook.com/v25.0"  # humas.publisher.graph.GRAPH_URL, spelled out: the contract is the wire
FEED = f"{GRAPH}/{PAGE}/feed"


def _factory(_: Env) -> PlatformAdapter:
    from humas.publisher.facebook import FacebookPageAdapter

    return FacebookPageAdapter(
        ACCOUNT, page_id=PAGE, page_token="EAAGcontractPAGEtoken", session=requests.Session(), clock=lambda: NOW
    )


def _request(_: Path) -> PublishRequest:
    draft = PostDraft("Jadwal layanan publik pekan ini: Senin–Jumat 08.00–15.00 WIB")
    return PublishRequest(f"post:1:{ACCOUNT}", ACCOUNT, draft, not_before=NOW)


def _success(env: Env) -> None:
    env.rsps.post(FEED, json=fixture("meta", "fb_publish.json")["feed"])


def _rate_limited(env: Env) -> None:
    # (#4) application request limit, with the X-App-Usage header Graph sends alongside (§2.3)
    env.rsps.post(
        FEED,
        status=400,
        json=fixture("meta", "errors.json")["4"],
        headers={"X-App-Usage": '{"call_count":100,"total_time":40,"total_cputime":12}'},
    )


def _auth_expired(env: Env) -> None:
    env.rsps.post(FEED, status=400, json=fixture("meta", "errors.json")["190_463"])


def _server_error(env: Env) -> None:
    env.rsps.post(FEED, status=503, json=fixture("meta", "errors.json")["2"])


def _timeout_after_send(env: Env) -> None:
    env.rsps.post(FEED, body=requests.exceptions.ReadTimeout("read timed out"))


CASES = [
    AdapterCase(
        name="facebook",
        factory=_factory,
        request=_request,
        expected_id="1234567890_111",
        success=_success,
        rate_limited=_rate_limited,
        auth_expired=_auth_expired,
        server_error=_server_error,
        timeout_after_send=_timeout_after_send,
    )
]
