"""The classifier contract: labels, the per-comment prediction, and the escalation rule.

A comment is escalated to the redaktur when ``P(negative) >= threshold``, OR the escalation head says so (a calm
report of a concrete problem, e.g. "lampu PJU depan masjid mati 3 titik, lapor ke mana?"), OR it contains an
abusive word. :attr:`Prediction.escalate` is that decision; callers never recompute it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Label = Literal["negative", "neutral", "positive"]
LABELS: tuple[Label, ...] = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Prediction:
    """What a classifier says about one comment.

    ``probabilities`` has one entry per label in :data:`LABELS` and sums to 1. ``needs_escalation`` is the
    escalation decision (see the module docstring); ``escalation_score`` is the score it was taken from
    (the larger of P(negative) and the escalation head's probability, 1.0 for abusive comments).
    """

    label: Label
    probabilities: dict[str, float]
    needs_escalation: bool
    escalation_score: float
    abusive: bool
    matched_abusive: tuple[str, ...]

    @property
    def escalate(self) -> bool:
        """Alias of :attr:`needs_escalation`."""
        return self.needs_escalation


class Classifier(Protocol):
    """A batched comment classifier. Implementations must not raise on any ``str`` input."""

    name: str

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """One :class:`Prediction` per text, in order. Pure computation: never retried, no I/O after loading."""
        ...


def escalation_decision(
    p_negative: float, p_escalate: float | None, abusive: bool, threshold: float, escalate_threshold: float
) -> tuple[bool, float]:
    """Apply the escalation rule; returns (escalate, score). ``p_escalate`` is None for models without the head."""
    head = p_escalate if p_escalate is not None else 0.0
    escalate = abusive or p_negative >= threshold or (p_escalate is not None and head >= escalate_threshold)
    score = 1.0 if abusive else max(p_negative, head)
    return escalate, score
