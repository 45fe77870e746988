"""The default model against a plain TF-IDF + logistic-regression baseline trained on the same rows, side by side.

    .venv/bin/python bench/sentiment_compare.py [--model DIR] [--cv] [--repeats 2] [--json]

Baseline: scikit-learn TfidfVectorizer word 1–2-grams (min_df 2) + char_wb 2–5-grams (min_df 3), both sublinear
TF, on lower-cased raw text, then LogisticRegression(C=4), unweighted, trained on exactly the rows the model is
trained on (its ``train_rows`` sources; binary rows only as the model's config uses them).

Valid splits: the model (``--model``, default the shipped one) and the baseline fitted on all those train rows,
each split scored with ``evaluate.summarise`` (IndoLEM as binary negative-vs-not; the baseline's tier is "case"
when P(negative) >= 0.5, as it has no thresholds). ``--cv``: both retrained on the same repeated stratified folds
of the train rows (``train.cv_splits``), out-of-fold macro-F1 mean ± std per source. Prints a table, or JSON.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from humas.sentiment.base import LABELS, Tier
from humas.sentiment.data import Example, default_data_dir
from humas.sentiment.evaluate import score_examples, summarise
from humas.sentiment.model import LinearArtifact, LinearClassifier, shipped_model_dir
from humas.sentiment.train import (
    TrainConfig,
    config_from_meta,
    cross_validate,
    cv_report,
    cv_splits,
    cv_thresholds,
    featurise,
    load_split,
    usable,
    with_overrides,
)


class Baseline:
    """TF-IDF word + char → logistic regression (see the module docstring)."""

    def __init__(self, c: float = 4.0) -> None:
        self.word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True)
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True,
                                    lowercase=True)
        self.head = LogisticRegression(C=c, max_iter=3000)

    def fit(self, rows: list[Example]) -> Baseline:
        texts = [ex.text for ex in rows]
        x = sparse.hstack([self.word.fit_transform(texts), self.char.fit_transform(texts)], format="csr")
        self.head.fit(x, [LABELS.index(ex.label) for ex in rows])
        return self

    def probs(self, rows: list[Example]) -> np.ndarray:
        texts = [ex.text for ex in rows]
        x = sparse.hstack([self.word.transform(texts), self.char.transform(texts)], format="csr")
        out = np.zeros((len(rows), len(LABELS)))
        out[:, self.head.classes_] = self.head.predict_proba(x)
        return out

    def score(self, rows: list[Example], binary: bool) -> dict[str, Any]:
        p = self.probs(rows)
        tiers: list[Tier] = ["case" if v >= 0.5 else "none" for v in p[:, 0]]
        return summarise(rows, [LABELS[int(i)] for i in p.argmax(axis=1)], tiers, binary)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--cv", action="store_true")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    root = default_data_dir()
    model_dir = args.model or str(shipped_model_dir())
    artifact = LinearArtifact.load(model_dir)
    # Retrain the model's own recipe in CV (not this version's defaults), so the figures are the artifact's.
    config = with_overrides(config_from_meta(artifact.meta) or TrainConfig(), repeats=args.repeats)
    train_rows = [ex for ex in load_split([root], "train") if usable(ex, config)]
    valid = load_split([root], "valid")
    baseline = Baseline().fit(train_rows)
    model = LinearClassifier(artifact)
    results: dict[str, Any] = {"model": model_dir, "valid": {}, "cv": {}}
    for source in sorted({ex.source for ex in valid}):
        rows = [ex for ex in valid if ex.source == source]
        binary = all(ex.binary for ex in rows)
        results["valid"][source] = {"n": len(rows), "binary": binary, "model": score_examples(model, rows, binary),
                                    "baseline": baseline.score(rows, binary)}
    if args.cv:
        examples = load_split([root], "train")
        data = featurise(examples, config)
        cv = cross_validate(data, config)
        thresholds = cv_thresholds(cv, config)
        ours = cv_report(cv, thresholds, config)
        per_source: dict[str, list[float]] = {}
        for k, (tr, te) in enumerate(cv_splits(examples, config)):
            fold = Baseline().fit([examples[i] for i in tr if usable(examples[i], config)])
            if k % config.folds == 0:
                oof = np.zeros((len(examples), len(LABELS)))
            oof[te] = fold.probs([examples[i] for i in te])
            if k % config.folds == config.folds - 1:
                for source in sorted({ex.source for ex in examples}):
                    idx = [i for i, ex in enumerate(examples) if ex.source == source]
                    rows = [examples[i] for i in idx]
                    binary = all(ex.binary for ex in rows)
                    pred = [LABELS[int(j)] for j in oof[idx].argmax(axis=1)]
                    f1 = summarise(rows, pred, ["none"] * len(rows), binary)["macro_f1"]
                    per_source.setdefault(source, []).append(f1)
        for source, f1s in per_source.items():
            results["cv"][source] = {
                "model": ours[source]["macro_f1"],
                "baseline": {"mean": round(float(np.mean(f1s)), 4), "std": round(float(np.std(f1s)), 4)},
            }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"model: {model_dir}   baseline: TF-IDF word1-2 + char_wb2-5 + LogisticRegression(C=4), same train rows")
    print(f"{'valid split':<20}{'n':>6}{'model F1':>10}{'baseline':>10}{'diff':>8}{'model neg rec':>15}"
          f"{'case share':>12}{'case prec':>11}")
    for source, r in results["valid"].items():
        m, b = r["model"], r["baseline"]
        print(f"{source + (' (bin)' if r['binary'] else ''):<20}{r['n']:>6}{m['macro_f1']:>10.4f}"
              f"{b['macro_f1']:>10.4f}{m['macro_f1'] - b['macro_f1']:>+8.4f}{m['negative_recall']:>15.4f}"
              f"{m['case_share']:>12.4f}{m['case_precision']:>11.4f}")
    if results["cv"]:
        print(f"\n{config.repeats}x{config.folds}-fold CV on train rows, out-of-fold macro-F1 mean±std")
        print(f"{'source':<20}{'model':>16}{'baseline':>16}")
        for source, r in results["cv"].items():
            m, b = r["model"], r["baseline"]
            print(f"{source:<20}{m['mean']:>10.4f}±{m['std']:.4f}{b['mean']:>10.4f}±{b['std']:.4f}")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
