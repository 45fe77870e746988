"""``humas sentiment learn``: one attempt of the learning loop now (the daemon runs it nightly at
``sentiment.retrain_at``)."""

from __future__ import annotations

import typer
from rich.text import Text

from humas.cli.common import JSON_OPTION, console, emit_json, get_app


def learn(
    ctx: typer.Context,
    force: bool = typer.Option(False, "--force", help="Retrain even with fewer new corrections than min_feedback."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Retrain the default model with the Redaktur's corrections; deploy it only if it does not lose on the
    shipped validation sets. Exit 0 when deployed or nothing to do, 1 when the candidate was refused."""
    app = get_app(ctx)
    s = app.settings.sentiment
    if s.backend != "default" or s.model:
        typer.echo("error: the learning loop serves the default backend without an explicit [sentiment] model",
                   err=True)
        raise typer.Exit(2)
    report = app.learning().run(force=force)
    if as_json:
        emit_json(vars(report))
    else:
        console.print(Text(f"{report.outcome}: {report.reason}"))
        for split, pair in sorted((report.scores or {}).items()):
            cand, cur = pair["candidate"], pair.get("current") or {}
            console.print(Text(f"  {split}: macro-F1 {cand['macro_f1']:.3f} (now {cur.get('macro_f1', 0):.3f}), "
                               f"negative recall {cand['negative_recall']:.3f}, case share {cand['case_share']:.3f}"))
    if report.outcome == "refused":
        raise typer.Exit(1)
