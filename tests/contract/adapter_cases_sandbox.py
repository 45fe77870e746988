"""The sandbox adapter under the adapter contract, once per platform it imitates.

The sandbox's "platform" is a :class:`SandboxPlatform` SQLite file in the test's folder, shared by every adapter the
factory builds in one test. Failures are scripted on the platform side (``script_failures``), as a test or an
operator would for a daemon. Each platform call is counted through the adapter's own latency hook: with
``latency_ms`` set, the adapter sleeps (through the injected ``sleep``) on every call that reaches the platform.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from humas.publisher.base import MediaFile, Platform, PlatformAdapter, PostDraft, PublishRequest
from tests.contract.test_adapters_common import NOW, AdapterCase, Env

ACCOUNT = "contract-sandbox"
DB = "sandbox-platform.sqlite3"

# the first post on a fresh platform, in the imitated platform's id format
EXPECTED_IDS = {
    Platform.X: "1880000000004194304",
    Platform.FACEBOOK: "119677036334212_122100000000017",
    Platform.INSTAGRAM: "17900000000000007",
    Platform.YOUTUBE: "ptpaXF21eUe",
}



def _factory(imitates: Platform, env: Env) -> PlatformAdapter:
    from humas.publisher.sandbox import SandboxAdapter

    adapter = SandboxAdapter(
        ACCOUNT,
        imitates=imitates,
        db_path=env.tmp_path / DB,
        latency_ms=1,
        sleep=lambda _s: env.platform_calls.append(f"sandbox-{imitates.value}"),
        clock=lambda: NOW,
    )
    env.cleanup.callback(adapter.close)
    return adapter


def _request(imitates: Platform, folder: Path) -> PublishRequest:
    media: tuple[MediaFile, ...] = ()
    title = ""
    if imitates is Platform.INSTAGRAM:
        path = folder / "poster.jpg"
        path.write_bytes(b"\xff\xd8\xff\xe0contract")
        media = (MediaFile(path, sha256="c0ffee", mime="image/jpeg", size=1_000, width=1080, height=1350),)
    elif imitates is Platform.YOUTUBE:
        path = folder / "rapat.mp4"
        path.write_bytes(b"\0" * 1_000)
        media = (MediaFile(path, sha256="c0ffee", mime="video/mp4", size=1_000),)
        title = "Rapat Paripurna"
    draft = PostDraft("Jadwal layanan publik pekan ini #PemkotBandung", title=title, media=media)
    return PublishRequest(f"post:1:{ACCOUNT}", ACCOUNT, draft, not_before=NOW)


def _nothing(env: Env) -> None:
    """A fresh platform accepts the post."""


def _script(mode: str, env: Env) -> None:
    from humas.publisher.sandbox import SandboxPlatform

    platform = SandboxPlatform(env.tmp_path / DB, clock=lambda: NOW)
    try:
        platform.script_failures(ACCOUNT, [mode])
    finally:
        platform.close()


CASES = [
    AdapterCase(
        name="sandbox",
        variant=imitates.value,
        factory=partial(_factory, imitates),
        request=partial(_request, imitates),
        expected_id=EXPECTED_IDS[imitates],
        success=_nothing,
        rate_limited=partial(_script, "rate_limited"),
        auth_expired=partial(_script, "auth_expired"),
        server_error=partial(_script, "server_error"),
        timeout_after_send=partial(_script, "timeout_after_send"),
    )
    for imitates in (Platform.X, Platform.FACEBOOK, Platform.INSTAGRAM, Platform.YOUTUBE)
]
