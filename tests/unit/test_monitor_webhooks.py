"""Meta webhook payloads and signatures, without a server or a database."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from humas.errors import InvalidInput
from humas.monitor.webhooks import MetaEvent, parse_delivery, parse_events, signature, signature_ok

SECRET = "app-secret"


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"object":"page"}'
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert signature(SECRET, body) == expected
    assert signature_ok(SECRET, body, expected)
    assert signature_ok(SECRET, body, f"  {expected} ")
    assert not signature_ok(SECRET, body + b" ", expected)
    assert not signature_ok(SECRET, body, None)
    assert not signature_ok(SECRET, body, "")
    assert not signature_ok(SECRET, body, expected.replace("sha256=", "sha1="))
    assert not signature_ok(SECRET, body, "sha256=ünïcode")


def test_page_feed_comment_events() -> None:
    payload = {"object": "page", "entry": [{"id": "1234567890", "time": 1790000000, "changes": [
        {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "1234567890111_24680",
                                    "post_id": "1234567890_111", "parent_id": "1234567890_111",
                                    "from": {"id": "5550001", "name": "Siti"}, "message": "Kapan pendaftaran dibuka?",
                                    "created_time": 1790000000}},
        {"field": "feed", "value": {"item": "comment", "verb": "add", "comment_id": "1234567890111_24681",
                                    "post_id": "1234567890_111", "parent_id": "1234567890111_24680",
                                    "from": {"id": "5550002", "name": "Budi"}, "message": "Sama pertanyaannya"}},
        {"field": "feed", "value": {"item": "reaction", "verb": "add", "post_id": "1234567890_111"}},
        {"field": "feed", "value": {"item": "comment", "verb": "block", "comment_id": "x", "post_id": "y"}},
        {"field": "mention", "value": {}},
    ]}]}
    first, reply = parse_events(payload)
    assert first == MetaEvent("facebook", "1234567890", "add", "1234567890111_24680", "1234567890_111", None,
                              "5550001", "Siti", "Kapan pendaftaran dibuka?", datetime.fromtimestamp(1790000000, UTC))
    assert reply.parent_id == "1234567890111_24680" and reply.created_at is None


def test_instagram_comment_events() -> None:
    payload = {"object": "instagram", "entry": [{"id": "17841400000000000", "time": 1790000000, "changes": [
        {"field": "comments", "value": {"id": "17919697626119712", "text": "Info lowongan?",
                                        "from": {"id": "2105722729836161", "username": "warga_bdg"},
                                        "media": {"id": "18172143295349192", "media_product_type": "FEED"},
                                        "parent_id": "17900000000000000"}}]}]}
    [ev] = parse_events(payload)
    assert (ev.kind, ev.owner_id, ev.comment_id, ev.post_id, ev.parent_id, ev.from_name, ev.text) == (
        "instagram", "17841400000000000", "17919697626119712", "18172143295349192", "17900000000000000",
        "warga_bdg", "Info lowongan?")


def test_malformed_payloads_give_no_events() -> None:
    payload: object
    for payload in (None, [], "x", {"object": "page", "entry": "x"}, {"object": "page", "entry": [1, {"changes": [
            {"field": "feed", "value": "nope"}, "x"]}]}, {"object": "instagram", "entry": [{"changes": [
            {"field": "comments", "value": {"id": "1"}}]}]}):
        assert parse_events(payload) == []


def test_payloads_of_unexpected_types_give_no_events() -> None:
    payload: object
    for payload in ({"object": "page", "entry": 5}, {"object": "page", "entry": {"id": "1"}},
                    {"object": "page", "entry": [{"id": "1", "changes": 7}]},
                    {"object": "page", "entry": [{"id": "1", "changes": {"field": "feed"}}]},
                    {"object": "page", "entry": [{"changes": [{"field": "feed", "value": {
                        "item": "comment", "verb": ["add"], "comment_id": "1", "post_id": "2"}}]}]}):
        assert parse_events(payload) == [], payload


def test_values_out_of_range_or_unstorable_are_tamed() -> None:
    value = {"item": "comment", "verb": "add", "comment_id": "c\x001", "post_id": "p1", "message": "a\x00b\udc80",
             "from": {"id": 5550001, "name": ["Siti"]}, "created_time": float("inf")}
    [ev] = parse_events({"object": "page", "entry": [{"id": "1", "changes": [{"field": "feed", "value": value}]}]})
    assert (ev.comment_id, ev.text, ev.from_id, ev.from_name, ev.created_at) == ("c1", "ab?", "5550001", "['Siti']",
                                                                                 None)
    for t in (10**30, -(10**30), float("nan")):
        value["created_time"] = t
        assert parse_events({"object": "page", "entry": [{"id": "1", "changes": [
            {"field": "feed", "value": value}]}]})[0].created_at is None


def test_parse_delivery_reads_utf8_json() -> None:
    body = json.dumps({"object": "instagram", "entry": [{"id": "9", "changes": [{"field": "comments", "value": {
        "id": "c1", "text": "Terima kasih 🙏", "media": {"id": "m1"}}}]}]}, ensure_ascii=False).encode("utf-8")
    [ev] = parse_delivery(body)
    assert (ev.comment_id, ev.post_id, ev.text) == ("c1", "m1", "Terima kasih 🙏")


@pytest.mark.parametrize(("body", "reason"), [
    (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
    (b'{"a": ' * 5000 + b"1" + b"}" * 5000, "nested too deeply"),
    (b"\xff\xfe\x00\x01garbage", "not UTF-8"),
    ('{"object": "page", "x": "café"}'.encode("latin-1"), "not UTF-8"),
    ('{"object": "page"}'.encode("utf-16"), "not UTF-8"),
    (b"not json", "not JSON"),
    (b"", "not JSON"),
    (b'{"n": ' + b"1" * 5000 + b"}", "not JSON"),
])
def test_parse_delivery_refuses_what_it_cannot_understand(body: bytes, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_delivery(body)
    assert caught.value.message == f"invalid payload: {reason}"
