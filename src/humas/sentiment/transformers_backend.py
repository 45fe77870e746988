"""A :class:`~humas.sentiment.base.Classifier` over any Hugging Face sequence-classification checkpoint.

torch and transformers are imported only when a :class:`TransformersClassifier` is built; without them it raises
:class:`~humas.errors.Unavailable`. With ``HF_HUB_OFFLINE`` set (as in tests and air-gapped offices) nothing is
downloaded: a hub id must already be in the local cache.

Label mapping (``model.config.id2label`` values, compared case-insensitively):

====================================================  ========
``negative``, ``neg``, ``negatif``, ``label_0``, ``0``   negative
``neutral``, ``neu``, ``netral``, ``label_1``, ``1``     neutral
``positive``, ``pos``, ``positif``, ``label_2``, ``2``   positive
====================================================  ========

``LABEL_n``/``n`` follow the cardiffnlp "twitter-roberta-sentiment" order (negative, neutral, positive) for
three-label models, and negative/positive for two-label models. Checkpoints fine-tuned with the IndoNLU SmSA code
use the opposite order (positive=0, neutral=1, negative=2; e.g. mdhugol/indonesia-bert-sentiment-classification);
for those pass ``label_map={"LABEL_0": "positive", "LABEL_1": "neutral", "LABEL_2": "negative"}``, which takes
precedence over this table. Any other name is an InvalidInput error, never a guess.

Triage thresholds (:class:`~humas.sentiment.base.Thresholds`), first match wins: the ``thresholds`` argument; a
single ``threshold`` argument (case = review = threshold, as ``[sentiment] threshold`` in the config); the
``humas.json`` written next to the weights by ``humas sentiment finetune`` (also its ``max_length``); else
case = review = 0.5. P(question) comes from :func:`~humas.sentiment.questions.question_score`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from humas.errors import InvalidInput, Unavailable
from humas.sentiment.abusive import AbusiveFilter, default_abusive_filter
from humas.sentiment.base import LABELS, Label, Prediction, Thresholds, triage
from humas.sentiment.questions import question_score

METADATA_FILE = "humas.json"
"""What ``humas sentiment finetune`` writes next to the weights: thresholds, training data, validation metrics."""
DEFAULT_THRESHOLD = 0.5
DEFAULT_MAX_LENGTH = 256

_NAMED: dict[str, Label] = {
    "negative": "negative", "neg": "negative", "negatif": "negative",
    "neutral": "neutral", "neu": "neutral", "netral": "neutral",
    "positive": "positive", "pos": "positive", "positif": "positive",
}
_BY_INDEX: dict[int, dict[str, Label]] = {
    2: {"label_0": "negative", "0": "negative", "label_1": "positive", "1": "positive"},
    3: {
        "label_0": "negative", "0": "negative", "label_1": "neutral", "1": "neutral",
        "label_2": "positive", "2": "positive",
    },
}


def map_labels(id2label: Mapping[int, str], overrides: Mapping[str, str] | None = None) -> dict[int, Label]:
    """Map a checkpoint's ``id2label`` to humas labels; see the module docstring. Unknown names → InvalidInput."""
    by_index: dict[str, Label] = dict(_BY_INDEX.get(len(id2label), {}))
    for key, value in (overrides or {}).items():
        if value not in LABELS:
            raise InvalidInput(f"label_map value {value!r} is not one of {', '.join(LABELS)}")
        by_index[key.strip().lower()] = value  # type: ignore[assignment]
    mapped: dict[int, Label] = {}
    for idx, raw in id2label.items():
        name = str(raw).strip().lower()
        label = by_index.get(name) or _NAMED.get(name)
        if label is None:
            raise InvalidInput(
                f"model label {raw!r} (id {idx}) is not a sentiment label; expected names like "
                "negative/neutral/positive, neg/neu/pos or LABEL_0..LABEL_2"
            )
        mapped[int(idx)] = label
    if len(set(mapped.values())) != len(mapped) or "negative" not in mapped.values():
        raise InvalidInput(f"model labels {dict(id2label)!r} must be distinct and include a negative label")
    return mapped


def read_metadata(model: str | Path) -> dict[str, Any] | None:
    """The ``humas.json`` of a local model directory, None when there is none (hub ids, foreign checkpoints).

    Unreadable JSON or thresholds outside ``0 <= review <= case <= 1`` → InvalidInput naming the file.
    """
    path = Path(model) / METADATA_FILE
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
        if "thresholds" in meta:
            thresholds_from(meta)
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(f"{path}: not a valid humas model file ({exc})") from exc
    return meta


def thresholds_from(meta: Mapping[str, Any]) -> Thresholds:
    """:class:`Thresholds` from a ``humas.json`` mapping (``{"thresholds": {"case", "review", "question"}}``)."""
    raw = meta["thresholds"]
    return Thresholds(
        case=float(raw["case"]), review=float(raw["review"]), question=float(raw.get("question", 0.5))
    )


class TransformersClassifier:
    """Batched, truncated inference with ``AutoModelForSequenceClassification``; triage by P(negative)."""

    name = "transformers"

    def __init__(
        self,
        model: str,
        batch_size: int = 32,
        max_length: int | None = None,
        device: str = "cpu",
        *,
        threshold: float | None = None,
        thresholds: Thresholds | None = None,
        abusive: AbusiveFilter | None = None,
        label_map: Mapping[str, str] | None = None,
    ) -> None:
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise InvalidInput(f"threshold must be between 0 and 1, got {threshold}")
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:
            raise Unavailable(
                f"the transformers backend needs torch and transformers ({exc.name} is missing): "
                "pip install 'humas[transformers]'"
            ) from exc
        meta = read_metadata(model)
        offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")
        try:
            self._tokenizer: Any = AutoTokenizer.from_pretrained(model, local_files_only=offline)
            self._model: Any = AutoModelForSequenceClassification.from_pretrained(model, local_files_only=offline)
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"cannot load sentiment model {model!r}: {str(exc).splitlines()[0]}") from exc
        self._torch: Any = torch
        self._model.to(device)
        self._model.eval()
        self._labels = map_labels(self._model.config.id2label, label_map)
        self.model = model
        self.device = device
        self.batch_size = max(1, batch_size)
        self.metadata: dict[str, Any] = meta or {}
        if max_length is None:
            max_length = int(self.metadata.get("max_length", DEFAULT_MAX_LENGTH))
        self.max_length = max_length
        if thresholds is None and threshold is not None:
            thresholds = Thresholds(case=threshold, review=threshold)
        if thresholds is None and "thresholds" in self.metadata:
            thresholds = thresholds_from(self.metadata)
        self.thresholds = thresholds or Thresholds(case=DEFAULT_THRESHOLD, review=DEFAULT_THRESHOLD)
        self.abusive = abusive or default_abusive_filter()

    @property
    def threshold(self) -> float:
        """P(negative) from which a comment opens a case (``thresholds.case``)."""
        return self.thresholds.case

    def classify(self, texts: Sequence[str]) -> list[Prediction]:
        """See :class:`~humas.sentiment.base.Classifier`. Labels the checkpoint lacks get probability 0."""
        out: list[Prediction] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [t if isinstance(t, str) else str(t) for t in texts[start : start + self.batch_size]]
            encoded = self._tokenizer(
                batch, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
            ).to(self.device)
            with self._torch.inference_mode():
                logits = self._model(**encoded).logits
            probs = self._torch.softmax(logits.float(), dim=-1).cpu().tolist()
            for text, row in zip(batch, probs, strict=True):
                probabilities: dict[str, float] = dict.fromkeys(LABELS, 0.0)
                for idx, p in enumerate(row):
                    probabilities[self._labels[idx]] += float(p)
                label = max(LABELS, key=probabilities.__getitem__)
                matched = self.abusive.find(text)
                p_question = question_score(text)
                tier = triage(probabilities["negative"], p_question, bool(matched), self.thresholds)
                out.append(Prediction(label, probabilities, tier, bool(matched), matched, p_question))
        return out
