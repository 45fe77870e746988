"""The deploy gate of the learning loop: retrain with the Redaktur's corrections, deploy only what does not lose.

:func:`retrain` trains a candidate on the shipped train rows plus the feedback rows (weighted by
``TrainConfig.source_weights["feedback"]``), scores the candidate and the current model on every valid split
found under ``data_dirs`` (gov_comments, SmSA, NusaX-id; IndoLEM as binary negative-vs-not) and decides:

- refuse if on any split the candidate's macro-F1 is below the current model's minus the tolerance: the larger of
  ``f1_tolerance`` (0.01) and ``rows_tolerance`` (2) rows' worth of the split (2/n: 0.02 on the 97-row NusaX-id
  valid, 0.01 on SmSA's 1,246), since on a 100-row split one changed row moves macro-F1 by about 0.01;
- refuse if the in-domain (gov_comments) negative recall (case or review) is below ``recall_floor`` (0.95), or
  below the current model's when that is already under the floor;
- otherwise accept.

Recipe: the candidate is trained with the current model's recorded ``TrainConfig`` (``meta.json["config"]``), so
a retrain changes the data and nothing else; the defaults apply only when the model records none.

Thresholds: by default the candidate reuses the current model's case/review/question thresholds (no
cross-validation), so a nightly retrain is one fit: about 30 s on one core with the full shipped data (feature
extraction ~10 s, fit ~15 s, scoring the valid splits ~3 s). With ``cross_validate=True`` (or without a current
format-2 model) the thresholds are chosen again by a 1×5-fold CV (about 75 s more). Runs in the calling thread;
no processes, no global state. The candidate is written to ``out_dir`` together with ``gate.json`` (the decision)
either way; the caller deploys it (points the classifier at ``out_dir``) only when ``accepted``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from humas.sentiment.base import Label
from humas.sentiment.model import LinearArtifact
from humas.sentiment.train import GOV_SOURCE, TrainConfig, config_from_meta, score_valid, train, with_overrides

KEPT = ("n", "macro_f1", "negative_recall", "case_share", "review_share", "question_share", "case_precision")


@dataclass(frozen=True)
class Gate:
    """What a candidate must do to replace the current model."""

    f1_tolerance: float = 0.01
    rows_tolerance: int = 2
    recall_floor: float = 0.95
    in_domain: str = GOV_SOURCE


@dataclass
class Candidate:
    """A retrained model and the gate's decision. ``scores[split] = {"candidate": {...}, "current": {...}}``."""

    model_dir: Path
    accepted: bool
    reason: str
    scores: dict[str, dict[str, dict[str, Any]]]
    feedback_rows: int
    seconds: float
    thresholds: str
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["model_dir"] = str(self.model_dir)
        return out


def decide(scores: dict[str, dict[str, dict[str, Any]]], gate: Gate) -> tuple[bool, str, list[str]]:
    """Accept or refuse from per-split candidate/current figures; returns (accepted, reason, problems)."""
    problems: list[str] = []
    for split, pair in sorted(scores.items()):
        cand, cur = pair["candidate"], pair.get("current")
        tolerance = max(gate.f1_tolerance, gate.rows_tolerance / max(int(cand.get("n", 0)), 1))
        if cur is not None and cand["macro_f1"] < cur["macro_f1"] - tolerance:
            problems.append(
                f"{split}: macro-F1 {cand['macro_f1']:.4f} < current {cur['macro_f1']:.4f} - {tolerance:.4f}"
            )
        if split == gate.in_domain:
            floor = gate.recall_floor if cur is None else min(gate.recall_floor, cur["negative_recall"])
            if cand["negative_recall"] < floor:
                problems.append(f"{split}: negative recall {cand['negative_recall']:.4f} < {floor:.4f}")
    if gate.in_domain not in scores:
        problems.append(f"no {gate.in_domain} valid split to check negative recall on")
    if problems:
        return False, "refused: " + "; ".join(problems), problems
    return True, (
        f"accepted: no valid split lost more than max({gate.f1_tolerance}, {gate.rows_tolerance}/n) macro-F1 and "
        f"{gate.in_domain} negative recall held the floor"
    ), []


def retrain(
    data_dirs: Sequence[Path | str],
    feedback: Sequence[tuple[str, Label]],
    out_dir: Path | str,
    current_model_dir: Path | str | None,
    *,
    config: TrainConfig | None = None,
    gate: Gate | None = None,
    cross_validate: bool = False,
) -> Candidate:
    """Train a candidate with ``feedback`` into ``out_dir`` and gate it against ``current_model_dir`` (None: no
    current model, so only the recall floor applies). See the module docstring."""
    start = time.perf_counter()
    gate = gate or Gate()
    current = LinearArtifact.load(current_model_dir) if current_model_dir is not None else None
    config = config or (config_from_meta(current.meta) if current is not None else None) or TrainConfig()
    reuse = current is not None and current.format_version >= 2 and not cross_validate
    if not reuse:
        config = with_overrides(config, repeats=1)
    report = train(data_dirs, out_dir, extra_examples=feedback, config=config,
                   thresholds=current.thresholds if reuse and current is not None else None)
    current_report = score_valid(current, data_dirs) if current is not None else {}
    scores: dict[str, dict[str, dict[str, Any]]] = {}
    for split, figures in report.items():
        scores[split] = {"candidate": {k: figures[k] for k in KEPT}}
        if split in current_report:
            scores[split]["current"] = {k: current_report[split][k] for k in KEPT}
    accepted, reason, problems = decide(scores, gate)
    candidate = Candidate(
        model_dir=Path(out_dir),
        accepted=accepted,
        reason=reason,
        scores=scores,
        feedback_rows=len(feedback),
        seconds=round(time.perf_counter() - start, 1),
        thresholds="reused from the current model" if reuse else f"{config.folds}-fold cross-validation",
        problems=problems,
    )
    (Path(out_dir) / "gate.json").write_text(json.dumps(candidate.to_dict(), indent=2) + "\n", encoding="utf-8")
    return candidate
