"""Injected failures: which ones exist, the plan that draws them, and the one place that raises humas's error."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NoReturn

from humas.errors import (
    AuthExpired,
    ConfigError,
    NetworkError,
    OutcomeUnknown,
    PlatformUnavailable,
    RateLimited,
)
from humas.publisher.base import Platform

FAILURE_MODES = ("rate_limited", "server_error", "timeout_after_send", "auth_expired", "network_error")
_SANDBOX = Platform.SANDBOX.value


@dataclass
class FailurePlan:
    """Failures a :class:`SandboxAdapter` injects into ``publish``: first ``next`` in order, then at random.

    Probabilities are per publish call. ``timeout_after_send`` stores the post and then raises ``OutcomeUnknown``
    (what ``find_published`` must resolve); the other modes fail before anything is stored. To script failures
    for a daemon in another process use :meth:`SandboxPlatform.script_failures`, which the adapter consults first.
    """

    rate_limited: float = 0.0
    server_error: float = 0.0
    timeout_after_send: float = 0.0
    auth_expired: float = 0.0
    network_error: float = 0.0
    next: list[str] = field(default_factory=list)
    seed: int | None = None
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = [m for m in self.next if m not in FAILURE_MODES]
        if unknown:
            raise ConfigError(f"sandbox failures: unknown mode(s) {unknown}; known: {', '.join(FAILURE_MODES)}")
        probs = [self._probability(m) for m in FAILURE_MODES]
        if any(p < 0 for p in probs) or sum(probs) > 1:
            raise ConfigError("sandbox failures: probabilities must be >= 0 and sum to at most 1")
        self._rng = random.Random(self.seed)

    def _probability(self, mode: str) -> float:
        return float(getattr(self, mode))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FailurePlan:
        """From settings such as ``{"rate_limited": 0.1, "server_error": 0.05, "seed": 1}``."""
        unknown = sorted(set(config) - {*FAILURE_MODES, "next", "seed"})
        if unknown:
            raise ConfigError(f"sandbox failures: unknown key(s) {unknown}")
        try:
            probs = {m: float(config[m]) for m in FAILURE_MODES if m in config}
            seed = None if config.get("seed") is None else int(config["seed"])
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"sandbox failures: {exc}") from exc
        return cls(**probs, next=[str(m) for m in config.get("next", [])], seed=seed)

    def draw(self) -> str | None:
        """The failure for the next publish call, or None to let it succeed."""
        if self.next:
            return self.next.pop(0)
        u, acc = self._rng.random(), 0.0
        for mode in FAILURE_MODES:
            acc += self._probability(mode)
            if u < acc:
                return mode
        return None


def raise_for(mode: str, *, account: str, clock: Callable[[], datetime]) -> NoReturn:
    """The one place that turns an injected failure into humas's error (``clock`` dates a rate limit's reset)."""
    if mode == "rate_limited":
        reset_at = clock() + timedelta(seconds=60)
        raise RateLimited("sandbox: rate limit reached (injected)", reset_at=reset_at, platform=_SANDBOX,
                          account=account)
    if mode == "server_error":
        raise PlatformUnavailable("sandbox: 503 Service Unavailable (injected)", platform=_SANDBOX, account=account)
    if mode == "network_error":
        raise NetworkError("sandbox: connection refused (injected)", platform=_SANDBOX, account=account)
    if mode == "auth_expired":
        raise AuthExpired("sandbox: access token expired (injected)", platform=_SANDBOX, account=account)
    if mode == "timeout_after_send":
        raise OutcomeUnknown("sandbox: sent, no answer before the timeout (injected)", platform=_SANDBOX,
                             account=account) from TimeoutError("sandbox: read timed out (injected)")
    raise ConfigError(f"sandbox: unknown failure mode {mode!r}")
