"""humas's exception tree.

One root, :class:`HumasError`; branches are named after what the caller should do. The docstring of each class
is its default message. The CLI turns any ``HumasError`` into one line on stderr and the exit code below.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar


class HumasError(Exception):
    """humas failed."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (self.__doc__ or "").strip().splitlines()[0]
        super().__init__(self.message)


class ConfigError(HumasError):
    """The configuration is invalid; fix the file or variable named and start again."""

    exit_code = 2


class NotFound(HumasError):
    """The object asked for does not exist."""


class InvalidInput(HumasError):
    """The input is invalid; correct it and try again."""


class RuleBroken(InvalidInput):
    """The input breaks one of humas's limits (``rule``); ``indonesian`` is what the web interface shows."""

    def __init__(self, message: str, *, rule: str, indonesian: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.indonesian = indonesian


class TooLong(RuleBroken):
    """A text is longer than humas accepts; shorten it."""


class TooLarge(RuleBroken):
    """A file or request body is larger than humas accepts."""


class NotMedia(RuleBroken):
    """Only photos and videos can be attached."""


class PermissionDenied(HumasError):
    """This user may not do this."""

    exit_code = 3


class AnotherApproverNeeded(PermissionDenied):
    """Another person must take this step: the SOP separates duties (``distinct_approvers``).

    ``reason`` is ``"author"`` (the actor wrote this version) or ``"approved"`` (the actor already approved
    ``earlier_step`` of this version); ``step`` is the label of the step being approved.
    """

    def __init__(self, message: str, *, reason: str, step: str, earlier_step: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.step = step
        self.earlier_step = earlier_step


class RequirementsNotMet(HumasError):
    """The step's requirements (kelengkapan) are not met; complete the content and try again."""


class InvalidTransition(HumasError):
    """The content is not in a state where this action is possible."""


class AnotherInstanceRunning(HumasError):
    """Another humas daemon already uses this SQLite database; stop it or use PostgreSQL for several instances."""


class Unavailable(HumasError):
    """A component could not be built (a missing optional dependency or credential)."""


# --- publishing -------------------------------------------------------------------------------------------------


class PublishError(HumasError):
    """The platform call failed."""

    def __init__(self, message: str | None = None, *, platform: str = "", account: str = "") -> None:
        super().__init__(message)
        self.platform = platform
        self.account = account


class RetryLater(PublishError):
    """A transient failure; retried with backoff (or at ``retry_after`` when the platform said when)."""

    def __init__(self, message: str | None = None, *, retry_after: datetime | None = None, **kw: str) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class RateLimited(RetryLater):
    """The platform's rate limit was reached; retried at ``reset_at``, never by sleeping in the adapter."""

    def __init__(self, message: str | None = None, *, reset_at: datetime | None = None, **kw: str) -> None:
        super().__init__(message, retry_after=reset_at, **kw)
        self.reset_at = reset_at


class PlatformUnavailable(RetryLater):
    """The platform answered with a server error; retried with backoff."""


class NetworkError(RetryLater):
    """The request did not reach the platform (connection refused, DNS); retried with backoff."""


class QuotaExhausted(RetryLater):
    """A daily quota is spent (IG publishing limit, YouTube units); retried when it resets."""

    def __init__(self, message: str | None = None, *, resets_at: datetime | None = None, **kw: str) -> None:
        super().__init__(message, retry_after=resets_at, **kw)
        self.resets_at = resets_at


class ContentRejected(PublishError):
    """The platform rejected the content; it goes back to its editor and is never retried."""

    def __init__(self, message: str | None = None, *, rule: str = "", **kw: str) -> None:
        super().__init__(message, **kw)
        self.rule = rule


class AuthExpired(PublishError):
    """The account's credentials are expired or revoked; the account is paused and an admin must re-authorise."""


class AlreadyPublished(PublishError):
    """The platform says this post already exists (X 403 duplicate, FB 506); never posted again."""

    def __init__(
        self,
        message: str | None = None,
        *,
        remote_id: str | None = None,
        remote_url: str | None = None,
        **kw: str,
    ) -> None:
        super().__init__(message, **kw)
        self.remote_id = remote_id
        self.remote_url = remote_url


class OutcomeUnknown(PublishError):
    """The request was sent but no answer came (timeout); the job is in doubt until the platform is asked."""
