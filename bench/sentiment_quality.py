"""Quality of a sentiment model on every shared validation split (a benchmark, not a test).

    .venv/bin/python bench/sentiment_quality.py [--model DIR] [--backend default|transformers] [--json]

Prints macro-F1 and the triage figures: negative recall (negatives reaching a case or the review list), case /
review / question shares, case precision. IndoLEM (0/1) is scored as negative vs not negative (binary macro-F1).
Data: $HUMAS_SENTIMENT_DATA or ../shared/data/sentiment.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from humas.sentiment.data import default_data_dir, find_split_files, read_labelled_file
from humas.sentiment.evaluate import score_examples
from humas.sentiment.factory import build_classifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--backend", default="default")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    classifier = build_classifier(args.backend, args.model)
    results: dict[str, dict[str, Any]] = {}
    for path in find_split_files(default_data_dir(), "valid"):
        rows = read_labelled_file(path)
        results[path.parent.name] = score_examples(classifier, rows, binary=all(r.binary for r in rows))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"model: {args.backend} {args.model or '(shipped)'}   thresholds: {getattr(classifier, 'thresholds', None)}")
    print(f"{'split':<24}{'n':>6}{'macro-F1':>10}{'neg recall':>12}{'case':>8}{'case prec':>11}{'review':>8}"
          f"{'question':>10}")
    for name, r in results.items():
        print(
            f"{name + (' (binary)' if r['binary'] else ''):<24}{r['n']:>6}{r['macro_f1']:>10.4f}"
            f"{r['negative_recall']:>12.4f}{r['case_share']:>8.3f}{r['case_precision']:>11.4f}"
            f"{r['review_share']:>8.3f}{r['question_share']:>10.3f}"
        )


if __name__ == "__main__":
    main()
