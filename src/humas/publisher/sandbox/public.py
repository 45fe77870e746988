"""The simulated public: sample comments from ``sandbox_comments.toml`` arriving on sandbox posts.

A post's comments arrive at a rate ~ 1 / (1 + age / 2 min) during its first day (a Poisson count per interval,
arrival times spread by the same hyperbolic decay), so a newcomer sees the first comment within a few minutes. The
default is calm on purpose (issue 15: 30 a post a day gave a new office 28 cases in 25 minutes): about 8 comments a
post a day, three of them in the first 25 minutes, one in five a complaint.
"""

from __future__ import annotations

import math
import random
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources

from humas.errors import ConfigError
from humas.publisher.sandbox.imitation import DAY
from humas.publisher.sandbox.server import SandboxPlatform

COMMENT_KINDS = ("praise", "question", "complaint", "abusive", "spam", "other")

# The mix of public comments simulate() draws: questions and praise first, complaints and some abuse, as on
# local-government pages.
_KIND_WEIGHTS = {"praise": 28, "question": 27, "complaint": 20, "other": 15, "abusive": 3, "spam": 7}
_DECAY_S = 120.0  # seconds: a newcomer sees the first comment within a few minutes
MEAN_PER_POST = 8.0  # comments a post receives on average in its first day (config: monitor.sandbox_comments)
_REPLY_SHARE = 0.15  # share of simulated comments that answer an earlier public comment
_HORIZON = 2 * DAY  # posts older than this are not looked at any more (they stopped receiving comments)


@dataclass(frozen=True)
class SampleComment:
    text: str
    kind: str


def load_sample_comments() -> tuple[list[SampleComment], list[str]]:
    """The sample comments and author handles in ``sandbox_comments.toml``."""
    raw = resources.files("humas.publisher").joinpath("sandbox_comments.toml").read_text(encoding="utf-8")
    data = tomllib.loads(raw)
    samples = [SampleComment(str(c["text"]), str(c["kind"])) for c in data["comment"]]
    unknown = sorted({s.kind for s in samples} - set(COMMENT_KINDS))
    if unknown:
        raise ConfigError(f"sandbox_comments.toml: unknown kind(s) {unknown}")
    return samples, [str(a) for a in data["authors"]]


@dataclass(frozen=True)
class _Crowd:
    """The packaged samples, grouped as :func:`simulate` draws them."""

    by_kind: dict[str, tuple[SampleComment, ...]]
    kinds: tuple[str, ...]  # the kinds that have samples, in ``_KIND_WEIGHTS`` order
    weights: tuple[int, ...]
    authors: tuple[str, ...]


@cache
def _crowd() -> _Crowd:
    # The file is package data, read-only: read it once per process.
    samples, authors = load_sample_comments()
    by_kind = {k: tuple(s for s in samples if s.kind == k) for k in _KIND_WEIGHTS}
    kinds = tuple(k for k in _KIND_WEIGHTS if by_kind[k])
    return _Crowd(by_kind, kinds, tuple(_KIND_WEIGHTS[k] for k in kinds), tuple(authors))


def _poisson(lam: float, rng: random.Random) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _age_share(age_s: float) -> float:
    """Share of a post's first-day comments that arrive by ``age_s`` seconds (hyperbolic decay)."""
    return math.log1p(min(age_s, DAY.total_seconds()) / _DECAY_S) / math.log1p(DAY.total_seconds() / _DECAY_S)


def _age_at_share(share: float) -> float:
    """The inverse of :func:`_age_share`: the age in seconds by which ``share`` of the comments arrived."""
    return _DECAY_S * math.expm1(share * math.log1p(DAY.total_seconds() / _DECAY_S))


def simulate(
    platform: SandboxPlatform, now: datetime, rng: random.Random, *, mean_per_post: float = MEAN_PER_POST,
    max_per_post: int = 40,
) -> int:
    """Add the public comments that arrived on every post of ``platform`` up to ``now``; returns how many.

    A post receives ``mean_per_post`` comments on average during its first day and at most ``max_per_post``
    public ones, texts drawn from ``sandbox_comments.toml``. The same file contents, ``now`` and ``rng`` state give
    the same comments. Each post remembers how far it was simulated, so calling this often, or from several
    processes, adds each comment once.
    """
    crowd = _crowd()
    added = 0
    with platform.public_session() as session:
        for post in session.posts_since(now - _HORIZON):
            created = post.created_at
            start = max(created, post.simulated_until or created)
            end = min(now, created + DAY)
            if end <= start:
                continue
            f0 = _age_share((start - created).total_seconds())
            f1 = _age_share((end - created).total_seconds())
            public = session.public_comment_ids(post)
            count = min(_poisson(mean_per_post * (f1 - f0), rng), max(0, max_per_post - len(public)))
            shares = sorted(rng.uniform(f0, f1) for _ in range(count))
            for share in shares:
                age_s = _age_at_share(share)
                sample = rng.choice(crowd.by_kind[rng.choices(crowd.kinds, crowd.weights)[0]])
                parent = rng.choice(public) if public and rng.random() < _REPLY_SHARE else None
                at = min(end, created + timedelta(seconds=age_s))
                comment = session.add_comment(post, sample.text, rng.choice(crowd.authors), parent, at)
                if parent is None:
                    public.append(comment.remote_id)
                added += 1
            session.mark_simulated(post, end)
    return added
