"""Evaluation figures with triage tiers, binary scoring, and the threshold rule, on hand-made inputs."""

from __future__ import annotations

import numpy as np
import pytest

from humas.errors import InvalidInput
from humas.sentiment.base import Tier
from humas.sentiment.data import Example
from humas.sentiment.evaluate import summarise
from humas.sentiment.train import TrainConfig, choose_thresholds


def _ex(label: str, kind: str | None = None, escalate: bool | None = None) -> Example:
    return Example("x", label, escalate=escalate, kind=kind)  # type: ignore[arg-type]


def test_tier_shares_recall_and_case_precision() -> None:
    rows = [_ex("negative"), _ex("negative"), _ex("negative"), _ex("neutral"), _ex("positive")]
    predicted = ["negative", "neutral", "positive", "neutral", "positive"]
    tiers: list[Tier] = ["case", "review", "none", "case", "question"]
    r = summarise(rows, predicted, tiers)
    assert r["n"] == 5 and r["binary"] is False
    assert r["negative_recall"] == pytest.approx(2 / 3, abs=1e-4)  # case or review
    assert r["case_share"] == 0.4 and r["review_share"] == 0.2 and r["question_share"] == 0.2
    assert r["case_precision"] == 0.5
    assert set(r["per_class"]) == {"negative", "neutral", "positive"}
    assert r["confusion"]["matrix"][0] == [1, 1, 1]


def test_binary_counts_neutral_as_not_negative() -> None:
    rows = [_ex("negative"), _ex("negative"), _ex("positive"), _ex("positive")]
    predicted = ["negative", "neutral", "neutral", "positive"]
    r = summarise(rows, predicted, ["case", "none", "none", "none"], binary=True)
    assert r["binary"] is True
    assert set(r["per_class"]) == {"negative", "not_negative"}
    # negative: P=1, R=.5 → .6667; not_negative: P=2/3, R=1 → .8
    assert r["macro_f1"] == pytest.approx((0.6667 + 0.8) / 2, abs=1e-3)
    three = summarise(rows, predicted, ["case", "none", "none", "none"])
    assert three["macro_f1"] < r["macro_f1"]


def test_escalation_and_question_blocks_need_their_columns() -> None:
    rows = [_ex("neutral", "question", True), _ex("negative", "question", True), _ex("positive", "praise", False)]
    r = summarise(rows, ["neutral", "negative", "positive"], ["question", "case", "none"])
    assert r["question"] == {"recall": 1.0, "precision": 1.0}
    assert r["escalation"] == {"recall": 1.0, "precision": 1.0}
    assert "question" not in summarise([_ex("neutral")], ["neutral"], ["none"])
    with pytest.raises(InvalidInput):
        summarise([], [], [])


def test_choose_thresholds_meets_the_targets() -> None:
    rng = np.random.default_rng(0)
    negative = rng.random(2000) < 0.4
    p = np.clip(np.where(negative, rng.normal(0.7, 0.2, 2000), rng.normal(0.2, 0.15, 2000)), 0, 1)
    abusive = np.zeros(2000, dtype=bool)
    is_q = ~negative & (rng.random(2000) < 0.3)
    pq = np.clip(np.where(is_q, 0.8, 0.2) + rng.normal(0, 0.1, 2000), 0, 1)
    config = TrainConfig()
    t = choose_thresholds(p, negative, abusive, pq, is_q, config)
    assert 0 < t.review <= t.case < 1
    assert (p >= t.review)[negative].mean() >= config.target_recall
    case = p >= t.case
    assert negative[case].mean() >= config.target_case_precision and case.mean() <= config.max_case_share
    assert 0.3 < t.question < 0.7
