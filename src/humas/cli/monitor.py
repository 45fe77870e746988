"""``humas monitor``, ``humas comments`` and ``humas cases``: collecting public comments and answering them.

Comment text is untrusted: it is printed through rich ``Text`` objects (never parsed as markup).
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table
from rich.text import Text

from humas.cli.common import AS_OPTION, JSON_OPTION, acting, console, emit_json, get_app
from humas.errors import InvalidInput

if TYPE_CHECKING:
    from humas.authz import Actor
    from humas.escalation.cases import Cases
    from humas.store.models import Case

monitor_app = typer.Typer(help="Collect comments on published posts (polling with decay, budgets).",
                          no_args_is_help=True)
comments_app = typer.Typer(help="Public comments humas collected.", no_args_is_help=True)
cases_app = typer.Typer(help="Comments escalated to the redaktur: draft, approve, reject, dismiss, hide.",
                        no_args_is_help=True)

CASE_ARG = typer.Argument(..., metavar="CASE", help="The case id (see 'humas cases list').")
COMMENT_ARG = typer.Argument(..., metavar="COMMENT", help="The comment id (see 'humas comments list').")


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:cli"


def _say(message: str) -> None:
    console.print(Text(message))


# --- monitor --------------------------------------------------------------------------------------------------------


@monitor_app.command("run")
def monitor_run(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="Poll what is due once, classify, escalate, and exit."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Poll due posts of every account (leases: safe next to running daemons), then classify and escalate."""
    if as_json and not once:  # --json promises one JSON value; without --once this runs until stopped
        raise typer.BadParameter("needs --once (one JSON document of one round)", param_hint="--json")
    app = get_app(ctx)
    cycle = app.comment_cycle(_owner())
    while True:
        report = cycle.run_once()
        if as_json:
            emit_json(report.as_dict())
        else:
            shown = [a for a in report.accounts if a.posts or a.outcome != "ok"]
            for a in shown:
                extra = f" ({a.detail})" if a.detail else ""
                _say(f"{a.account}: {a.posts} posts polled, {a.fetched} comments fetched, {a.new} new, "
                     f"cost {a.cost}{' of ' + str(a.budget) if a.budget is not None else ''}: {a.outcome}{extra}")
            if not shown:
                _say("no post was due")
            p = report.pipeline
            labels = ", ".join(f"{k} {v}" for k, v in sorted(p.by_label.items()))
            _say(f"classified {p.classified}{' (' + labels + ')' if labels else ''}; "
                 f"new cases: {', '.join(map(str, p.cases)) or 'none'}")
        if once:
            return
        time.sleep(app.settings.monitor.tick_seconds)


# --- comments -------------------------------------------------------------------------------------------------------


def _label(r: dict[str, Any]) -> str:
    if r["label"] is None:
        return "-"
    probs = r.get("probabilities") or {}
    return f"{r['label']} {probs.get('negative', 0):.2f}" if r["label"] == "negative" else str(r["label"])


@comments_app.command("list")
def comments_list(
    ctx: typer.Context,
    flagged: bool = typer.Option(False, "--flagged", help="Only escalated or abusive comments (and those in cases)."),
    account: str | None = typer.Option(None, "--account", help="Only this account."),
    post: str | None = typer.Option(None, "--post", help="Only this post (its remote id)."),
    limit: int = typer.Option(100, "--limit", min=1, max=10_000, help="At most this many (the latest)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Collected comments, oldest first: label, flags and the case they are in."""
    from humas.escalation.views import list_comments

    app = get_app(ctx)
    with app.db.session() as s:
        rows = list_comments(app.env, s, flagged=flagged, account=account, post_remote_id=post, limit=limit)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        _say("no comments")
        return
    table = Table("id", "account", "author", "label", "flags", "case", "text", show_lines=False)
    for r in rows:
        flags = ",".join(f for f, on in (("escalate", r["escalate"]), ("abusive", r["abusive"]),
                                         ("hidden", r["hidden"]), ("deleted", r["deleted"])) if on)
        case = f"{r['case_id']} {r['case_status']}" if r["case_id"] else ""
        table.add_row(str(r["id"]), Text(r["account"]), Text(r["author"]), _label(r), flags, case, Text(r["text"]))
    console.print(table)


@comments_app.command("reply")
def comments_reply(
    ctx: typer.Context,
    comment_id: int = COMMENT_ARG,
    text: str = typer.Option(..., "--text", help="The answer."),
    user: str = AS_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Answer a comment that was not escalated (the SOP's direct answer); queued once through the publishing queue.
    Where the SOP requires approval for every answer, the answer goes to the escalation role as a case."""
    from humas.escalation.views import case_row

    with acting(ctx, user) as (app, s, actor):
        case = app.cases(s).reply_direct(actor, comment_id, text)
        row = case_row(app.env, case)
    if as_json:
        emit_json(row)
    elif row["status"] == "approved":
        _say(f"comment {comment_id}: answer queued (case {row['id']}, job {row['reply_job_id']})")
    else:
        _say(f"comment {comment_id}: answer waiting for approval (case {row['id']})")


@comments_app.command("relabel")
def comments_relabel(
    ctx: typer.Context,
    comment_id: int = COMMENT_ARG,
    label: str = typer.Option(..., "--label", help="negative, neutral or positive."),
    user: str = AS_OPTION,
) -> None:
    """Correct a comment's sentiment label (also comments without a case); used by 'sentiment train
    --include-feedback'."""
    with acting(ctx, user) as (app, s, actor):
        app.cases(s).relabel_comment(actor, comment_id, label)
    _say(f"comment {comment_id}: label {label} recorded")


# --- cases ----------------------------------------------------------------------------------------------------------


@cases_app.command("list")
def cases_list(
    ctx: typer.Context,
    status: str | None = typer.Option(None, "--status", help="A case status, 'active' or 'all' (default)."),
    limit: int = typer.Option(200, "--limit", min=1, max=10_000),
    as_json: bool = JSON_OPTION,
) -> None:
    """Cases, oldest first: status, reason, the comment, the draft and when the current step is due."""
    from humas.escalation.views import list_cases

    app = get_app(ctx)
    with app.db.session() as s:
        rows = list_cases(app.env, s, status=status, limit=limit)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        _say("no cases")
        return
    table = Table("id", "status", "reason", "account", "label", "due", "comment", "draft / note")
    for r in rows:
        due = (r["due_at"] or "")[:16].replace("T", " ")
        extra = r["draft"] or ""
        if r["note"]:
            extra = f"{extra}\n[{r['note']}]" if extra else f"[{r['note']}]"
        table.add_row(str(r["id"]), r["status"], r["reason"], Text(r["account"]), _label(r), due, Text(r["text"]),
                      Text(extra))
    console.print(table)


@cases_app.command("show")
def cases_show(ctx: typer.Context, case_id: int = CASE_ARG, as_json: bool = JSON_OPTION) -> None:
    """One case with its thread (the comment, its parent and the replies beside it)."""
    from humas.escalation.views import case_row, thread

    app = get_app(ctx)
    with app.db.session() as s:
        case = app.cases(s).get(case_id)
        row = {**case_row(app.env, case), "thread": thread(app.env, s, case)}
    if as_json:
        emit_json(row)
        return
    _say(f"case {row['id']}: {row['status']} ({row['reason']}), account {row['account']}, post {row['remote_id']}")
    for t in row["thread"]:
        mark = ">" if t["id"] == row["comment_id"] else " "
        who = f"{t['author']}{' (kami)' if t['is_own'] else ''}"
        _say(f"{mark} [{t['id']}] {who}: {t['text']}")
    if row["draft"]:
        _say(f"draft: {row['draft']}")
    if row["note"]:
        _say(f"note: {row['note']}")


def _act(ctx: typer.Context, user: str, as_json: bool, do: Callable[[Cases, Actor], Case]) -> None:
    from humas.escalation.views import case_row

    with acting(ctx, user) as (app, s, actor):
        case = do(app.cases(s), actor)
        row = case_row(app.env, case)
    if as_json:
        emit_json(row)
        return
    extra = f", reply job {row['reply_job_id']}" if row["status"] == "approved" and row["reply_job_id"] else ""
    _say(f"case {row['id']}: {row['status']}{extra}")


@cases_app.command("draft")
def cases_draft(ctx: typer.Context, case_id: int = CASE_ARG, text: str = typer.Option(..., "--text"),
                user: str = AS_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Draft (or redraft) the answer; it then waits for the escalation role's approval."""
    _act(ctx, user, as_json, lambda c, actor: c.draft(actor, case_id, text))


@cases_app.command("approve")
def cases_approve(ctx: typer.Context, case_id: int = CASE_ARG, note: str = typer.Option("", "--note"),
                  user: str = AS_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Approve the drafted answer: it is queued for posting (once)."""
    _act(ctx, user, as_json, lambda c, actor: c.approve(actor, case_id, note))


@cases_app.command("reject")
def cases_reject(ctx: typer.Context, case_id: int = CASE_ARG,
                 note: str = typer.Option(..., "--note", help="What to change in the answer."),
                 user: str = AS_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Send the draft back to the social media team with a note."""
    _act(ctx, user, as_json, lambda c, actor: c.reject(actor, case_id, note))


@cases_app.command("dismiss")
def cases_dismiss(ctx: typer.Context, case_id: int = CASE_ARG,
                  reason: str = typer.Option(..., "--reason", help="Why no answer is needed."),
                  user: str = AS_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Close the case without an answer."""
    _act(ctx, user, as_json, lambda c, actor: c.dismiss(actor, case_id, reason))


@cases_app.command("relabel")
def cases_relabel(ctx: typer.Context, case_id: int = CASE_ARG,
                  label: str = typer.Option(..., "--label", help="negative, neutral or positive."),
                  user: str = AS_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Correct the comment's sentiment label (stored as training feedback)."""
    if label not in ("negative", "neutral", "positive"):
        raise InvalidInput(f"unknown label '{label}' (use negative, neutral or positive)")
    _act(ctx, user, as_json, lambda c, actor: c.relabel(actor, case_id, label))


@cases_app.command("hide")
def cases_hide(ctx: typer.Context, case_id: int = CASE_ARG, user: str = AS_OPTION,
               as_json: bool = JSON_OPTION) -> None:
    """Hide the comment on the platform (where the platform allows it) and close the case."""
    _act(ctx, user, as_json, lambda c, actor: c.hide(actor, case_id))
