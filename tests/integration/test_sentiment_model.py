"""The shipped default model on the shared validation splits (real data), the factory and the CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from humas.cli.sentiment import app
from humas.errors import ConfigError, InvalidInput
from humas.sentiment.base import LABELS
from humas.sentiment.data import default_data_dir, read_labelled_file
from humas.sentiment.evaluate import score_examples
from humas.sentiment.factory import build_classifier
from humas.sentiment.model import LinearClassifier, shipped_model_dir


def _data_dir() -> Path:
    try:
        return default_data_dir()
    except InvalidInput:
        pytest.skip("shared sentiment data not found (set HUMAS_SENTIMENT_DATA)")


@pytest.fixture(scope="module")
def model() -> LinearClassifier:
    return LinearClassifier.load()


@pytest.fixture(scope="module")
def scores(model: LinearClassifier) -> dict[str, dict[str, Any]]:
    root = _data_dir()
    out = {}
    for name, file in [("gov_comments", "valid.csv"), ("smsa", "valid.tsv"), ("nusax_id", "valid.csv")]:
        out[name] = score_examples(model, read_labelled_file(root / name / file))
    return out


def test_artifact_is_small_data_and_loads_fast() -> None:
    files = sorted(p.name for p in shipped_model_dir().iterdir())
    assert {"meta.json", "vocab.json", "weights.npz", "MODEL_CARD.md"} <= set(files)
    assert not [f for f in files if f.endswith((".pkl", ".pickle", ".joblib"))]
    assert sum(p.stat().st_size for p in shipped_model_dir().iterdir()) < 5 * 1024 * 1024
    start = time.perf_counter()
    clf = LinearClassifier.load()
    assert time.perf_counter() - start < 2.0
    assert 0.0 < clf.threshold < 1.0
    assert clf.threshold == json.loads((shipped_model_dir() / "meta.json").read_text())["threshold"]


# Floors sit a little below the measured figures (see MODEL_CARD.md) so that a broken model fails them.
@pytest.mark.parametrize(("split", "floor"), [("gov_comments", 0.80), ("smsa", 0.80), ("nusax_id", 0.88)])
def test_macro_f1_floor(scores: dict[str, dict[str, Any]], split: str, floor: float) -> None:
    assert scores[split]["macro_f1"] >= floor


def test_negative_recall_at_shipped_threshold(scores: dict[str, dict[str, Any]]) -> None:
    assert scores["gov_comments"]["negative_recall"] >= 0.95


def test_calm_problem_reports_escalate(model: LinearClassifier) -> None:
    rows = [r for r in read_labelled_file(_data_dir() / "gov_comments" / "valid.csv")
            if r.escalate and r.label == "neutral"]
    assert rows
    preds = model.classify([r.text for r in rows])
    assert all(p.needs_escalation for p in preds), [r.text for r, p in zip(rows, preds, strict=True)]


def test_plain_questions_and_praise_mostly_do_not_escalate(model: LinearClassifier) -> None:
    rows = [r for r in read_labelled_file(_data_dir() / "gov_comments" / "valid.csv") if r.escalate is False]
    preds = model.classify([r.text for r in rows])
    assert sum(not p.needs_escalation for p in preds) / len(rows) >= 0.5


@pytest.mark.parametrize(
    ("text", "label", "escalate"),
    [
        ("Terima kasih pak bupati, jalannya sudah mulus sekarang 👍", "positive", False),
        ("Jalan di desa kami rusak parah sudah 2 tahun, kapan diperbaiki???", "negative", True),
        ("anjir keren bgt festivalnya", "positive", False),
    ],
)
def test_examples(model: LinearClassifier, text: str, label: str, escalate: bool) -> None:
    [p] = model.classify([text])
    assert p.label == label
    assert p.needs_escalation == escalate
    assert sum(p.probabilities.values()) == pytest.approx(1.0)


def test_batching_and_hostile_input(model: LinearClassifier) -> None:
    texts = ["", "\x00\ud800", "<script>x</script>", "a" * 1_000_000, "👍", "g0bl0k"] * 50
    batched = model.classify(texts)
    single = [model.classify([t])[0] for t in texts[:6]]
    assert len(batched) == len(texts)
    assert [p.probabilities for p in batched[:6]] == [p.probabilities for p in single]
    assert batched[5].abusive and batched[5].needs_escalation


def test_threshold_override_and_factory_errors(tmp_path: Path) -> None:
    always = build_classifier(threshold=0.0)
    assert all(p.needs_escalation for p in always.classify(["terima kasih", "mantap"]))
    with pytest.raises(ConfigError, match="unknown sentiment backend"):
        build_classifier("nope")
    with pytest.raises(InvalidInput, match="not a sentiment model directory"):
        build_classifier(model=str(tmp_path))
    words = tmp_path / "words.txt"
    words.write_text("kadal\n", encoding="utf-8")
    custom = build_classifier(abusive_words_file=words)
    [a, b] = custom.classify(["dasar kadal", "dasar goblok"])
    assert a.abusive and not b.abusive


runner = CliRunner()


def test_cli_classify_json() -> None:
    result = runner.invoke(app, ["classify", "--json", "jalan rusak parah, kapan diperbaiki?", "mantap min 👍"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert isinstance(rows, list) and len(rows) == 2
    assert rows[0]["label"] == "negative" and rows[0]["escalate"] is True
    assert rows[1]["label"] == "positive" and rows[1]["abusive"] is False
    assert set(rows[0]["probabilities"]) == set(LABELS)


def test_cli_classify_table() -> None:
    result = runner.invoke(app, ["classify", "dasar goblok"])
    assert result.exit_code == 0
    assert "goblok" in result.stdout and "yes" in result.stdout


def test_cli_evaluate(tmp_path: Path) -> None:
    path = tmp_path / "gold.tsv"
    path.write_text(
        "jalan rusak parah\tnegative\npelayanan cepat dan ramah , terima kasih\tpositive\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["evaluate", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 2 and report["macro_f1"] == 1.0
    table = runner.invoke(app, ["evaluate", str(path)])
    assert table.exit_code == 0 and "macro-F1" in table.stdout


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(tmp_path / "missing.csv")])
    assert result.exit_code == InvalidInput.exit_code
    assert result.stderr.strip().startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    bad = runner.invoke(app, ["classify", "x", "--backend", "nope"])
    assert bad.exit_code == ConfigError.exit_code and "unknown sentiment backend" in bad.stderr
