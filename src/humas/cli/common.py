"""What every CLI command shares: the App, the acting user, JSON output, one-line errors."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, ConsoleDimensions
from sqlalchemy.orm import Session

from humas.app import App
from humas.authz import Actor
from humas.config import load_settings


class _Console(Console):
    """Tables at a terminal's width; piped or redirected output is not cut at 80 columns (``COLUMNS`` wins, read
    when printing rather than once at import)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._width = self._height = None

    @property
    def size(self) -> ConsoleDimensions:
        dims = super().size
        if self.is_terminal or os.environ.get("COLUMNS", "").isdigit():
            return dims
        return ConsoleDimensions(4000, dims.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


console = _Console(highlight=False, soft_wrap=True)

AS_OPTION = typer.Option(..., "--as", envvar="HUMAS_USER", help="The acting user (env: HUMAS_USER).")
JSON_OPTION = typer.Option(False, "--json", help="Print exactly one JSON value.")
#: the sentiment data folders a command trains or scores on (sentiment train, sentiment finetune)
DataOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--data", help="Data folder (repeatable). Default: $HUMAS_SENTIMENT_DATA or ../shared/data/sentiment."
    ),
]


class CliState:
    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._app: App | None = None

    @property
    def app(self) -> App:
        if self._app is None:
            self._app = App(load_settings(self.config))
        return self._app

    def close(self) -> None:
        """Give the database connections back: a process that runs many commands (tests, a shell) keeps none."""
        if self._app is not None:
            self._app.db.dispose()
            self._app = None


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState(Path(os.environ["HUMAS_CONFIG"]) if os.environ.get("HUMAS_CONFIG") else None)
        ctx.find_root().obj = obj
    return obj


def get_app(ctx: typer.Context, *, schema: bool = True) -> App:
    app = state(ctx).app
    if schema:
        app.ensure_schema()
    return app


@contextmanager
def acting(ctx: typer.Context, user: str | None) -> Iterator[tuple[App, Session, Actor]]:
    """A transaction with the acting user resolved; anything raised rolls everything back."""
    app = get_app(ctx)
    with app.db.session() as s:
        yield app, s, app.actor(s, user)


def emit_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, default=str, indent=None))


def ok(message: str) -> None:
    console.print(message)
