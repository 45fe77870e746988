"""``humas review``: the review list ("Perlu ditinjau"): comments the model was unsure about, confirmed or dismissed.

Comment text is untrusted: it is printed through rich ``Text`` objects (never parsed as markup).
"""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text

from humas.cli.common import AS_OPTION, JSON_OPTION, acting, console, emit_json, get_app

review_app = typer.Typer(help="Comments the model was unsure about: the escalation role confirms (a case opens) "
                              "or dismisses them; each choice teaches the model.", no_args_is_help=True)
IDS_ARG = typer.Argument(..., metavar="COMMENT...", help="Comment ids (see 'humas review list').")


@review_app.command("list")
def review_list(
    ctx: typer.Context,
    limit: int = typer.Option(100, "--limit", min=1, max=500, help="At most this many."),
    offset: int = typer.Option(0, "--offset", min=0, help="Skip this many (paging)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Comments waiting for a decision, the likeliest negatives first."""
    from humas.escalation.review import pending, pending_count
    from humas.escalation.views import comment_row

    app = get_app(ctx)
    with app.db.read() as s:
        rows = [comment_row(app.env, c) for c in pending(s, limit=limit, offset=offset)]
        total = pending_count(s)
    if as_json:
        emit_json({"total": total, "comments": rows})
        return
    if not rows:
        console.print(Text("nothing to review"))
        return
    table = Table("id", "account", "author", "P(neg)", "text", title=f"{total} to review")
    for r in rows:
        p = (r["probabilities"] or {}).get("negative", 0.0)
        table.add_row(str(r["id"]), Text(r["account"]), Text(r["author"]), f"{p:.2f}", Text(r["text"]))
    console.print(table)


@review_app.command("confirm")
def review_confirm(ctx: typer.Context, comment_ids: list[int] = IDS_ARG, user: str = AS_OPTION,
                   as_json: bool = JSON_OPTION) -> None:
    """These comments are negative: a case opens for each (all or none)."""
    with acting(ctx, user) as (app, s, actor):
        result = app.review(s).confirm(actor, comment_ids)
    if as_json:
        emit_json(vars(result))
        return
    console.print(Text(f"confirmed {len(result.comments)} comment(s); cases {', '.join(map(str, result.cases))}"))


@review_app.command("dismiss")
def review_dismiss(
    ctx: typer.Context,
    comment_ids: list[int] = IDS_ARG,
    label: str | None = typer.Option(None, "--label", help="neutral or positive (default: the likelier)."),
    user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """These comments are not negative (all or none); questions among them go to the response role."""
    with acting(ctx, user) as (app, s, actor):
        result = app.review(s).dismiss(actor, comment_ids, label)
    if as_json:
        emit_json(vars(result))
        return
    extra = f"; questions for the response role: {', '.join(map(str, result.questions))}" if result.questions else ""
    console.print(Text(f"dismissed {len(result.comments)} comment(s){extra}"))
