"""A thin Meta Graph API client (pinned to v25.0), shared by the Facebook Page and Instagram adapters.

Why our own and not pyfacebook or facebook-sdk: we need about ten endpoints, full control over error codes and a
usage-header parser that never breaks a call on a key Meta adds (``platform-apis.md`` §2.5, §6).

Every vendor error becomes a :mod:`humas.errors` exception in exactly one place, :func:`_raise_for`; transport
failures are translated in :meth:`GraphClient._send`. Nothing here sleeps: rate limits become ``RateLimited``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any, NoReturn
from urllib.parse import parse_qsl, urlsplit

import requests

from humas.errors import (
    AlreadyPublished,
    AuthExpired,
    ContentRejected,
    OutcomeUnknown,
    PlatformUnavailable,
    PublishError,
    QuotaExhausted,
    RateLimited,
    RetryLater,
)
from humas.publisher import http
from humas.publisher.http import utcnow

GRAPH_VERSION = "v25.0"
GRAPH_HOST = "https://graph.facebook.com"  # an account's ``options.api_base`` replaces it (platform-apis.md §2.6)
GRAPH_VIDEO_HOST = "https://graph-video.facebook.com"  # ``options.video_base``; defaults to ``api_base`` when set
GRAPH_URL = f"{GRAPH_HOST}/{GRAPH_VERSION}"
GRAPH_VIDEO_URL = f"{GRAPH_VIDEO_HOST}/{GRAPH_VERSION}"

Clock = Callable[[], datetime]
Files = Mapping[str, tuple[str, IO[bytes], str]]

# When Meta throttles without saying for how long (X-App-Usage has no estimate; platform limits roll over an hour).
RATE_LIMIT_BACKOFF = timedelta(minutes=15)
# IG 4/2207051 "action restricted as spam": a behavioural block, back off much longer than a throttle.
SPAM_BACKOFF = timedelta(hours=1)
MEDIA_NOT_READY_BACKOFF = timedelta(minutes=1)
DAY = timedelta(hours=24)

# IG subcodes whose documented fix is "generate a new container and try again" (platform-apis.md §3.1): -1/2207053
# unknown upload error, 24/2207008 container (media builder) not found or expired. -2/2207020 is ContainerExpired.
RECREATE_CONTAINER_SUBCODES = frozenset({2207053, 2207008})
# 25/2207050: the Instagram account is inactive, checkpointed or restricted: a person must act in the app.
IG_ACCOUNT_RESTRICTED = 2207050
# Media and content errors: this job's content is refused (back to its editor), the account is fine.
# Unlisted codes fall back to ContentRejected(rule="graph_<code>_<subcode>") anyway; these only name the rule.
CONTENT_SUBCODES: dict[int, str] = {
    2207004: "image_too_big",
    2207009: "aspect_ratio",
    2207057: "thumbnail_offset",
}
CONTENT_CODES: dict[int, str] = {
    324: "invalid_image",  # Facebook: missing or invalid image file
    36000: "image_too_big",
    36003: "aspect_ratio",
}


# Indonesian for the people who read a job's reason; Meta's own text stays before it
THROTTLED = "dibatasi platform, dicoba lagi nanti"
REJECTED = "konten ditolak platform, kembali ke editor"

def mask(secret: str) -> str:
    """``EAAB…xyz9`` style: enough to tell two tokens apart, never enough to use one."""
    if len(secret) <= 8:
        return "****"
    return f"{secret[:4]}…{secret[-4:]}"


class RecreateContainer(RetryLater):
    """The Instagram container cannot be published (unknown upload error, container gone or expired); the
    adapter forgets it and the retry creates a new one (platform-apis.md §3.1, error codes)."""


class ContainerExpired(RecreateContainer):
    """The Instagram container expired before it was published (-2/2207020); recreate it and retry."""


class MediaNotReady(RetryLater):
    """Instagram media is not ready to publish yet (9007/2207027); retried in a minute."""


# --- usage headers --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """What Meta's usage headers say (§2.3): percentages used (throttled at 100) and a wait hint in minutes."""

    app_pct: float | None = None
    buc_pct: float | None = None
    regain_minutes: float | None = None

    @property
    def max_pct(self) -> float | None:
        values = [v for v in (self.app_pct, self.buc_pct) if v is not None]
        return max(values) if values else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _json_header(headers: Mapping[str, str], name: str) -> Any:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def parse_usage(headers: Mapping[str, str]) -> Usage:
    """Parse ``X-App-Usage`` and ``X-Business-Use-Case-Usage`` tolerantly: unknown keys, odd types, bad JSON are
    ignored, never raised (pyfacebook's strict parser fails successful calls on a new key, §2.5)."""
    pct_keys = ("call_count", "total_time", "total_cputime")
    app = _json_header(headers, "X-App-Usage")
    app_pct: float | None = None
    if isinstance(app, dict):
        values = [v for v in (_number(app.get(k)) for k in pct_keys) if v is not None]
        app_pct = max(values) if values else None
    buc = _json_header(headers, "X-Business-Use-Case-Usage")
    buc_pct: float | None = None
    regain: float | None = None
    if isinstance(buc, dict):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else [entries]:
                if not isinstance(entry, dict):
                    continue
                for k in pct_keys:
                    v = _number(entry.get(k))
                    if v is not None:
                        buc_pct = v if buc_pct is None else max(buc_pct, v)
                wait = _number(entry.get("estimated_time_to_regain_access"))
                if wait is not None:
                    regain = wait if regain is None else max(regain, wait)
    return Usage(app_pct=app_pct, buc_pct=buc_pct, regain_minutes=regain)


# --- error translation ----------------------------------------------------------------------------------------


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _raise_for(
    status: int,
    body: Any,
    usage: Usage,
    now: datetime,
    *,
    platform: str,
    account: str,
    secrets: tuple[str, ...] = (),
) -> NoReturn:
    """Translate one failed Graph answer into a humas error (§2.3 codes, §3.1 IG subcodes). The only place that
    looks at Graph error codes; the adapters branch on the exception classes it raises."""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        # No Graph envelope: a proxy/CDN answer. Nothing was accepted, so retrying is safe.
        if status == 429:
            raise RateLimited(
                f"{platform}: HTTP 429", reset_at=now + RATE_LIMIT_BACKOFF, platform=platform, account=account
            )
        raise PlatformUnavailable(
            f"{platform}: HTTP {status} without a Graph error body", platform=platform, account=account
        )

    code = _int(err.get("code"))
    sub = _int(err.get("error_subcode"))
    text = str(err.get("error_user_msg") or err.get("message") or "Graph API error")
    for secret in secrets:
        if secret:
            text = text.replace(secret, mask(secret))
    trace = err.get("fbtrace_id")
    msg = f"{platform}: {text} (code {code}" + (f"/{sub}" if sub else "") + (f", fbtrace {trace})" if trace else ")")

    kw = {"platform": platform, "account": account}
    # Meta sends type "OAuthException" for content errors too (IG 36003, 24/2207008...): the type is never read,
    # only the code and subcode. Only a token (190/102) or a permission (10, 200-299) problem pauses the account.
    if code in (190, 102):
        raise AuthExpired(f"{msg}; token kedaluwarsa atau dicabut: hubungkan ulang akun ini", **kw)
    if code == 368:
        # Policy block on the account ("temporarily blocked"): more posts make it worse and only a person can
        # resolve it, so pause the whole account (AuthExpired) rather than bounce one post to its editor.
        raise AuthExpired(f"{msg}; akun diblokir sementara karena pelanggaran kebijakan, perlu tindakan admin", **kw)
    if code == 10 or (code is not None and 200 <= code <= 299):
        raise AuthExpired(f"{msg}; izin aplikasi kurang, admin harus memberi izin", **kw)
    if sub == IG_ACCOUNT_RESTRICTED:
        raise AuthExpired(f"{msg}; akun Instagram tidak aktif atau dibatasi: masuk ke aplikasi Instagram dan "
                          "selesaikan langkah yang diminta", **kw)
    if code == 506:
        raise AlreadyPublished(f"{msg}; sudah pernah diposting", **kw)
    if code == 9 and sub == 2207042:
        raise QuotaExhausted(f"{msg}; batas unggahan 24 jam tercapai", resets_at=now + DAY, **kw)
    if code == -2 and sub == 2207020:
        raise ContainerExpired(f"{msg}; container kedaluwarsa, dibuat ulang", retry_after=now, **kw)
    if sub in RECREATE_CONTAINER_SUBCODES or (code == -1 and sub not in (2207001, 2207032)):
        # "Generate a new container and use it to try again": counted retries with backoff (retry_after None)
        raise RecreateContainer(f"{msg}; container dibuat ulang pada percobaan berikutnya", platform=platform,
                                account=account)
    if code == 9007 or sub == 2207027:
        raise MediaNotReady(f"{msg}; media masih diproses platform", retry_after=now + MEDIA_NOT_READY_BACKOFF,
                            **kw)
    if code in (4, 9, 17, 32, 613, 80001, 80002) or (code is not None and 80000 <= code <= 80099):
        if sub == 2207051:
            raise RateLimited(f"{msg}; {THROTTLED}", reset_at=now + SPAM_BACKOFF, **kw)
        wait = usage.regain_minutes
        reset = now + (timedelta(minutes=wait) if wait else RATE_LIMIT_BACKOFF)
        raise RateLimited(f"{msg}; {THROTTLED}", reset_at=reset, **kw)
    if code in (1, 2) or (code == -1 and sub in (2207001, 2207032)) or status >= 500 or err.get("is_transient"):
        raise PlatformUnavailable(f"{msg}; platform sedang bermasalah, dicoba lagi", platform=platform,
                                  account=account)
    if code == -2:
        # -2/2207003: Meta could not download our public media URL in time; a later try may work.
        raise RetryLater(f"{msg}; platform belum berhasil mengunduh media, dicoba lagi", platform=platform,
                         account=account)
    if code == 1609005:
        raise ContentRejected(f"{msg}; {REJECTED}", rule="link_scrape", **kw)
    if code == 36000 or sub == 2207004:
        raise ContentRejected(f"{msg}; {REJECTED}", rule="image_too_big", **kw)
    if code == 100 and sub == 33:
        # "Unsupported get request. Object ... does not exist": the post/comment was deleted on the platform.
        raise ContentRejected(f"{msg}; {REJECTED}", rule="not_found", **kw)
    if sub is not None and sub in CONTENT_SUBCODES:
        raise ContentRejected(f"{msg}; {REJECTED}", rule=CONTENT_SUBCODES[sub], **kw)
    if code is not None and code in CONTENT_CODES:
        raise ContentRejected(f"{msg}; {REJECTED}", rule=CONTENT_CODES[code], **kw)
    if code == 100:
        raise ContentRejected(f"{msg}; {REJECTED}", rule="invalid_parameter", **kw)
    # Anything else is this job's content or request: it goes back to its editor, never pauses the account.
    raise ContentRejected(f"{msg}; {REJECTED}", rule=f"graph_{code}" + (f"_{sub}" if sub else ""), **kw)


def container_failed(status: Any, *, platform: str, account: str) -> PublishError:
    """The error for an IG container whose ``status_code`` is ``ERROR``; ``status`` names the subcode
    (``"Error: 2207053 ..."``). A "make a new container" subcode is retried with a new one, anything else is this
    content's fault."""
    text = str(status or "ERROR")
    subs = {int(m) for m in re.findall(r"\b(22070\d\d)\b", text)}
    if subs & (RECREATE_CONTAINER_SUBCODES | {2207020, 2207001, 2207032}):
        return RecreateContainer(f"Instagram: container gagal ({text}); dibuat ulang pada percobaan berikutnya",
                                 platform=platform, account=account)
    rule = next((CONTENT_SUBCODES[s] for s in sorted(subs) if s in CONTENT_SUBCODES), "container_error")
    return ContentRejected(f"Instagram menolak media: {text}", rule=rule, platform=platform, account=account)


# --- transport ------------------------------------------------------------------------------------------------


def graph_urls(api_base: str | None = None, video_base: str | None = None) -> tuple[str, str]:
    """The versioned Graph and Graph-video URLs for an account's hosts (``options.api_base`` / ``video_base``).

    Defaults are Meta's hosts; a custom ``api_base`` alone moves both (a fake Graph serves videos too)."""
    api = (api_base or GRAPH_HOST).rstrip("/")
    video = (video_base or (api_base if api_base else GRAPH_VIDEO_HOST)).rstrip("/")
    return f"{api}/{GRAPH_VERSION}", f"{video}/{GRAPH_VERSION}"


class GraphClient:
    """One access token against ``graph.facebook.com/v25.0`` (or the account's ``api_base``). Returns decoded JSON
    objects; raises humas errors.

    The token travels in an ``Authorization: Bearer`` header (Graph accepts it like the ``access_token``
    parameter, and it keeps the token out of URLs, which urllib3 logs at DEBUG and requests puts in exception
    messages); ``appsecret_proof`` = HMAC-SHA256(app secret, token) is sent as a parameter when an app secret is
    configured. The token never appears in messages or ``repr``.
    """

    def __init__(
        self,
        access_token: str,
        *,
        platform: str,
        account: str,
        app_secret: str | None = None,
        session: requests.Session | None = None,
        clock: Clock = utcnow,
        timeout: float = 30,
        base_url: str = GRAPH_URL,
        video_url: str = GRAPH_VIDEO_URL,
    ) -> None:
        self._token = access_token
        self._proof = (
            hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest() if app_secret else None
        )
        self._secrets = tuple(s for s in (access_token, app_secret) if s)
        self.platform = platform
        self.account = account
        self.session = session or requests.Session()
        self.clock = clock
        self.timeout = timeout
        self.base_url = base_url.rstrip("/")
        self.video_url = video_url.rstrip("/")
        self.last_usage = Usage()
        self.calls = 0

    def __repr__(self) -> str:
        return f"GraphClient(platform={self.platform!r}, account={self.account!r}, token={mask(self._token)!r})"

    def _proof_param(self) -> dict[str, str]:
        return {"appsecret_proof": self._proof} if self._proof else {}

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self._send("GET", f"{self.base_url}/{path.lstrip('/')}", params=dict(params or {}))

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint on this client's Graph host (token exchange and long-lived tokens)."""
        return f"{self.base_url}/oauth/access_token"

    def get_url(self, url: str) -> dict[str, Any]:
        """Follow a ``paging.next`` URL. Meta embeds the token in it: it is dropped (ours goes in the header).

        Only our Graph host is followed (any ``*.facebook.com`` over HTTPS for Meta's own): the token is sent
        along, so a paging URL pointing elsewhere is refused."""
        parts = urlsplit(url)
        base = urlsplit(self.base_url)
        ours = (parts.scheme, parts.netloc) == (base.scheme, base.netloc)
        meta = base.netloc.endswith("facebook.com") and parts.scheme == "https" and (
            parts.netloc == "facebook.com" or parts.netloc.endswith(".facebook.com"))
        if not (ours or meta):
            raise PlatformUnavailable(
                f"{self.platform}: unexpected paging URL host", platform=self.platform, account=self.account
            )
        params = {k: v for k, v in parse_qsl(parts.query) if k not in ("access_token", "appsecret_proof")}
        return self._send("GET", f"{parts.scheme}://{parts.netloc}{parts.path}", params=params)

    def post(
        self, path: str, data: Mapping[str, Any] | None = None, *, files: Files | None = None, video: bool = False
    ) -> dict[str, Any]:
        base = self.video_url if video else self.base_url
        return self._send("POST", f"{base}/{path.lstrip('/')}", data=dict(data or {}), files=files)

    def pages(self, path: str, params: Mapping[str, Any], max_pages: int) -> Iterator[dict[str, Any]]:
        """Yield up to ``max_pages`` pages of an edge, following ``paging.next``."""
        page = self.get(path, params)
        for n in range(max_pages):
            yield page
            nxt = (page.get("paging") or {}).get("next")
            if not nxt or n + 1 >= max_pages:
                return
            page = self.get_url(str(nxt))

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        files: Files | None = None,
    ) -> dict[str, Any]:
        where = f"{method} {urlsplit(url).path}"
        if method == "GET":
            params = {**(params or {}), **self._proof_param()}
        else:
            data = {**(data or {}), **self._proof_param()}
        self.calls += 1
        try:
            resp = http.request(
                self.session,
                method,
                url,
                timeout=self.timeout,
                params=params,
                data=data,
                files=files,
                headers={"Authorization": f"Bearer {self._token}"},
                platform=self.platform,
                account=self.account,
            )
        except PublishError as exc:
            # Belt and braces: mask any secret a vendor message might echo in the chained cause.
            cause = exc.__cause__
            raise exc from (_scrubbed(cause, self._secrets) if cause is not None else None)
        self.last_usage = parse_usage(resp.headers)
        try:
            body: Any = resp.json()
        except ValueError:
            body = None
        if resp.status_code >= 400 or (isinstance(body, dict) and "error" in body):
            _raise_for(
                resp.status_code,
                body,
                self.last_usage,
                self.clock(),
                platform=self.platform,
                account=self.account,
                secrets=self._secrets,
            )
        if body is True:  # some edges answer a bare ``true``
            return {"success": True}
        if not isinstance(body, dict):
            # A 2xx that is not Graph JSON (a proxy page?): a write may still have gone through.
            err = PlatformUnavailable if method == "GET" else OutcomeUnknown
            raise err(f"{self.platform}: unexpected answer to {where}", platform=self.platform, account=self.account)
        return body


def _scrubbed(exc: BaseException, secrets: tuple[str, ...]) -> BaseException:
    """The cause we chain, with any secret in its text masked (requests puts full URLs in its messages)."""
    text = str(exc)
    if not any(s in text for s in secrets):
        return exc
    for s in secrets:
        text = text.replace(s, mask(s))
    try:
        return type(exc)(text)
    except Exception:  # an exception type that wants other arguments
        return RuntimeError(f"{type(exc).__name__}: {text}")


def parse_time(value: Any) -> datetime | None:
    """Graph timestamps: ``2026-11-20T10:00:00+0000``."""
    if not isinstance(value, str):
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(value, fmt).astimezone(UTC)
        except ValueError:
            continue
    return None


def normalise(text: str) -> str:
    """Whitespace-insensitive text for matching our own post among recent ones."""
    return " ".join(text.split())
