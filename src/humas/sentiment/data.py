"""Reading labelled sentiment files and data folders.

Formats (detected from the file, not its folder name):

- TSV without header: ``text<TAB>label`` (SmSA);
- CSV with a header naming the text column ``text`` or ``sentence`` and the label column ``label`` or
  ``sentiment`` (NusaX ``id,text,label``; IndoLEM ``sentence,sentiment``; gov_comments
  ``text,sentiment,kind,needs_escalation``). Optional ``needs_escalation`` (yes/no) and ``kind`` (complaint,
  question, praise ...) columns are kept.

Labels are ``negative``/``neutral``/``positive``; ``0``/``1`` mean negative/positive (IndoLEM, where 0 is closer to
"not positive"; the trainer leaves such rows out by default, see ``train.py``).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from humas.errors import InvalidInput
from humas.sentiment.base import LABELS, Label

_LABEL_ALIASES: dict[str, Label] = {
    "negative": "negative", "neg": "negative", "negatif": "negative", "0": "negative",
    "neutral": "neutral", "neu": "neutral", "netral": "neutral",
    "positive": "positive", "pos": "positive", "positif": "positive", "1": "positive",
}
_YES = {"yes", "y", "true", "1", "ya"}
_NO = {"no", "n", "false", "0", "tidak"}


@dataclass(frozen=True)
class Example:
    """One labelled comment. ``binary`` is true when the source had only 0/1 labels; ``escalate`` and ``kind`` are
    None when the file does not say (``kind`` is gov_comments' complaint/question/praise/...)."""

    text: str
    label: Label
    escalate: bool | None = None
    binary: bool = False
    source: str = ""
    kind: str | None = None


def parse_label(raw: str, where: str) -> Label:
    """Map a label spelling to a :data:`Label`; raise :class:`InvalidInput` naming ``where`` otherwise."""
    label = _LABEL_ALIASES.get(raw.strip().lower())
    if label is None:
        raise InvalidInput(f"{where}: unknown label {raw.strip()!r} (expected one of {', '.join(LABELS)} or 0/1)")
    return label


def read_labelled_file(path: Path | str, source: str | None = None) -> list[Example]:
    """Read every row of a labelled TSV/CSV file. Missing file, unknown header or bad label → InvalidInput."""
    path = Path(path)
    source = source if source is not None else path.parent.name
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            first = fh.readline()
            fh.seek(0)
            if "\t" in first and not _looks_like_header(first.split("\t")):
                return list(_read_tsv(fh, path, source))
            return list(_read_csv(fh, path, source))
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except csv.Error as exc:
        raise InvalidInput(f"{path}: not a valid CSV/TSV file ({exc})") from exc


def _looks_like_header(cells: list[str]) -> bool:
    names = {c.strip().lower() for c in cells}
    return bool(names & {"text", "sentence"}) and bool(names & {"label", "sentiment"})


def _read_tsv(fh: Iterator[str], path: Path, source: str) -> Iterator[Example]:
    for lineno, line in enumerate(fh, 1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        text, sep, raw = line.rpartition("\t")
        if not sep:
            raise InvalidInput(f"{path}:{lineno}: expected text<TAB>label")
        yield Example(text, parse_label(raw, f"{path}:{lineno}"), source=source, binary=raw.strip() in ("0", "1"))


def _read_csv(fh: Iterator[str], path: Path, source: str) -> Iterator[Example]:
    reader = csv.DictReader(fh)
    fields = {(f or "").strip().lower(): f for f in reader.fieldnames or []}
    text_col = fields.get("text") or fields.get("sentence")
    label_col = fields.get("label") or fields.get("sentiment")
    if text_col is None or label_col is None:
        raise InvalidInput(
            f"{path}: unknown header {list(fields)!r}; need a text|sentence column and a label|sentiment column "
            "(or a TSV without header: text<TAB>label)"
        )
    esc_col = fields.get("needs_escalation")
    kind_col = fields.get("kind")
    for lineno, row in enumerate(reader, 2):
        text = row.get(text_col)
        raw = row.get(label_col)
        if text is None or raw is None:
            raise InvalidInput(f"{path}:{lineno}: missing text or label")
        escalate: bool | None = None
        if esc_col is not None:
            value = (row.get(esc_col) or "").strip().lower()
            escalate = True if value in _YES else False if value in _NO else None
        kind = (row.get(kind_col) or "").strip().lower() or None if kind_col is not None else None
        yield Example(
            text, parse_label(raw, f"{path}:{lineno}"), escalate, binary=raw.strip() in ("0", "1"), source=source,
            kind=kind,
        )


def find_split_files(data_dir: Path | str, split: str) -> list[Path]:
    """Files of one split (``train`` or ``valid``) under ``data_dir``: ``split.csv``/``split.tsv`` at any depth."""
    root = Path(data_dir)
    if not root.is_dir():
        raise InvalidInput(f"{root}: not a directory")
    return sorted(p for p in root.rglob(f"{split}.*") if p.suffix in (".csv", ".tsv") and p.is_file())


def default_data_dir() -> Path:
    """``$HUMAS_SENTIMENT_DATA``, else ``<repo>/../shared/data/sentiment`` found from this source tree or the cwd."""
    env = os.environ.get("HUMAS_SENTIMENT_DATA")
    if env:
        return Path(env)
    tail = Path("shared", "data", "sentiment")
    starts = [Path(__file__).resolve().parent, Path.cwd().resolve()]
    for start in starts:
        for parent in [start, *start.parents]:
            for candidate in (parent / tail, parent.parent / tail):
                if candidate.is_dir():
                    return candidate
    raise InvalidInput("no sentiment data found: set HUMAS_SENTIMENT_DATA or pass --data DIR")
