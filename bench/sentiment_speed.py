"""Speed and memory of the default sentiment model on one core (a benchmark, not a test).

    taskset -c 0 .venv/bin/python bench/sentiment_speed.py [--model DIR] [--n 2000]

Reports: model load time (cold, first in this process), comments/s batched (whole list in one classify call)
and one at a time, and peak RSS of this process with the model loaded (resource.getrusage ru_maxrss).
Texts are the gov_comments and SmSA valid splits, repeated to --n.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

# One core: keep BLAS from spreading the sparse products over threads.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

from humas.sentiment.data import default_data_dir, read_labelled_file  # noqa: E402
from humas.sentiment.model import LinearClassifier  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    clf = LinearClassifier.load(args.model)
    clf.classify(["warm up"])
    load_s = time.perf_counter() - start
    root = default_data_dir()
    texts = [ex.text for ex in read_labelled_file(root / "gov_comments" / "valid.csv")]
    texts += [ex.text for ex in read_labelled_file(root / "smsa" / "valid.tsv")]
    texts = (texts * (args.n // len(texts) + 1))[: args.n]
    start = time.perf_counter()
    clf.classify(texts)
    batched = len(texts) / (time.perf_counter() - start)
    single_texts = texts[: max(200, args.n // 4)]
    start = time.perf_counter()
    for text in single_texts:
        clf.classify([text])
    single = len(single_texts) / (time.perf_counter() - start)
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"cpu affinity: {sorted(os.sched_getaffinity(0))}")
    print(f"texts: {len(texts)} (mean {sum(map(len, texts)) / len(texts):.0f} chars)")
    print(f"model load (incl. lexicons, first call): {load_s * 1000:.0f} ms")
    print(f"batched: {batched:,.0f} comments/s")
    print(f"one at a time: {single:,.0f} comments/s")
    print(f"peak RSS: {rss_kib / 1024:.0f} MiB (before loading the model: {rss_before / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
