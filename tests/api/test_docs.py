"""docs/web.md's table of API operations is generated from ``/openapi.json``: this test fails when they differ, and
``HUMAS_UPDATE_DOCS=1 pytest tests/api/test_docs.py`` rewrites the table."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from humas.app import App
from humas.config import parse_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "web.md"
BEGIN = "<!-- api-operations: generated from /openapi.json by tests/api/test_docs.py -->"
END = "<!-- /api-operations -->"


def operations_table(spec: dict[str, Any]) -> str:
    rows = ["| operation | what | query | answers |", "|---|---|---|---|"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            query = ", ".join(f"`{p['name']}`" for p in op.get("parameters", []) if p["in"] == "query")
            body = op.get("requestBody", {}).get("content", {})
            if "multipart/form-data" in body:
                query = (query + ", " if query else "") + "multipart `file`"
            elif body:
                ref = body["application/json"]["schema"]
                ref = next((a for a in ref.get("anyOf", [ref]) if "$ref" in a), ref)
                name = ref["$ref"].rsplit("/", 1)[1]
                fields = ", ".join(spec["components"]["schemas"][name]["properties"])
                query = (query + "; " if query else "") + f"body `{{{fields}}}`"
            shown = path.removeprefix("/api/v1")
            rows.append(f"| `{method.upper()} {shown}` | {op.get('summary', '')} | {query or '—'} | "
                        f"{', '.join(op['responses'])} |")
    return "\n".join(rows)


def test_the_operations_table_matches_the_schema(tmp_path: Path) -> None:
    from humas.web.app import create_app

    spec = create_app(App(parse_settings({"data_dir": str(tmp_path)}, "test")), first_admin=False).openapi()
    text = DOC.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    assert pattern.search(text), f"docs/web.md lacks the markers {BEGIN} … {END}"
    wanted = f"{BEGIN}\n{operations_table(spec)}\n{END}"
    if os.environ.get("HUMAS_UPDATE_DOCS"):
        text = pattern.sub(lambda _: wanted, text)
        DOC.write_text(text, encoding="utf-8")
    found = pattern.search(text)
    assert found and found.group(0) == wanted, \
        "docs/web.md's API table is out of date: HUMAS_UPDATE_DOCS=1 pytest tests/api/test_docs.py"
