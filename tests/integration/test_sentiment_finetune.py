"""``humas sentiment finetune`` on a tiny randomly initialised BERT built here (no hub, no download) and a slice of
the shared data: the model directory it writes, resuming (stopped and Ctrl-C), and clear errors for bad input."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from humas.cli.finetune import finetune as finetune_command
from humas.sentiment.base import TIERS, Thresholds

pytest.importorskip("torch")
pytest.importorskip("transformers")

from humas.sentiment.factory import build_classifier
from humas.sentiment.finetune import (
    WORK_DIR,
    FinetuneConfig,
    FinetuneInterrupted,
    choose_thresholds,
    finetune,
)
from humas.sentiment.transformers_backend import TransformersClassifier
from tests.conftest import sentiment_data

QUICK = FinetuneConfig(epochs=1, batch_size=8, max_length=32, max_rows=60)
QUICK_ARGS = ["--epochs", "1", "--batch-size", "8", "--max-length", "32", "--max-rows", "60", "--threads", "1"]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A slice of the shared data: enough gov_comments train rows for a hold-out with >= 10 negatives."""
    src = sentiment_data()
    root = tmp_path_factory.mktemp("data")
    for folder, name, rows in [("gov_comments", "train.csv", 161), ("gov_comments", "valid.csv", 41),
                               ("smsa", "train.tsv", 120), ("smsa", "valid.tsv", 40),
                               ("indolem_sentiment", "train.csv", 31)]:
        (root / folder).mkdir(exist_ok=True)
        lines = (src / folder / name).read_text(encoding="utf-8").splitlines(keepends=True)
        if name.endswith(".csv"):
            records = list(csv.reader(lines))[:rows]  # whole records, never cut inside a quoted field
            with (root / folder / name).open("w", encoding="utf-8", newline="") as fh:
                csv.writer(fh, lineterminator="\n").writerows(records)
        else:
            (root / folder / name).write_text("".join(lines[:rows]), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, data: Path) -> Path:
    """A randomly initialised 2-layer BERT (hidden 32) with a WordPiece vocabulary of the slice's words."""
    import torch
    from transformers import (  # type: ignore[attr-defined,unused-ignore]
        BertConfig,
        BertForSequenceClassification,
        BertTokenizerFast,
    )

    text = (data / "gov_comments" / "train.csv").read_text(encoding="utf-8").lower()
    words = Counter(w for w in (token.strip(".,!?\"'") for token in text.split()) if w.isalpha())
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *(w for w, _ in words.most_common(300))]
    path = tmp_path_factory.mktemp("base")
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast.from_pretrained(str(path))  # reads vocab.txt (transformers 4 and 5 alike)
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    # Tiny models run far faster on one thread than on threads that contend with other processes.
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(finetune_command)
    return app


def _weights(path: Path) -> dict[str, object]:
    from safetensors.torch import load_file

    return dict(load_file(str(path / "model.safetensors")))


class Recorder:
    def __init__(self, kill_at: int | None = None) -> None:
        self.training: list[int] = []
        self.notes: list[str] = []
        self.kill_at = kill_at

    def update(self, stage: str, done: int, total: int, info: str = "") -> None:
        if stage == "training":
            self.training.append(done)
            if done == self.kill_at:
                os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C in a terminal

    def note(self, text: str) -> None:
        self.notes.append(text)


def test_cli_writes_a_model_the_backend_loads(base: Path, data: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    result = CliRunner().invoke(_cli(), ["--base", str(base), "--data", str(data), "--out", str(out), *QUICK_ARGS])
    assert result.exit_code == 0, result.output
    assert "estimate:" in result.stderr and "model written to" in result.stderr
    assert not (out / WORK_DIR).exists()
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["id2label"] == {"0": "negative", "1": "neutral", "2": "positive"}
    meta = json.loads((out / "humas.json").read_text(encoding="utf-8"))
    assert sum(meta["train_rows"].values()) == 60 and "indolem_sentiment" not in meta["train_rows"]
    assert 36 <= meta["holdout_gov_comments_train"]["n"] <= 44  # ~25 % of 160 gov_comments train rows, per stratum
    assert set(meta["valid"]) == {"gov_comments", "smsa"} and meta["valid"]["gov_comments"]["n"] == 40
    assert {"macro_f1", "negative_recall", "case_share"} <= set(meta["valid"]["smsa"])
    assert meta["base"] == base.name and meta["max_length"] == 32 and meta["steps"] == 8
    thresholds = Thresholds(**meta["thresholds"])

    clf = build_classifier("transformers", str(out), batch_size=4)
    texts = ["jalan rusak parah min", "terima kasih pak", "kapan diperbaiki?", "dasar goblok", ""]
    preds = clf.classify(texts)
    assert [p.tier in TIERS for p in preds] == [True] * len(texts)
    assert preds[3].tier == "case" and preds[3].abusive
    assert preds[2].p_question == 1.0
    direct = TransformersClassifier(str(out))
    assert direct.thresholds == thresholds and direct.max_length == 32
    for p in direct.classify(texts):
        assert p.probabilities["negative"] < thresholds.review or p.tier in ("case", "review")

    again = CliRunner().invoke(_cli(), ["--base", str(base), "--data", str(data), "--out", str(out), *QUICK_ARGS])
    assert again.exit_code == 1 and "already holds a model" in again.stderr and "--overwrite" in again.stderr
    replaced = CliRunner().invoke(_cli(), ["--base", str(base), "--data", str(data), "--out", str(out), *QUICK_ARGS,
                                           "--overwrite", "--seed", "7", "--max-rows", "40"])
    assert replaced.exit_code == 0, replaced.output
    assert json.loads((out / "humas.json").read_text(encoding="utf-8"))["config"]["seed"] == 7


def test_resume_after_stop_continues_from_that_step(base: Path, data: Path, tmp_path: Path) -> None:
    whole = finetune(tmp_path / "whole", [data], base=base, config=QUICK)
    assert whole.status == "finished" and whole.total_steps == 8

    out = tmp_path / "split"
    first = finetune(out, [data], base=base, config=QUICK, stop_after=3)
    assert (first.status, first.step) == ("stopped", 3)
    assert (out / WORK_DIR / "latest").read_text(encoding="utf-8").strip() == "ckpt-000003"
    assert not (out / "humas.json").exists()
    recorder = Recorder()
    second = finetune(out, [data], resume=True, progress=recorder)
    assert second.status == "finished"
    assert recorder.training[0] == 3 and recorder.training[1] == 4  # steps 4..8 only, not from 0
    assert any("resuming from step 3/8" in note for note in recorder.notes)
    # Same data order, optimizer, schedule and dropout RNG: the resumed model equals the uninterrupted one.
    a, b = _weights(tmp_path / "whole"), _weights(out)
    assert a.keys() == b.keys()
    import torch

    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-6), key  # type: ignore[arg-type]
    assert second.metadata["thresholds"] == whole.metadata["thresholds"]


def test_ctrl_c_saves_and_cli_resumes(base: Path, data: Path, tmp_path: Path) -> None:
    out = tmp_path / "model"
    with pytest.raises(FinetuneInterrupted, match=r"Ctrl-C.*step 2/8; checkpoint saved") as info:
        finetune(out, [data], base=base, config=QUICK, progress=Recorder(kill_at=2))
    assert info.value.saved and info.value.step == 2
    assert (out / WORK_DIR / "latest").read_text(encoding="utf-8").strip() == "ckpt-000002"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored

    runner = CliRunner()
    clash = runner.invoke(_cli(), ["--out", str(out), "--resume", "--epochs", "2", "--data", str(data)])
    assert clash.exit_code == 1 and "epochs=2 (checkpoint: 1)" in clash.stderr
    fresh = runner.invoke(_cli(), ["--base", str(base), "--out", str(out), "--data", str(data), *QUICK_ARGS])
    assert fresh.exit_code == 1 and "--resume to continue" in fresh.stderr
    stopped = runner.invoke(_cli(), ["--out", str(out), "--resume", "--stop-after", "2", "--data", str(data),
                                     "--threads", "1"])
    assert stopped.exit_code == 0, stopped.output
    assert "resuming from step 2/8" in stopped.stderr
    assert f"stopped at step 4/8, checkpoint saved; continue with: humas sentiment finetune --out {out} --resume" \
        in stopped.stderr.replace("\n", " ")
    done = runner.invoke(_cli(), ["--out", str(out), "--resume", "--threads", "1"])  # data: the checkpoint's
    assert done.exit_code == 0, done.output
    assert (out / "humas.json").is_file() and not (out / WORK_DIR).exists()
    nothing = runner.invoke(_cli(), ["--out", str(out), "--resume", "--data", str(data)])
    assert nothing.exit_code == 1 and "nothing to resume" in nothing.stderr


def _no_tokenizer(base: Path, tmp: Path) -> Path:
    path = tmp / "no-tokenizer"
    path.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(base / name, path / name)
    return path


def _not_checkpoint(base: Path, tmp: Path) -> Path:
    path = tmp / "just-vocab"
    path.mkdir()
    shutil.copy(base / "vocab.txt", path / "vocab.txt")
    return path


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("no-base-dir", "no such directory"),
        ("not-a-checkpoint", "not a Hugging Face checkpoint (no config.json)"),
        ("no-tokenizer", "no tokenizer"),
        ("no-data", "not a directory"),
        ("resume-nothing", "nothing to resume"),
        ("out-not-ours", "not empty and not a humas model"),
        ("no-base", "--base DIR is required"),
    ],
)
def test_bad_input_is_one_error_line_and_writes_nothing(
    base: Path, data: Path, tmp_path: Path, case: str, expected: str
) -> None:
    out = tmp_path / "out"
    args = {"--base": str(base), "--data": str(data), "--out": str(out)}
    extra: list[str] = []
    if case == "no-base-dir":
        args["--base"] = str(tmp_path / "missing")
    elif case == "not-a-checkpoint":
        args["--base"] = str(_not_checkpoint(base, tmp_path))
    elif case == "no-tokenizer":
        args["--base"] = str(_no_tokenizer(base, tmp_path))
    elif case == "no-data":
        args["--data"] = str(tmp_path / "no-data")
    elif case == "resume-nothing":
        extra = ["--resume"]
    elif case == "out-not-ours":
        out.mkdir()
        (out / "notes.txt").write_text("mine", encoding="utf-8")
    elif case == "no-base":
        del args["--base"]
    before = sorted(p.name for p in out.iterdir()) if out.exists() else None
    result = CliRunner().invoke(_cli(), [*(x for kv in args.items() for x in kv), *extra, *QUICK_ARGS])
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.stderr
    assert (sorted(p.name for p in out.iterdir()) if out.exists() else None) == before


def test_without_torch_or_transformers_is_unavailable(
    base: Path, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # what an install without the extra looks like
    out = tmp_path / "out"
    result = CliRunner().invoke(_cli(), ["--base", str(base), "--data", str(data), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: fine-tuning needs torch and transformers (transformers is missing): pip install 'humas[transformers]'"
    )
    assert not out.exists()


def test_choose_thresholds_rule() -> None:
    # 20 negatives spread over P(negative) 0.05 … 1.0, 20 others all at 0.3: review must keep recall >= 0.97.
    p = [0.05 * (i + 1) for i in range(20)] + [0.3] * 20
    negative = [True] * 20 + [False] * 20
    thresholds, rule, report = choose_thresholds(p, negative, [False] * 40, target_recall=0.97, case_precision=0.8)
    assert thresholds.review == 0.05 and report["negative_recall"] == 1.0
    assert thresholds.case == 0.31 and report["case_precision"] == 1.0  # the 0.3 crowd is below case
    assert "gov_comments TRAIN" in rule
    few, why, _ = choose_thresholds([0.9] * 3, [True] * 3, [False] * 3, 0.97, 0.8)
    assert few == Thresholds(0.5, 0.3) and "only 3" in why
