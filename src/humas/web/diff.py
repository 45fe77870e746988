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


def words(old: str, new: str) -> list[tuple[str, str]]:
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("eq", "".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            out.append(("del", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            out.append(("ins", "".join(b[j1:j2])))
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
