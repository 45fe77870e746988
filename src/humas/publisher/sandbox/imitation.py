"""How the sandbox imitates each platform: its duplicate and quota rules, its id formats and its URLs."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from humas.errors import ConfigError
from humas.publisher.base import Platform

DAY = timedelta(days=1)
SANDBOX_HOST = "https://sandbox.humas.local"


@dataclass(frozen=True)
class PlatformRules:
    """What the sandbox enforces for one imitated platform beyond its :class:`PlatformLimits`."""

    label: str
    duplicate_window: timedelta | None  # same text, same account: refused (X 403 duplicate §1.4, FB 506 §2.3)
    duplicate_message: str
    daily_posts: int | None  # IG: 50 API-published posts per rolling 24 h (§3.1)


_RULES: dict[Platform, PlatformRules] = {
    Platform.X: PlatformRules("X", DAY, "You are not allowed to create a Tweet with duplicate content.", None),
    Platform.FACEBOOK: PlatformRules("Facebook", DAY, "(#506) Duplicate status message", None),
    Platform.INSTAGRAM: PlatformRules("Instagram", None, "", 50),
    Platform.YOUTUBE: PlatformRules("YouTube", None, "", None),
}


def rules_for(imitates: Platform) -> PlatformRules:
    """The rules of an imitated platform; ``ConfigError`` for one the sandbox cannot imitate."""
    try:
        return _RULES[imitates]
    except KeyError:
        names = ", ".join(p.value for p in _RULES)
        raise ConfigError(f"the sandbox cannot imitate {imitates.value!r}; choose one of: {names}") from None


def post_id(imitates: Platform, account: str, n: int) -> str:
    """The id of the ``n``-th post counted for ``imitates`` (see :func:`counter_name`)."""
    if imitates is Platform.X:
        return str(1_880_000_000_000_000_000 + n * 4_194_304)  # 19-digit snowflake
    if imitates is Platform.FACEBOOK:
        page_id = 100_000_000_000_000 + int(hashlib.sha256(account.encode()).hexdigest()[:12], 16) % 10**14
        return f"{page_id}_{122_100_000_000_000 + n * 17}"  # "{page-id}_{post-id}"
    if imitates is Platform.INSTAGRAM:
        return str(17_900_000_000_000_000 + n * 7)  # 17-digit IG media id
    return _b64id(f"video:{account}:{n}", 11)  # YouTube video id


def comment_id(imitates: Platform, post_remote_id: str, parent: str | None, n: int) -> str:
    """The id of the ``n``-th comment counted for ``imitates``; ``parent``: the comment it answers, if any."""
    if imitates is Platform.X:
        return str(1_880_000_000_000_000_000 + n * 4_194_304)  # replies are tweets, from the same counter
    if imitates is Platform.FACEBOOK:
        return f"{post_remote_id.rsplit('_', 1)[-1]}_{1_000_000 + n}"
    if imitates is Platform.INSTAGRAM:
        return str(17_850_000_000_000_000 + n * 3)
    if parent is not None:
        return f"{parent.split('.', 1)[0]}.{_b64id(f'reply:{n}', 22)}"
    return "Ugz" + _b64id(f"thread:{n}", 23)


def counter_name(imitates: Platform, what: str) -> str:
    """The counter that numbers ``what`` ("post" or "comment"); on X, posts and replies are all tweets."""
    return f"{imitates.value}.tweet" if imitates is Platform.X else f"{imitates.value}.{what}"


def post_url(imitates: Platform, account: str, remote_id: str) -> str:
    return f"{SANDBOX_HOST}/{imitates.value}/{quote(account, safe='')}/{quote(remote_id, safe='')}"


def _b64id(seed: str, length: int) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:length]
