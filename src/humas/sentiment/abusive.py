"""Matching a configurable list of abusive words against comments.

Whole normalised words only, so "bego" never matches inside "begonia". Elongation ("gobloookkk") and simple
leetspeak ("g0bl0k", "4nj1ng", "b@ngsat") are undone before matching; entries of several words match as a phrase.
A match says nothing about polarity ("anjing" may be praise slang); it only makes the comment escalate.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path

from humas.errors import InvalidInput
from humas.sentiment.normalize import Normalizer, default_normalizer

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"})


def _deleet(token: str) -> str:
    """Undo digit-for-letter substitutions in tokens that mix both (pure numbers are left alone)."""
    if token.isalpha() or token.isdigit() or not any(c.isalpha() for c in token):
        return token
    out = token.translate(_LEET)
    return out if out.isalpha() else token


class AbusiveFilter:
    """Finds words of a word list in comments. ``words`` may hold phrases ("tikus kantor")."""

    def __init__(self, words: Iterable[str], normalizer: Normalizer | None = None) -> None:
        self._normalizer = normalizer or default_normalizer()
        self._single: set[str] = set()
        self._phrases: list[tuple[str, ...]] = []
        for word in words:
            tokens = tuple(self._candidates(word))
            if len(tokens) == 1:
                self._single.add(tokens[0])
            elif tokens:
                self._phrases.append(tokens)
        if not self._single and not self._phrases:
            raise InvalidInput("the abusive word list is empty")

    @classmethod
    def from_file(cls, path: Path | str) -> AbusiveFilter:
        """One word or phrase a line; ``#`` comments and blank lines ignored."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{path}: cannot read the abusive word list ({exc})") from exc
        return cls(line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))

    def _candidates(self, text: str) -> list[str]:
        return [_deleet(t) for t in self._normalizer.raw_tokens(text) if t not in ("!", "!!", "?")]

    def find(self, text: str) -> tuple[str, ...]:
        """The listed words/phrases found in ``text``, in order of first appearance, without repeats."""
        return self._match(self._candidates(text))

    def find_in_tokens(self, raw_tokens: list[str]) -> tuple[str, ...]:
        """Like :meth:`find`, on the output of :meth:`Normalizer.raw_tokens` (saves normalising twice)."""
        return self._match([_deleet(t) for t in raw_tokens if t not in ("!", "!!", "?")])

    def _match(self, tokens: list[str]) -> tuple[str, ...]:
        found: list[str] = []
        single = self._single
        for i, tok in enumerate(tokens):
            if tok in single and tok not in found:
                found.append(tok)
            for phrase in self._phrases:
                if tok == phrase[0] and tuple(tokens[i : i + len(phrase)]) == phrase:
                    joined = " ".join(phrase)
                    if joined not in found:
                        found.append(joined)
        return tuple(found)

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and bool(self.find(text))


@lru_cache(maxsize=1)
def default_abusive_filter() -> AbusiveFilter:
    """The filter with the shipped list ``lexicon/abusive_id.txt``."""
    ref = resources.files("humas.sentiment") / "lexicon" / "abusive_id.txt"
    with resources.as_file(ref) as path:
        return AbusiveFilter.from_file(path)
