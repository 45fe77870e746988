"""Feature extraction for the default model: word 1–2-grams with negation scope, character n-grams and lexicon cues.

The same code builds the vocabulary at training time and the vectors at inference time, so the shipped artifact
holds only data (vocabularies, IDF weights, coefficients) and no code. Each block is TF-IDF weighted
(sublinear TF), L2-normalised on its own and scaled by its block weight, so the many character n-grams cannot
drown the few cue features.

Negation scope: the (at most ``scope``) words after a negator (``tidak``, ``belum``, ``bukan``, ``kurang`` ...,
after slang mapping, so "gak bagus" counts too) also appear as ``neg_<word>`` terms, so "tidak buruk" and "buruk"
get different weights. Cues add the lexicon categories (problem, complaint, praise ...) and their combinations:
negated praise ("tidak bagus"), negated complaint ("tidak buruk") and praise next to a problem or complaint (mostly
sarcasm: "mantap pak, lubangnya bisa buat mancing"); with ``cue_stems`` a one-word cue also matches with the
enclitic "-nya" attached ("lubangnya" is the problem "lubang").

Speed: character n-grams are computed once per distinct token (cached), and weighting is vectorised per batch.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

BLOCKS: tuple[str, ...] = ("word", "char", "cue")
#: Words that open a negation scope when the lexicon has none of its own.
DEFAULT_NEGATORS = frozenset({"tidak", "belum", "bukan", "jangan", "tanpa", "kurang"})
#: the cue categories whose one-word entries also match with the enclitic "-nya" (with ``FeatureConfig.cue_stems``)
STEMMED = ("praise", "thanks", "complaint", "problem")
_PUNCT = frozenset({"!", "!!", "?"})


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
    """Counts cue-phrase matches per category in a token list, plus negated praise/complaint and sarcasm shapes."""

    def __init__(self, cues: Mapping[str, Sequence[tuple[str, ...]]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for category, phrases in cues.items():
            for phrase in phrases:
                self._by_first.setdefault(phrase[0], []).append((phrase, category))
        self._praise = {p[0] for p in cues.get("praise", ()) if len(p) == 1}
        self._complaint = {p[0] for p in cues.get("complaint", ()) if len(p) == 1}
        self.negators = frozenset(p[0] for p in cues.get("negation", ()) if len(p) == 1) or DEFAULT_NEGATORS
        self._stemmable = frozenset(p[0] for category in STEMMED for p in cues.get(category, ()) if len(p) == 1)

    def stems(self, tokens: Sequence[str]) -> Sequence[str]:
        """``tokens`` with the enclitic "-nya" taken off a one-word praise, thanks, complaint or problem cue
        ("lubangnya" → "lubang"), so the lexicon matches what comments write; other words are left as they are."""
        stemmable = self._stemmable
        if not any(t.endswith("nya") and t[:-3] in stemmable for t in tokens):
            return tokens
        return [t[:-3] if t.endswith("nya") and t[:-3] in stemmable else t for t in tokens]

    def __call__(self, tokens: Sequence[str], stems: bool = False) -> Counter[str]:
        if stems:
            tokens = self.stems(tokens)
        found: Counter[str] = Counter()
        n = len(tokens)
        by_first = self._by_first
        for i, tok in enumerate(tokens):
            negated = False
            if i and (tok in self._praise or tok in self._complaint):
                negated = tokens[i - 1] in self.negators or (i > 1 and tokens[i - 2] in self.negators)
                if negated:
                    # "tidak bagus" is not praise, "tidak buruk" not a complaint.
                    found["negated_praise" if tok in self._praise else "negated_complaint"] += 1
            entries = by_first.get(tok)
            if entries:
                for phrase, category in entries:
                    if len(phrase) == 1:
                        if not (negated and category in ("praise", "complaint")):
                            found[category] += 1
                    elif tuple(tokens[i : i + len(phrase)]) == phrase:
                        found[category] += 1
        # Praise next to a problem is mostly sarcasm or a mixed complaint ("pelayanan luar biasa, 5 kali bolak-balik").
        if found["praise"] and (found["problem"] or found["complaint"] or found["wait"]):
            found["praise_with_problem"] += 1
            if "emoji_pos" in tokens or "emoji_laugh" in tokens:
                found["sarcasm_emoji"] += 1
        if n and tokens[-1] == "?":
            found["ends_question"] += 1
        if "!!" in tokens:
            found["exclaim"] += 1
        return found


def negated(tokens: Sequence[str], negators: frozenset[str], scope: int) -> list[bool]:
    """Which tokens sit in a negation scope: the ``scope`` words after a negator, stopping at ! and ?."""
    out = [False] * len(tokens)
    left = 0
    for i, tok in enumerate(tokens):
        if tok in _PUNCT:
            left = 0
        elif tok in negators:
            left = scope
        elif left:
            out[i] = True
            left -= 1
    return out


def word_terms(tokens: Sequence[str], negators: frozenset[str], scope: int, replace: bool = False) -> list[str]:
    """Unigrams, bigrams and ``neg_<word>`` for words in a negation scope (:func:`negated`); with ``replace`` the
    scoped word's own unigram is left out ("tidak buruk" → tidak, neg_buruk, "tidak buruk")."""
    if scope <= 0:
        terms = list(tokens)
    else:
        scoped = negated(tokens, negators, scope)
        terms = []
        for tok, neg in zip(tokens, scoped, strict=True):
            if neg:
                terms.append(f"neg_{tok}")
                if not replace:
                    terms.append(tok)
            else:
                terms.append(tok)
    terms.extend(f"{a} {b}" for a, b in itertools.pairwise(tokens))
    return terms


@lru_cache(maxsize=200_000)
def char_terms(token: str, lo: int = 2, hi: int = 5) -> tuple[str, ...]:
    """Character ``lo``–``hi``-grams of one token padded with spaces (cached: tokens repeat across comments)."""
    padded = f" {token} "
    out: list[str] = []
    for n in range(lo, hi + 1):
        if len(padded) < n:
            break
        out.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return tuple(out)


@dataclass(frozen=True)
class FeatureConfig:
    """How tokens become terms; stored with the artifact so inference extracts exactly what training did."""

    negation_scope: int = 2
    negation_replace: bool = True
    cue_stems: bool = True
    char_min: int = 2
    char_max: int = 5

    @classmethod
    def recorded(cls, values: Mapping[str, Any]) -> FeatureConfig:
        """The settings an artifact or a training recipe recorded (``meta.json``). A setting it does not name is
        newer than it and was off when it was trained (:data:`OFF_UNTIL_RECORDED`); unknown names are ignored."""
        given, default = {**OFF_UNTIL_RECORDED, **values}, cls()
        return cls(**{f.name: type(getattr(default, f.name))(given[f.name]) for f in fields(cls) if f.name in given})


#: feature settings added after the first recorded artifacts, with the value that reproduces those artifacts
OFF_UNTIL_RECORDED: dict[str, Any] = {"negation_replace": False, "cue_stems": False}


def extract(
    tokens: Sequence[str], cues: CueMatcher, config: FeatureConfig = FeatureConfig()
) -> dict[str, Counter[str]]:
    """Raw term counts per block for one normalised token list (training builds its vocabulary from these)."""
    chars: Counter[str] = Counter()
    for tok in _char_tokens(tokens, cues.negators, config):
        chars.update(char_terms(tok, config.char_min, config.char_max))
    return {
        "word": Counter(word_terms(tokens, cues.negators, config.negation_scope, config.negation_replace)),
        "char": chars,
        "cue": cues(tokens, config.cue_stems),
    }


def _char_tokens(tokens: Sequence[str], negators: frozenset[str], config: FeatureConfig) -> Sequence[str]:
    """Tokens whose character n-grams count: all, or with ``negation_replace`` those outside a negation scope."""
    if not config.negation_replace or config.negation_scope <= 0:
        return tokens
    return [t for t, neg in zip(tokens, negated(tokens, negators, config.negation_scope), strict=True) if not neg]


@dataclass
class Block:
    """One feature block: term → column, inverse document frequencies, weight applied after L2 normalisation."""

    vocab: dict[str, int]
    idf: npt.NDArray[np.float32]
    weight: float


class Vectorizer:
    """Turns normalised token lists into one CSR matrix, blocks side by side in :data:`BLOCKS` order."""

    def __init__(self, blocks: Mapping[str, Block], config: FeatureConfig = FeatureConfig()) -> None:
        self.blocks = {name: blocks[name] for name in BLOCKS}
        self.config = config
        self.offsets: dict[str, int] = {}
        offset = 0
        for name in BLOCKS:
            self.offsets[name] = offset
            offset += len(self.blocks[name].vocab)
        self.n_features = offset
        self._char_cache: dict[str, tuple[int, ...]] = {}

    @classmethod
    def fit(
        cls,
        docs: Sequence[Mapping[str, Counter[str]]],
        *,
        min_df: Mapping[str, int],
        max_features: Mapping[str, int],
        weights: Mapping[str, float],
        config: FeatureConfig = FeatureConfig(),
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
            counts = np.array([c for _, c in kept], dtype=np.float64)
            idf = (np.log((1 + n_docs) / (1 + counts)) + 1.0).astype(np.float32)
            blocks[name] = Block(vocab, idf, float(weights.get(name, 1.0)))
        return cls(blocks, config)

    def _char_cols(self, token: str) -> tuple[int, ...]:
        cols = self._char_cache.get(token)
        if cols is None:
            vocab = self.blocks["char"].vocab
            found = (vocab.get(t) for t in char_terms(token, self.config.char_min, self.config.char_max))
            cols = tuple(c for c in found if c is not None)
            if len(self._char_cache) < 200_000:
                self._char_cache[token] = cols
        return cols

    def transform_tokens(self, token_lists: Sequence[Sequence[str]], cues: CueMatcher) -> sparse.csr_matrix:
        """Vectors of normalised token lists (the inference path; same result as :meth:`transform` of
        :func:`extract`)."""
        word_vocab = self.blocks["word"].vocab
        cue_vocab = self.blocks["cue"].vocab
        negators, scope, replace = cues.negators, self.config.negation_scope, self.config.negation_replace
        rows: dict[str, list[npt.NDArray[np.int64]]] = {name: [] for name in BLOCKS}
        for tokens in token_lists:
            word = [c for c in map(word_vocab.get, word_terms(tokens, negators, scope, replace)) if c is not None]
            char: list[int] = []
            for tok in _char_tokens(tokens, negators, self.config):
                char.extend(self._char_cols(tok))
            cue: list[int] = []
            for term, count in cues(tokens, self.config.cue_stems).items():
                col = cue_vocab.get(term)
                if col is not None:
                    cue.extend([col] * count)
            rows["word"].append(np.asarray(word, dtype=np.int64))
            rows["char"].append(np.asarray(char, dtype=np.int64))
            rows["cue"].append(np.asarray(cue, dtype=np.int64))
        return self._assemble(rows, len(token_lists))

    def transform(self, docs: Iterable[Mapping[str, Counter[str]]]) -> sparse.csr_matrix:
        """Vectors of :func:`extract` outputs (term counts per block)."""
        rows: dict[str, list[npt.NDArray[np.int64]]] = {name: [] for name in BLOCKS}
        n = 0
        for doc in docs:
            n += 1
            for name in BLOCKS:
                vocab = self.blocks[name].vocab
                cols: list[int] = []
                for term, count in doc[name].items():
                    col = vocab.get(term)
                    if col is not None:
                        cols.extend([col] * count)
                rows[name].append(np.asarray(cols, dtype=np.int64))
        return self._assemble(rows, n)

    def _assemble(self, rows: Mapping[str, Sequence[npt.NDArray[np.int64]]], n_docs: int) -> sparse.csr_matrix:
        """Column occurrences per document → sublinear TF × IDF, L2 per block, times the block weight."""
        parts = []
        for name in BLOCKS:
            block = self.blocks[name]
            lengths = np.fromiter((len(r) for r in rows[name]), dtype=np.int64, count=n_docs)
            cols = np.concatenate(rows[name]) if n_docs else np.zeros(0, dtype=np.int64)
            row_ids = np.repeat(np.arange(n_docs), lengths)
            counts = sparse.csr_matrix(
                (np.ones(len(cols), dtype=np.float32), (row_ids, cols)), shape=(n_docs, len(block.vocab))
            )
            counts.sum_duplicates()
            data = (1.0 + np.log(counts.data)) * block.idf[counts.indices]
            nnz_rows = np.repeat(np.arange(n_docs), np.diff(counts.indptr))
            norms = np.sqrt(np.bincount(nnz_rows, weights=data.astype(np.float64) ** 2, minlength=n_docs))
            norms[norms == 0] = 1.0
            counts.data = (data * (block.weight / norms[nnz_rows])).astype(np.float32)
            parts.append(counts)
        return sparse.hstack(parts, format="csr", dtype=np.float32)
