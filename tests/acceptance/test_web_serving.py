"""``humas web`` and ``humas run`` as a user starts them: the access log is on, it never holds the Meta verify token,
and the client address in it is the TCP peer's unless the peer is a configured trusted proxy."""

from __future__ import annotations

import re
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.acceptance.cli import Humas

VERIFY = "verify-token-acc-51c0e8"
FORWARDED = "203.0.113.9"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.parametrize("command", ["web", "run"])
@pytest.mark.parametrize("trusted", [None, "127.0.0.1"], ids=["default", "trusted-proxy"])
def test_access_log_without_secrets_and_proxy_headers_only_when_trusted(tmp_path: Path, command: str,
                                                                         trusted: str | None) -> None:
    port = free_port()
    cfg = tmp_path / "humas.toml"
    proxies = f'trusted_proxies = ["{trusted}"]\n' if trusted else ""
    cfg.write_text(f'data_dir = "data"\n[monitor]\nenabled = false\n[web]\nport = {port}\n'
                   f'meta_verify_token = "env:HUMAS_TEST_VERIFY_TOKEN"\n{proxies}', encoding="utf-8")
    h = Humas(tmp_path, config=cfg, HUMAS_TEST_VERIFY_TOKEN=VERIFY)
    h("init")
    proc = h.popen(command)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, trust_env=False, timeout=2) as http:
            for _ in range(300):
                try:
                    http.get("/healthz")
                    break
                except httpx.TransportError:
                    assert proc.poll() is None, proc.communicate()[0]
                    time.sleep(0.1)
            r = http.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.challenge": "4242",
                                                    "hub.verify_token": VERIFY},
                         headers={"X-Forwarded-For": FORWARDED})
            assert r.status_code == 200 and r.text == "4242"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert VERIFY not in out
    client = re.escape(FORWARDED) if trusted else r"127\.0\.0\.1"
    line = (client + r':\d+ - "GET /webhooks/meta\?hub\.mode=subscribe&hub\.challenge=4242&hub\.verify_token=\*\*\* '
            r'HTTP/1\.1" 200')
    assert re.search(r"\d\d:\d\d:\d\d,\d+ INFO +uvicorn\.access: " + line, out), out  # humas's format: time stamped
    if not trusted:
        assert FORWARDED not in out
