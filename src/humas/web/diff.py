"""Word-level differences between two content snapshots (:class:`~humas.store.models.ContentVersion`), for approvers.

The result is data (operation, text) that the template escapes; no HTML is built here.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

FIELDS = ("title", "text", "caption", "activity", "location")
_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class FieldDiff:
    name: str
    parts: list[tuple[str, str]]  # ("eq" | "ins" | "del", text)

    @property
    def changed(self) -> bool:
        return any(op != "eq" for op, _ in self.parts)


#: Above this many changed words on a side the middle is shown as removed and inserted whole: a word diff costs
#: time that grows with the product of the two lengths, and a page must not wait on it.
WORD_DIFF_MAX = 2000


def words(old: str, new: str) -> list[tuple[str, str]]:
    if old == new:
        return [("eq", old)] if old else []
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    head = 0  # the common beginning and end are equal without asking difflib
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    mid_a, mid_b = a[head:len(a) - tail], b[head:len(b) - tail]
    out: list[tuple[str, str]] = [("eq", "".join(a[:head]))]
    if max(len(mid_a), len(mid_b)) > WORD_DIFF_MAX:
        out += [("del", "".join(mid_a)), ("ins", "".join(mid_b))]
    else:
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=mid_a, b=mid_b, autojunk=False).get_opcodes():
            if tag == "equal":
                out.append(("eq", "".join(mid_a[i1:i2])))
                continue
            if tag in ("delete", "replace"):
                out.append(("del", "".join(mid_a[i1:i2])))
            if tag in ("insert", "replace"):
                out.append(("ins", "".join(mid_b[j1:j2])))
    out.append(("eq", "".join(a[len(a) - tail:])))
    return [p for p in out if p[1]]


def _as_text(value: Any) -> str:
    if isinstance(value, dict):
        return "\n".join(f"{k}: {v}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


def snapshot_diff(old: dict[str, Any], new: dict[str, Any]) -> list[FieldDiff]:
    """Every field of the two snapshots, with its word diff; unchanged fields included (``changed`` is False)."""
    names = [*FIELDS, "platform_captions", "media", "accounts", "flags"]
    return [FieldDiff(n, words(_as_text(old.get(n)), _as_text(new.get(n)))) for n in names]
