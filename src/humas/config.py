"""Typed settings: TOML into pydantic models, with ``HUMAS_*`` environment overrides.

Secrets are written as ``"env:NAME"`` and resolved only when used (:meth:`Secret.reveal`); they are masked in
every repr. Any problem raises :class:`~humas.errors.ConfigError` naming the key path and what was expected.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from humas.errors import ConfigError, NotFound
from humas.platforms import Platform
from humas.sop.calendar import resolve_timezone
from humas.sop.duration import parse_duration
from humas.sop.registry import load_sops

SECRET_ERROR = "humas_secret"  # its input is never shown in a message
ENV_CONFIG = "HUMAS_CONFIG"
ENV_DATABASE_URL = "HUMAS_DATABASE_URL"
ENV_DATA_DIR = "HUMAS_DATA_DIR"


class Secret:
    """A secret from the config: always ``env:NAME``, resolved at use, never printed. (A literal in the config is
    refused; :class:`Secret` objects built in code may hold one, e.g. in tests of adapters.)"""

    __slots__ = ("_ref",)

    def __init__(self, ref: str) -> None:
        self._ref = ref

    @property
    def source(self) -> str:
        """Where the secret comes from, safe to show: ``env:NAME`` or ``(literal)``."""
        return self._ref if self._ref.startswith("env:") else "(literal)"

    def reveal(self, environ: Mapping[str, str] | None = None) -> str:
        if self._ref.startswith("env:"):
            name = self._ref[4:]
            value = (environ if environ is not None else os.environ).get(name)
            if not value:
                raise ConfigError(f"environment variable {name} is not set (needed for a secret in the config)")
            return value
        return self._ref

    def __repr__(self) -> str:
        return f"Secret({self.source if self._ref.startswith('env:') else '****'})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._ref == self._ref

    def __hash__(self) -> int:
        return hash(self._ref)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        def validate(value: Any) -> Secret:
            if isinstance(value, Secret):
                return value
            if not isinstance(value, str) or not value:
                raise PydanticCustomError(SECRET_ERROR, 'a secret must be a string such as "env:NAME"')
            if not value.startswith("env:"):  # never echoed: it may be the secret itself
                raise PydanticCustomError(SECRET_ERROR, 'a secret is never written into the config: put it in an '
                                          'environment variable and write "env:NAME" here')
            if not re.fullmatch(r"env:[A-Za-z_][A-Za-z0-9_]*", value):
                raise PydanticCustomError(SECRET_ERROR, 'invalid environment reference (expected "env:NAME", a '
                                          "letter or _ first, then letters, digits or _)")
            return cls(value)

        return core_schema.no_info_plain_validator_function(
            validate, serialization=core_schema.plain_serializer_function_ser_schema(lambda s: s.source)
        )


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeSettings(_Model):
    timezone: str = "Asia/Jakarta"
    working_time: bool = False
    work_days: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4])
    day_start: time = time(7, 30)
    day_end: time = time(16, 0)
    public_holidays: bool = True
    extra_holidays: list[date] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        resolve_timezone(v)
        return v

    @field_validator("work_days")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        if not v or any(d < 0 or d > 6 for d in v):
            raise ValueError("work_days must list weekday numbers 0 (Monday) to 6 (Sunday)")
        return v

    @model_validator(mode="after")
    def _hours(self) -> TimeSettings:
        if self.day_end <= self.day_start:
            raise ValueError("day_end must be later than day_start")
        return self


class QueueSettings(_Model):
    tick_seconds: float = Field(1.0, gt=0)  # longest wait before a job scheduled elsewhere is seen
    lease_seconds: int = Field(120, ge=5)
    batch: int = Field(5, ge=1, le=100)
    max_attempts: int = Field(8, ge=1)
    backoff_base_seconds: float = Field(30.0, gt=0)
    backoff_max_seconds: float = Field(3600.0, gt=0)
    in_doubt_policy: Literal["reschedule", "hold"] = "reschedule"
    #: how long after an unanswered call the platform is asked whether the post arrived (it may show up late)
    in_doubt_settle_seconds: float = Field(30.0, ge=0)


class PacingSettings(_Model):
    min_gap_seconds: int = Field(0, ge=0)
    daily_cap: int | None = Field(None, ge=1)


#: What a sandbox account can be told to fail with (humas.publisher.sandbox.failures names the same).
FailureMode = Literal["rate_limited", "server_error", "timeout_after_send", "auth_expired", "network_error"]


class SandboxFailures(_Model):
    """Failure injection for a sandbox account: first ``next`` in order, then each mode at its probability."""

    rate_limited: float = Field(0.0, ge=0, le=1)
    server_error: float = Field(0.0, ge=0, le=1)
    timeout_after_send: float = Field(0.0, ge=0, le=1)
    auth_expired: float = Field(0.0, ge=0, le=1)
    network_error: float = Field(0.0, ge=0, le=1)
    next: list[FailureMode] = Field(default_factory=list)
    seed: int | None = None

    @model_validator(mode="after")
    def _at_most_certain(self) -> SandboxFailures:
        total = self.rate_limited + self.server_error + self.timeout_after_send + self.auth_expired + self.network_error
        if total > 1:
            raise ValueError(f"the probabilities sum to {total:g}; at most 1")
        return self


# Per-account hosts that replace the platform's (a fake or a proxy); the adapters document what each one moves.
HOST_OPTIONS = ("api_base", "video_base", "upload_base", "token_url", "authorize_url")
_BASE_URL = re.compile(r"https?://[^/?#\s]+(/[^?#\s]*)?")
WORDPRESS_STATUSES = ("publish", "draft", "pending", "private")


def _wordpress_options(options: Mapping[str, Any]) -> None:
    """A WordPress account needs its site (every site differs: no default host) and the user of its application
    password; the password travels in HTTP Basic auth, so only over HTTPS (or to this machine, for a test site)."""
    base = options.get("api_base")
    if not isinstance(base, str) or not base:
        raise ValueError('a wordpress account needs options.api_base = its site root, e.g. "https://kota.go.id"')
    host = re.sub(r":\d+$", "", base.split("://", 1)[-1].split("/", 1)[0]).strip("[]").lower()
    if base.startswith("http://") and not (host in ("localhost", "::1") or host.startswith("127.")):
        raise ValueError(f"options.api_base must use https:// (the application password is sent with every "
                         f"request; got {base!r})")
    if not options.get("username"):
        raise ValueError("a wordpress account needs options.username = the WordPress user of the application "
                         "password")
    status = options.get("status", "publish")
    if status not in WORDPRESS_STATUSES:
        raise ValueError(f"options.status must be one of {', '.join(WORDPRESS_STATUSES)} (got {status!r})")


class AccountConfig(_Model):
    """One platform account. ``credentials`` hold secrets; ``options`` hold plain settings (page id, user id…)."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    platform: Platform
    label: str = ""
    imitates: Platform | None = None
    enabled: bool = True
    credentials: dict[str, Secret] = Field(default_factory=dict)
    options: dict[str, str | int | float | bool] = Field(default_factory=dict)
    pacing: PacingSettings = PacingSettings()
    latency_ms: int = Field(0, ge=0)
    failures: SandboxFailures | None = None

    @model_validator(mode="after")
    def _sandbox(self) -> AccountConfig:
        if self.platform == Platform.SANDBOX:
            if self.imitates is None or self.imitates in (Platform.SANDBOX,):
                raise ValueError("a sandbox account needs imitates = x | facebook | instagram | youtube")
        elif self.imitates is not None:
            raise ValueError("imitates is only for platform = sandbox")
        if self.failures and self.platform != Platform.SANDBOX:
            raise ValueError("failures is only for platform = sandbox")
        for key in HOST_OPTIONS:
            value = self.options.get(key)
            if value is not None and not (isinstance(value, str) and _BASE_URL.fullmatch(value)):
                raise ValueError(f"options.{key} must be an http(s) URL without query, e.g. "
                                 f"\"http://127.0.0.1:8080\" (got {value!r})")
        if self.platform == Platform.WORDPRESS:
            _wordpress_options(self.options)
        return self

    @property
    def behaves_like(self) -> Platform:
        return self.imitates or self.platform

    def __repr__(self) -> str:
        creds = ", ".join(f"{k}={v!r}" for k, v in self.credentials.items())
        return f"AccountConfig(name={self.name!r}, platform={self.platform.value!r}, credentials={{{creds}}})"


class MonitorStage(_Model):
    until: str  # post age, e.g. "1h"
    every: str  # poll interval while younger than ``until``


@dataclass(frozen=True)
class Stage:
    until: timedelta
    every: timedelta


def parse_schedule(stages: Sequence[MonitorStage]) -> list[Stage]:
    """The stages as durations; ``ConfigError`` naming the stage when one is invalid or out of order."""
    out: list[Stage] = []
    for i, st in enumerate(stages):
        try:
            until, every = parse_duration(st.until), parse_duration(st.every)
        except ValueError as exc:
            raise ConfigError(f"monitor.schedule[{i}]: {exc}") from None
        if every <= timedelta(0):
            raise ConfigError(f"monitor.schedule[{i}].every: must be longer than 0m")
        if out and until <= out[-1].until:
            raise ConfigError(f"monitor.schedule[{i}].until: stages must be in increasing order of post age")
        out.append(Stage(until, every))
    return out


class MonitorSettings(_Model):
    enabled: bool = True
    tick_seconds: float = Field(30.0, gt=0)
    schedule: list[MonitorStage] = Field(
        default_factory=lambda: [
            MonitorStage(until="1h", every="2m"),
            MonitorStage(until="1d", every="15m"),
            MonitorStage(until="7d", every="1h"),
            MonitorStage(until="30d", every="6h"),
        ]
    )
    daily_budget: dict[str, int] = Field(default_factory=lambda: {"youtube": 2000, "x": 500})
    lease_seconds: int = Field(120, ge=5)
    sandbox_simulation: bool = True
    #: comments the simulated public writes on a sandbox post on average in its first day
    sandbox_comments: float = Field(8.0, ge=0, le=100)
    #: engagement figures of a post polled for comments are read at most this often ("0m": never)
    engagement_every: str = "1h"

    @model_validator(mode="after")
    def _schedule(self) -> MonitorSettings:
        try:
            parse_schedule(self.schedule)
        except ConfigError as exc:
            raise ValueError(exc.message.removeprefix("monitor.")) from None
        try:
            parse_duration(self.engagement_every)
        except ValueError as exc:
            raise ValueError(f"engagement_every: {exc}") from None
        return self

    @property
    def engagement_interval(self) -> timedelta:
        """``engagement_every`` as a duration; zero: engagement figures are not read."""
        return parse_duration(self.engagement_every)


class SentimentSettings(_Model):
    backend: Literal["default", "transformers"] = "default"
    model: str | None = None
    threshold: float | None = Field(None, ge=0, le=1)
    abusive_words_file: Path | None = None
    auto_hide_abusive: bool = False
    batch_size: int = Field(32, ge=1)
    # the learning loop (default backend, no explicit model): retrain with corrections daily, deploy if no loss
    learning: bool = True
    retrain_at: time = time(2, 30)
    min_feedback: int = Field(20, ge=1, le=100_000)
    training_data: Path | None = None  # the shipped train/valid splits; default: $HUMAS_SENTIMENT_DATA or found

    @model_validator(mode="after")
    def _model(self) -> SentimentSettings:
        if self.backend == "transformers" and not self.model:
            raise ValueError('backend = "transformers" needs model = a local checkpoint directory')
        return self


class NotifyTarget(_Model):
    role: str
    urls: list[Secret]


class NotifySettings(_Model):
    enabled: bool = True
    admins: list[Secret] = Field(default_factory=list)
    targets: list[NotifyTarget] = Field(default_factory=list)
    daily_recap_at: time = time(16, 0)


class WebSettings(_Model):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    secret_key: Secret | None = None
    public_base_url: str | None = None
    language: Literal["id", "en"] = "id"
    meta_app_secret: Secret | None = None
    meta_verify_token: Secret | None = None
    #: addresses (or networks) of reverse proxies whose X-Forwarded-For / -Proto headers are believed; none by default
    trusted_proxies: list[str] = Field(default_factory=list)
    #: a signed-in session ends after this long without a request, and this long after sign-in in any case
    session_idle_minutes: int = Field(120, ge=5, le=7 * 24 * 60)
    session_max_hours: int = Field(12, ge=1, le=30 * 24)
    #: ``/metrics`` for a client sending ``Authorization: Bearer <token>``; unset: for loopback peers only
    metrics_token: Secret | None = None

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        import ipaddress

        for item in v:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"not an IP address or network: {item!r}") from None
        return v


class AuditSettings(_Model):
    """The register's anchor: signed checkpoints of its head, kept outside the database (docs/design.md)."""

    #: the key that signs checkpoints; default: a key generated once in ``<data_dir>/audit-anchor.key`` (0600).
    #: Several instances on one PostgreSQL database must share it (``env:NAME``).
    anchor_key: Secret | None = None
    #: where this instance keeps the latest checkpoint; default ``<data_dir>/audit-anchor.json``
    anchor_file: Path | None = None


class SecretsSettings(_Model):
    """How tokens from connecting accounts are encrypted in the database (:mod:`humas.store.secrets`)."""

    #: the encryption key (32+ characters); default: a key generated once in ``<data_dir>/secrets.key`` (0600).
    #: Several instances on one PostgreSQL database must share it (``env:NAME``).
    key: Secret | None = None
    #: keys that still decrypt while ``humas secrets rotate-key`` re-encrypts under ``key``
    previous_keys: list[Secret] = Field(default_factory=list)


class DocumentationSettings(_Model):
    """Documentation equipment and the leaders' agenda (:mod:`humas.documentation`)."""

    #: the SOP whose ``inventory_steps`` an inventory round walks and whose content chain an agenda entry opens
    sop: str = "mojokerto-prokopim"
    #: a round is due this many days after the last one finished; the first inventory role is reminded then
    inventory_every_days: int = Field(30, ge=1, le=366)
    #: readiness: a battery below this, or free memory below either figure, needs attention (perlu perhatian)
    battery_min_percent: int = Field(50, ge=0, le=100)
    memory_min_gb: float = Field(8.0, ge=0, le=100_000)
    memory_min_percent: int = Field(20, ge=0, le=100)


class Settings(_Model):
    data_dir: Path = Path("data")
    database_url: str | None = None
    default_sop: str = "mojokerto-acc"
    sop_files: list[Path] = Field(default_factory=list)
    sops: list[dict[str, Any]] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: ``text``: one readable line per record; ``json``: one JSON object per line (time, level, logger, message, …)
    log_format: Literal["text", "json"] = "text"
    time: TimeSettings = TimeSettings()
    queue: QueueSettings = QueueSettings()
    accounts: list[AccountConfig] = Field(default_factory=lambda: default_accounts())
    monitor: MonitorSettings = MonitorSettings()
    sentiment: SentimentSettings = SentimentSettings()
    notify: NotifySettings = NotifySettings()
    web: WebSettings = WebSettings()
    audit: AuditSettings = AuditSettings()
    documentation: DocumentationSettings = DocumentationSettings()
    secrets: SecretsSettings = SecretsSettings()

    @field_validator("database_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^(sqlite|postgresql\+psycopg)://", v):
            raise ValueError("expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        return v

    @field_validator("accounts")
    @classmethod
    def _unique(cls, v: list[AccountConfig]) -> list[AccountConfig]:
        names = [a.name for a in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate account name(s): {', '.join(dupes)}")
        return v

    @model_validator(mode="after")
    def _media_url(self) -> Settings:
        needs = [a.name for a in self.accounts if a.enabled and a.platform is Platform.INSTAGRAM]
        if needs and not self.web.public_base_url:
            raise ValueError(f"web.public_base_url is required for Instagram (Meta downloads media from a public "
                             f"URL); account(s): {', '.join(needs)}")
        return self

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'humas.sqlite3').resolve()}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def sandbox_db(self) -> Path:
        return self.data_dir / "sandbox.sqlite3"

    def account(self, name: str) -> AccountConfig:
        for a in self.accounts:
            if a.name == name:
                return a
        known = ", ".join(a.name for a in self.accounts) or "(none)"
        raise NotFound(f"unknown account '{name}' (configured: {known})")


def default_accounts() -> list[AccountConfig]:
    """The embedded default: four sandbox accounts, one imitating each platform."""
    spec = [
        ("sandbox-instagram", Platform.INSTAGRAM, "Instagram (sandbox)"),
        ("sandbox-facebook", Platform.FACEBOOK, "Facebook Page (sandbox)"),
        ("sandbox-youtube", Platform.YOUTUBE, "YouTube (sandbox)"),
        ("sandbox-x", Platform.X, "X (sandbox)"),
    ]
    return [
        AccountConfig(name=n, platform=Platform.SANDBOX, imitates=p, label=label, latency_ms=300)
        for n, p, label in spec
    ]


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _describe(err: Mapping[str, Any]) -> str:
    msg = str(err.get("msg", "invalid"))
    msg = msg.removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        msg = "unknown key"
    elif "input" in err and err.get("type") not in ("missing", SECRET_ERROR) \
            and not isinstance(err["input"], dict | list):
        msg += f" (got {err['input']!r})"
    return msg


def parse_settings(data: Mapping[str, Any], source: str = "config") -> Settings:
    try:
        return Settings.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"{source}: {_loc(tuple(first['loc']))}: {_describe(first)}") from None


def load_settings(path: Path | str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the config: ``path``, else ``$HUMAS_CONFIG``, else ``./humas.toml`` if present, else defaults."""
    env = os.environ if environ is None else environ
    chosen = Path(path) if path else Path(env[ENV_CONFIG]) if env.get(ENV_CONFIG) else None
    if chosen is None and Path("humas.toml").is_file():
        chosen = Path("humas.toml")
    data: dict[str, Any] = {}
    source = "defaults"
    if chosen is not None:
        source = str(chosen)
        try:
            data = tomllib.loads(chosen.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{chosen}: config file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{chosen}: invalid TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{chosen}: cannot read: {exc}") from None
        base = chosen.resolve().parent
        if "data_dir" in data and isinstance(data["data_dir"], str) and not Path(data["data_dir"]).is_absolute():
            data["data_dir"] = str(base / data["data_dir"])
    if env.get(ENV_DATA_DIR):
        data["data_dir"] = env[ENV_DATA_DIR]
    if env.get(ENV_DATABASE_URL):
        data["database_url"] = env[ENV_DATABASE_URL]
    settings = parse_settings(data, source)
    # custom SOPs are config too: fail now, before anything starts
    load_sops(settings.sop_files, settings.sops, settings.default_sop, source)
    return settings
