"""Scoring a classifier on a labelled file (``humas sentiment evaluate FILE``).

The result is a JSON-ready dict:

- ``n``, ``macro_f1``, ``per_class`` (label → precision, recall, f1), ``comments_per_second``;
- ``confusion``: ``{"labels": [negative, neutral, positive], "matrix": [[...]]}``, rows = true label,
  columns = predicted label;
- ``negative_recall`` / ``negative_precision``: at the *escalation decision*, i.e. the share of truly negative
  comments that get escalated, and the share of escalated comments that are truly negative (calm problem reports
  escalate on purpose, which lowers this precision);
- ``escalation`` (only when the file has a ``needs_escalation`` column): recall and precision against it.

Binary files (IndoLEM 0/1) are scored as negative/positive; the model may still answer neutral there.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from humas.errors import InvalidInput
from humas.sentiment.base import LABELS, Classifier
from humas.sentiment.data import Example, read_labelled_file


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def score_examples(classifier: Classifier, examples: Sequence[Example]) -> dict[str, Any]:
    """Classify ``examples`` and compute the metrics described in the module docstring."""
    if not examples:
        raise InvalidInput("nothing to evaluate: no labelled rows")
    start = time.perf_counter()
    predictions = classifier.classify([ex.text for ex in examples])
    elapsed = max(time.perf_counter() - start, 1e-9)
    index = {label: i for i, label in enumerate(LABELS)}
    matrix = [[0] * len(LABELS) for _ in LABELS]
    for ex, pred in zip(examples, predictions, strict=True):
        matrix[index[ex.label]][index[pred.label]] += 1
    per_class: dict[str, dict[str, float]] = {}
    present = {ex.label for ex in examples}
    f1s: list[float] = []
    for label in LABELS:
        i = index[label]
        tp = matrix[i][i]
        predicted = sum(row[i] for row in matrix)
        actual = sum(matrix[i])
        precision, recall = _ratio(tp, predicted), _ratio(tp, actual)
        f1 = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1}
        if label in present:
            f1s.append(f1)
    negative = [ex.label == "negative" for ex in examples]
    escalated = [p.needs_escalation for p in predictions]
    caught = sum(n and e for n, e in zip(negative, escalated, strict=True))
    result: dict[str, Any] = {
        "n": len(examples),
        "macro_f1": round(sum(f1s) / len(f1s), 4),
        "per_class": per_class,
        "confusion": {"labels": list(LABELS), "matrix": matrix},
        "negative_recall": _ratio(caught, sum(negative)),
        "negative_precision": _ratio(caught, sum(escalated)),
        "comments_per_second": round(len(examples) / elapsed, 1),
    }
    truth = [ex.escalate for ex in examples]
    if all(t is not None for t in truth):
        hit = sum(bool(t) and e for t, e in zip(truth, escalated, strict=True))
        result["escalation"] = {
            "recall": _ratio(hit, sum(bool(t) for t in truth)),
            "precision": _ratio(hit, sum(escalated)),
        }
    return result


def evaluate_file(classifier: Classifier, path: Path | str) -> dict[str, Any]:
    """Read ``path`` (see ``data.read_labelled_file``) and score ``classifier`` on it."""
    return score_examples(classifier, read_labelled_file(path))
