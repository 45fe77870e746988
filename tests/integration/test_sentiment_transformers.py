"""The transformers backend, on a tiny BERT built and saved by the test itself (no hub, no download)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from humas.errors import InvalidInput
from humas.sentiment.base import Thresholds, triage
from humas.sentiment.factory import build_classifier
from humas.sentiment.transformers_backend import METADATA_FILE, TransformersClassifier, map_labels

pytest.importorskip("transformers")
pytest.importorskip("torch")

WORDS = ["jalan", "rusak", "bagus", "mantap", "lampu", "mati", "kapan", "diperbaiki", "terima", "kasih", "goblok"]


def _tiny_model(path: Path, id2label: dict[int, str]) -> Path:
    import torch
    from transformers import (  # type: ignore[attr-defined,unused-ignore]
        BertConfig,
        BertForSequenceClassification,
        BertTokenizerFast,
    )

    vocab = path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, "##s"]) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast.from_pretrained(str(path))  # reads vocab.txt (transformers 4 and 5 alike)
    config = BertConfig(  # type: ignore[call-arg,unused-ignore]
        vocab_size=len(WORDS) + 6, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64, num_labels=len(id2label),
        id2label=id2label, label2id={v: k for k, v in id2label.items()},
    )
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    out = path / "model"
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _tiny_model(tmp_path_factory.mktemp("tiny"), {0: "negative", 1: "neutral", 2: "positive"})


def test_classify_batches_and_probabilities(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    clf = TransformersClassifier(str(tiny_model), batch_size=2, max_length=16)
    texts = ["jalan rusak", "mantap bagus", "lampu mati " * 50, "", "Dasar goblok", "terima kasih"]
    preds = clf.classify(texts)
    assert len(preds) == len(texts)
    for p in preds:
        assert set(p.probabilities) == {"negative", "neutral", "positive"}
        assert sum(p.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        assert p.label == max(p.probabilities, key=p.probabilities.__getitem__)
        assert p.needs_escalation == (p.probabilities["negative"] >= clf.threshold or p.abusive)
    assert preds[4].abusive and preds[4].needs_escalation and preds[4].matched_abusive == ("goblok",)
    # batching does not change results
    one_by_one = [clf.classify([t])[0] for t in texts]
    for a, b in zip(preds, one_by_one, strict=True):
        assert a.probabilities == pytest.approx(b.probabilities, abs=1e-5)


def test_factory_builds_transformers_backend(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    clf = build_classifier("transformers", str(tiny_model), threshold=0.0, batch_size=4)
    assert clf.name == "transformers"
    assert all(p.needs_escalation for p in clf.classify(["bagus", "mantap"]))


def test_tiers_follow_the_triage_rule(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    clf = TransformersClassifier(str(tiny_model), thresholds=Thresholds(case=0.9, review=0.0))
    texts = ["jalan rusak", "kapan diperbaiki?", "Dasar goblok", "terima kasih"]
    preds = clf.classify(texts)
    for p in preds:
        assert p.tier == triage(p.probabilities["negative"], p.p_question, p.abusive, clf.thresholds)
    assert [p.tier for p in preds] == ["review", "review", "case", "review"]  # review 0 catches all; goblok: case
    assert preds[1].p_question == 1.0 and preds[0].p_question == 0.0


def test_thresholds_and_max_length_from_humas_json(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    (model / METADATA_FILE).write_text(json.dumps(
        {"thresholds": {"case": 0.8, "review": 0.25, "question": 0.7}, "max_length": 16}
    ), encoding="utf-8")
    clf = TransformersClassifier(str(model))
    assert clf.thresholds == Thresholds(0.8, 0.25, 0.7) and clf.max_length == 16 and clf.threshold == 0.8
    assert TransformersClassifier(str(model), threshold=0.4).thresholds == Thresholds(0.4, 0.4)  # config override
    assert TransformersClassifier(str(model), max_length=64).max_length == 64
    assert build_classifier("transformers", str(model), threshold=0.3).classify(["jalan rusak"])[0].tier in (
        "case", "review", "question", "none"
    )
    (model / METADATA_FILE).write_text(json.dumps({"thresholds": {"case": 0.2, "review": 0.6}}), encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"humas\.json: not a valid humas model file"):
        TransformersClassifier(str(model))
    (model / METADATA_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"humas\.json"):
        TransformersClassifier(str(model))


def test_without_humas_json_the_default_threshold_applies(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert TransformersClassifier(str(tiny_model)).thresholds == Thresholds(0.5, 0.5)
    with pytest.raises(InvalidInput, match="threshold must be between 0 and 1"):
        TransformersClassifier(str(tiny_model), threshold=1.5)


def test_label_variants_and_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = _tiny_model(tmp_path, {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})
    default = TransformersClassifier(str(path))
    swapped = TransformersClassifier(
        str(path), label_map={"LABEL_0": "positive", "LABEL_1": "neutral", "LABEL_2": "negative"}
    )
    a, b = default.classify(["jalan rusak"])[0], swapped.classify(["jalan rusak"])[0]
    assert a.probabilities["negative"] == pytest.approx(b.probabilities["positive"], abs=1e-6)


def test_missing_model_is_invalid_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(InvalidInput, match="cannot load sentiment model"):
        TransformersClassifier(str(tmp_path / "nothing-here"))


@pytest.mark.parametrize(
    ("id2label", "expected"),
    [
        ({0: "NEG", 1: "NEU", 2: "POS"}, {0: "negative", 1: "neutral", 2: "positive"}),
        ({0: "positive", 1: "neutral", 2: "negative"}, {0: "positive", 1: "neutral", 2: "negative"}),
        ({0: "LABEL_0", 1: "LABEL_1"}, {0: "negative", 1: "positive"}),
        ({0: "negatif", 1: "positif"}, {0: "negative", 1: "positive"}),
    ],
)
def test_map_labels(id2label: dict[int, str], expected: dict[int, str]) -> None:
    assert map_labels(id2label) == expected


@pytest.mark.parametrize("id2label", [{0: "joy", 1: "anger"}, {0: "positive", 1: "neutral"}, {0: "neg", 1: "negative"}])
def test_map_labels_rejects_unknown(id2label: dict[int, str]) -> None:
    with pytest.raises(InvalidInput):
        map_labels(id2label)
