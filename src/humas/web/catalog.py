"""The web's gettext catalogs, Babel ``.po`` files under ``web/locale`` that a translator edits (``make messages``
refreshes them from the sources):

- ``ui``: the interface's own text, written in Indonesian in the templates and pages; ``en/LC_MESSAGES/ui.po``
  gives the English.
- ``errors``: the messages the domain layer raises, in English as the API and CLI show them;
  ``id/LC_MESSAGES/errors.po`` gives the Indonesian a page shows. A message was formatted before it reached the
  web (``f"content {cid} not found"``), so a catalog entry with placeholders (``content {cid} not found``) is
  matched against the whole text and the Indonesian filled with the values it captured.

Entries without a translation, or marked fuzzy, are left out: the text shows as written.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE = Path(__file__).with_name("locale")

#: messages the web itself produces outside the domain layer (HTTP errors, request validation); in ``errors`` too
WEB_MESSAGES = (
    "Not Found",
    "Method Not Allowed",
    "invalid request: {details}",
    "error",
    "internal error: the server failed to answer; the details are in its log",
)


def catalog_path(lang: str, domain: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"


@cache
def entries(lang: str, domain: str) -> Mapping[str, str]:
    """``msgid -> msgstr`` of the catalog's translated, non-fuzzy entries; empty where there is no catalog."""
    path = catalog_path(lang, domain)
    if not path.exists():
        return {}
    with path.open("rb") as f:
        cat = read_po(f, locale=lang, domain=domain)
    return {str(m.id): str(m.string) for m in cat if m.id and m.string and not m.fuzzy}


def ui(lang: str) -> Mapping[str, str]:
    """The interface's translations into ``lang`` (Indonesian is the source: nothing to translate)."""
    return entries(lang, "ui") if lang != "id" else {}


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    translation: str
    specificity: int  # characters of fixed text: the most specific matching entry wins


def fields(text: str) -> list[str]:
    """The placeholder names of a ``str.format`` template, in order."""
    return [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]


def _pattern(msgid: str, msgstr: str) -> _Pattern | None:
    parts, seen, fixed = [], set[str](), 0
    for literal, name, _, _ in string.Formatter().parse(msgid):
        parts.append(re.escape(literal))
        fixed += len(literal)
        if name is None:
            continue
        if not name.isidentifier():
            return None
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
    if fixed < 4:  # "{exc}" alone would swallow every message
        return None
    return _Pattern(re.compile("".join(parts), re.DOTALL), msgstr, fixed)


@cache
def _errors(lang: str) -> tuple[dict[str, str], tuple[_Pattern, ...]]:
    exact: dict[str, str] = {}
    patterns: list[_Pattern] = []
    for msgid, msgstr in entries(lang, "errors").items():
        if not fields(msgid):
            exact[msgid.replace("{{", "{").replace("}}", "}")] = msgstr.replace("{{", "{").replace("}}", "}")
            continue
        p = _pattern(msgid, msgstr)
        if p is not None:
            patterns.append(p)
    patterns.sort(key=lambda p: -p.specificity)
    return exact, tuple(patterns)


def error(message: str, lang: str, _depth: int = 0) -> str:
    """``message`` (the domain layer's English) in ``lang``; as it is where the catalog has no entry for it."""
    if lang == "en" or not message:
        return message
    exact, patterns = _errors(lang)
    if message in exact:
        return exact[message]
    for p in patterns:
        m = p.regex.fullmatch(message)
        if m is not None:
            # a value may itself be a message ("account paused: {reason}"): translated too, a few levels deep
            values = {k: error(v, lang, _depth + 1) if _depth < 3 else v for k, v in m.groupdict().items()}
            try:
                return p.translation.format(**values)
            except (KeyError, IndexError, ValueError):  # a translation with a placeholder its msgid lacks
                return message
    return message
