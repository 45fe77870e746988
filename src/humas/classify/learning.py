"""The learning loop: the Redaktur's corrections retrain the default model on a schedule; a new model is deployed
only when it does not lose on the shipped validation sets.

Corrections are :class:`~humas.store.models.LabelFeedback` rows (review-list decisions, relabelled comments and
cases). Once ``sentiment.min_feedback`` new ones have arrived since the last attempt, :meth:`Learning.run` trains a
candidate (:func:`humas.sentiment.learning.retrain`: shipped train rows + corrections), scores it and the current
model on every validation split and deploys it only when the gate accepts. Every attempt leaves an entry in the
audit register (``sentiment.model_deployed`` / ``sentiment.model_refused``, subject ``model``) with the figures.

Files under ``<data_dir>/models/learned/``: one directory per candidate (``model-<UTC time>``, refused ones
removed), ``deployed.json`` naming the deployed one (written atomically; :class:`ModelSlot` reloads when it
changes) and ``attempt.json`` (how many corrections the last attempt saw, so a refused candidate is not retried
until new corrections arrive). ``.lock``: one retraining at a time per data directory, also across daemons.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from humas.classify.feedback import feedback_rows
from humas.env import Env
from humas.errors import HumasError
from humas.sentiment.base import LABELS, Classifier, Label
from humas.store import audit

log = logging.getLogger("humas.learning")
ACTOR = "humas"


def learned_root(data_dir: Path) -> Path:
    return data_dir / "models" / "learned"


def deployed_dir(data_dir: Path) -> Path | None:
    """The deployed learned model's directory, or None (then the configured or shipped model serves)."""
    try:
        name = json.loads((learned_root(data_dir) / "deployed.json").read_text(encoding="utf-8"))["dir"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    path = learned_root(data_dir) / str(name)
    return path if path.is_dir() and "/" not in str(name) else None


def _write_json(path: Path, value: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)  # readers see the old file or the new one, never half of one


@dataclass
class LearningReport:
    """What one run did: ``outcome`` is skipped | deployed | refused | busy; ``reason`` says why."""

    outcome: str
    reason: str
    feedback_rows: int = 0
    model_dir: str | None = None
    scores: dict[str, Any] | None = None


class Learning:
    """Retrain-and-gate on a schedule. ``data_dirs`` finds the shipped training data (raises InvalidInput when there
    is none); ``current_model`` is the directory of the model now serving (None: the shipped one)."""

    def __init__(self, env: Env, *, data_dirs: Callable[[], list[Path]], current_model: Callable[[], Path | None],
                 min_feedback: int) -> None:
        self.env = env
        self.data_dirs = data_dirs
        self.current_model = current_model
        self.min_feedback = min_feedback
        self.root = learned_root(env.settings.data_dir)

    @contextmanager
    def _exclusive(self) -> Iterator[bool]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _seen(self) -> int:
        try:
            return int(json.loads((self.root / "attempt.json").read_text(encoding="utf-8"))["feedback_rows"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0

    def run(self, now: datetime | None = None, *, force: bool = False) -> LearningReport:
        """One attempt, if enough new corrections arrived (``force``: whatever their number)."""
        from humas.sentiment.learning import retrain

        now = now or self.env.clock()
        rows: list[tuple[str, Label]] = [(text, label) for text, label in feedback_rows(self.env.db) if label in LABELS]
        new = len(rows) - self._seen()
        if not rows or (new < self.min_feedback and not force):
            return LearningReport("skipped", f"{max(new, 0)} new correction(s), waiting for {self.min_feedback}",
                                  len(rows))
        with self._exclusive() as mine:
            if not mine:
                return LearningReport("busy", "another process is retraining", len(rows))
            data_dirs = self.data_dirs()
            out = self.root / f"model-{now.strftime('%Y%m%dT%H%M%SZ')}"
            if out.exists():
                shutil.rmtree(out)
            current = self.current_model()
            try:
                candidate = retrain(data_dirs, rows, out, current)
            except Exception:
                shutil.rmtree(out, ignore_errors=True)
                raise
            _write_json(self.root / "attempt.json", {"feedback_rows": len(rows), "at": now.isoformat()})
            outcome = "deployed" if candidate.accepted else "refused"
            if candidate.accepted:
                _write_json(self.root / "deployed.json", {"dir": out.name, "at": now.isoformat(),
                                                          "feedback_rows": len(rows)})
            with self.env.db.session() as s:
                audit.append(s, actor=ACTOR, action=f"sentiment.model_{outcome}", subject_type="model",
                             subject_id=out.name, note=candidate.reason, at=now,
                             data={"feedback_rows": len(rows), "replaces": current.name if current else "shipped",
                                   "seconds": candidate.seconds, "scores": candidate.scores})
            if not candidate.accepted:
                shutil.rmtree(out, ignore_errors=True)
            log.log(logging.INFO if candidate.accepted else logging.WARNING, "sentiment model %s: %s", outcome,
                    candidate.reason)
            return LearningReport(outcome, candidate.reason, len(rows), str(out) if candidate.accepted else None,
                                  candidate.scores)


class ModelSlot:
    """The classifier in use, reloaded when the learning loop deploys a new model (``deployed.json`` changes).

    ``build(model_dir)`` builds a classifier from a learned model directory, or from the configured model when
    given None. Only the default backend without an explicitly configured model follows deployments: a model an
    office chose by name stays until they change the config.
    """

    def __init__(self, data_dir: Path, build: Callable[[Path | None], Classifier], follow: bool) -> None:
        self.data_dir = data_dir
        self.build = build
        self.follow = follow
        self._stamp: tuple[float, str | None] | None = None
        self._classifier: Classifier | None = None
        self.model_dir: Path | None = None

    def _current_stamp(self) -> tuple[float, str | None]:
        if not self.follow:
            return (0.0, None)
        path = learned_root(self.data_dir) / "deployed.json"
        try:
            return (path.stat().st_mtime, str(deployed_dir(self.data_dir)))
        except OSError:
            return (0.0, None)

    def get(self) -> Classifier:
        stamp = self._current_stamp()
        if self._classifier is None or stamp != self._stamp:
            model_dir = deployed_dir(self.data_dir) if self.follow else None
            try:
                classifier = self.build(model_dir)
            except HumasError:
                if model_dir is None:
                    raise
                log.exception("learned model %s does not load; using the configured model", model_dir)
                classifier, model_dir = self.build(None), None
            self._classifier, self._stamp, self.model_dir = classifier, stamp, model_dir
        return self._classifier
