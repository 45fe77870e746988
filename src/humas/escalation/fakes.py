"""A keyword classifier for tests and demos: deterministic, instant, no model files.

Satisfies :class:`~humas.sentiment.base.Classifier`. A text with a negative word is ``negative`` (escalated), with
an abusive word it is also ``abusive`` (both: tier ``case``), with a hesitant word ("lumayan", "hmm") it is neutral
with P(negative) 0.45 on the review list, a question or a problem report is a ``question``, with a positive word it
is ``positive``; anything else is ``neutral``. Never used by humas itself unless passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from humas.sentiment.base import Label, Prediction, Tier

NEGATIVE = ("buruk", "kecewa", "lambat", "korupsi", "parah", "jelek", "rusak", "marah", "lelet", "bohong", "pungli")
POSITIVE = ("terima kasih", "mantap", "bagus", "keren", "hebat", "sukses", "makasih", "apresiasi")
ABUSIVE = ("goblok", "bangsat", "tolol", "anjing", "bego")
PROBLEM = ("mati", "bocor", "macet", "belum diperbaiki", "lapor ke mana")
UNSURE = ("lumayan", "biasa saja", "hmm", "yah")


class KeywordClassifier:
    """Labels by keyword; see the module docstring. ``calls`` counts ``classify`` calls, ``texts`` what it saw."""

    name = "keyword"

    def __init__(self, negative: Iterable[str] = NEGATIVE, positive: Iterable[str] = POSITIVE,
                 abusive: Iterable[str] = ABUSIVE, problem: Iterable[str] = PROBLEM) -> None:
        self.negative, self.positive = tuple(negative), tuple(positive)
        self.abusive, self.problem = tuple(abusive), tuple(problem)
        self.calls = 0
        self.texts: list[str] = []

    @staticmethod
    def _has(text: str, words: Sequence[str]) -> tuple[str, ...]:
        low = text.lower()
        return tuple(w for w in words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", low))

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        self.calls += 1
        out: list[Prediction] = []
        for text in texts:
            self.texts.append(text)
            abusive = self._has(text, self.abusive)
            label: Label
            if self._has(text, self.negative) or abusive:
                label, probs = "negative", {"negative": 0.9, "neutral": 0.07, "positive": 0.03}
            elif self._has(text, UNSURE):
                label, probs = "neutral", {"negative": 0.45, "neutral": 0.5, "positive": 0.05}
            elif self._has(text, self.positive):
                label, probs = "positive", {"negative": 0.03, "neutral": 0.12, "positive": 0.85}
            else:
                label, probs = "neutral", {"negative": 0.1, "neutral": 0.8, "positive": 0.1}
            problem = bool(self._has(text, self.problem))
            question = problem or "?" in text
            tier: Tier = ("case" if label == "negative" or abusive else "review" if probs["negative"] == 0.45
                          else "question" if question else "none")
            out.append(Prediction(label=label, probabilities=probs, tier=tier, abusive=bool(abusive),
                                  matched_abusive=abusive, p_question=1.0 if question else 0.0))
        return out
