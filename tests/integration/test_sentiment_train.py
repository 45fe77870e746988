"""Training end to end on a small slice of the shared data: artifact written, loadable, report per split."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from humas.cli.sentiment import app
from humas.errors import InvalidInput
from humas.sentiment.base import Thresholds
from humas.sentiment.data import read_labelled_file
from humas.sentiment.features import CueMatcher, FeatureConfig, default_cues
from humas.sentiment.model import LinearClassifier, shipped_model_dir
from humas.sentiment.train import TrainConfig, config_from_meta, train, with_overrides
from tests.conftest import sentiment_data


def _slice(tmp_path: Path) -> Path:
    src = sentiment_data()
    root = tmp_path / "data"
    for folder, name, rows in [("gov_comments", "train.csv", 121), ("gov_comments", "valid.csv", 31),
                               ("smsa", "train.tsv", 400), ("smsa", "valid.tsv", 50),
                               ("indolem_sentiment", "train.csv", 101)]:
        (root / folder).mkdir(parents=True, exist_ok=True)
        lines = (src / folder / name).read_text(encoding="utf-8").splitlines(keepends=True)
        if name.endswith(".csv"):
            # keep whole CSV records (a header plus rows), never cut inside a quoted field
            records = list(csv.reader(lines))[:rows]
            with (root / folder / name).open("w", encoding="utf-8", newline="") as fh:
                csv.writer(fh, lineterminator="\n").writerows(records)
        else:
            (root / folder / name).write_text("".join(lines[:rows]), encoding="utf-8")
    return root


def test_train_writes_a_loadable_artifact(tmp_path: Path) -> None:
    data = _slice(tmp_path)
    out = tmp_path / "model"
    stages: set[str] = set()
    config = with_overrides(TrainConfig(), folds=3, repeats=1, max_features={"word": 3000, "char": 5000})
    report = train([data], out, extra_examples=[("aplikasinya error terus", "negative")] * 3,
                   config=config, progress=lambda stage, done, total: stages.add(stage))
    assert set(report) == {"gov_comments", "smsa"}
    assert report["gov_comments"]["n"] == 30
    assert {"features", "cross-validation", "final model"} <= stages
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["format_version"] == 3 and 0.0 < meta["domain_mix"] <= 1.0
    assert meta["train_rows"]["feedback"] == 3
    assert "indolem_sentiment" not in meta["train_rows"]  # binary 0/1 rows are left out by default
    t = meta["thresholds"]
    assert 0.0 < t["review"] <= t["case"] < 1.0 and 0.0 < t["question"] < 1.0
    assert meta["cv"]["gov_comments"]["negative_recall"]["mean"] >= 0.9
    assert set(meta["cv"]["gov_comments"]["macro_f1"]) == {"mean", "std"}
    assert "case_share" in meta["valid"]["gov_comments"]
    clf = LinearClassifier.load(out)
    assert clf.thresholds.case == t["case"] and clf.artifact.q_coef is not None
    assert clf.classify(["jalan rusak parah"])[0].label in ("negative", "neutral", "positive")


def test_binary_positives_option(tmp_path: Path) -> None:
    data = _slice(tmp_path)
    config = with_overrides(TrainConfig(), binary_rows="positives", max_features={"word": 3000, "char": 5000})
    train([data], tmp_path / "m", config=config, thresholds=Thresholds(0.6, 0.3, 0.5))
    meta = json.loads((tmp_path / "m" / "meta.json").read_text(encoding="utf-8"))
    rows = read_labelled_file(data / "indolem_sentiment" / "train.csv")
    assert meta["train_rows"]["indolem_sentiment"] == sum(r.label == "positive" for r in rows) > 0  # label 1 only
    assert meta["thresholds"] == {"case": 0.6, "review": 0.3, "question": 0.5} and "cv" not in meta


def test_cli_train_default_out_is_not_the_shipped_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _slice(tmp_path)
    monkeypatch.setenv("HUMAS_DATA_DIR", str(tmp_path / "humas"))
    before = (shipped_model_dir() / "weights.npz").stat().st_mtime_ns
    result = CliRunner().invoke(app, ["train", "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "humas" / "models" / "sentiment" / "weights.npz").is_file()
    assert (shipped_model_dir() / "weights.npz").stat().st_mtime_ns == before
    assert "gov_comments" in result.stdout


def test_train_without_data_is_invalid(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no train"):
        train([tmp_path], tmp_path / "out")


def test_gated_domain_head_leans_on_in_domain_text(tmp_path: Path) -> None:
    data = _slice(tmp_path)
    small = {"word": 3000, "char": 5000}
    train([data], tmp_path / "gated", config=with_overrides(TrainConfig(), max_features=small),
          thresholds=Thresholds(0.6, 0.3, 0.5))
    art = LinearClassifier.load(tmp_path / "gated").artifact
    assert art.domain is not None and art.domain.mix == TrainConfig().domain_mix
    gov = [r.text for r in read_labelled_file(data / "gov_comments" / "valid.csv")]
    smsa = [r.text for r in read_labelled_file(data / "smsa" / "valid.tsv")]
    norm, cues = LinearClassifier(art).normalizer, CueMatcher(default_cues())
    gate = [art.domain.gate(art.vectorizer.transform_tokens([norm.tokens(t) for t in texts], cues))
            for texts in (gov, smsa)]
    assert gate[0].mean() > 0.5 > gate[1].mean()  # held-out comments open the gate, review sentences do not


@pytest.mark.parametrize("changes", [{}, {"nb_features": True}, {"word_head_mix": 0.25}], ids=["fixed", "nb", "word"])
def test_one_matrix_variants_write_no_domain_head(tmp_path: Path, changes: dict[str, object]) -> None:
    data = _slice(tmp_path)
    plain: dict[str, object] = {"domain_gate": False, "word_head_mix": 0.0}
    config = with_overrides(TrainConfig(), max_features={"word": 3000, "char": 5000}, **(plain | changes))
    train([data], tmp_path / "m", config=config, thresholds=Thresholds(0.6, 0.3, 0.5))
    clf = LinearClassifier.load(tmp_path / "m")
    assert clf.artifact.domain is None
    [neg, pos] = clf.classify(["jalan rusak parah, kecewa", "terima kasih, pelayanan bagus"])
    assert neg.probabilities["negative"] > pos.probabilities["negative"]


def test_recipes_from_before_the_gate_keep_a_fixed_mix_and_the_features_they_had() -> None:
    old = {"config": {"c": 2.0, "domain_mix": 0.15, "features": {"negation_scope": 2}}}
    assert config_from_meta(old) == with_overrides(
        TrainConfig(), c=2.0, domain_mix=0.15, domain_gate=False, word_head_mix=0.0,
        features=FeatureConfig(negation_scope=2, negation_replace=False, cue_stems=False))
    new = {"config": {"domain_gate": True, "domain_mix": 0.4, "word_head_mix": 0.25}}
    assert config_from_meta(new) == with_overrides(TrainConfig(), domain_gate=True, domain_mix=0.4, word_head_mix=0.25)
