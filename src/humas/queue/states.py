"""Publication job states and the transitions allowed between them (the queue's state machine as data)."""

from __future__ import annotations

from collections.abc import Iterable

from humas.store.models import JobState

S = JobState

TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    # in doubt also after a restore: what happened to a due job since the backup was taken is unknown
    S.SCHEDULED: frozenset({S.CLAIMED, S.CANCELLED, S.IN_DOUBT}),
    S.RETRY_WAIT: frozenset({S.CLAIMED, S.CANCELLED, S.IN_DOUBT}),
    # handed back (pacing, shutdown, a dead owner) to the state it was claimed from; or the outcome of resolving
    # an in-doubt job, or of a failure before anything was sent
    S.CLAIMED: frozenset({S.SENDING, S.SCHEDULED, S.RETRY_WAIT, S.IN_DOUBT, S.PUBLISHED, S.FAILED, S.CANCELLED}),
    S.SENDING: frozenset({S.PUBLISHED, S.RETRY_WAIT, S.FAILED, S.IN_DOUBT}),
    # in doubt: resolved only by asking the platform (find_published), never retried blindly; a worker that
    # lost its lease mid-call may still record the post it got an answer for
    S.IN_DOUBT: frozenset({S.CLAIMED, S.PUBLISHED, S.CANCELLED}),
    S.FAILED: frozenset({S.SCHEDULED, S.CANCELLED}),  # a person retries or cancels
    S.PUBLISHED: frozenset(),
    S.CANCELLED: frozenset({S.SCHEDULED}),  # scheduled again after a cancellation
}

DUE_STATES = (S.SCHEDULED, S.RETRY_WAIT, S.IN_DOUBT)
ACTIVE_STATES = (S.SCHEDULED, S.RETRY_WAIT, S.CLAIMED, S.SENDING, S.IN_DOUBT)
TERMINAL_STATES = (S.PUBLISHED, S.FAILED, S.CANCELLED)
CANCELLABLE = (S.SCHEDULED, S.RETRY_WAIT, S.IN_DOUBT, S.FAILED)


def allowed(src: JobState | str, dst: JobState | str) -> bool:
    return JobState(dst) in TRANSITIONS[JobState(src)]


def check(sources: Iterable[JobState | str], dst: JobState | str) -> None:
    """Refuse, as a programming error, a write that would move a job along a transition the table lacks."""
    bad = [str(s) for s in sources if not allowed(s, dst)]
    if bad:
        raise ValueError(f"job transition not allowed: {', '.join(bad)} -> {JobState(dst).value}")
