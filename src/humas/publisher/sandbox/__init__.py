"""The embedded default platform: a local imitation of X, Facebook, Instagram or YouTube.

- :mod:`.server`: :class:`SandboxPlatform`, the "platform server", with posts, comments, counters and scripted
  failures in its own SQLite file (a post it accepted survives even when humas's transaction did not commit).
- :mod:`.imitation`: the imitated platforms' duplicate and quota rules, id formats and URLs.
- :mod:`.failures`: :class:`FailurePlan` and the one function that turns an injected failure into humas's error.
- :mod:`.public`: the simulated public, sample comments arriving on posts (:func:`simulate`).
- :mod:`.adapter`: :class:`SandboxAdapter`, the :class:`PlatformAdapter` over it.
"""

from __future__ import annotations

from humas.publisher.sandbox.adapter import FIND_WINDOW, SandboxAdapter
from humas.publisher.sandbox.failures import FAILURE_MODES, FailurePlan, raise_for
from humas.publisher.sandbox.imitation import DAY, SANDBOX_HOST, PlatformRules, rules_for
from humas.publisher.sandbox.public import COMMENT_KINDS, SampleComment, load_sample_comments, simulate
from humas.publisher.sandbox.server import (
    PAGE_SIZE,
    PublicSession,
    SandboxComment,
    SandboxPlatform,
    SandboxPost,
    SimulatedPost,
)

__all__ = [
    "COMMENT_KINDS",
    "DAY",
    "FAILURE_MODES",
    "FIND_WINDOW",
    "PAGE_SIZE",
    "SANDBOX_HOST",
    "FailurePlan",
    "PlatformRules",
    "PublicSession",
    "SampleComment",
    "SandboxAdapter",
    "SandboxComment",
    "SandboxPlatform",
    "SandboxPost",
    "SimulatedPost",
    "load_sample_comments",
    "raise_for",
    "rules_for",
    "simulate",
]
