"""Training the default model from data folders (``humas sentiment train``).

Data: every ``train.csv``/``train.tsv`` under the given folders (formats in ``data.py``); ``valid.*`` files are
only scored, never trained on and never used for a choice. Rows are weighted by source (``source_weights``):
gov_comments (closest to real traffic) and ``extra_examples`` (Redaktur corrections) count more. Binary 0/1 rows
(IndoLEM) are used as ``binary_rows`` says: ``none``, or ``positives`` (label 1 as positive; label 0 is "not
positive", so those rows are left out).

Heads (all logistic regression on the same features, see ``features.py``):

- sentiment: multinomial over all rows, classes balanced, optionally mixed in logit space with an in-domain head
  fitted on gov_comments (+ feedback) only (``domain_mix``). With ``domain_gate`` the mix is not fixed: a gate head
  (binary, in-domain rows vs the rest) scales it per text, so text that looks like a government comment gets up to
  ``domain_mix`` of the in-domain head and review-site text keeps the general head (a fixed mix cost SmSA ~0.007
  macro-F1 in CV; see ``bench/RESULTS-sentiment.md``). The general head itself can be averaged in logit space with a
  word-only head (``word_head_mix``, a plain word TF-IDF model; on by default) or replaced by NB-weighted
  one-vs-rest heads (``nb_features``, measured in CV and left off); both fold into one coefficient matrix;
- question: binary, on gov_comments rows: target = a question that is not a complaint (``kind == question`` and not
  negative) or a calm problem report (neutral with ``needs_escalation``); combined with the rule
  :func:`~humas.sentiment.questions.question_score` as ``question_mode`` says.

Thresholds (:func:`choose_thresholds`) come from out-of-fold predictions on the gov_comments TRAIN rows in a
repeated stratified k-fold over all training rows (:func:`cross_validate`), NusaX-id rows kept in the fold of the
SmSA row they were rewritten from:

- review = the highest P(negative) threshold at which negative recall of (case or review) >= ``target_recall``
  (0.97, a margin above the required 0.95);
- case = the lowest threshold from which on case precision >= ``target_case_precision`` (0.80, a margin above the
  required 0.75) and the case share <= ``max_case_share`` (0.50); never below review;
- question = the threshold maximising the F1 of the question tier against the question target.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold

from humas.errors import InvalidInput
from humas.sentiment.abusive import default_abusive_filter
from humas.sentiment.base import LABELS, Label, Thresholds
from humas.sentiment.data import Example, find_split_files, read_labelled_file
from humas.sentiment.features import CueMatcher, FeatureConfig, Vectorizer, default_cues, extract
from humas.sentiment.model import DomainHead, LinearArtifact, combine_question
from humas.sentiment.normalize import default_normalizer
from humas.sentiment.questions import question_score

GOV_SOURCE = "gov_comments"
FEEDBACK_SOURCE = "feedback"
IN_DOMAIN = (GOV_SOURCE, FEEDBACK_SOURCE)

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called while training; the CLI draws a rich progress bar from it."""


@dataclass(frozen=True)
class TrainConfig:
    """Knobs of the default model. Defaults are those chosen by repeated cross-validation (see the model card)."""

    source_weights: Mapping[str, float] = field(
        default_factory=lambda: {GOV_SOURCE: 1.0, FEEDBACK_SOURCE: 6.0, "indolem_sentiment": 0.5}
    )
    balance_classes: bool = True
    c: float = 4.0
    domain_mix: float = 0.4
    domain_c: float = 6.0
    domain_gate: bool = True
    gate_c: float = 1.0
    nb_features: bool = False
    word_head_mix: float = 0.25
    word_head_c: float = 4.0
    question_c: float = 4.0
    question_mode: str = "max"
    block_weights: Mapping[str, float] = field(default_factory=lambda: {"word": 1.0, "char": 0.7, "cue": 0.7})
    min_df: Mapping[str, int] = field(default_factory=lambda: {"word": 2, "char": 3, "cue": 1})
    max_features: Mapping[str, int] = field(default_factory=lambda: {"word": 40000, "char": 60000})
    features: FeatureConfig = field(default_factory=FeatureConfig)
    binary_rows: str = "none"
    target_recall: float = 0.97
    target_case_precision: float = 0.80
    max_case_share: float = 0.50
    folds: int = 5
    repeats: int = 2
    seed: int = 13


@dataclass
class Featurised:
    """Examples with their normalised tokens and extracted term counts (extraction is slow, so it is done once)."""

    examples: list[Example]
    tokens: list[list[str]]
    docs: list[dict[str, Counter[str]]]

    def subset(self, idx: Sequence[int] | npt.NDArray[np.int64]) -> Featurised:
        return Featurised([self.examples[i] for i in idx], [self.tokens[i] for i in idx], [self.docs[i] for i in idx])


def featurise(examples: Sequence[Example], config: TrainConfig | None = None,
              progress: Progress | None = None) -> Featurised:
    """Normalise and extract features of every example."""
    features = (config or TrainConfig()).features
    normalizer = default_normalizer()
    cues = CueMatcher(default_cues())
    tokens: list[list[str]] = []
    docs: list[dict[str, Counter[str]]] = []
    total = len(examples)
    for i, ex in enumerate(examples, 1):
        toks = normalizer.tokens(ex.text)
        tokens.append(toks)
        docs.append(extract(toks, cues, features))
        if progress is not None and (i % 500 == 0 or i == total):
            progress("features", i, total)
    return Featurised(list(examples), tokens, docs)


def load_split(data_dirs: Iterable[Path | str], split: str) -> list[Example]:
    """All examples of ``split`` under ``data_dirs``; the source is the file's parent folder name."""
    examples: list[Example] = []
    for data_dir in data_dirs:
        for path in find_split_files(data_dir, split):
            examples.extend(read_labelled_file(path))
    return examples


def usable(ex: Example, config: TrainConfig) -> bool:
    """Whether a row is trained on: 3-class rows always; binary rows as ``config.binary_rows`` says."""
    if not ex.binary:
        return True
    return config.binary_rows == "positives" and ex.label == "positive"


def question_target(ex: Example) -> int | None:
    """1 for a non-complaint question or a calm problem report, 0 otherwise; None when the row has no ``kind``."""
    if ex.kind is None:
        return None
    return int((ex.kind == "question" and ex.label != "negative") or (ex.label == "neutral" and bool(ex.escalate)))


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


def fit(data: Featurised, config: TrainConfig, thresholds: Thresholds | None = None) -> LinearArtifact:
    """Fit vocabularies and heads on ``data`` (rows :func:`usable` under ``config``)."""
    keep = [i for i, ex in enumerate(data.examples) if usable(ex, config)]
    part = data.subset(keep)
    examples = part.examples
    if len({ex.label for ex in examples}) < len(LABELS):
        raise InvalidInput("training data must contain negative, neutral and positive examples")
    vectorizer = Vectorizer.fit(
        part.docs, min_df=config.min_df, max_features=config.max_features, weights=config.block_weights,
        config=config.features,
    )
    x = vectorizer.transform(part.docs)
    y = np.array([LABELS.index(ex.label) for ex in examples])
    w = _weights(examples, config)
    coef, intercept = _nb_head(x, y, w, config.c) if config.nb_features else _lr_head(x, y, w, config.c)
    if config.word_head_mix > 0:
        # A word-only head (a plain word TF-IDF model) averaged in logit space: one linear model again.
        end = vectorizer.offsets["char"]
        word_coef, word_intercept = _lr_head(x[:, :end], y, w, config.word_head_c)
        padded = np.zeros_like(coef)
        padded[:, :end] = word_coef
        coef = (1 - config.word_head_mix) * coef + config.word_head_mix * padded
        intercept = (1 - config.word_head_mix) * intercept + config.word_head_mix * word_intercept
    gov = np.array([ex.source in IN_DOMAIN for ex in examples])
    domain_head: DomainHead | None = None
    if config.domain_mix > 0 and len(set(y[gov])) == len(LABELS):
        # An in-domain head, mixed in logit space: government comments have their own cues ("min", "kapan").
        domain = LogisticRegression(C=config.domain_c, max_iter=3000, class_weight="balanced")
        domain.fit(x[gov], y[gov])
        if config.domain_gate and not gov.all():
            domain_head = _gated(x, gov, domain, config)
        else:
            coef = (1 - config.domain_mix) * coef + config.domain_mix * domain.coef_
            intercept = (1 - config.domain_mix) * intercept + config.domain_mix * domain.intercept_
    q_rows = [(i, t) for i, ex in enumerate(examples) if (t := question_target(ex)) is not None]
    q_coef: npt.NDArray[np.float32] | None = None
    q_intercept = 0.0
    if config.question_mode != "rule" and len({t for _, t in q_rows}) == 2:
        q = LogisticRegression(C=config.question_c, max_iter=3000, class_weight="balanced")
        q.fit(x[[i for i, _ in q_rows]], np.array([t for _, t in q_rows]))
        q_coef, q_intercept = q.coef_[0].astype(np.float32), float(q.intercept_[0])
    return LinearArtifact(
        vectorizer=vectorizer,
        coef=coef.astype(np.float32),
        intercept=intercept.astype(np.float32),
        thresholds=thresholds or Thresholds(0.5, 0.5),
        q_coef=q_coef,
        q_intercept=q_intercept,
        question_mode=config.question_mode if q_coef is not None else "rule",
        domain=domain_head,
    )


def _lr_head(x: Any, y: npt.NDArray[np.int64], w: npt.NDArray[np.float64], c: float) -> (
    tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]
):
    """Multinomial logistic regression: (coef 3 × features, intercept 3)."""
    head = LogisticRegression(C=c, max_iter=3000)
    head.fit(x, y, sample_weight=w / w.mean())
    return head.coef_, head.intercept_


def _nb_head(x: Any, y: npt.NDArray[np.int64], w: npt.NDArray[np.float64], c: float) -> (
    tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]
):
    """NB-weighted one-vs-rest heads (Wang & Manning 2012, "NBSVM" with logistic loss): each class's features
    are scaled by their log-count ratio r; the scale is folded into the coefficients (coef_k = w_k * r_k), so
    inference stays one product and the three logits go through the usual softmax."""
    coefs, intercepts = [], []
    for k in range(len(LABELS)):
        mine = y == k
        p = 1.0 + np.asarray(abs(x[mine]).sum(axis=0)).ravel()
        q = 1.0 + np.asarray(abs(x[~mine]).sum(axis=0)).ravel()
        r = np.log((p / p.sum()) / (q / q.sum()))
        head = LogisticRegression(C=c, max_iter=3000)
        head.fit(x @ sparse.diags(r), mine.astype(np.int64), sample_weight=w / w.mean())
        coefs.append(head.coef_[0] * r)
        intercepts.append(head.intercept_[0])
    return np.array(coefs), np.array(intercepts)


def _gated(x: Any, in_domain: npt.NDArray[np.bool_], domain: LogisticRegression, config: TrainConfig) -> DomainHead:
    """The in-domain head with its gate: P(in-domain | text), classes balanced (400 rows against 11,000)."""
    gate = LogisticRegression(C=config.gate_c, max_iter=3000, class_weight="balanced")
    gate.fit(x, in_domain.astype(np.int64))
    return DomainHead(domain.coef_.astype(np.float32), domain.intercept_.astype(np.float32),
                      gate.coef_[0].astype(np.float32), float(gate.intercept_[0]), config.domain_mix)


def predict(artifact: LinearArtifact, data: Featurised) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(probabilities n × 3, P(question) n) for already normalised rows."""
    x = artifact.vectorizer.transform(data.docs)
    rule = np.array([question_score(ex.text) for ex in data.examples])
    return artifact.probabilities(x), combine_question(artifact.p_question_head(x), rule, artifact.question_mode)


def nusax_groups(examples: Sequence[Example], min_cosine: float = 0.5) -> npt.NDArray[np.int64]:
    """A CV group per row; a NusaX-id row joins the group of the SmSA row it was rewritten from (char-4-gram
    TF-IDF cosine >= ``min_cosine``), so the pair never sits on both sides of a fold."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    groups = np.arange(len(examples))
    smsa = [i for i, ex in enumerate(examples) if ex.source == "smsa"]
    nusax = [i for i, ex in enumerate(examples) if ex.source == "nusax_id"]
    if not smsa or not nusax:
        return groups
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 4), lowercase=True)
    a = vec.fit_transform([examples[i].text for i in smsa])
    b = vec.transform([examples[i].text for i in nusax])
    sims = (b @ a.T).tocsr()
    for row, i in enumerate(nusax):
        lo, hi = sims.indptr[row], sims.indptr[row + 1]
        if hi > lo:
            best = lo + int(np.argmax(sims.data[lo:hi]))
            if sims.data[best] >= min_cosine:
                groups[i] = smsa[int(sims.indices[best])]
    return groups


@dataclass
class CrossValidation:
    """Out-of-fold predictions of every repeat for every training row (usable or not)."""

    examples: list[Example]
    probs: npt.NDArray[np.float64]  # repeats × n × 3
    p_question: npt.NDArray[np.float64]  # repeats × n
    abusive: npt.NDArray[np.bool_]  # n
    seconds: float = 0.0


def cv_splits(
    examples: Sequence[Example], config: TrainConfig
) -> list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]]:
    """(train, test) index pairs of a repeated stratified group k-fold over ``examples`` (strata: source/label,
    and kind on gov_comments; groups: :func:`nusax_groups`); repeat ``r`` is folds ``r*folds`` to ``(r+1)*folds``."""
    strata = [f"{ex.source}/{ex.label}/{ex.kind or ''}" for ex in examples]
    # Rare strata cannot be spread over the folds; join them to the largest stratum of their source/label.
    counts = Counter(strata)
    largest: dict[str, str] = {}
    for s, _ in counts.most_common():
        largest.setdefault(s.rsplit("/", 1)[0], s)
    strata = [s if counts[s] >= config.folds else largest[s.rsplit("/", 1)[0]] for s in strata]
    groups = nusax_groups(examples)
    out = []
    for r in range(config.repeats):
        folds = StratifiedGroupKFold(n_splits=config.folds, shuffle=True, random_state=config.seed + r)
        out.extend(folds.split(np.zeros(len(examples)), strata, groups))
    return out


def cross_validate(data: Featurised, config: TrainConfig, progress: Progress | None = None) -> CrossValidation:
    """Out-of-fold predictions for every row and repeat of :func:`cv_splits`."""
    start = time.perf_counter()
    n = len(data.examples)
    probs = np.zeros((config.repeats, n, len(LABELS)))
    p_question = np.zeros((config.repeats, n))
    splits = cv_splits(data.examples, config)
    for k, (tr, te) in enumerate(splits):
        r = k // config.folds
        artifact = fit(data.subset(tr), config)
        p, q = predict(artifact, data.subset(te))
        probs[r, te] = p
        p_question[r, te] = q
        if progress is not None:
            progress("cross-validation", k + 1, len(splits))
    abusive = default_abusive_filter()
    return CrossValidation(
        examples=list(data.examples),
        probs=probs,
        p_question=p_question,
        abusive=np.array([bool(abusive.find(ex.text)) for ex in data.examples]),
        seconds=time.perf_counter() - start,
    )


def _grid() -> npt.NDArray[np.float64]:
    return np.round(np.arange(0.01, 0.991, 0.01), 2)


def choose_thresholds(
    p_negative: npt.NDArray[np.float64],
    negative: npt.NDArray[np.bool_],
    abusive: npt.NDArray[np.bool_],
    p_question: npt.NDArray[np.float64],
    is_question: npt.NDArray[np.bool_],
    config: TrainConfig,
) -> Thresholds:
    """The three thresholds by the rules in the module docstring (inputs: out-of-fold, in-domain rows)."""
    grid = _grid()
    review = 0.01
    for t in grid[::-1]:
        if (abusive | (p_negative >= t))[negative].mean() >= config.target_recall:
            review = float(t)
            break
    case = 0.99
    for t in grid[::-1]:
        flagged = abusive | (p_negative >= t)
        if not flagged.any():
            continue
        if negative[flagged].mean() < config.target_case_precision or flagged.mean() > config.max_case_share:
            break
        case = float(t)
    case = max(case, review)
    falls_through = ~abusive & (p_negative < review)
    best_f1, question = -1.0, 0.5
    for t in grid:
        hit = falls_through & (p_question >= t)
        tp = float((hit & is_question).sum())
        f1 = 2 * tp / (hit.sum() + is_question.sum()) if hit.sum() + is_question.sum() else 0.0
        if f1 > best_f1 + 1e-9:
            best_f1, question = f1, float(t)
    return Thresholds(case=case, review=review, question=question)


def cv_thresholds(cv: CrossValidation, config: TrainConfig) -> Thresholds:
    """:func:`choose_thresholds` on the in-domain rows, out-of-fold predictions of all repeats pooled."""
    gov = np.array([ex.source == GOV_SOURCE for ex in cv.examples])
    if gov.sum() < 20:
        return Thresholds(case=0.5, review=0.35)
    reps = cv.probs.shape[0]
    negative = np.tile(np.array([ex.label == "negative" for ex in cv.examples])[gov], reps)
    is_q = np.tile(np.array([question_target(ex) == 1 for ex in cv.examples])[gov], reps)
    return choose_thresholds(
        cv.probs[:, gov, 0].ravel(), negative, np.tile(cv.abusive[gov], reps), cv.p_question[:, gov].ravel(), is_q,
        config,
    )


def cv_report(cv: CrossValidation, thresholds: Thresholds, config: TrainConfig) -> dict[str, Any]:
    """Per source: mean and std over repeats of the out-of-fold figures (see ``evaluate.metrics``)."""
    from humas.sentiment.evaluate import metrics

    out: dict[str, Any] = {}
    for source in sorted({ex.source for ex in cv.examples}):
        idx = [i for i, ex in enumerate(cv.examples) if ex.source == source]
        rows = [cv.examples[i] for i in idx]
        per_repeat = [
            metrics(rows, cv.probs[r, idx], cv.p_question[r, idx], cv.abusive[idx], thresholds,
                    binary=all(ex.binary for ex in rows))
            for r in range(cv.probs.shape[0])
        ]
        keys = ("macro_f1", "negative_recall", "case_share", "review_share", "question_share", "case_precision")
        out[source] = {"n": len(rows), "trained_on": any(usable(ex, config) for ex in rows)} | {
            k: {"mean": round(float(np.mean([m[k] for m in per_repeat])), 4),
                "std": round(float(np.std([m[k] for m in per_repeat])), 4)}
            for k in keys
        }
    return out


def _feedback_examples(extra: Iterable[tuple[str, Label]]) -> list[Example]:
    out: list[Example] = []
    for text, label in extra:
        if label not in LABELS:
            raise InvalidInput(f"feedback label {label!r} is not one of {', '.join(LABELS)}")
        out.append(Example(text, label, source=FEEDBACK_SOURCE))
    return out


def train(
    data_dirs: Sequence[Path | str],
    out_dir: Path | str,
    *,
    extra_examples: Iterable[tuple[str, Label]] = (),
    config: TrainConfig | None = None,
    progress: Progress | None = None,
    thresholds: Thresholds | None = None,
) -> dict[str, Any]:
    """Train, choose the thresholds by CV (unless ``thresholds`` is given), save to ``out_dir``; return the
    report of every valid split (:func:`evaluate.score_examples`).

    ``extra_examples`` are (text, label) pairs such as Redaktur corrections, weighted by
    ``config.source_weights["feedback"]``.
    """
    config = config or TrainConfig()
    examples = load_split(data_dirs, "train") + _feedback_examples(extra_examples)
    if not examples:
        raise InvalidInput(f"no train.csv/train.tsv files under {', '.join(map(str, data_dirs))}")
    data = featurise(examples, config, progress)
    meta: dict[str, Any] = {}
    if thresholds is None:
        cv = cross_validate(data, config, progress)
        thresholds = cv_thresholds(cv, config)
        meta["cv"] = cv_report(cv, thresholds, config)
        meta["cv_seconds"] = round(cv.seconds, 1)
        rule = (
            f"{config.repeats}x{config.folds}-fold stratified CV over all train rows, out-of-fold P(negative) on "
            f"{GOV_SOURCE} train: review = highest threshold with negative recall (case or review) >= "
            f"{config.target_recall}; case = lowest threshold from which case precision >= "
            f"{config.target_case_precision} and case share <= {config.max_case_share}; question = best F1"
        )
    else:
        rule = "given (reused from the current model)"
    if progress is not None:
        progress("final model", 0, 1)
    artifact = fit(data, config, thresholds)
    if progress is not None:
        progress("final model", 1, 1)
    counts = Counter(ex.source for ex in examples if usable(ex, config))
    artifact.meta = {
        "trained_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "train_rows": dict(sorted(counts.items())),
        "config": _config_dict(config),
        "threshold_rule": rule,
        "targets": {"negative_recall": config.target_recall, "case_precision": config.target_case_precision,
                    "max_case_share": config.max_case_share},
        **meta,
    }
    report = score_valid(artifact, data_dirs)
    artifact.meta["valid"] = {
        source: {k: r[k] for k in ("n", "macro_f1", "negative_recall", "case_share", "review_share",
                                   "question_share", "case_precision")}
        for source, r in report.items()
    }
    artifact.save(out_dir)
    return report


def score_valid(artifact: LinearArtifact, data_dirs: Sequence[Path | str]) -> dict[str, dict[str, Any]]:
    """:func:`evaluate.score_examples` of ``artifact`` on every valid split (binary files scored as binary)."""
    from humas.sentiment.evaluate import score_examples
    from humas.sentiment.model import LinearClassifier

    classifier = LinearClassifier(artifact)
    valid = load_split(data_dirs, "valid")
    report: dict[str, dict[str, Any]] = {}
    for source in sorted({ex.source for ex in valid}):
        rows = [ex for ex in valid if ex.source == source]
        report[source] = score_examples(classifier, rows, binary=all(ex.binary for ex in rows))
    return report


def _config_dict(config: TrainConfig) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in asdict(config).items():
        out[k] = dict(v) if isinstance(v, Mapping) else v
    return out


def config_from_meta(meta: Mapping[str, Any]) -> TrainConfig | None:
    """The recipe a model was trained with (``meta.json["config"]``), so a retrain repeats it; None when the
    artifact does not record one. Keys this version does not know are ignored, missing ones take the defaults."""
    recorded = meta.get("config")
    if not isinstance(recorded, Mapping):
        return None
    known = {f.name for f in fields(TrainConfig)}
    values: dict[str, Any] = {k: v for k, v in recorded.items() if k in known}
    # Recipes recorded before issue 10 (format 2) mixed the in-domain head at a fixed share, with no word-only head.
    values.setdefault("domain_gate", False)
    values.setdefault("word_head_mix", 0.0)
    if isinstance(values.get("features"), Mapping):
        values["features"] = FeatureConfig.recorded(values["features"])
    else:
        values.pop("features", None)
    return TrainConfig(**values)


def with_overrides(config: TrainConfig, **changes: Any) -> TrainConfig:
    """A copy of ``config`` with fields replaced (used by experiments and tests)."""
    return replace(config, **changes)


__all__ = [
    "CrossValidation", "Featurised", "TrainConfig", "choose_thresholds", "config_from_meta", "cross_validate",
    "cv_report", "cv_thresholds", "featurise", "fit", "load_split", "predict", "score_valid", "train", "with_overrides",
]
