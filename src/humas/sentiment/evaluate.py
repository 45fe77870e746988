"""Scoring a classifier on a labelled file (``humas sentiment evaluate FILE``).

The result is a JSON-ready dict:

- ``n``, ``macro_f1``, ``per_class`` (label → precision, recall, f1), ``comments_per_second``, ``binary``;
- ``confusion``: ``{"labels": [...], "matrix": [[...]]}``, rows = true label, columns = predicted label;
- triage (:func:`humas.sentiment.base.triage`): ``case_share``, ``review_share``, ``question_share`` (share of
  all rows in each tier); ``negative_recall``: share of truly negative rows that reach a person (case or review
  list); ``negative_precision``: share of the rows reaching a person that are truly negative; ``case_precision``:
  share of case rows that are truly negative;
- ``escalation`` (only when the file has a ``needs_escalation`` column): recall and precision of "acted on"
  (case, review or question) against it; ``question`` (only with a ``kind`` column): recall and precision of the
  question tier against "a question that is not a complaint, or a calm problem report".

``binary=True`` scores a 0/1 file (IndoLEM) as negative vs not negative: the model's neutral and positive both
count as "not_negative", and macro-F1 is over those two classes. Without it a file whose labels are all 0/1 is
scored over the labels it has (negative, positive) with the 3-class confusion.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from humas.errors import InvalidInput
from humas.sentiment.base import LABELS, Classifier, Thresholds, Tier, triage
from humas.sentiment.data import Example, read_labelled_file

BINARY_LABELS = ("negative", "not_negative")


def _ratio(a: int | float, b: int | float) -> float:
    return round(a / b, 4) if b else 0.0


def _question_truth(ex: Example) -> bool:
    return (ex.kind == "question" and ex.label != "negative") or (ex.label == "neutral" and bool(ex.escalate))


def summarise(examples: Sequence[Example], predicted: Sequence[str], tiers: Sequence[Tier],
              binary: bool = False) -> dict[str, Any]:
    """All figures of the module docstring (except speed) from true rows, predicted labels and tiers."""
    if not examples:
        raise InvalidInput("nothing to evaluate: no labelled rows")
    if binary:
        labels: tuple[str, ...] = BINARY_LABELS
        truth = ["negative" if ex.label == "negative" else "not_negative" for ex in examples]
        guess = ["negative" if p == "negative" else "not_negative" for p in predicted]
    else:
        labels = LABELS
        truth = [ex.label for ex in examples]
        guess = list(predicted)
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for t, g in zip(truth, guess, strict=True):
        matrix[index[t]][index[g]] += 1
    per_class: dict[str, dict[str, float]] = {}
    present = set(truth)
    f1s: list[float] = []
    for label in labels:
        i = index[label]
        tp = matrix[i][i]
        precision, recall = _ratio(tp, sum(row[i] for row in matrix)), _ratio(tp, sum(matrix[i]))
        f1 = round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1}
        if label in present:
            f1s.append(f1)
    n = len(examples)
    negative = [ex.label == "negative" for ex in examples]
    case = [t == "case" for t in tiers]
    person = [t in ("case", "review") for t in tiers]
    result: dict[str, Any] = {
        "n": n,
        "binary": binary,
        "macro_f1": round(sum(f1s) / len(f1s), 4),
        "per_class": per_class,
        "confusion": {"labels": list(labels), "matrix": matrix},
        "negative_recall": _ratio(sum(a and b for a, b in zip(negative, person, strict=True)), sum(negative)),
        "negative_precision": _ratio(sum(a and b for a, b in zip(negative, person, strict=True)), sum(person)),
        "case_share": _ratio(sum(case), n),
        "review_share": _ratio(sum(t == "review" for t in tiers), n),
        "question_share": _ratio(sum(t == "question" for t in tiers), n),
        "case_precision": _ratio(sum(a and b for a, b in zip(negative, case, strict=True)), sum(case)),
    }
    escalate = [ex.escalate for ex in examples]
    acted = [t != "none" for t in tiers]
    if all(e is not None for e in escalate):
        hit = sum(bool(e) and a for e, a in zip(escalate, acted, strict=True))
        result["escalation"] = {
            "recall": _ratio(hit, sum(bool(e) for e in escalate)), "precision": _ratio(hit, sum(acted))
        }
    if all(ex.kind is not None for ex in examples):
        q_truth = [_question_truth(ex) for ex in examples]
        q_tier = [t == "question" for t in tiers]
        hit = sum(a and b for a, b in zip(q_truth, q_tier, strict=True))
        result["question"] = {"recall": _ratio(hit, sum(q_truth)), "precision": _ratio(hit, sum(q_tier))}
    return result


def metrics(
    examples: Sequence[Example],
    probs: npt.NDArray[np.float64],
    p_question: npt.NDArray[np.float64],
    abusive: npt.NDArray[np.bool_],
    thresholds: Thresholds,
    binary: bool = False,
) -> dict[str, Any]:
    """:func:`summarise` from raw scores (used on out-of-fold predictions in cross-validation)."""
    predicted = [LABELS[int(i)] for i in probs.argmax(axis=1)]
    tiers = [triage(float(p[0]), float(q), bool(a), thresholds) for p, q, a in zip(probs, p_question, abusive,
                                                                                   strict=True)]
    return summarise(examples, predicted, tiers, binary)


def score_examples(classifier: Classifier, examples: Sequence[Example], binary: bool = False) -> dict[str, Any]:
    """Classify ``examples`` and compute the metrics described in the module docstring."""
    if not examples:
        raise InvalidInput("nothing to evaluate: no labelled rows")
    start = time.perf_counter()
    predictions = classifier.classify([ex.text for ex in examples])
    elapsed = max(time.perf_counter() - start, 1e-9)
    result = summarise(examples, [p.label for p in predictions], [p.tier for p in predictions], binary)
    result["comments_per_second"] = round(len(examples) / elapsed, 1)
    return result


def evaluate_file(classifier: Classifier, path: Path | str, binary: bool = False) -> dict[str, Any]:
    """Read ``path`` (see ``data.read_labelled_file``) and score ``classifier`` on it. ``binary`` needs 0/1 or
    negative/positive labels only."""
    examples = read_labelled_file(path)
    if binary and any(ex.label == "neutral" for ex in examples):
        raise InvalidInput(f"{path}: --binary needs a 0/1 (or negative/positive) file, but it has neutral rows")
    return score_examples(classifier, examples, binary)
