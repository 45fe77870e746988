"""The default offline model: linear heads over normalised word/char/cue features, stored as plain data.

An artifact is a directory with three files, none of which can execute code when loaded:

- ``meta.json``: format version, labels, thresholds, block weights, training summary and metrics;
- ``vocab.json``: ``{"word": [...], "char": [...], "cue": [...]}``, terms in column order;
- ``weights.npz``: ``idf_<block>``, ``coef`` (3 × features), ``intercept`` (3), ``esc_coef`` (features),
  ``esc_intercept`` (1); read with ``allow_pickle=False``.

The sentiment head is a multinomial logistic regression; the escalation head a binary one trained on
gov_comments ``needs_escalation`` (and negative rows elsewhere), so calm problem reports escalate too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from humas.errors import InvalidInput
from humas.sentiment.abusive import AbusiveFilter, default_abusive_filter
from humas.sentiment.base import LABELS, Prediction, escalation_decision
from humas.sentiment.features import BLOCKS, Block, CueMatcher, Vectorizer, default_cues, extract
from humas.sentiment.normalize import Normalizer, default_normalizer

FORMAT_VERSION = 1
FILES = ("meta.json", "vocab.json", "weights.npz")


def shipped_model_dir() -> Path:
    """Directory of the artifact shipped inside the package."""
    return Path(str(resources.files("humas.sentiment") / "model"))


@dataclass
class LinearArtifact:
    """Everything an artifact holds, in memory."""

    vectorizer: Vectorizer
    coef: npt.NDArray[np.float32]
    intercept: npt.NDArray[np.float32]
    esc_coef: npt.NDArray[np.float32]
    esc_intercept: float
    threshold: float
    escalate_threshold: float
    meta: dict[str, Any] = field(default_factory=dict)

    def save(self, out_dir: Path | str) -> None:
        """Write the three files into ``out_dir`` (created if needed); other files there are left alone."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        blocks = self.vectorizer.blocks
        vocab = {name: sorted(blocks[name].vocab, key=blocks[name].vocab.__getitem__) for name in BLOCKS}
        arrays: dict[str, npt.NDArray[Any]] = {f"idf_{name}": blocks[name].idf.astype(np.float32) for name in BLOCKS}
        arrays.update(
            coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            esc_coef=self.esc_coef.astype(np.float32),
            esc_intercept=np.asarray([self.esc_intercept], dtype=np.float32),
        )
        np.savez_compressed(out / "weights.npz", **arrays)  # type: ignore[arg-type]
        (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        meta = dict(self.meta)
        meta.update(
            format_version=FORMAT_VERSION,
            labels=list(LABELS),
            threshold=self.threshold,
            escalate_threshold=self.escalate_threshold,
            block_weights={name: blocks[name].weight for name in BLOCKS},
        )
        (out / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, model_dir: Path | str) -> LinearArtifact:
        """Read an artifact directory; anything missing or inconsistent → InvalidInput naming the problem."""
        root = Path(model_dir)
        missing = [name for name in FILES if not (root / name).is_file()]
        if missing:
            raise InvalidInput(f"{root}: not a sentiment model directory (missing {', '.join(missing)})")
        try:
            meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
            vocab = json.loads((root / "vocab.json").read_text(encoding="utf-8"))
            with np.load(root / "weights.npz", allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in npz.files}
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"{root}: unreadable sentiment model ({exc})") from exc
        if meta.get("format_version") != FORMAT_VERSION or tuple(meta.get("labels", ())) != LABELS:
            raise InvalidInput(f"{root}: unsupported model format {meta.get('format_version')!r}")
        weights = meta.get("block_weights", {})
        blocks = {
            name: Block({t: i for i, t in enumerate(vocab[name])}, arrays[f"idf_{name}"], float(weights[name]))
            for name in BLOCKS
        }
        vectorizer = Vectorizer(blocks)
        coef = arrays["coef"]
        if coef.shape != (len(LABELS), vectorizer.n_features) or arrays["esc_coef"].shape != (vectorizer.n_features,):
            raise InvalidInput(f"{root}: weights do not match the vocabulary")
        return cls(
            vectorizer=vectorizer,
            coef=coef,
            intercept=arrays["intercept"],
            esc_coef=arrays["esc_coef"],
            esc_intercept=float(arrays["esc_intercept"][0]),
            threshold=float(meta["threshold"]),
            escalate_threshold=float(meta["escalate_threshold"]),
            meta=meta,
        )


def _softmax(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: npt.NDArray[np.float64] = e / e.sum(axis=1, keepdims=True)
    return out


class LinearClassifier:
    """:class:`~humas.sentiment.base.Classifier` over a :class:`LinearArtifact`."""

    name = "default"

    def __init__(
        self,
        artifact: LinearArtifact,
        *,
        threshold: float | None = None,
        abusive: AbusiveFilter | None = None,
        normalizer: Normalizer | None = None,
        batch_size: int = 256,
    ) -> None:
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise InvalidInput(f"threshold must be between 0 and 1, got {threshold}")
        self.artifact = artifact
        self.threshold = artifact.threshold if threshold is None else threshold
        self.abusive = abusive or default_abusive_filter()
        self.normalizer = normalizer or default_normalizer()
        self.batch_size = max(1, batch_size)
        self._cues = CueMatcher(default_cues())

    @classmethod
    def load(cls, model_dir: Path | str | None = None, **kwargs: Any) -> LinearClassifier:
        """Load an artifact directory (default: the shipped model)."""
        return cls(LinearArtifact.load(model_dir or shipped_model_dir()), **kwargs)

    def scores(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(label probabilities n × 3 in :data:`LABELS` order, escalation-head probabilities n)."""
        docs = [extract(self.normalizer.tokens(t), self._cues) for t in texts]
        x = self.artifact.vectorizer.transform(docs)
        logits = np.asarray(x @ self.artifact.coef.T, dtype=np.float64) + self.artifact.intercept
        esc = np.asarray(x @ self.artifact.esc_coef, dtype=np.float64).ravel() + self.artifact.esc_intercept
        return _softmax(logits), 1.0 / (1.0 + np.exp(-esc))

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """Classify in batches of ``batch_size``; see :class:`~humas.sentiment.base.Classifier`."""
        out: list[Prediction] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [t if isinstance(t, str) else str(t) for t in texts[start : start + self.batch_size]]
            probs, esc = self.scores(batch)
            for text, p, e in zip(batch, probs, esc, strict=True):
                matched = self.abusive.find(text)
                escalate, score = escalation_decision(
                    float(p[0]), float(e), bool(matched), self.threshold, self.artifact.escalate_threshold
                )
                out.append(
                    Prediction(
                        label=LABELS[int(np.argmax(p))],
                        probabilities={label: float(v) for label, v in zip(LABELS, p, strict=True)},
                        needs_escalation=escalate,
                        escalation_score=score,
                        abusive=bool(matched),
                        matched_abusive=matched,
                    )
                )
        return out
