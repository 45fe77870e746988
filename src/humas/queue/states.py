"""Publication job states and the transitions allowed between them (the queue's state machine as data)."""

from __future__ import annotations

from humas.store.models import JobState

S = JobState

TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    S.SCHEDULED: frozenset({S.CLAIMED, S.CANCELLED}),
    S.RETRY_WAIT: frozenset({S.CLAIMED, S.CANCELLED}),
    # a claim whose owner died before sending is claimed again; shutdown hands it back
    S.CLAIMED: frozenset({S.SENDING, S.CLAIMED, S.SCHEDULED, S.RETRY_WAIT, S.CANCELLED}),
    S.SENDING: frozenset({S.PUBLISHED, S.RETRY_WAIT, S.FAILED, S.IN_DOUBT}),
    # in doubt: resolved only by asking the platform (find_published), never retried blindly
    S.IN_DOUBT: frozenset({S.CLAIMED, S.CANCELLED}),
    S.FAILED: frozenset({S.SCHEDULED}),  # a person retries
    S.PUBLISHED: frozenset(),
    S.CANCELLED: frozenset(),
}

DUE_STATES = (S.SCHEDULED, S.RETRY_WAIT, S.IN_DOUBT)
ACTIVE_STATES = (S.SCHEDULED, S.RETRY_WAIT, S.CLAIMED, S.SENDING, S.IN_DOUBT)
TERMINAL_STATES = (S.PUBLISHED, S.FAILED, S.CANCELLED)
CANCELLABLE = (S.SCHEDULED, S.RETRY_WAIT, S.IN_DOUBT, S.FAILED)


def allowed(src: JobState | str, dst: JobState | str) -> bool:
    return JobState(dst) in TRANSITIONS[JobState(src)]
