"""Feature extraction for the default model: word 1–2-grams, character 2–5-grams and lexicon cues.

The same code builds the vocabulary at training time and the vectors at inference time, so the shipped artifact
holds only data (vocabularies, IDF weights, coefficients) and no code. Each block is TF-IDF weighted
(sublinear TF), L2-normalised on its own and scaled by its block weight, so the many character n-grams cannot
drown the few cue features.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import sparse

BLOCKS: tuple[str, ...] = ("word", "char", "cue")


def load_cues(path: Path | str) -> dict[str, list[tuple[str, ...]]]:
    """Read a ``CATEGORY<TAB>PHRASE`` file into category → phrases (each a token tuple)."""
    cues: dict[str, list[tuple[str, ...]]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        category, _, phrase = line.partition("\t")
        words = tuple(phrase.lower().split())
        if category.strip() and words:
            cues.setdefault(category.strip(), []).append(words)
    return cues


@lru_cache(maxsize=1)
def default_cues() -> dict[str, list[tuple[str, ...]]]:
    """The shipped cue lexicon (``lexicon/cues_id.tsv``)."""
    ref = resources.files("humas.sentiment") / "lexicon" / "cues_id.tsv"
    with resources.as_file(ref) as path:
        return load_cues(path)


class CueMatcher:
    """Counts cue-phrase matches per category in a token list, plus negated praise ("tidak bagus")."""

    def __init__(self, cues: Mapping[str, Sequence[tuple[str, ...]]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for category, phrases in cues.items():
            for phrase in phrases:
                self._by_first.setdefault(phrase[0], []).append((phrase, category))
        self._praise = {p[0] for p in cues.get("praise", ()) if len(p) == 1}
        self._negation = {p[0] for p in cues.get("negation", ()) if len(p) == 1}

    def __call__(self, tokens: Sequence[str]) -> Counter[str]:
        found: Counter[str] = Counter()
        n = len(tokens)
        for i, tok in enumerate(tokens):
            for phrase, category in self._by_first.get(tok, ()):
                if tuple(tokens[i : i + len(phrase)]) == phrase:
                    found[category] += 1
            if tok in self._praise and any(t in self._negation for t in tokens[max(0, i - 2) : i]):
                found["negated_praise"] += 1
        # Praise next to a problem is mostly sarcasm or a mixed complaint ("pelayanan luar biasa, 5 kali bolak-balik").
        if found["praise"] and (found["problem"] or found["complaint"] or found["wait"]):
            found["praise_with_problem"] += 1
        if n and tokens[-1] == "?":
            found["ends_question"] += 1
        if "!!" in tokens:
            found["exclaim"] += 1
        return found


def extract(tokens: Sequence[str], cues: CueMatcher) -> dict[str, Counter[str]]:
    """Raw term counts per block for one normalised token list."""
    words: Counter[str] = Counter(tokens)
    words.update(f"{a} {b}" for a, b in itertools.pairwise(tokens))
    chars: Counter[str] = Counter()
    for tok in tokens:
        padded = f" {tok} "
        for n in (2, 3, 4, 5):
            if len(padded) < n:
                break
            chars.update(padded[i : i + n] for i in range(len(padded) - n + 1))
    return {"word": words, "char": chars, "cue": cues(tokens)}


@dataclass
class Block:
    """One feature block: term → column, inverse document frequencies, weight applied after L2 normalisation."""

    vocab: dict[str, int]
    idf: npt.NDArray[np.float32]
    weight: float


class Vectorizer:
    """Turns per-block term counts into one CSR matrix, blocks side by side in :data:`BLOCKS` order."""

    def __init__(self, blocks: Mapping[str, Block]) -> None:
        self.blocks = {name: blocks[name] for name in BLOCKS}
        self.offsets: dict[str, int] = {}
        offset = 0
        for name in BLOCKS:
            self.offsets[name] = offset
            offset += len(self.blocks[name].vocab)
        self.n_features = offset

    @classmethod
    def fit(
        cls,
        docs: Sequence[Mapping[str, Counter[str]]],
        *,
        min_df: Mapping[str, int],
        max_features: Mapping[str, int],
        weights: Mapping[str, float],
    ) -> Vectorizer:
        """Build vocabularies (the ``max_features`` most frequent terms with df >= ``min_df``) and smooth IDF."""
        n_docs = len(docs)
        blocks: dict[str, Block] = {}
        for name in BLOCKS:
            df: Counter[str] = Counter()
            for doc in docs:
                df.update(doc[name].keys())
            kept = [(t, c) for t, c in df.items() if c >= min_df.get(name, 1)]
            kept.sort(key=lambda tc: (-tc[1], tc[0]))
            kept = kept[: max_features.get(name, len(kept))]
            kept.sort()
            vocab = {t: i for i, (t, _) in enumerate(kept)}
            idf = np.array([math.log((1 + n_docs) / (1 + c)) + 1.0 for _, c in kept], dtype=np.float32)
            blocks[name] = Block(vocab, idf, float(weights.get(name, 1.0)))
        return cls(blocks)

    def transform(self, docs: Iterable[Mapping[str, Counter[str]]]) -> sparse.csr_matrix:
        """Sublinear TF × IDF, L2 per block, times the block weight."""
        indptr = [0]
        indices: list[int] = []
        values: list[float] = []
        for doc in docs:
            for name in BLOCKS:
                block = self.blocks[name]
                offset = self.offsets[name]
                cols: list[int] = []
                vals: list[float] = []
                for term, count in doc[name].items():
                    col = block.vocab.get(term)
                    if col is not None:
                        cols.append(col)
                        vals.append((1.0 + math.log(count)) * float(block.idf[col]))
                if not cols:
                    continue
                norm = math.sqrt(sum(v * v for v in vals))
                scale = block.weight / norm
                indices.extend(offset + c for c in cols)
                values.extend(v * scale for v in vals)
            indptr.append(len(indices))
        return sparse.csr_matrix(
            (np.asarray(values, dtype=np.float32), np.asarray(indices, dtype=np.int32), np.asarray(indptr)),
            shape=(len(indptr) - 1, self.n_features),
        )
