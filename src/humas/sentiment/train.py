"""Training the default model from data folders (``humas sentiment train``).

Data: every ``train.csv``/``train.tsv`` under the given folders (formats in ``data.py``); ``valid.*`` files are
only scored, never trained on. Rows are weighted by source: gov_comments (closest to real traffic) and
``extra_examples`` (Redaktur corrections) count several times. Binary 0/1 sources (IndoLEM) are left out by
default: label 0 means "not positive" (news and neutral tweets included), not "negative", and adding only their
positive rows (``use_binary_positives``) lowered cross-validated macro-F1 on gov_comments (0.831 → 0.845 without).
A second, in-domain head fitted on gov_comments (+ feedback) only is mixed into the general head in logit space
(``domain_mix``): it learns the register of comments under government posts ("min", "kapan", sarcastic praise).

The escalation threshold is chosen by stratified cross-validation on the gov_comments TRAIN rows: the highest
P(negative) threshold at which out-of-fold negative recall of the full escalation rule stays >= ``target_recall``
(a margin above the 0.95 the project requires). The valid splits play no part in any choice.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from humas.errors import InvalidInput
from humas.sentiment.abusive import AbusiveFilter, default_abusive_filter
from humas.sentiment.base import LABELS, Label
from humas.sentiment.data import Example, find_split_files, read_labelled_file
from humas.sentiment.features import CueMatcher, Vectorizer, default_cues, extract
from humas.sentiment.model import LinearArtifact
from humas.sentiment.normalize import default_normalizer

GOV_SOURCE = "gov_comments"
FEEDBACK_SOURCE = "feedback"

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called while training; the CLI draws a rich progress bar from it."""


@dataclass(frozen=True)
class TrainConfig:
    """Knobs of the default model. Values are those chosen by cross-validation on gov_comments train."""

    source_weights: Mapping[str, float] = field(
        default_factory=lambda: {GOV_SOURCE: 6.0, FEEDBACK_SOURCE: 8.0, "indolem_sentiment": 0.3}
    )
    balance_classes: bool = True
    c: float = 1.5
    esc_c: float = 2.0
    domain_mix: float = 0.25
    domain_c: float = 6.0
    block_weights: Mapping[str, float] = field(default_factory=lambda: {"word": 1.0, "char": 1.0, "cue": 0.5})
    min_df: Mapping[str, int] = field(default_factory=lambda: {"word": 2, "char": 3, "cue": 1})
    max_features: Mapping[str, int] = field(default_factory=lambda: {"word": 40000, "char": 60000})
    use_binary_positives: bool = False
    target_recall: float = 0.97
    escalate_threshold: float = 0.5
    folds: int = 5
    seed: int = 13


@dataclass
class Featurised:
    """Examples with their extracted term counts (extraction is the slow part, so it is done once)."""

    examples: list[Example]
    docs: list[dict[str, Counter[str]]]


def featurise(examples: Sequence[Example], progress: Progress | None = None) -> Featurised:
    """Normalise and extract features of every example."""
    normalizer = default_normalizer()
    cues = CueMatcher(default_cues())
    docs: list[dict[str, Counter[str]]] = []
    total = len(examples)
    for i, ex in enumerate(examples, 1):
        docs.append(extract(normalizer.tokens(ex.text), cues))
        if progress is not None and (i % 500 == 0 or i == total):
            progress("features", i, total)
    return Featurised(list(examples), docs)


def load_split(data_dirs: Iterable[Path | str], split: str) -> list[Example]:
    """All examples of ``split`` under ``data_dirs``; the source is the file's parent folder name."""
    examples: list[Example] = []
    for data_dir in data_dirs:
        for path in find_split_files(data_dir, split):
            examples.extend(read_labelled_file(path))
    return examples


def _usable(ex: Example, config: TrainConfig) -> bool:
    # IndoLEM "0" is "not positive": only its positive rows carry a clean 3-class label.
    return not ex.binary or (config.use_binary_positives and ex.label == "positive")


def _weights(examples: Sequence[Example], config: TrainConfig) -> npt.NDArray[np.float64]:
    w = np.array([config.source_weights.get(ex.source, 1.0) for ex in examples], dtype=np.float64)
    if config.balance_classes:
        labels = np.array([ex.label for ex in examples])
        total = w.sum()
        for label in LABELS:
            mask = labels == label
            if mask.any():
                w[mask] *= total / (len(LABELS) * w[mask].sum())
    return w


def _escalation_target(ex: Example) -> int:
    return int(ex.escalate if ex.escalate is not None else ex.label == "negative")


def fit(data: Featurised, config: TrainConfig, threshold: float = 0.5) -> LinearArtifact:
    """Fit vocabularies and both heads on ``data`` (rows ``_usable`` under ``config``)."""
    keep = [i for i, ex in enumerate(data.examples) if _usable(ex, config)]
    examples = [data.examples[i] for i in keep]
    docs = [data.docs[i] for i in keep]
    if len({ex.label for ex in examples}) < len(LABELS):
        raise InvalidInput("training data must contain negative, neutral and positive examples")
    vectorizer = Vectorizer.fit(
        docs, min_df=config.min_df, max_features=config.max_features, weights=config.block_weights
    )
    x = vectorizer.transform(docs)
    y = np.array([LABELS.index(ex.label) for ex in examples])
    w = _weights(examples, config)
    head = LogisticRegression(C=config.c, max_iter=2000)
    head.fit(x, y, sample_weight=w / w.mean())
    coef, intercept = head.coef_, head.intercept_
    gov = np.array([ex.source in (GOV_SOURCE, FEEDBACK_SOURCE) for ex in examples])
    if config.domain_mix > 0 and len(set(y[gov])) == len(LABELS):
        # An in-domain head, mixed in logit space: government comments have their own cues ("min", "kapan").
        domain = LogisticRegression(C=config.domain_c, max_iter=2000, class_weight="balanced")
        domain.fit(x[gov], y[gov])
        coef = (1 - config.domain_mix) * coef + config.domain_mix * domain.coef_
        intercept = (1 - config.domain_mix) * intercept + config.domain_mix * domain.intercept_
    y_esc = np.array([_escalation_target(ex) for ex in examples])
    w_esc = np.array([config.source_weights.get(ex.source, 1.0) for ex in examples], dtype=np.float64)
    esc = LogisticRegression(C=config.esc_c, max_iter=2000, class_weight="balanced")
    esc.fit(x, y_esc, sample_weight=w_esc / w_esc.mean())
    return LinearArtifact(
        vectorizer=vectorizer,
        coef=coef.astype(np.float32),
        intercept=intercept.astype(np.float32),
        esc_coef=esc.coef_[0].astype(np.float32),
        esc_intercept=float(esc.intercept_[0]),
        threshold=threshold,
        escalate_threshold=config.escalate_threshold,
    )


def predict(artifact: LinearArtifact, docs: Sequence[dict[str, Counter[str]]]) -> tuple[
    npt.NDArray[np.float64], npt.NDArray[np.float64]
]:
    """(probabilities n × 3, escalation-head probabilities n) for already extracted documents."""
    x = artifact.vectorizer.transform(docs)
    logits = np.asarray(x @ artifact.coef.T, dtype=np.float64) + artifact.intercept
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    esc = np.asarray(x @ artifact.esc_coef, dtype=np.float64).ravel() + artifact.esc_intercept
    return probs, 1.0 / (1.0 + np.exp(-esc))


@dataclass
class CrossValidation:
    """Out-of-fold predictions on the in-domain (gov_comments) training rows."""

    labels: list[Label]
    escalate: list[bool]
    probs: npt.NDArray[np.float64]
    esc: npt.NDArray[np.float64]
    abusive: npt.NDArray[np.bool_]


def cross_validate(
    data: Featurised, config: TrainConfig, abusive: AbusiveFilter, progress: Progress | None = None
) -> CrossValidation | None:
    """Stratified k-fold over gov_comments train rows, all other rows always in training. None without gov rows."""
    gov = [i for i, ex in enumerate(data.examples) if ex.source == GOV_SOURCE]
    if len(gov) < config.folds * 4:
        return None
    rest = [i for i, ex in enumerate(data.examples) if ex.source != GOV_SOURCE]
    strata = [f"{data.examples[i].label}/{data.examples[i].escalate}" for i in gov]
    probs = np.zeros((len(gov), len(LABELS)))
    esc = np.zeros(len(gov))
    folds = StratifiedKFold(n_splits=config.folds, shuffle=True, random_state=config.seed)
    for k, (tr, te) in enumerate(folds.split(np.zeros(len(gov)), strata), 1):
        idx = rest + [gov[j] for j in tr]
        part = Featurised([data.examples[i] for i in idx], [data.docs[i] for i in idx])
        artifact = fit(part, config)
        p, e = predict(artifact, [data.docs[gov[j]] for j in te])
        probs[te] = p
        esc[te] = e
        if progress is not None:
            progress("cross-validation", k, config.folds)
    examples = [data.examples[i] for i in gov]
    return CrossValidation(
        labels=[ex.label for ex in examples],
        escalate=[bool(ex.escalate) for ex in examples],
        probs=probs,
        esc=esc,
        abusive=np.array([bool(abusive.find(ex.text)) for ex in examples]),
    )


def choose_threshold(cv: CrossValidation, target_recall: float, escalate_threshold: float) -> float:
    """Highest P(negative) threshold whose out-of-fold negative recall (full escalation rule) >= target."""
    negative = np.array([label == "negative" for label in cv.labels])
    other = cv.abusive | (cv.esc >= escalate_threshold)
    for t in np.round(np.arange(0.80, 0.049, -0.01), 2):
        escalated = other | (cv.probs[:, 0] >= t)
        if escalated[negative].mean() >= target_recall:
            return float(t)
    return 0.05


def train(
    data_dirs: Sequence[Path | str],
    out_dir: Path | str,
    *,
    extra_examples: Iterable[tuple[str, Label]] = (),
    config: TrainConfig | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Train, choose the threshold by CV, save the artifact to ``out_dir`` and return the validation report.

    ``extra_examples`` are (text, label) pairs such as Redaktur corrections; they are weighted by
    ``config.source_weights["feedback"]``. The report maps each valid split to :func:`evaluate.score` output.
    """
    from humas.sentiment.evaluate import score_examples

    config = config or TrainConfig()
    examples = load_split(data_dirs, "train")
    for text, label in extra_examples:
        if label not in LABELS:
            raise InvalidInput(f"feedback label {label!r} is not one of {', '.join(LABELS)}")
        examples.append(Example(text, label, source=FEEDBACK_SOURCE))
    if not examples:
        raise InvalidInput(f"no train.csv/train.tsv files under {', '.join(map(str, data_dirs))}")
    data = featurise(examples, progress)
    abusive = default_abusive_filter()
    cv = cross_validate(data, config, abusive, progress)
    threshold = (
        choose_threshold(cv, config.target_recall, config.escalate_threshold) if cv is not None else 0.35
    )
    if progress is not None:
        progress("final model", 0, 1)
    artifact = fit(data, config, threshold)
    if progress is not None:
        progress("final model", 1, 1)
    counts = Counter(ex.source for ex in examples if _usable(ex, config))
    artifact.meta = {
        "trained_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "train_rows": dict(sorted(counts.items())),
        "config": {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in asdict(config).items()},
        "threshold_rule": (
            f"highest P(negative) threshold with out-of-fold negative recall >= {config.target_recall} "
            f"({config.folds}-fold CV on {GOV_SOURCE} train, escalation head at {config.escalate_threshold})"
        ),
    }
    if cv is not None:
        artifact.meta["cv_gov_train"] = _cv_summary(cv, threshold, config.escalate_threshold)
    artifact.save(out_dir)

    from humas.sentiment.model import LinearClassifier

    classifier = LinearClassifier(artifact, abusive=abusive)
    report: dict[str, Any] = {}
    valid = load_split(data_dirs, "valid")
    for source in sorted({ex.source for ex in valid}):
        rows = [ex for ex in valid if ex.source == source]
        report[source] = score_examples(classifier, rows)
    artifact.meta["valid"] = {
        source: {k: r[k] for k in ("n", "macro_f1", "negative_recall", "negative_precision")}
        for source, r in report.items()
    }
    artifact.save(out_dir)
    return report


def _cv_summary(cv: CrossValidation, threshold: float, escalate_threshold: float) -> dict[str, float]:
    from sklearn.metrics import f1_score

    pred = [LABELS[int(i)] for i in cv.probs.argmax(axis=1)]
    negative = np.array([label == "negative" for label in cv.labels])
    escalated = cv.abusive | (cv.esc >= escalate_threshold) | (cv.probs[:, 0] >= threshold)
    return {
        "macro_f1": round(float(f1_score(cv.labels, pred, average="macro")), 4),
        "negative_recall": round(float(escalated[negative].mean()), 4),
        "negative_precision": round(float(negative[escalated].mean()), 4),
    }


def with_overrides(config: TrainConfig, **changes: Any) -> TrainConfig:
    """A copy of ``config`` with fields replaced (used by experiments and tests)."""
    return replace(config, **changes)
