"""Labelled-file parsing and the evaluation metrics, with a keyword fake classifier."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from humas.errors import InvalidInput
from humas.sentiment.base import LABELS, Label, Prediction, Thresholds, Tier, triage
from humas.sentiment.data import read_labelled_file
from humas.sentiment.evaluate import evaluate_file, score_examples


class KeywordClassifier:
    """negative if 'rusak', positive if 'bagus', else neutral. Tiers: negatives are cases, 'lumayan' goes to the
    review list, 'mati' (a calm report) to the question tier."""

    name = "keyword"

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        out = []
        for text in texts:
            label: Label = "negative" if "rusak" in text else "positive" if "bagus" in text else "neutral"
            probs: dict[str, float] = {k: (0.8 if k == label else 0.1) for k in LABELS}
            tier: Tier = ("case" if label == "negative" else "review" if "lumayan" in text
                          else "question" if "mati" in text else "none")
            out.append(Prediction(label, probs, tier, False, (), 0.9 if "mati" in text else 0.1))
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
        "rusak tapi bagus,positive,no\n"   # predicted negative, escalated
        "antrean lumayan lama,negative,yes\n",  # unsure: the review list reaches a person
        encoding="utf-8",
    )
    r = evaluate_file(KeywordClassifier(), path)
    assert r["n"] == 7
    assert r["confusion"] == {
        "labels": ["negative", "neutral", "positive"],
        "matrix": [[1, 2, 0], [0, 2, 0], [1, 0, 1]],
    }
    assert r["per_class"]["negative"] == {"precision": 0.5, "recall": 0.3333, "f1": 0.4}
    assert r["per_class"]["neutral"] == {"precision": 0.5, "recall": 1.0, "f1": 0.6667}
    assert r["per_class"]["positive"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667}
    assert r["macro_f1"] == pytest.approx((0.4 + 0.6667 + 0.6667) / 3, abs=1e-4)
    # reaching a person: rows 1 and 7 of the three negatives (case, review); row 6 is a case on a positive
    assert r["negative_recall"] == 0.6667
    assert r["negative_precision"] == 0.6667
    assert (r["case_share"], r["review_share"], r["question_share"]) == (0.2857, 0.1429, 0.1429)
    assert r["case_precision"] == 0.5
    # acted on (any tier but none): rows 1, 4, 6, 7; needs_escalation rows 1, 2, 4, 7
    assert r["escalation"] == {"recall": 0.75, "precision": 0.75}
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
    ("p_neg", "p_question", "abusive", "expected"),
    [
        (0.5, 0.1, False, "case"),
        (0.4, 0.9, False, "case"),     # the negative path wins over a question
        (0.1, 0.1, True, "case"),      # abusive always reaches the Redaktur
        (0.2, 0.9, False, "review"),
        (0.1, 0.9, False, "question"),
        (0.1, 0.1, False, "none"),
        (0.1, None, False, "none"),    # a backend that cannot tell questions
    ],
)
def test_triage_rule(p_neg: float, p_question: float | None, abusive: bool, expected: Tier) -> None:
    assert triage(p_neg, p_question, abusive, Thresholds(case=0.4, review=0.2, question=0.5)) == expected


@pytest.mark.parametrize(("case", "review", "question"), [(0.3, 0.5, 0.5), (1.2, 0.1, 0.5), (0.5, 0.1, -0.1)])
def test_thresholds_must_be_ordered(case: float, review: float, question: float) -> None:
    with pytest.raises(ValueError, match="thresholds must satisfy"):
        Thresholds(case=case, review=review, question=question)
