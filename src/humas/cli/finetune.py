"""``humas sentiment finetune``: fine-tune a local Hugging Face checkpoint (IndoBERT) on the shipped data, on CPU.

Registered in ``cli/sentiment.py`` with ``app.command()(finetune)``. The work itself is in
:mod:`humas.sentiment.finetune`; this module turns options into a config, draws progress and prints the report.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from humas.cli.common import DataOpt, console
from humas.errors import HumasError


def default_finetune_out() -> Path:
    """``$HUMAS_DATA_DIR/models/sentiment-transformers``, else ``./data/models/sentiment-transformers``."""
    base = os.environ.get("HUMAS_DATA_DIR")
    return (Path(base) if base else Path("data")) / "models" / "sentiment-transformers"


class _Bars:
    """Rich progress bars, one per stage, on stderr; notes are printed above them."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def update(self, stage: str, done: int, total: int, info: str = "") -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=total, completed=done, info=info)
        self.progress.update(self.tasks[stage], completed=done, total=total, info=info)

    def note(self, text: str) -> None:
        self.progress.console.print(text, highlight=False)


def _resume_command(out: Path) -> str:
    return f"humas sentiment finetune --out {shlex.quote(str(out))} --resume"


def finetune(
    base: Annotated[
        Path | None,
        typer.Option("--base", help="Local Hugging Face checkpoint directory (config, weights and tokenizer)."),
    ] = None,
    data: DataOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Where to write the model. Default: $HUMAS_DATA_DIR/models/sentiment-transformers."
        ),
    ] = None,
    epochs: Annotated[int | None, typer.Option("--epochs", min=1, help="Passes over the data (default: 3).")] = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", min=1, help="Rows per step (default: 16).")] = None,
    lr: Annotated[float | None, typer.Option("--lr", min=0.0, help="Peak learning rate (default: 3e-5).")] = None,
    max_length: Annotated[
        int | None, typer.Option("--max-length", min=8, help="Tokens per comment, longer ones cut (default: 128).")
    ] = None,
    max_rows: Annotated[
        int | None, typer.Option("--max-rows", min=1, help="Train on at most this many rows (a quick trial run).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of head init and data order (default: 13).")] = None,
    checkpoint_every: Annotated[
        int | None, typer.Option("--checkpoint-every", min=1, help="Save a checkpoint every N steps (default: 200).")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the last checkpoint in --out (same settings).")
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the model or unfinished fine-tune in --out.")
    ] = False,
    threads: Annotated[
        int | None,
        typer.Option("--threads", min=1, envvar="HUMAS_FINETUNE_THREADS",
                     help="CPU threads for torch (default: one per core). Fewer when the server is busy."),
    ] = None,
    stop_after: Annotated[
        int | None,
        typer.Option("--stop-after", min=1, help="Checkpoint and stop after N steps of this run (resume later)."),
    ] = None,
) -> None:
    """Fine-tune a local checkpoint (e.g. IndoBERT) on the sentiment data on CPU; see docs/indobert.md.

    Writes a model directory for backend = "transformers", with triage thresholds chosen on held-out
    gov_comments train rows and the valid-split scores in humas.json. Ctrl-C saves a checkpoint; --resume continues.
    """
    from humas.sentiment.data import default_data_dir
    from humas.sentiment.finetune import FinetuneInterrupted
    from humas.sentiment.finetune import finetune as run_finetune

    given: dict[str, Any] = {
        k: v for k, v in [("epochs", epochs), ("batch_size", batch_size), ("lr", lr), ("max_length", max_length),
                          ("max_rows", max_rows), ("seed", seed), ("checkpoint_every", checkpoint_every)]
        if v is not None
    }
    out_dir = out or default_finetune_out()
    console = Console(stderr=True)
    try:
        data_dirs = data or (None if resume else [default_data_dir()])  # resuming: the checkpoint's data
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=console,
        ) as bar:
            result = run_finetune(
                out_dir, data_dirs, base=base, changes=given, resume=resume, overwrite=overwrite,
                stop_after=stop_after, threads=threads, progress=_Bars(bar),
            )
    except FinetuneInterrupted as err:
        hint = f"; continue with: {_resume_command(out_dir)}" if err.saved else ""
        typer.echo(f"{err.message}{hint}", err=True)
        raise typer.Exit(err.exit_code) from err
    except HumasError as err:
        typer.echo(f"error: {err.message}", err=True)
        raise typer.Exit(err.exit_code) from err
    except KeyboardInterrupt as err:  # before training started (loading), or a second Ctrl-C
        typer.echo(f"interrupted; the last complete checkpoint in {out_dir}, if any, is kept", err=True)
        raise typer.Exit(130) from err
    if result.status == "stopped":
        typer.echo(f"stopped at step {result.step}/{result.total_steps}, checkpoint saved; continue with: "
                   f"{_resume_command(out_dir)}", err=True)
        return
    _print_summary(result.metadata)
    typer.echo(f"model written to {out_dir}; use it with [sentiment] backend = \"transformers\", model = "
               f"\"{out_dir}\"", err=True)


def _print_summary(meta: dict[str, Any]) -> None:
    t = meta["thresholds"]
    table = Table("split", "n", "macro-F1", "negative recall (case+review)", "case precision", "case share",
                  "review share", title=f"thresholds: case {t['case']:.2f}, review {t['review']:.2f}")
    for source, r in meta["valid"].items():
        table.add_row(source, str(r["n"]), f"{r['macro_f1']:.3f}", f"{r['negative_recall']:.3f}",
                      f"{r['case_precision']:.3f}", f"{r['case_share']:.3f}", f"{r['review_share']:.3f}")
    console.print(table)
