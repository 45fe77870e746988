"""The ``humas`` command."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from humas.cli.accounts import secrets_app
from humas.cli.admin import user_app
from humas.cli.agenda import agenda_app
from humas.cli.audit import audit_app, sla_app
from humas.cli.common import CliState, get_app
from humas.cli.content import content_app
from humas.cli.db import db_app, init
from humas.cli.inventory import inventory_app
from humas.cli.monitor import cases_app, comments_app, monitor_app
from humas.cli.plan import plan_app
from humas.cli.queue import accounts_app, queue_app, sandbox_app, schedule
from humas.cli.report import report_app
from humas.cli.review import review_app
from humas.cli.sentiment import app as sentiment_app
from humas.cli.sop import sop_app
from humas.cli.web import web
from humas.errors import HumasError

app = typer.Typer(
    name="humas",
    help="humas: SOP approvals, scheduled posting and comment escalation for government PR units.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Path | None = typer.Option(None, "--config", envvar="HUMAS_CONFIG",
                                       help="Config file (env: HUMAS_CONFIG)."),
) -> None:
    ctx.obj = CliState(config)
    ctx.call_on_close(ctx.obj.close)


app.command("init")(init)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(sop_app, name="sop")
app.add_typer(content_app, name="content")
app.add_typer(plan_app, name="plan")
app.add_typer(audit_app, name="audit")
app.add_typer(sla_app, name="sla")
app.command("schedule")(schedule)
app.add_typer(queue_app, name="queue")
app.add_typer(accounts_app, name="accounts")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(secrets_app, name="secrets")
app.add_typer(monitor_app, name="monitor")
app.add_typer(comments_app, name="comments")
app.add_typer(cases_app, name="cases")
app.add_typer(review_app, name="review")
app.add_typer(report_app, name="report")
app.add_typer(sentiment_app, name="sentiment")
app.add_typer(inventory_app, name="inventory")
app.add_typer(agenda_app, name="agenda")
app.command("web")(web)


@app.command("run")
def run(
    ctx: typer.Context, web: bool = typer.Option(True, "--web/--no-web", help="Serve the web interface too.")
) -> None:
    """Start the daemon: dispatcher, monitor, timers and the web interface (Ctrl-C or SIGTERM stops it cleanly)."""
    from humas.daemon import Daemon

    Daemon(get_app(ctx), serve_web=web).run_forever()


def main(argv: list[str] | None = None) -> None:
    try:
        code = app(args=argv, standalone_mode=False)
    except HumasError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except OperationalError as exc:
        typer.echo(f"error: database unavailable: {str(exc.orig).strip().splitlines()[0]}", err=True)
        sys.exit(1)
    except SQLAlchemyError as exc:
        typer.echo(f"error: database error: {type(exc).__name__}: {str(exc).splitlines()[0]}", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors (typer vendors click: its own exception classes)
        typer.echo(f"error: {usage_message(exc)}", err=True)
        sys.exit(int(getattr(exc, "exit_code", 2)))
    if isinstance(code, int) and code:  # a command's typer.Exit(n): without standalone mode it is returned
        sys.exit(code)


def usage_message(exc: Exception) -> str:
    """One line for a usage error: what was wrong, and where help is."""
    format_message = getattr(exc, "format_message", None)
    message = str(format_message() if callable(format_message) else exc) or type(exc).__name__
    line = " ".join(message.split())
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", "") if ctx is not None else ""
    return f"{line} (see '{path or 'humas'} --help')"


if __name__ == "__main__":
    main()
