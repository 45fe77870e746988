"""The classifier contract: labels, triage tiers, the per-comment prediction and the triage rule.

Every classified comment lands in one tier (:data:`TIERS`):

- ``case``: the negative path of the SOP (steps 13–14): a case for the escalation role (Redaktur), notified at once.
  Abusive comments always land here.
- ``review``: "Perlu ditinjau": the model is unsure whether the comment is negative; the Redaktur confirms (a case
  opens) or dismisses it, one click each, and each choice is a label correction the model learns from.
- ``question``: a question (or a calm report of a problem) for the response role to answer (SOP step 12); not
  the negative path, no Redaktur approval needed.
- ``none``: nothing to do.

:func:`triage` is the rule; every backend applies it with the :class:`Thresholds` stored with its model, chosen by
cross-validation for a target negative recall (case + review) and case precision (see the model card).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Label = Literal["negative", "neutral", "positive"]
LABELS: tuple[Label, ...] = ("negative", "neutral", "positive")
Tier = Literal["case", "review", "question", "none"]
TIERS: tuple[Tier, ...] = ("case", "review", "question", "none")


@dataclass(frozen=True)
class Thresholds:
    """Where a comment goes: ``P(negative) >= case`` → case; ``>= review`` → review list; else ``P(question) >=
    question`` → question; else none. ``0 <= review <= case <= 1``."""

    case: float
    review: float
    question: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.review <= self.case <= 1.0 or not 0.0 <= self.question <= 1.0:
            raise ValueError(f"thresholds must satisfy 0 <= review <= case <= 1 and 0 <= question <= 1: {self}")


def triage(p_negative: float, p_question: float | None, abusive: bool, thresholds: Thresholds) -> Tier:
    """The tier of one comment (see the module docstring)."""
    if abusive or p_negative >= thresholds.case:
        return "case"
    if p_negative >= thresholds.review:
        return "review"
    if p_question is not None and p_question >= thresholds.question:
        return "question"
    return "none"


@dataclass(frozen=True)
class Prediction:
    """What a classifier says about one comment.

    ``probabilities`` has one entry per label in :data:`LABELS` and sums to 1. ``tier`` is the triage decision
    (:func:`triage`); callers never recompute it. ``p_question`` is the probability that the comment asks
    something (None when the backend cannot tell).
    """

    label: Label
    probabilities: dict[str, float]
    tier: Tier
    abusive: bool
    matched_abusive: tuple[str, ...]
    p_question: float | None = None

    @property
    def needs_escalation(self) -> bool:
        """True when the comment goes straight to a case (the negative path)."""
        return self.tier == "case"

    @property
    def reaches_person(self) -> bool:
        """True when a person sees it: a case or the review list (what negative recall counts)."""
        return self.tier in ("case", "review")

    @property
    def escalation_score(self) -> float:
        """1.0 for abusive comments, else P(negative): what cases and the review list are sorted by."""
        return 1.0 if self.abusive else self.probabilities.get("negative", 0.0)


class Classifier(Protocol):
    """A batched comment classifier. Implementations must not raise on any ``str`` input."""

    name: str

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """One :class:`Prediction` per text, in order. Pure computation: never retried, no I/O after loading."""
        ...
