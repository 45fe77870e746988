"""The default offline model: linear heads over normalised word/char/cue features, stored as plain data.

An artifact is a directory with three files, none of which can execute code when loaded:

- ``meta.json``: format version, labels, triage thresholds, feature settings, training summary and metrics;
- ``vocab.json``: ``{"word": [...], "char": [...], "cue": [...]}``, terms in column order;
- ``weights.npz``: ``idf_<block>``, ``coef`` (3 × features), ``intercept`` (3) and, from format 2, the question
  head ``q_coef`` (features) and ``q_intercept`` (1); from format 3, optionally a gated in-domain head: ``d_coef``
  (3 × features), ``d_intercept`` (3), ``g_coef`` (features), ``g_intercept`` (1); read with ``allow_pickle=False``.

Format 3 (current): as format 2, plus the optional gated in-domain head. Sentiment logits are
``z + meta["domain_mix"] × g × (z_domain − z)`` with ``g`` = P(in-domain | text) from the gate head, so comments
that look like the government comments the model was adapted on get the in-domain head's say and other text
keeps the general head's (see ``train.py``).
Format 2: ``meta["thresholds"] = {"case", "review", "question"}`` chosen by cross-validation (see
``train.py``), and a learned question head, combined with :func:`humas.sentiment.questions.question_score` as
``meta["question_mode"]`` says (``head``, ``max`` or ``mean``).
Format 1 (older artifacts) still loads: ``meta["threshold"]`` is both the case and the review threshold, and
questions come from the rule alone (its escalation head is ignored).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from humas.errors import InvalidInput
from humas.sentiment.abusive import AbusiveFilter, default_abusive_filter
from humas.sentiment.base import LABELS, Prediction, Thresholds, triage
from humas.sentiment.features import BLOCKS, Block, CueMatcher, FeatureConfig, Vectorizer, default_cues
from humas.sentiment.normalize import Normalizer, default_normalizer
from humas.sentiment.questions import question_score

FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
FILES = ("meta.json", "vocab.json", "weights.npz")
QUESTION_MODES = ("rule", "head", "max", "mean")


def shipped_model_dir() -> Path:
    """Directory of the artifact shipped inside the package."""
    return Path(str(resources.files("humas.sentiment") / "model"))


@dataclass
class DomainHead:
    """A sentiment head fitted on in-domain rows and the gate that says how much it counts for a text."""

    coef: npt.NDArray[np.float32]  # 3 × features
    intercept: npt.NDArray[np.float32]  # 3
    gate_coef: npt.NDArray[np.float32]  # features
    gate_intercept: float
    mix: float

    def gate(self, x: Any) -> npt.NDArray[np.float64]:
        """P(in-domain) per row of the feature matrix ``x``."""
        z = np.asarray(x @ self.gate_coef, dtype=np.float64).ravel() + self.gate_intercept
        out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return out


@dataclass
class LinearArtifact:
    """Everything an artifact holds, in memory. ``q_coef`` is None for format-1 artifacts (rule-based questions)."""

    vectorizer: Vectorizer
    coef: npt.NDArray[np.float32]
    intercept: npt.NDArray[np.float32]
    thresholds: Thresholds
    q_coef: npt.NDArray[np.float32] | None = None
    q_intercept: float = 0.0
    question_mode: str = "rule"
    domain: DomainHead | None = None
    format_version: int = FORMAT_VERSION
    meta: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, x: Any) -> npt.NDArray[np.float64]:
        """Label probabilities (n × 3, :data:`LABELS` order) of the feature matrix ``x``."""
        z = np.asarray(x @ self.coef.T, dtype=np.float64) + self.intercept
        if self.domain is not None:
            d = self.domain
            z_domain = np.asarray(x @ d.coef.T, dtype=np.float64) + d.intercept
            z += (d.mix * d.gate(x))[:, None] * (z_domain - z)
        return softmax(z)

    def p_question_head(self, x: Any) -> npt.NDArray[np.float64] | None:
        """P(question) from the learned head, or None when the artifact has none (format 1)."""
        if self.q_coef is None:
            return None
        z = np.asarray(x @ self.q_coef, dtype=np.float64).ravel() + self.q_intercept
        out: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp(-z))
        return out

    @property
    def threshold(self) -> float:
        """The case threshold (what format 1 called the escalation threshold)."""
        return self.thresholds.case

    def save(self, out_dir: Path | str) -> None:
        """Write the three files (format 2) into ``out_dir`` (created if needed); other files there are left alone."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        blocks = self.vectorizer.blocks
        vocab = {name: sorted(blocks[name].vocab, key=blocks[name].vocab.__getitem__) for name in BLOCKS}
        arrays: dict[str, npt.NDArray[Any]] = {f"idf_{name}": blocks[name].idf.astype(np.float32) for name in BLOCKS}
        arrays.update(coef=self.coef.astype(np.float32), intercept=self.intercept.astype(np.float32))
        if self.q_coef is not None:
            arrays.update(
                q_coef=self.q_coef.astype(np.float32), q_intercept=np.asarray([self.q_intercept], dtype=np.float32)
            )
        if self.domain is not None:
            d = self.domain
            arrays.update(d_coef=d.coef.astype(np.float32), d_intercept=d.intercept.astype(np.float32),
                          g_coef=d.gate_coef.astype(np.float32),
                          g_intercept=np.asarray([d.gate_intercept], dtype=np.float32))
        np.savez_compressed(out / "weights.npz", **arrays)  # type: ignore[arg-type]
        (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        meta = dict(self.meta)
        meta.update(
            format_version=FORMAT_VERSION,
            labels=list(LABELS),
            thresholds={"case": self.thresholds.case, "review": self.thresholds.review,
                        "question": self.thresholds.question},
            threshold=self.thresholds.case,
            question_mode=self.question_mode if self.q_coef is not None else "rule",
            features=asdict(self.vectorizer.config),
            block_weights={name: blocks[name].weight for name in BLOCKS},
            domain_mix=self.domain.mix if self.domain is not None else 0.0,
        )
        (out / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, model_dir: Path | str) -> LinearArtifact:
        """Read an artifact directory (format 1 or 2); anything missing or inconsistent → InvalidInput."""
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
        version = meta.get("format_version") if isinstance(meta, dict) else None
        if version not in READABLE_VERSIONS or tuple(meta.get("labels", ())) != LABELS:
            raise InvalidInput(f"{root}: unsupported model format {version!r}")
        try:
            return cls._from_parts(meta, vocab, arrays, int(version))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"{root}: inconsistent sentiment model ({exc})") from exc

    @classmethod
    def _from_parts(
        cls, meta: dict[str, Any], vocab: dict[str, list[str]], arrays: dict[str, npt.NDArray[Any]], version: int
    ) -> LinearArtifact:
        weights = meta.get("block_weights", {})
        blocks = {
            name: Block({t: i for i, t in enumerate(vocab[name])}, arrays[f"idf_{name}"], float(weights[name]))
            for name in BLOCKS
        }
        if version == 1:
            # Format 1 had no negation-scope terms; extracting them would only add unknown terms, but keep it exact.
            features = FeatureConfig(negation_scope=0)
            case = float(meta["threshold"])
            thresholds = Thresholds(case=case, review=case)
        else:
            features = FeatureConfig.recorded(meta.get("features", {}))
            t = meta["thresholds"]
            thresholds = Thresholds(case=float(t["case"]), review=float(t["review"]), question=float(t["question"]))
        vectorizer = Vectorizer(blocks, features)
        coef = arrays["coef"]
        if coef.shape != (len(LABELS), vectorizer.n_features):
            raise ValueError("weights do not match the vocabulary")
        q_coef = arrays.get("q_coef") if version >= 2 else None
        if q_coef is not None and q_coef.shape != (vectorizer.n_features,):
            raise ValueError("question head does not match the vocabulary")
        mode = str(meta.get("question_mode", "rule")) if q_coef is not None else "rule"
        if mode not in QUESTION_MODES:
            raise ValueError(f"unknown question_mode {mode!r}")
        return cls(
            vectorizer=vectorizer,
            coef=coef,
            intercept=arrays["intercept"],
            thresholds=thresholds,
            q_coef=q_coef,
            q_intercept=float(arrays["q_intercept"][0]) if q_coef is not None else 0.0,
            question_mode=mode,
            domain=_domain_head(meta, arrays, vectorizer.n_features) if version >= 3 else None,
            format_version=version,
            meta=meta,
        )


def _domain_head(meta: dict[str, Any], arrays: dict[str, npt.NDArray[Any]], n_features: int) -> DomainHead | None:
    """The gated in-domain head of a format-3 artifact, or None when it was trained without one."""
    if "d_coef" not in arrays:
        return None
    head = DomainHead(arrays["d_coef"], arrays["d_intercept"], arrays["g_coef"], float(arrays["g_intercept"][0]),
                      float(meta["domain_mix"]))
    if head.coef.shape != (len(LABELS), n_features) or head.gate_coef.shape != (n_features,):
        raise ValueError("in-domain head does not match the vocabulary")
    if not 0.0 <= head.mix <= 1.0:
        raise ValueError(f"domain_mix {head.mix} is not between 0 and 1")
    return head


def softmax(z: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Row-wise softmax."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: npt.NDArray[np.float64] = e / e.sum(axis=1, keepdims=True)
    return out


def combine_question(head: npt.NDArray[np.float64] | None, rule: npt.NDArray[np.float64], mode: str) -> (
    npt.NDArray[np.float64]
):
    """P(question) from the learned head and :func:`question_score` (``mode``: rule, head, max or mean)."""
    if head is None or mode == "rule":
        return rule
    if mode == "head":
        return head
    if mode == "max":
        return np.maximum(head, rule)
    return (head + rule) / 2.0


class LinearClassifier:
    """:class:`~humas.sentiment.base.Classifier` over a :class:`LinearArtifact`.

    ``threshold`` overrides the case threshold; the review threshold is then clipped to at most it.
    """

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
        own = artifact.thresholds
        self.thresholds = own if threshold is None else Thresholds(threshold, min(own.review, threshold), own.question)
        self.abusive = abusive or default_abusive_filter()
        self.normalizer = normalizer or default_normalizer()
        self.batch_size = max(1, batch_size)
        self._cues = CueMatcher(default_cues())

    @property
    def threshold(self) -> float:
        """The case threshold in use."""
        return self.thresholds.case

    @classmethod
    def load(cls, model_dir: Path | str | None = None, **kwargs: Any) -> LinearClassifier:
        """Load an artifact directory (default: the shipped model)."""
        return cls(LinearArtifact.load(model_dir or shipped_model_dir()), **kwargs)

    def scores(self, texts: Sequence[str]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(label probabilities n × 3 in :data:`LABELS` order, P(question) n)."""
        probs, p_question, _ = self._scores([t if isinstance(t, str) else str(t) for t in texts])
        return probs, p_question

    def _scores(self, texts: Sequence[str]) -> tuple[
        npt.NDArray[np.float64], npt.NDArray[np.float64], list[list[str]]
    ]:
        raw = [self.normalizer.raw_tokens(t) for t in texts]
        tokens = [self.normalizer.map_tokens(r) for r in raw]
        art = self.artifact
        x = art.vectorizer.transform_tokens(tokens, self._cues)
        probs = art.probabilities(x)
        head = art.p_question_head(x)
        rule = np.fromiter((question_score(t) for t in texts), dtype=np.float64, count=len(texts))
        return probs, combine_question(head, rule, art.question_mode), raw

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """Classify in batches of ``batch_size``; see :class:`~humas.sentiment.base.Classifier`."""
        out: list[Prediction] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [t if isinstance(t, str) else str(t) for t in texts[start : start + self.batch_size]]
            probs, p_question, raw = self._scores(batch)
            for p, q, r in zip(probs.tolist(), p_question.tolist(), raw, strict=True):
                matched = self.abusive.find_in_tokens(r)
                out.append(
                    Prediction(
                        label=LABELS[int(np.argmax(p))],
                        probabilities=dict(zip(LABELS, p, strict=True)),
                        tier=triage(p[0], q, bool(matched), self.thresholds),
                        abusive=bool(matched),
                        matched_abusive=matched,
                        p_question=q,
                    )
                )
        return out
