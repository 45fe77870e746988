"""Labelled-file parsing and the evaluation metrics, with a keyword fake classifier."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from humas.errors import InvalidInput
from humas.sentiment.base import LABELS, Label, Prediction, escalation_decision
from humas.sentiment.data import read_labelled_file
from humas.sentiment.evaluate import evaluate_file, score_examples


class KeywordClassifier:
    """negative if 'rusak', positive if 'bagus', else neutral; escalates negatives and 'mati'."""

    name = "keyword"

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        out = []
        for text in texts:
            label: Label = "negative" if "rusak" in text else "positive" if "bagus" in text else "neutral"
            probs: dict[str, float] = {k: (0.8 if k == label else 0.1) for k in LABELS}
            escalate = label == "negative" or "mati" in text
            out.append(Prediction(label, probs, escalate, probs["negative"], False, ()))
        return out


def test_tsv_without_header(tmp_path: Path) -> None:
    path = tmp_path / "x.tsv"
    path.write_text("jalan rusak\tnegative\nbagus , mantap\tpositive\n\nlampu\tneutral\n", encoding="utf-8")
    rows = read_labelled_file(path)
    assert [(r.text, r.label) for r in rows] == [
        ("jalan rusak", "negative"), ("bagus , mantap", "positive"), ("lampu", "neutral"),
    ]


@pytest.mark.parametrize(
    ("content", "labels", "escalate"),
    [
        ('id,text,label\n1,"rusak, parah",negative\n2,bagus,positive\n', ["negative", "positive"], [None, None]),
        ("sentence,sentiment\nrusak,0\nbagus,1\n", ["negative", "positive"], [None, None]),
        (
            "text,sentiment,kind,needs_escalation\nrusak,negative,complaint,yes\nlampu mati?,neutral,question,yes\n",
            ["negative", "neutral"],
            [True, True],
        ),
        ("Text,Label\nrusak,NEGATIVE\n", ["negative"], [None]),
    ],
)
def test_csv_variants(tmp_path: Path, content: str, labels: list[str], escalate: list[bool | None]) -> None:
    path = tmp_path / "x.csv"
    path.write_text(content, encoding="utf-8")
    rows = read_labelled_file(path)
    assert [r.label for r in rows] == labels
    assert [r.escalate for r in rows] == escalate


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.csv", "foo,bar\nx,y\n", "unknown header"),
        ("b.csv", "text,label\nrusak,awful\n", "b.csv:2: unknown label 'awful'"),
        ("c.tsv", "rusak\tbad\n", "c.tsv:1: unknown label"),
        ("d.tsv", "no tab here\n", "unknown header"),
        ("e.csv", b"text,label\n\xff\xfe,negative\n", "not UTF-8"),
    ],
)
def test_bad_files_are_invalid_input(tmp_path: Path, name: str, content: str | bytes, message: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message.replace(".", r"\.").replace("'", "'")):
        read_labelled_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        evaluate_file(KeywordClassifier(), tmp_path / "nope.tsv")


def test_metrics(tmp_path: Path) -> None:
    path = tmp_path / "gold.csv"
    path.write_text(
        "text,sentiment,needs_escalation\n"
        "jalan rusak,negative,yes\n"        # TP negative, escalated
        "pelayanan lambat,negative,yes\n"   # missed negative (neutral), not escalated
        "bagus sekali,positive,no\n"
        "lampu mati dari pagi,neutral,yes\n"  # calm report: escalated, not negative
        "jadwal hari ini,neutral,no\n"
        "rusak tapi bagus,positive,no\n",   # predicted negative, escalated
        encoding="utf-8",
    )
    r = evaluate_file(KeywordClassifier(), path)
    assert r["n"] == 6
    assert r["confusion"] == {
        "labels": ["negative", "neutral", "positive"],
        "matrix": [[1, 1, 0], [0, 2, 0], [1, 0, 1]],
    }
    assert r["per_class"]["negative"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert r["per_class"]["neutral"] == {"precision": 0.6667, "recall": 1.0, "f1": 0.8}
    assert r["per_class"]["positive"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667}
    assert r["macro_f1"] == pytest.approx((0.5 + 0.8 + 0.6667) / 3, abs=1e-4)
    assert r["negative_recall"] == 0.5
    assert r["negative_precision"] == pytest.approx(1 / 3, abs=1e-4)
    assert r["escalation"] == {"recall": 0.6667, "precision": 0.6667}
    assert r["comments_per_second"] > 0


def test_empty_file_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("text,label\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="nothing to evaluate"):
        evaluate_file(KeywordClassifier(), path)


def test_score_examples_binary_file_has_no_neutral_class(tmp_path: Path) -> None:
    path = tmp_path / "bin.csv"
    path.write_text("sentence,sentiment\nrusak,0\nbagus,1\n", encoding="utf-8")
    r = score_examples(KeywordClassifier(), read_labelled_file(path))
    assert r["macro_f1"] == 1.0


@pytest.mark.parametrize(
    ("p_neg", "p_esc", "abusive", "expected"),
    [
        (0.5, 0.1, False, (True, 0.5)),
        (0.1, 0.9, False, (True, 0.9)),
        (0.1, 0.1, True, (True, 1.0)),
        (0.1, 0.1, False, (False, 0.1)),
        (0.1, None, False, (False, 0.1)),
    ],
)
def test_escalation_rule(p_neg: float, p_esc: float | None, abusive: bool, expected: tuple[bool, float]) -> None:
    assert escalation_decision(p_neg, p_esc, abusive, threshold=0.3, escalate_threshold=0.5) == expected
