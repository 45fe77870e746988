"""The grid that chose the general head's C and block weights (issue 10), kept so the choice can be repeated.

    .venv/bin/python bench/sentiment_grid.py [--folds 5] [--repeats 1] [--c 2 4 6] [--char 0.7 1.0]
        [--cue 0.5 0.7 1.0] [--json]

For each fold of :func:`humas.sentiment.train.cv_splits` (the folds of ``sentiment_cv.py``, NusaX-id rows kept with
their SmSA source row) the features are extracted once and the vocabulary fitted once on the training rows; a
block weight only scales that block's L2-normalised columns, so every (char, cue) pair is a column scaling of the
same matrix and every C one more logistic-regression fit on it. Only the general head is fitted (multinomial,
classes balanced, the shipped source weights; no word-only head, no in-domain head, no thresholds), and each
source's out-of-fold macro-F1 of its argmax is printed (IndoLEM: negative vs not, not trained on), mean ± std over
the repeats, plus the mean over gov_comments, SmSA and NusaX-id. The valid splits are not read. Data:
$HUMAS_SENTIMENT_DATA or ../shared/data/sentiment.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from humas.sentiment.base import LABELS
from humas.sentiment.data import default_data_dir
from humas.sentiment.features import BLOCKS, Vectorizer
from humas.sentiment.train import TrainConfig, _weights, cv_splits, featurise, load_split, usable, with_overrides

SOURCES = ("gov_comments", "smsa", "nusax_id", "indolem_sentiment")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--c", type=float, nargs="+", default=[2.0, 4.0, 6.0])
    parser.add_argument("--char", type=float, nargs="+", default=[0.7, 1.0])
    parser.add_argument("--cue", type=float, nargs="+", default=[0.5, 0.7, 1.0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    config = with_overrides(TrainConfig(), folds=args.folds, repeats=args.repeats)
    examples = load_split([default_data_dir()], "train")
    start = time.perf_counter()
    data = featurise(examples, config)
    truth = np.array([LABELS.index(ex.label) for ex in examples])
    source = np.array([ex.source for ex in examples])
    binary = np.array([ex.binary for ex in examples])
    grid = list(itertools.product(args.char, args.cue))
    # out-of-fold argmax per (char, cue, C) and repeat
    guesses = {(ch, cu, c): np.full((args.repeats, len(examples)), -1) for (ch, cu) in grid for c in args.c}
    for k, (tr, te) in enumerate(cv_splits(examples, config)):
        r = k // args.folds
        tr = np.array([i for i in tr if usable(examples[i], config)])
        train_part = data.subset(tr)
        vectorizer = Vectorizer.fit(train_part.docs, min_df=config.min_df, max_features=config.max_features,
                                    weights={name: 1.0 for name in BLOCKS}, config=config.features)
        x_tr, x_te = vectorizer.transform(train_part.docs), vectorizer.transform(data.subset(te).docs)
        w = _weights(train_part.examples, config)
        for ch, cu in grid:
            scale = np.concatenate([np.full(len(vectorizer.blocks[name].vocab), {"word": 1.0, "char": ch,
                                                                                  "cue": cu}[name])
                                    for name in BLOCKS])
            d = sparse.diags(scale.astype(np.float32))
            a, b = x_tr @ d, x_te @ d
            for c in args.c:
                head = LogisticRegression(C=c, max_iter=3000)
                head.fit(a, truth[tr], sample_weight=w / w.mean())
                guesses[(ch, cu, c)][r, te] = head.predict(b)
        print(f"fold {k + 1}/{args.folds * args.repeats} done ({time.perf_counter() - start:.0f} s)", flush=True)
    rows = []
    for (ch, cu, c), g in guesses.items():
        row: dict[str, Any] = {"c": c, "char": ch, "cue": cu}
        for s in SOURCES:
            idx = source == s
            if not idx.any():
                continue
            scores = []
            for rep in range(args.repeats):
                if binary[idx].all():
                    t, p = truth[idx] == 0, g[rep, idx] == 0
                else:
                    t, p = truth[idx], g[rep, idx]
                scores.append(f1_score(t, p, average="macro"))
            row[s] = {"mean": round(float(np.mean(scores)), 4), "std": round(float(np.std(scores)), 4)}
        row["mean3"] = round(float(np.mean([row[s]["mean"] for s in SOURCES[:3] if s in row])), 4)
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"general head alone, {args.repeats}x{args.folds}-fold out-of-fold macro-F1 "
          f"({time.perf_counter() - start:.0f} s); mean3 = mean of gov_comments, smsa, nusax_id")
    print(f"{'C':>4}{'char':>6}{'cue':>6}" + "".join(f"{s[:12]:>16}" for s in SOURCES) + f"{'mean3':>8}")
    for row in sorted(rows, key=lambda r: (r["c"], r["char"], r["cue"])):
        cells = "".join(f"{row[s]['mean']:.4f}±{row[s]['std']:.4f}".rjust(16) if s in row else f"{'-':>16}"
                        for s in SOURCES)
        print(f"{row['c']:>4g}{row['char']:>6g}{row['cue']:>6g}{cells}{row['mean3']:>8.4f}")


if __name__ == "__main__":
    main()
