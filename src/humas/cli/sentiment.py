"""``humas sentiment``: classify comments, evaluate a model on a labelled file, train the default model."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from humas.cli.common import DataOpt, console
from humas.cli.finetune import finetune
from humas.cli.learning import learn
from humas.errors import HumasError, InvalidInput
from humas.sentiment.base import LABELS, Classifier, Label

if TYPE_CHECKING:
    from humas.app import App

app = typer.Typer(help="Classify public comments by sentiment, evaluate and train the sentiment model.")
app.command()(finetune)
app.command()(learn)

BackendOpt = Annotated[
    str, typer.Option("--backend", envvar="HUMAS_SENTIMENT_BACKEND", help="default or transformers.")
]
ModelOpt = Annotated[
    str | None,
    typer.Option("--model", envvar="HUMAS_SENTIMENT_MODEL", help="Model directory (or hub id for transformers)."),
]
ThresholdOpt = Annotated[
    float | None,
    typer.Option("--threshold", min=0.0, max=1.0, help="Escalate when P(negative) >= this (default: the model's)."),
]
AbusiveOpt = Annotated[
    Path | None,
    typer.Option("--abusive-words", envvar="HUMAS_SENTIMENT_ABUSIVE_WORDS", help="Abusive-word list, one a line."),
]


@contextmanager
def _errors() -> Iterator[None]:
    """Turn a HumasError into ``error: <message>`` on stderr and its exit code."""
    try:
        yield
    except HumasError as err:
        typer.echo(f"error: {err.message}", err=True)
        raise typer.Exit(err.exit_code) from err


def _classifier(backend: str, model: str | None, threshold: float | None, abusive: Path | None) -> Classifier:
    from humas.sentiment.factory import build_classifier

    return build_classifier(backend, model, threshold, abusive)


@app.command()
def classify(
    texts: Annotated[list[str], typer.Argument(help="Comments to classify.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON list.")] = False,
    backend: BackendOpt = "default",
    model: ModelOpt = None,
    threshold: ThresholdOpt = None,
    abusive_words: AbusiveOpt = None,
) -> None:
    """Classify each TEXT: label, probabilities, triage tier (case, review, question, none) and whether it is
    abusive."""
    with _errors():
        predictions = _classifier(backend, model, threshold, abusive_words).classify(texts)
    rows: list[dict[str, Any]] = [
        {
            "text": text,
            "label": p.label,
            "probabilities": {k: round(v, 4) for k, v in p.probabilities.items()},
            "tier": p.tier,
            "p_question": None if p.p_question is None else round(p.p_question, 4),
            "escalate": p.needs_escalation,
            "escalation_score": round(p.escalation_score, 4),
            "abusive": p.abusive,
            "matched_abusive": list(p.matched_abusive),
        }
        for text, p in zip(texts, predictions, strict=True)
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("text", "label", *LABELS, "tier", "question", "abusive")
    for row in rows:
        probs = row["probabilities"]
        table.add_row(
            row["text"], row["label"], *(f"{probs[label]:.2f}" for label in LABELS), row["tier"],
            "-" if row["p_question"] is None else f"{row['p_question']:.2f}", ", ".join(row["matched_abusive"]) or "no",
        )
    console.print(table)


@app.command()
def evaluate(
    file: Annotated[Path, typer.Argument(help="TSV text<TAB>label, or CSV with text|sentence and label|sentiment.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")] = False,
    binary: Annotated[
        bool, typer.Option("--binary", help="Score a 0/1 file as negative vs not negative (neutral counts as not).")
    ] = False,
    backend: BackendOpt = "default",
    model: ModelOpt = None,
    threshold: ThresholdOpt = None,
    abusive_words: AbusiveOpt = None,
) -> None:
    """Score the model on a labelled FILE: macro-F1, per class, triage shares (case, review, question), negative
    recall (negatives reaching a case or the review list), case precision, speed."""
    from humas.sentiment.evaluate import evaluate_file

    with _errors():
        result = evaluate_file(_classifier(backend, model, threshold, abusive_words), file, binary=binary)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    _print_report({file.name: result})


def _print_report(results: dict[str, dict[str, Any]]) -> None:
    # One column per split and one row per metric, so the table stays readable in a narrow terminal.
    names = list(results)
    table = Table("metric", *names)
    classes = list(dict.fromkeys(label for n in names for label in results[n]["per_class"]))

    def cell(n: str, key: str) -> str:
        return f"{results[n][key]:.3f}" if key in results[n] else ""

    def f1(n: str, label: str) -> str:
        per_class = results[n]["per_class"]
        return f"{per_class[label]['f1']:.3f}" if label in per_class else ""

    rows: list[tuple[str, list[str]]] = [
        ("n", [str(results[n]["n"]) for n in names]),
        ("macro-F1", [cell(n, "macro_f1") + (" (binary)" if results[n].get("binary") else "") for n in names]),
        *((f"F1 {label}", [f1(n, label) for n in names]) for label in classes),
        ("negative recall (case or review)", [cell(n, "negative_recall") for n in names]),
        ("case share", [cell(n, "case_share") for n in names]),
        ("case precision", [cell(n, "case_precision") for n in names]),
        ("review share", [cell(n, "review_share") for n in names]),
        ("question share", [cell(n, "question_share") for n in names]),
        ("comments/s", [f"{results[n].get('comments_per_second', 0):.0f}" for n in names]),
    ]
    for metric, values in rows:
        table.add_row(metric, *values)
    console.print(table)


def default_out_dir() -> Path:
    """``$HUMAS_DATA_DIR/models/sentiment``, else ``./data/models/sentiment``."""
    base = os.environ.get("HUMAS_DATA_DIR")
    return (Path(base) if base else Path("data")) / "models" / "sentiment"


def load_feedback(app: App | None = None) -> list[tuple[str, str]]:
    """The Redaktur's corrections in the database of the configured installation (``HUMAS_CONFIG`` /
    ``humas.toml`` / ``HUMAS_DATABASE_URL``), or of ``app`` when given."""
    from humas.classify.feedback import feedback_rows

    if app is not None:
        return feedback_rows(app.db)
    from humas.app import App
    from humas.config import load_settings

    own = App(load_settings())
    try:
        own.ensure_schema()
        return feedback_rows(own.db)
    finally:
        own.db.dispose()


def _load_feedback() -> list[tuple[str, Label]]:
    """The Redaktur's label corrections in the configured installation's database."""
    pairs: list[tuple[str, Label]] = []
    for text, label in load_feedback():
        if label not in LABELS:
            raise InvalidInput(f"feedback label {label!r} is not one of {', '.join(LABELS)}")
        pairs.append((text, label))  # type: ignore[arg-type]
    return pairs


@app.command()
def train(
    data: DataOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write the model. Default: $HUMAS_DATA_DIR/models/sentiment.")
    ] = None,
    include_feedback: Annotated[
        bool, typer.Option("--include-feedback", help="Also train on the redaktur's corrections (weighted up).")
    ] = False,
) -> None:
    """Train the default model, choose its triage thresholds (case, review, question) by cross-validation on the
    train rows and report the valid splits."""
    from humas.sentiment.data import default_data_dir
    from humas.sentiment.train import train as run_training

    with _errors():
        data_dirs = data or [default_data_dir()]
        out_dir = out or default_out_dir()
        extra = _load_feedback() if include_feedback else []
        console = Console(stderr=True)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as bar:
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            report = run_training(data_dirs, out_dir, extra_examples=extra, progress=progress)
    _print_report(report)
    typer.echo(f"model written to {out_dir}", err=True)
