"""Quality of a sentiment model on every shared validation split (a benchmark, not a test).

    .venv/bin/python bench/sentiment_quality.py [--model DIR] [--backend default|transformers] [--json]

Prints macro-F1, negative recall and precision at the escalation decision, and escalation recall where the split
has a needs_escalation column. Data: $HUMAS_SENTIMENT_DATA or ../shared/data/sentiment.
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
        results[path.parent.name] = score_examples(classifier, read_labelled_file(path))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    threshold = getattr(classifier, "threshold", None)
    print(f"model: {args.backend} {args.model or '(shipped)'}   threshold: {threshold}")
    print(f"{'split':<20}{'n':>6}{'macro-F1':>10}{'neg recall':>12}{'neg prec':>10}{'esc recall':>12}")
    for name, r in results.items():
        esc = r.get("escalation", {}).get("recall")
        print(
            f"{name:<20}{r['n']:>6}{r['macro_f1']:>10.4f}{r['negative_recall']:>12.4f}"
            f"{r['negative_precision']:>10.4f}{'' if esc is None else f'{esc:.4f}':>12}"
        )
    print("indolem_sentiment is binary (0 = not positive): its macro-F1 is over negative/positive only.")


if __name__ == "__main__":
    main()
