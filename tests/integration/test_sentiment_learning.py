"""The learning loop's deploy gate on real data (a fast slice): corrections teach a new slang word and are
accepted; poisoned corrections lose on the valid splits and are refused."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from humas.sentiment.base import Label, Thresholds
from humas.sentiment.data import read_labelled_file
from humas.sentiment.learning import Gate, decide, retrain
from humas.sentiment.model import LinearClassifier
from humas.sentiment.train import TrainConfig, train, with_overrides
from tests.conftest import sentiment_data

SLANG = "zorblek"  # invented: means "awful"
SUBJECTS = ["pelayanan", "adminnya", "antriannya", "aplikasinya", "kantor kelurahan", "petugas loket", "websitenya",
            "respon dinas", "jalan desa", "air pdam", "lampu jalan", "sinyal di balai desa", "parkiran pasar",
            "programnya", "jadwalnya", "sistem online", "urusan ktp", "pengurusan kk", "pelayanan puskesmas",
            "bantuan sosial"]
FEEDBACK: list[tuple[str, Label]] = [
    (f"{s} kayak {SLANG} banget" if i % 2 else f"{s} makin {SLANG} aja", "negative") for i, s in enumerate(SUBJECTS)
]
HELD_OUT = [f"{SLANG} bener dah urusan di sini", f"min, {SLANG} pol ini sih", f"acara kemarin {SLANG}",
            f"respon admin {SLANG} amat", f"loket tiga {SLANG} pol", f"jujur, {SLANG}"]
CONFIG = with_overrides(TrainConfig(), max_features={"word": 8000, "char": 12000})
THRESHOLDS = Thresholds(case=0.4, review=0.08, question=0.5)  # near the shipped ones


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = sentiment_data()
    root = tmp_path_factory.mktemp("learning") / "data"
    for folder in ("gov_comments", "nusax_id", "indolem_sentiment", "smsa"):
        (root / folder).mkdir(parents=True)
        for split in ("train", "valid"):
            for path in src.glob(f"{folder}/{split}.*"):
                if folder == "smsa" and split == "train":
                    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
                    (root / folder / path.name).write_text("".join(lines[:2500]), encoding="utf-8")
                elif not (folder == "indolem_sentiment" and split == "train"):
                    (root / folder / path.name).write_bytes(path.read_bytes())
    return root


@pytest.fixture(scope="module")
def current(data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("current")
    train([data], out, config=CONFIG, thresholds=THRESHOLDS)
    return out


def test_corrections_teach_a_new_slang_word(data: Path, current: Path, tmp_path: Path) -> None:
    before = LinearClassifier.load(current).classify(HELD_OUT)
    assert not [p for p in before if p.label == "negative"], [p.label for p in before]
    candidate = retrain([data], FEEDBACK, tmp_path / "cand", current, config=CONFIG)
    assert candidate.accepted, candidate.reason
    assert candidate.thresholds == "reused from the current model"
    assert set(candidate.scores) == {"gov_comments", "smsa", "nusax_id", "indolem_sentiment"}
    assert all("current" in pair for pair in candidate.scores.values())
    after = LinearClassifier.load(tmp_path / "cand").classify(HELD_OUT)
    assert all(p.label == "negative" and p.reaches_person for p in after), [p.label for p in after]
    gate = json.loads((tmp_path / "cand" / "gate.json").read_text(encoding="utf-8"))
    assert gate["accepted"] is True and gate["feedback_rows"] == len(FEEDBACK)


def test_poisoned_corrections_are_refused(data: Path, current: Path, tmp_path: Path) -> None:
    rows = read_labelled_file(data / "gov_comments" / "train.csv")
    flip: dict[str, Label] = {"negative": "positive", "positive": "negative", "neutral": "negative"}
    poisoned = [(ex.text, flip[ex.label]) for ex in rows]
    random.Random(1).shuffle(poisoned)
    candidate = retrain([data], poisoned, tmp_path / "bad", current, config=CONFIG)
    assert not candidate.accepted
    assert candidate.reason.startswith("refused: ") and "gov_comments" in candidate.reason
    assert candidate.problems


def test_decide_rules() -> None:
    def pair(f1: float, recall: float, cur_f1: float = 0.8, cur_recall: float = 0.97) -> dict[str, dict[str, float]]:
        return {"candidate": {"n": 1000, "macro_f1": f1, "negative_recall": recall},
                "current": {"n": 1000, "macro_f1": cur_f1, "negative_recall": cur_recall}}

    gate = Gate()
    assert decide({"gov_comments": pair(0.795, 0.96), "smsa": pair(0.80, 0.9)}, gate)[0]
    ok, reason, _ = decide({"gov_comments": pair(0.80, 0.96), "smsa": pair(0.785, 0.9)}, gate)
    assert not ok and "smsa: macro-F1" in reason
    ok, reason, _ = decide({"gov_comments": pair(0.85, 0.94)}, gate)
    assert not ok and "negative recall" in reason
    # a current model already under the floor: the candidate must not be worse than it
    assert decide({"gov_comments": pair(0.85, 0.93, cur_recall=0.93)}, gate)[0]
    assert not decide({"smsa": pair(0.9, 0.9)}, gate)[0]  # no in-domain split to check
    small = pair(0.785, 0.96)
    small["candidate"]["n"] = 100  # two rows' worth (0.02) on a 100-row split
    assert decide({"gov_comments": small}, gate)[0]
