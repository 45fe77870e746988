"""What the web's gettext catalogs must hold, read off the sources (``make messages``, the catalog tests).

``ui``: every ``_("…")`` of the templates and pages, and the status and action labels. ``errors``: the domain
layer speaks English (the API and CLI show its messages as they are); the web shows them in the viewer's
language through the ``errors`` catalog (:mod:`humas.web.catalog`). Extracted are the first argument of every
``raise SomeError(...)`` whose class derives from :class:`humas.errors.HumasError`, the default message of
each such class (its docstring's first line), and the reasons stored for people to read (a job's ``last_error=``,
the dispatcher's ``_fail`` notes). An f-string becomes a template whose placeholders are named after
their expressions: ``f"user '{name}' already exists"`` -> ``user '{name}' already exists``. Errors that carry
their own Indonesian text (``indonesian=``) and those only the CLI or the test fakes raise are left out.

``python -m humas.web.extract`` adds what is new to the ``.po`` files (empty, for a translator) and keeps every entry
already there: some messages reach ``_`` through a variable and cannot be found by reading the sources.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from humas.web.catalog import fields

SOURCE = Path(__file__).resolve().parents[1]  # src/humas
WEB = SOURCE / "web"
CALL = re.compile(r"""_\(\s*(["'])(.+?)\1\s*[,)]""")
#: the printed documents (humas.reports) take their words as ``t`` (:class:`humas.reports.printable.Words`)
DOCUMENT_CALL = re.compile(r"""\bt\(\s*(["'])(.+?)\1\s*[,)]""")

def placeholder(expr: ast.expr, taken: set[str]) -> str:
    """A readable placeholder name for an f-string expression, unique within its message."""
    name = re.sub(r"\W+", "_", ast.unparse(expr)).strip("_") or "value"
    if name[0].isdigit():
        name = "v_" + name
    base, i = name, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name


def template(node: ast.expr) -> str | None:
    """The message of a string or f-string node with ``{name}`` placeholders; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("{", "{{").replace("}", "}}")
    if not isinstance(node, ast.JoinedStr):
        return None
    parts, taken = [], set[str]()
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value).replace("{", "{{").replace("}", "}}"))
        elif isinstance(value, ast.FormattedValue):
            parts.append("{" + placeholder(value.value, taken) + "}")
    return "".join(parts)


def _name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


@cache
def error_classes(root: Path = SOURCE) -> frozenset[str]:
    """Names of the classes under ``root`` that derive from ``HumasError`` (by their bases' names)."""
    bases: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(_name(b) for b in node.bases)
    found = {"HumasError"}
    while True:
        more = {n for n, b in bases.items() if n not in found and b & found}
        if not more:
            return frozenset(found)
        found |= more


def messages(source: str, classes: frozenset[str]) -> Iterator[tuple[int, str]]:
    """``(line, message)`` for each raised domain error, each error class's default message and each stored reason
    in ``source``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and node.name in classes:
            doc = ast.get_docstring(node)
            if doc:
                yield node.lineno, doc.strip().splitlines()[0].replace("{", "{{").replace("}", "}}")
        if isinstance(node, ast.Call):  # reasons stored for people to read: a job's last_error, a failure's note
            stored = [k.value for k in node.keywords if k.arg == "last_error"]
            if _name(node.func) == "_fail" and len(node.args) > 1:
                stored.append(node.args[1])
            for value in stored:
                text = template(value)
                if text and text.strip() and fields(text) != [text.strip("{}")]:
                    yield node.lineno, text
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        call = node.exc
        if _name(call.func) not in classes or not call.args:
            continue
        if any(k.arg == "indonesian" for k in call.keywords):
            continue
        text = template(call.args[0])
        if text and text.strip():
            yield node.lineno, text


def all_raised(root: Path = SOURCE) -> dict[str, list[str]]:
    """Every message of the package with where it is raised (``path:line``), for tests and ``make messages``."""
    found: dict[str, list[str]] = {}
    classes = error_classes(root)
    for path in sorted(root.rglob("*.py")):
        for line, text in messages(path.read_text(encoding="utf-8"), classes):
            found.setdefault(text, []).append(f"{path.relative_to(root.parent)}:{line}")
    return found


def domain_messages(root: Path = SOURCE) -> dict[str, list[str]]:
    """The ``errors`` catalog's messages: those raised outside the CLI, and the web's own (HTTP errors)."""
    from humas.web.catalog import WEB_MESSAGES

    shown = [p for p in all_raised(root).items()
             if not all(x.startswith(("humas/cli/", "humas/testing")) for x in p[1])]  # the CLI's, the fakes'
    found = dict(shown)
    for message in WEB_MESSAGES:
        found.setdefault(message, ["humas/web/catalog.py:0"])
    return found


def ui_messages(web: Path = WEB) -> set[str]:
    """The ``ui`` catalog's messages: each ``_("…")`` in the templates and pages, each ``t("…")`` of the printed
    documents, and every status and action label."""
    from humas.web.i18n import ACTION, STATUS

    found: set[str] = set()
    for path in [*web.glob("templates/*.html"), *web.glob("pages/*.py"), *web.glob("*.py")]:
        if path.name in ("i18n.py", "extract.py"):
            continue
        for m in CALL.finditer(path.read_text(encoding="utf-8")):
            found.add(m.group(2).replace('\\"', '"'))
    for path in (SOURCE / "reports").glob("*.py"):
        found.update(m.group(2) for m in DOCUMENT_CALL.finditer(path.read_text(encoding="utf-8")))
    return found | set(STATUS.values()) | set(ACTION.values())


def refresh() -> dict[str, int]:
    """Add the messages the sources have and the catalogs lack (untranslated); return how many, per catalog."""
    from babel.messages.pofile import read_po, write_po

    from humas.web.catalog import catalog_path

    added = {}
    for lang, domain, wanted in (("en", "ui", {m: [] for m in ui_messages()}), ("id", "errors", domain_messages())):
        path = catalog_path(lang, domain)
        with path.open("rb") as f:
            cat = read_po(f, locale=lang, domain=domain)
        new = [m for m in wanted if m not in cat]
        for message in new:
            cat.add(message, "", locations=[(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) for w in wanted[message]])
        with path.open("wb") as f:
            write_po(f, cat, width=120, sort_output=True)
        added[f"{lang}/{domain}"] = len(new)
    return added


if __name__ == "__main__":
    for name, count in refresh().items():
        print(f"{name}: {count} new message(s) to translate")
