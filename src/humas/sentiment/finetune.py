"""Fine-tuning a local Hugging Face checkpoint on the shipped sentiment data (``humas sentiment finetune``).

Data: every ``train.*`` file under the data folders (formats in ``data.py``); ``valid.*`` files are only scored.
As for the default model (``train.py``), binary 0/1 sources (IndoLEM) are left out and rows are weighted by source
(gov_comments ×6) and then by class, so each label carries the same total weight in the loss.

A stratified slice of the gov_comments TRAIN rows (``holdout_share``, 25 %) is held out of training and used only
to choose the triage thresholds (:func:`choose_thresholds`); the valid splits play no part in any choice and are
scored once at the end. Cross-validation as in ``train.py`` would cost k fine-tunes, too slow on CPU.

Training is a plain PyTorch loop (AdamW, linear warm-up and decay, gradient clipping, no ``accelerate``): data order
per epoch comes from a generator seeded with ``seed + epoch``, and the checkpoint holds the model, the optimizer, the
scheduler, the step and the torch RNG, so a resumed run continues exactly where the stopped one was.

Layout of ``out`` while training (``.humas-finetune/``) and when finished::

    out/.humas-finetune/latest          name of the newest complete checkpoint (replaced atomically)
    out/.humas-finetune/ckpt-000200/    model, tokenizer, optimizer.pt, scheduler.pt, rng.pt, state.json
    out/config.json, model.safetensors, tokenizer files, humas.json   (the finished model; humas.json last)

A checkpoint is written to a temporary folder and renamed into place before ``latest`` names it, so a kill at any
moment leaves the previous checkpoint usable. The work folder is removed once ``humas.json`` is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import random
import shutil
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any, Literal, Protocol

from humas.errors import HumasError, InvalidInput, Unavailable
from humas.sentiment.base import LABELS, TIERS, Thresholds
from humas.sentiment.data import Example, find_split_files, read_labelled_file
from humas.sentiment.transformers_backend import METADATA_FILE, TransformersClassifier

GOV_SOURCE = "gov_comments"
WORK_DIR = ".humas-finetune"
_LATEST = "latest"
_TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "spiece.model", "sentencepiece.bpe.model",
                    "tokenizer.model")
# Settings a resumed run must share with the run it continues (everything that shapes the data or the schedule).
_RESUME_FIXED = ("epochs", "batch_size", "lr", "max_length", "max_rows", "seed", "weight_decay", "warmup_ratio",
                 "source_weights", "holdout_share")


@dataclass(frozen=True)
class FinetuneConfig:
    """Knobs of a fine-tune. The defaults fit a base-size BERT on CPU (see docs/indobert.md)."""

    epochs: int = 3
    batch_size: int = 16
    lr: float = 3e-5
    max_length: int = 128
    max_rows: int | None = None
    seed: int = 13
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    source_weights: Mapping[str, float] = field(default_factory=lambda: {GOV_SOURCE: 6.0})
    holdout_share: float = 0.25
    target_recall: float = 0.97
    case_precision: float = 0.8
    checkpoint_every: int = 200

    def __post_init__(self) -> None:
        problems = [
            name for name, ok in [
                ("epochs", self.epochs >= 1), ("batch_size", self.batch_size >= 1), ("lr", self.lr > 0),
                ("max_length", 8 <= self.max_length <= 4096), ("checkpoint_every", self.checkpoint_every >= 1),
                ("max_rows", self.max_rows is None or self.max_rows >= 1),
                ("holdout_share", 0.0 <= self.holdout_share < 1.0),
            ] if not ok
        ]
        if problems:
            raise InvalidInput(f"invalid fine-tuning setting: {', '.join(problems)}")

    def as_json(self) -> dict[str, Any]:
        """JSON-ready mapping (``source_weights`` as a plain dict)."""
        return {k: dict(v) if isinstance(v, Mapping) else v for k, v in asdict(self).items()}


class FinetuneProgress(Protocol):
    """What the loop reports; the CLI draws rich progress bars from it."""

    def update(self, stage: str, done: int, total: int, info: str = "") -> None:
        """``stage`` ("training", "thresholds", "validation") has ``done`` of ``total`` units; ``info``: loss."""

    def note(self, text: str) -> None:
        """A one-line message: the plan, the time estimate, a checkpoint written."""


class _Silent:
    def update(self, stage: str, done: int, total: int, info: str = "") -> None:
        pass

    def note(self, text: str) -> None:
        pass


class FinetuneInterrupted(HumasError):
    """Fine-tuning was interrupted; the last checkpoint is kept and ``--resume`` continues from it."""

    exit_code = 130

    def __init__(self, message: str, *, step: int, total: int, saved: bool) -> None:
        super().__init__(message)
        self.step = step
        self.total = total
        self.saved = saved


@dataclass(frozen=True)
class FinetuneResult:
    """``finished``: the model is in ``out``; ``stopped``: ``stop_after`` steps done, checkpoint saved."""

    status: Literal["finished", "stopped"]
    out: Path
    step: int
    total_steps: int
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Rows:
    """Training rows (weighted), the gov_comments hold-out slice and the valid rows."""

    train: list[Example]
    weights: list[float]
    holdout: list[Example]
    valid: list[Example]

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for ex in self.train:
            digest.update(f"{ex.source}\t{ex.label}\t{ex.text}\n".encode())
        return digest.hexdigest()[:16]


# --- input checks -------------------------------------------------------------------------------------------------


def _require() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise Unavailable(
            f"fine-tuning needs torch and transformers ({exc.name} is missing): pip install 'humas[transformers]'"
        ) from exc
    return torch, transformers


def check_base(base: Path) -> None:
    """A local checkpoint folder with a config and a tokenizer, else InvalidInput naming what is missing."""
    if not base.is_dir():
        raise InvalidInput(f"--base {base}: no such directory (download a checkpoint first, see docs/indobert.md)")
    if not (base / "config.json").is_file():
        raise InvalidInput(f"--base {base}: not a Hugging Face checkpoint (no config.json)")
    if not any((base / name).is_file() for name in _TOKENIZER_FILES):
        raise InvalidInput(
            f"--base {base}: no tokenizer ({', '.join(_TOKENIZER_FILES)}); download the tokenizer files too"
        )


def load_rows(data_dirs: Sequence[Path], config: FinetuneConfig) -> Rows:
    """Read the train and valid splits, set the hold-out slice aside, cap and weight the training rows."""
    train: list[Example] = []
    valid: list[Example] = []
    for data_dir in data_dirs:
        for path in find_split_files(data_dir, "train"):
            train.extend(ex for ex in read_labelled_file(path) if not ex.binary)
        for path in find_split_files(data_dir, "valid"):
            valid.extend(ex for ex in read_labelled_file(path) if not ex.binary)
    if not train:
        raise InvalidInput(f"no 3-label train.csv/train.tsv files under {', '.join(map(str, data_dirs))}")
    rng = random.Random(config.seed)
    strata: dict[tuple[str, bool | None], list[int]] = {}
    for i, ex in enumerate(train):
        if ex.source == GOV_SOURCE:
            strata.setdefault((ex.label, ex.escalate), []).append(i)
    held: set[int] = set()
    for key in sorted(strata, key=str):
        members = strata[key]
        rng.shuffle(members)
        held.update(members[: round(len(members) * config.holdout_share)])
    holdout = [train[i] for i in sorted(held)]
    rest = [ex for i, ex in enumerate(train) if i not in held]
    if config.max_rows is not None and len(rest) > config.max_rows:
        keep = sorted(rng.sample(range(len(rest)), config.max_rows))
        rest = [rest[i] for i in keep]
    if len({ex.label for ex in rest}) < 2:
        raise InvalidInput("the training rows hold fewer than two labels; raise --max-rows or add data")
    weights = [config.source_weights.get(ex.source, 1.0) for ex in rest]
    per_label: dict[str, float] = dict.fromkeys(LABELS, 0.0)
    for ex, w in zip(rest, weights, strict=True):
        per_label[ex.label] += w
    total = sum(weights)
    present = sum(1 for v in per_label.values() if v > 0)
    weights = [w * total / (present * per_label[ex.label]) for ex, w in zip(rest, weights, strict=True)]
    mean = sum(weights) / len(weights)
    return Rows(rest, [w / mean for w in weights], holdout, valid)


# --- the output folder ----------------------------------------------------------------------------------------------


def _latest_checkpoint(out: Path) -> Path | None:
    pointer = out / WORK_DIR / _LATEST
    if not pointer.is_file():
        return None
    ckpt = out / WORK_DIR / pointer.read_text(encoding="utf-8").strip()
    return ckpt if (ckpt / "state.json").is_file() else None


def _check_out(out: Path, *, resume: bool, overwrite: bool) -> Path | None:
    """The checkpoint to resume from (None for a fresh start); InvalidInput when ``out`` does not fit the request."""
    ckpt = _latest_checkpoint(out)
    finished = (out / METADATA_FILE).is_file()
    if resume:
        if ckpt is not None:
            return ckpt
        if finished:
            raise InvalidInput(f"--out {out}: nothing to resume, this fine-tune already finished")
        raise InvalidInput(f"--out {out}: nothing to resume (no checkpoint there); start without --resume")
    if ckpt is not None and not overwrite:
        raise InvalidInput(
            f"--out {out}: holds an unfinished fine-tune; pass --resume to continue it or --overwrite to start again"
        )
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"--out {out}: not a directory")
    if out.is_dir() and any(p.name != WORK_DIR for p in out.iterdir()):  # a work dir alone: killed before step 1
        ours = finished or (out / WORK_DIR).is_dir()
        if not ours:
            raise InvalidInput(f"--out {out}: not empty and not a humas model; choose an empty or new directory")
        if not overwrite:
            raise InvalidInput(f"--out {out}: already holds a model; pass --overwrite or choose another --out")
    return None


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class _Trainer:
    """The model, optimizer and schedule of one run, and where it stands."""

    torch: Any
    model: Any
    tokenizer: Any
    optimizer: Any
    scheduler: Any
    step: int
    total: int
    elapsed: float
    saved_step: int = -1


def _build(torch: Any, transformers: Any, source: Path, config: FinetuneConfig, total: int, fresh: bool) -> _Trainer:
    """Load model and tokenizer from ``source`` (the base, or a checkpoint) and set up optimizer and schedule."""
    id2label = dict(enumerate(LABELS))
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(source), local_files_only=True)
        if fresh:
            torch.manual_seed(config.seed)  # the new classification head starts from the same weights every time
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            str(source), local_files_only=True, num_labels=len(LABELS), id2label=id2label,
            label2id={v: k for k, v in id2label.items()}, ignore_mismatched_sizes=True,
        )
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInput(f"cannot load checkpoint {source}: {str(exc).strip().splitlines()[0]}") from exc
    model.config.problem_type = "single_label_classification"
    decay = [p for n, p in model.named_parameters() if not n.endswith("bias") and "LayerNorm" not in n
             and "layer_norm" not in n]
    no_decay = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n
                or "layer_norm" in n]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.lr,
    )
    scheduler = transformers.get_linear_schedule_with_warmup(
        optimizer, num_warmup_steps=int(total * config.warmup_ratio), num_training_steps=total
    )
    return _Trainer(torch, model, tokenizer, optimizer, scheduler, step=0, total=total, elapsed=0.0)


def _save_checkpoint(t: _Trainer, out: Path, state: Mapping[str, Any]) -> Path:
    work = out / WORK_DIR
    work.mkdir(parents=True, exist_ok=True)
    name = f"ckpt-{t.step:06d}"
    tmp = work / f".tmp-{name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    t.model.save_pretrained(tmp)
    t.tokenizer.save_pretrained(tmp)
    t.torch.save(t.optimizer.state_dict(), tmp / "optimizer.pt")
    t.torch.save(t.scheduler.state_dict(), tmp / "scheduler.pt")
    t.torch.save({"torch": t.torch.get_rng_state()}, tmp / "rng.pt")
    (tmp / "state.json").write_text(json.dumps({**state, "step": t.step, "elapsed_s": round(t.elapsed, 1)},
                                               ensure_ascii=False, indent=2), encoding="utf-8")
    final = work / name
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    pointer = work / f".{_LATEST}.tmp"
    pointer.write_text(name + "\n", encoding="utf-8")
    os.replace(pointer, work / _LATEST)
    for old in work.iterdir():
        if old.name != name and old.name != _LATEST and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    t.saved_step = t.step
    return final


def _restore(t: _Trainer, ckpt: Path) -> None:
    torch = t.torch
    try:
        t.optimizer.load_state_dict(torch.load(ckpt / "optimizer.pt", weights_only=True))
        t.scheduler.load_state_dict(torch.load(ckpt / "scheduler.pt", weights_only=True))
        torch.set_rng_state(torch.load(ckpt / "rng.pt", weights_only=True)["torch"])
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        raise InvalidInput(f"checkpoint {ckpt} is damaged ({exc}); start again with --overwrite") from exc


# --- interruption -------------------------------------------------------------------------------------------------


class _StopFlag:
    """Set by SIGINT/SIGTERM; the loop checks it between steps. A second Ctrl-C kills at once."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def __bool__(self) -> bool:
        return self.signal is not None


@contextlib.contextmanager
def _catch_signals() -> Iterator[_StopFlag]:
    flag = _StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        flag.signal = signum
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextlib.contextmanager
def _torch_threads(torch: Any, threads: int | None) -> Iterator[None]:
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(max(1, threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def _quiet_transformers(transformers: Any) -> Iterator[None]:
    # Loading a base checkpoint warns that the new head is untrained, and saving draws tqdm bars: both are expected.
    logging = transformers.utils.logging
    verbosity = logging.get_verbosity()
    bars = logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()


# --- the run ------------------------------------------------------------------------------------------------------


def finetune(
    out: Path,
    data_dirs: Sequence[Path] | None = None,
    *,
    base: Path | None = None,
    config: FinetuneConfig | None = None,
    changes: Mapping[str, Any] | None = None,
    resume: bool = False,
    overwrite: bool = False,
    stop_after: int | None = None,
    threads: int | None = None,
    progress: FinetuneProgress | None = None,
) -> FinetuneResult:
    """Fine-tune ``base`` (or, with ``resume``, continue the checkpoint in ``out``) and write the model to ``out``.

    A fresh run needs ``base`` and ``data_dirs`` and takes ``config``. A resumed run takes its settings (and, unless
    given, its data folders) from the checkpoint;
    ``changes`` (settings given again) must agree with them, except ``checkpoint_every``. ``stop_after``: save a
    checkpoint and return ``status="stopped"`` after that many steps of this run. ``threads``: torch CPU threads for
    this run (default: torch's, one per core; fewer when other work shares the machine).
    Raises InvalidInput for a bad base, data or ``out`` (checked before anything is written), Unavailable without
    torch/transformers, FinetuneInterrupted after SIGINT/SIGTERM (checkpoint saved when a step was done).
    """
    progress = progress or _Silent()
    out = Path(out)
    torch, transformers = _require()
    ckpt = _check_out(out, resume=resume, overwrite=overwrite)
    state: dict[str, Any] = {}
    if ckpt is not None:
        try:
            state = json.loads((ckpt / "state.json").read_text(encoding="utf-8"))
            stored = FinetuneConfig(**state["config"])
            data_dirs = data_dirs or [Path(d) for d in state["data_dirs"]]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise InvalidInput(f"checkpoint {ckpt} is damaged ({exc}); start again with --overwrite") from exc
        given = dict(changes or {})
        conflicts = [f"{k}={given[k]!r} (checkpoint: {getattr(stored, k)!r})" for k in _RESUME_FIXED
                     if k in given and given[k] != getattr(stored, k)]
        if base is not None and Path(state["base"]).resolve() != base.resolve():
            conflicts.append(f"base={str(base)!r} (checkpoint: {state['base']!r})")
        if conflicts:
            raise InvalidInput(f"--resume with different settings: {'; '.join(conflicts)}")
        config = replace(stored, **{k: v for k, v in given.items() if k == "checkpoint_every"})
        base = Path(state["base"])
    else:
        if base is None:
            raise InvalidInput("--base DIR is required (a local Hugging Face checkpoint)")
        check_base(base)
        if not data_dirs:
            raise InvalidInput("no data folder given (--data DIR)")
        config = replace(config or FinetuneConfig(), **dict(changes or {}))
    rows = load_rows(data_dirs, config)
    if ckpt is not None and rows.fingerprint() != state["data_fingerprint"]:
        raise InvalidInput("the training data changed since the checkpoint; resume with the same --data")
    steps_per_epoch = math.ceil(len(rows.train) / config.batch_size)
    total = steps_per_epoch * config.epochs
    with _quiet_transformers(transformers), _torch_threads(torch, threads):
        t = _build(torch, transformers, ckpt or base, config, total, fresh=ckpt is None)
        if ckpt is not None:
            _restore(t, ckpt)
            t.step, t.elapsed = int(state["step"]), float(state.get("elapsed_s", 0.0))
            t.saved_step = t.step
            progress.note(f"resuming from step {t.step}/{total} ({ckpt.name})")
        elif overwrite and out.exists():
            shutil.rmtree(out)
        state = {
            "base": str(base.resolve()),
            "config": config.as_json(),
            "data_dirs": [str(Path(d).resolve()) for d in data_dirs],
            "data_fingerprint": rows.fingerprint(),
            "train_rows": dict(sorted(Counter(ex.source for ex in rows.train).items())),
            "total_steps": total,
        }
        with _catch_signals() as stop:
            status = _train_loop(t, rows, config, out, state, stop, stop_after, progress)
            if status == "stopped":
                return FinetuneResult("stopped", out, t.step, total, state)
            meta = _finish(t, rows, config, out, state, stop, progress)
    return FinetuneResult("finished", out, t.step, total, meta)


def _interrupted(t: _Trainer, out: Path, state: Mapping[str, Any], stop: _StopFlag, phase: str) -> FinetuneInterrupted:
    name = "Ctrl-C" if stop.signal == signal.SIGINT else "SIGTERM"
    if t.step == 0:
        return FinetuneInterrupted(f"interrupted ({name}) before the first step; nothing saved",
                                   step=0, total=t.total, saved=False)
    if t.saved_step != t.step:
        _save_checkpoint(t, out, state)
    return FinetuneInterrupted(f"interrupted ({name}) {phase} at step {t.step}/{t.total}; checkpoint saved",
                               step=t.step, total=t.total, saved=True)


def _train_loop(
    t: _Trainer, rows: Rows, config: FinetuneConfig, out: Path, state: Mapping[str, Any], stop: _StopFlag,
    stop_after: int | None, progress: FinetuneProgress,
) -> Literal["done", "stopped"]:
    torch = t.torch
    n = len(rows.train)
    per_epoch = math.ceil(n / config.batch_size)
    labels = torch.tensor([LABELS.index(ex.label) for ex in rows.train])
    weights = torch.tensor(rows.weights, dtype=torch.float32)
    texts = [ex.text for ex in rows.train]
    if t.step == 0:
        counts = ", ".join(f"{k} {v}" for k, v in state["train_rows"].items())
        progress.note(f"training on {n} rows ({counts}); {config.epochs} epoch(s) × {per_epoch} steps = {t.total}; "
                      f"{len(rows.holdout)} gov_comments rows held out for thresholds")
    progress.update("training", t.step, t.total)
    loss_fn = torch.nn.CrossEntropyLoss(reduction="none")
    t.model.train()
    run_steps = 0
    started = time.perf_counter()
    timer_from: tuple[int, float] | None = None
    while t.step < t.total:
        epoch, offset = divmod(t.step, per_epoch)
        order = torch.randperm(n, generator=torch.Generator().manual_seed(config.seed + epoch))
        for b in range(offset, per_epoch):
            idx = order[b * config.batch_size : (b + 1) * config.batch_size]
            batch = t.tokenizer([texts[i] for i in idx.tolist()], padding=True, truncation=True,
                                max_length=config.max_length, return_tensors="pt")
            logits = t.model(**batch).logits
            loss = (loss_fn(logits, labels[idx]) * weights[idx]).mean()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(t.model.parameters(), 1.0)
            t.optimizer.step()
            t.scheduler.step()
            t.optimizer.zero_grad(set_to_none=True)
            t.step += 1
            run_steps += 1
            now = time.perf_counter()
            t.elapsed += now - started
            started = now
            progress.update("training", t.step, t.total, f"loss {loss.item():.3f}")
            if run_steps == 1:
                timer_from = (t.step, now)  # the first step warms caches up: time from the second on
            elif timer_from is not None and t.step - timer_from[0] == 5 and t.step < t.total:
                per_step = (now - timer_from[1]) / 5
                progress.note(f"estimate: {per_step:.2f} s/step, about {_duration(per_step * (t.total - t.step))} "
                              f"for the remaining {t.total - t.step} steps, then scoring")
            last_of_epoch = b == per_epoch - 1
            if stop:
                raise _interrupted(t, out, state, stop, "while training")
            if stop_after is not None and run_steps >= stop_after and t.step < t.total:
                _save_checkpoint(t, out, state)
                return "stopped"
            if last_of_epoch or t.step % config.checkpoint_every == 0:
                _save_checkpoint(t, out, state)
                if last_of_epoch:
                    progress.note(f"epoch {epoch + 1}/{config.epochs} done, checkpoint saved (step {t.step})")
    t.model.eval()
    return "done"


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return f"{max(1, round(seconds))} s"
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _classify_all(clf: TransformersClassifier, texts: Sequence[str], stage: str, stop: _StopFlag,
                  progress: FinetuneProgress) -> list[Any]:
    preds: list[Any] = []
    chunk = max(clf.batch_size, 64)
    progress.update(stage, 0, len(texts))
    for start in range(0, len(texts), chunk):
        if stop:
            break
        preds.extend(clf.classify(texts[start : start + chunk]))
        progress.update(stage, len(preds), len(texts))
    return preds


def _finish(t: _Trainer, rows: Rows, config: FinetuneConfig, out: Path, state: Mapping[str, Any], stop: _StopFlag,
            progress: FinetuneProgress) -> dict[str, Any]:
    """Save the model, choose thresholds on the hold-out slice, score the valid splits, write ``humas.json``."""
    staging = out / WORK_DIR / "final"
    shutil.rmtree(staging, ignore_errors=True)
    t.model.save_pretrained(staging)
    t.tokenizer.save_pretrained(staging)
    clf = TransformersClassifier(str(staging), batch_size=32, max_length=config.max_length,
                                 thresholds=Thresholds(0.5, 0.5))
    held = _classify_all(clf, [ex.text for ex in rows.holdout], "thresholds", stop, progress)
    if stop:
        raise _interrupted(t, out, state, stop, "while choosing thresholds")
    thresholds, rule, held_report = choose_thresholds(
        [p.probabilities["negative"] for p in held], [ex.label == "negative" for ex in rows.holdout],
        [p.abusive for p in held], config.target_recall, config.case_precision,
    )
    clf.thresholds = thresholds
    valid: dict[str, Any] = {}
    valid_preds = _classify_all(clf, [ex.text for ex in rows.valid], "validation", stop, progress)
    if stop:
        raise _interrupted(t, out, state, stop, "while scoring the valid splits")
    for source in sorted({ex.source for ex in rows.valid}):
        pairs = [(ex, p) for ex, p in zip(rows.valid, valid_preds, strict=True) if ex.source == source]
        valid[source] = score_tiers([ex.label for ex, _ in pairs], [p.label for _, p in pairs],
                                    [p.tier for _, p in pairs])
    meta: dict[str, Any] = {
        "format": "humas-transformers/1",
        "base": Path(state["base"]).name,
        "base_path": state["base"],
        "trained_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "max_length": config.max_length,
        "config": config.as_json(),
        "train_rows": state["train_rows"],
        "steps": t.total,
        "training_seconds": round(t.elapsed, 1),
        "thresholds": asdict(thresholds),
        "threshold_rule": rule,
        "holdout_gov_comments_train": held_report,
        "valid": valid,
        "valid_note": "valid splits never trained on nor used for any choice; binary 0/1 sources not scored",
    }
    for path in sorted(staging.iterdir()):
        os.replace(path, out / path.name)
    _write_json(out / METADATA_FILE, meta)
    shutil.rmtree(out / WORK_DIR, ignore_errors=True)
    return meta


def choose_thresholds(
    p_negative: Sequence[float], negative: Sequence[bool], abusive: Sequence[bool], target_recall: float,
    case_precision: float, question: float = 0.5,
) -> tuple[Thresholds, str, dict[str, Any]]:
    """The triage thresholds from hold-out predictions, the rule in words, and the hold-out figures.

    ``review``: the highest P(negative) threshold (grid 0.95 … 0.02) at which negative recall of case + review
    (abusive, or P(negative) >= review) reaches ``target_recall``. ``case``: the lowest threshold >= ``review`` at
    which the precision of the case tier (abusive, or P(negative) >= case) is >= ``case_precision`` (most cases
    opened at that precision); 1.0 (only abusive comments) when none is. Fewer than 10 negative hold-out rows →
    the defaults case 0.5, review 0.3.
    """
    rule = (f"review: highest P(negative) threshold with hold-out negative recall (case + review) >= {target_recall}; "
            f"case: lowest threshold >= review with case precision >= {case_precision}, else 1.0 (only abusive); "
            "hold-out: a stratified slice of gov_comments TRAIN never trained on")
    n_neg = sum(negative)
    if n_neg < 10:
        return (Thresholds(0.5, 0.3, question), f"defaults case 0.5, review 0.3: only {n_neg} negative hold-out rows",
                {"n": len(negative), "negatives": n_neg})

    def caught(t: float) -> list[bool]:
        return [a or p >= t for p, a in zip(p_negative, abusive, strict=True)]

    grid = [round(0.95 - 0.01 * i, 2) for i in range(94)]
    review = grid[-1]
    for t in grid:
        hit = caught(t)
        if sum(h and n for h, n in zip(hit, negative, strict=True)) / n_neg >= target_recall:
            review = t
            break
    case = 1.0
    for t in reversed([g for g in grid if g >= review]):
        hit = caught(t)
        if sum(hit) and sum(h and n for h, n in zip(hit, negative, strict=True)) / sum(hit) >= case_precision:
            case = t
            break
    thresholds = Thresholds(case, review, question)
    at_review, at_case = caught(review), caught(case)
    report = {
        "n": len(negative),
        "negatives": n_neg,
        "negative_recall": round(sum(h and n for h, n in zip(at_review, negative, strict=True)) / n_neg, 4),
        "case_precision": round(sum(h and n for h, n in zip(at_case, negative, strict=True)) / max(1, sum(at_case)), 4),
        "case_share": round(sum(at_case) / len(negative), 4),
        "review_share": round((sum(at_review) - sum(at_case)) / len(negative), 4),
    }
    return thresholds, rule, report


def score_tiers(truth: Sequence[str], predicted: Sequence[str], tiers: Sequence[str]) -> dict[str, Any]:
    """macro-F1 (labels present in ``truth``), negative recall at case + review, case precision, tier shares."""
    f1s: list[float] = []
    for label in LABELS:
        if label not in truth:
            continue
        tp = sum(t == label and p == label for t, p in zip(truth, predicted, strict=True))
        n_pred, n_true = predicted.count(label), truth.count(label)
        precision, recall = (tp / n_pred if n_pred else 0.0), (tp / n_true if n_true else 0.0)
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    negative = [t == "negative" for t in truth]
    reached = sum(tier in ("case", "review") and g for tier, g in zip(tiers, negative, strict=True))
    cases = sum(tier == "case" for tier in tiers)
    true_cases = sum(tier == "case" and g for tier, g in zip(tiers, negative, strict=True))
    n = len(truth)
    return {
        "n": n,
        "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
        "negative_recall": round(reached / max(1, sum(negative)), 4),
        "case_precision": round(true_cases / max(1, cases), 4),
        **{f"{tier}_share": round(list(tiers).count(tier) / max(1, n), 4) for tier in TIERS},
    }
