"""The adapter contract, run against every platform adapter (style.md guideline 12).

Each platform is one :class:`AdapterCase`: a factory, a publish request, and one *scenario* per outcome that sets up
what the platform answers. A scenario receives the test's :class:`Env`: HTTP adapters stub ``env.rsps`` (a
``responses.RequestsMock``) with recorded responses; adapters whose platform is not reached through ``requests`` (the
sandbox's SQLite "platform") arrange it in ``env.tmp_path`` and record their platform calls in
``env.platform_calls``. Add a platform by appending to ``ADAPTER_CASES`` below, or by dropping a module
``adapter_cases_<platform>.py`` next to this file that defines ``CASES: list[AdapterCase]``
(``from tests.contract.test_adapters_common import AdapterCase, Env``); such modules are loaded automatically.

A contract test an adapter is known to fail is listed in its case's ``known_failures`` (test name -> reason) and runs
as ``xfail(strict=True)``: once the adapter is fixed the test XPASSes, which fails the run until the entry is removed.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from humas.errors import AuthExpired, OutcomeUnknown, PlatformUnavailable, PublishError, RetryLater
from humas.publisher.base import DictCheckpoint, MediaFile, PlatformAdapter, PostDraft, PublishRequest

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
FIXTURES = Path(__file__).parent.parent / "unit" / "fixtures"


@dataclass
class Env:
    """One test's world, shared by a case's factory and its scenario."""

    rsps: responses.RequestsMock  # HTTP stubs; every stub registered must be called
    tmp_path: Path  # scratch folder (media files, a sandbox platform's database)
    monkeypatch: pytest.MonkeyPatch  # for third-party modules only; humas internals are never patched
    cleanup: ExitStack  # closed after the test (adapters holding connections)
    platform_calls: list[str] = field(default_factory=list)  # calls to a platform not reached through requests

    @property
    def calls(self) -> int:
        """Every call that reached the platform, over HTTP or otherwise."""
        return len(self.rsps.calls) + len(self.platform_calls)

    def reset(self) -> None:
        """Forget the stubs and the calls made so far."""
        self.rsps.reset()
        self.platform_calls.clear()


Scenario = Callable[[Env], None]


@dataclass(frozen=True)
class AdapterCase:
    """One adapter under the contract. Every scenario covers exactly one ``publish(request(tmp_path), empty ckpt)``."""

    name: str  # the adapter's ``platform`` value
    factory: Callable[[Env], PlatformAdapter]  # clock fixed at NOW; may be called several times in one test
    request: Callable[[Path], PublishRequest]  # may write media files under the given folder
    expected_id: str  # remote_id after ``success``
    success: Scenario
    rate_limited: Scenario  # -> RetryLater (RateLimited / QuotaExhausted) with a retry time
    auth_expired: Scenario  # -> AuthExpired
    server_error: Scenario  # -> PlatformUnavailable
    timeout_after_send: Scenario  # the irreversible call times out -> OutcomeUnknown
    needs: tuple[str, ...] = ()  # importable modules the case needs (skipped without them)
    variant: str = ""  # tells apart cases of one adapter (the sandbox's imitated platforms) in test ids
    # contract test name -> why this adapter fails it; run as xfail(strict=True)
    known_failures: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def id(self) -> str:
        return f"{self.name}-{self.variant}" if self.variant else self.name


def fixture(platform: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / platform / name).read_text())
    return data


# --- X ---------------------------------------------------------------------------------------------------------------

X_TWEETS = "https://api.twitter.com/2/tweets"


def _x_factory(_: Env) -> PlatformAdapter:
    from humas.publisher.x import XAdapter

    return XAdapter(
        "contract-x",
        consumer_key="ck",
        consumer_secret="cs",
        access_token="at",
        access_token_secret="ats",
        session=requests.Session(),
        clock=lambda: NOW,
    )


def _x_request(_: Path) -> PublishRequest:
    return PublishRequest(
        "post:1:contract-x", "contract-x", PostDraft("Jadwal layanan publik pekan ini 👇"), not_before=NOW
    )


X_CASE = AdapterCase(
    name="x",
    factory=_x_factory,
    request=_x_request,
    expected_id="2123702910448566337",
    success=lambda e: e.rsps.post(X_TWEETS, status=201, json=fixture("x", "create_tweet.json")),
    rate_limited=lambda e: e.rsps.post(
        X_TWEETS,
        status=429,
        json=fixture("x", "error_too_many_429.json"),
        headers={
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int((NOW + timedelta(minutes=15)).timestamp())),
        },
    ),
    auth_expired=lambda e: e.rsps.post(X_TWEETS, status=401, json=fixture("x", "error_unauthorized_401.json")),
    server_error=lambda e: e.rsps.post(X_TWEETS, status=503, json=fixture("x", "error_service_unavailable_503.json")),
    timeout_after_send=lambda e: e.rsps.post(X_TWEETS, body=requests.exceptions.ReadTimeout("read timed out")),
    needs=("twitter_text",),  # validate() counts weighted characters
)

# --- YouTube ---------------------------------------------------------------------------------------------------------

YT_TOKEN = "https://oauth2.googleapis.com/token"
YT_UPLOAD = "https://www.googleapis.com/upload/youtube/v3/videos"
YT_SESSION = f"{YT_UPLOAD}?uploadType=resumable&upload_id=contract1&part=snippet,status"


def _yt_factory(_: Env) -> PlatformAdapter:
    from humas.publisher.youtube import YouTubeAdapter

    return YouTubeAdapter(
        "contract-yt",
        client_id="cid",
        client_secret="csec",
        refresh_token="rt",
        channel_id="UCabc",
        session=requests.Session(),
        clock=lambda: NOW,
        chunk_size=262_144,
    )


def _yt_request(folder: Path) -> PublishRequest:
    path = folder / "contract.mp4"
    path.write_bytes(b"\0" * 100_000)
    video = MediaFile(path, sha256="contract", mime="video/mp4", size=100_000)
    return PublishRequest(
        "post:1:contract-yt", "contract-yt", PostDraft("Rapat Paripurna", media=(video,)), not_before=NOW
    )


def _yt_started(env: Env) -> None:
    r = env.rsps
    r.post(YT_TOKEN, json=fixture("youtube", "token.json"))
    r.post(YT_UPLOAD, status=200, headers={"Location": YT_SESSION})


def _yt_success(env: Env) -> None:
    r = env.rsps
    _yt_started(env)
    r.put(YT_SESSION, status=201, json=fixture("youtube", "video_resource.json"))


def _yt_rate_limited(env: Env) -> None:
    r = env.rsps
    r.post(YT_TOKEN, json=fixture("youtube", "token.json"))
    r.post(YT_UPLOAD, status=403, json=fixture("youtube", "error_quota_exceeded.json"))


def _yt_auth_expired(env: Env) -> None:
    r = env.rsps
    r.post(YT_TOKEN, status=400, json=fixture("youtube", "token_invalid_grant.json"))


def _yt_server_error(env: Env) -> None:
    r = env.rsps
    r.post(YT_TOKEN, json=fixture("youtube", "token.json"))
    r.post(YT_UPLOAD, status=503, json=fixture("youtube", "error_backend_503.json"))


def _yt_timeout_after_send(env: Env) -> None:
    r = env.rsps
    _yt_started(env)
    # the last chunk and the status query after it both time out
    r.put(YT_SESSION, body=requests.exceptions.ReadTimeout("read timed out"))


YOUTUBE_CASE = AdapterCase(
    name="youtube",
    factory=_yt_factory,
    request=_yt_request,
    expected_id="dQw4w9WgXcQ",
    success=_yt_success,
    rate_limited=_yt_rate_limited,
    auth_expired=_yt_auth_expired,
    server_error=_yt_server_error,
    timeout_after_send=_yt_timeout_after_send,
)

ADAPTER_CASES: list[AdapterCase] = [X_CASE, YOUTUBE_CASE]


def _plugin_cases() -> list[AdapterCase]:
    """``CASES`` from every ``adapter_cases_*.py`` beside this file."""
    found: list[AdapterCase] = []
    for path in sorted(Path(__file__).parent.glob("adapter_cases_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.extend(module.CASES)
    return found


ADAPTER_CASES.extend(_plugin_cases())


# --- the contract ----------------------------------------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every contract test runs once per case; a case's ``known_failures`` become strict xfails."""
    if "case" not in metafunc.fixturenames:
        return
    tests = {name for name in vars(metafunc.module) if name.startswith("test_")}
    params = []
    for c in ADAPTER_CASES:
        unknown = sorted(set(c.known_failures) - tests)
        if unknown:
            raise ValueError(f"{c.id}: known_failures names no contract test: {unknown}")
        reason = c.known_failures.get(metafunc.function.__name__)
        marks = [pytest.mark.xfail(strict=True, reason=f"{c.id}: {reason}")] if reason else []
        params.append(pytest.param(c, id=c.id, marks=marks))
    metafunc.parametrize("case", params, indirect=True)


@pytest.fixture
def case(request: pytest.FixtureRequest) -> AdapterCase:
    c: AdapterCase = request.param
    for module in c.needs:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            pytest.skip(f"{c.name}: {module} not importable ({exc})")
    return c


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    with ExitStack() as cleanup, responses.RequestsMock(assert_all_requests_are_fired=True) as r:
        yield Env(r, tmp_path, monkeypatch, cleanup)


def _publish_error(case: AdapterCase, scenario: Scenario, env: Env) -> PublishError:
    scenario(env)
    with pytest.raises(PublishError) as ei:
        case.factory(env).publish(case.request(env.tmp_path), DictCheckpoint())
    err = ei.value
    assert err.platform == case.name
    assert err.account
    return err


def test_is_a_platform_adapter(case: AdapterCase, env: Env) -> None:
    adapter = case.factory(env)
    assert isinstance(adapter, PlatformAdapter)
    assert adapter.platform == case.name
    assert adapter.limits is not None


def test_validate_accepts_the_contract_draft(case: AdapterCase, env: Env) -> None:
    assert case.factory(env).validate(case.request(env.tmp_path).draft) == []


def test_publish_success_returns_the_remote_id(case: AdapterCase, env: Env) -> None:
    case.success(env)
    result = case.factory(env).publish(case.request(env.tmp_path), DictCheckpoint())
    assert result.remote_id == case.expected_id
    assert result.remote_url


def test_publish_success_is_checkpointed(case: AdapterCase, env: Env) -> None:
    case.success(env)
    req = case.request(env.tmp_path)
    ckpt = DictCheckpoint()
    result = case.factory(env).publish(req, ckpt)
    assert result.remote_id == case.expected_id
    assert result.remote_url
    # the same job again (a retry, or the reconcile step) must not touch the platform: nothing is stubbed now
    env.reset()
    assert case.factory(env).publish(req, ckpt).remote_id == case.expected_id
    found = case.factory(env).find_published(req, ckpt)
    assert found is not None and found.remote_id == case.expected_id
    assert env.calls == 0


def test_rate_limit_is_retried_at_a_known_time(case: AdapterCase, env: Env) -> None:
    err = _publish_error(case, case.rate_limited, env)
    assert isinstance(err, RetryLater)
    assert err.retry_after is not None and err.retry_after > NOW


def test_expired_credentials_pause_the_account(case: AdapterCase, env: Env) -> None:
    assert isinstance(_publish_error(case, case.auth_expired, env), AuthExpired)


def test_server_error_is_retried(case: AdapterCase, env: Env) -> None:
    err = _publish_error(case, case.server_error, env)
    assert isinstance(err, PlatformUnavailable)
    assert not isinstance(err, OutcomeUnknown)


def test_timeout_after_send_is_in_doubt(case: AdapterCase, env: Env) -> None:
    err = _publish_error(case, case.timeout_after_send, env)
    assert isinstance(err, OutcomeUnknown)
    assert err.__cause__ is not None  # the vendor exception is kept for the logs
