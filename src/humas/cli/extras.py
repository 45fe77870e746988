"""Command groups of the publishing, monitoring and sentiment areas, registered when their modules exist."""

from __future__ import annotations

import importlib

import typer

GROUPS = [
    ("humas.cli.sentiment", "app", "sentiment"),
]


def register(root: typer.Typer) -> None:
    for module, attr, name in GROUPS:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        root.add_typer(getattr(mod, attr), name=name)
