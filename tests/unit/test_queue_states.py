"""The job state machine is data, and the store refuses writes that leave it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from humas.queue import jobs
from humas.queue.jobs import Claim
from humas.queue.states import TRANSITIONS, allowed, check
from humas.store.engine import Database
from humas.store.models import JobState

S = JobState


def test_every_state_has_its_transitions() -> None:
    assert set(TRANSITIONS) == set(JobState)
    assert TRANSITIONS[S.PUBLISHED] == frozenset()  # published is final: never sent again


@pytest.mark.parametrize(("src", "dst"), [
    (S.SENDING, S.SCHEDULED),  # a call in flight is never handed back as if nothing was sent
    (S.SENDING, S.CLAIMED),
    (S.IN_DOUBT, S.SCHEDULED),  # in doubt is resolved by a claim that asks the platform first
    (S.PUBLISHED, S.SCHEDULED),
    (S.SCHEDULED, S.PUBLISHED),
])
def test_forbidden_transitions(src: JobState, dst: JobState) -> None:
    assert not allowed(src, dst)
    with pytest.raises(ValueError, match="not allowed"):
        check([src], dst)


def test_fenced_write_refuses_a_transition_outside_the_table() -> None:
    db = Database("sqlite://")  # never reached: the check comes first
    claim = Claim(1, "w#1", S.SCHEDULED)
    with pytest.raises(ValueError, match="sending -> scheduled"):
        jobs.fenced(db, claim, states=[S.SENDING], now=datetime.now(UTC), state=S.SCHEDULED)
