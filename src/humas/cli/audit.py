"""``humas audit`` and ``humas sla``."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import typer
from sqlalchemy import select

from humas.app import App
from humas.authz import Actor
from humas.cli.common import JSON_OPTION, emit_json, get_app, ok
from humas.errors import HumasError, InvalidInput
from humas.reports.printable import SHELL, Issued, RegisterQuery, Words
from humas.sop.timing import overdue
from humas.store.models import User
from humas.web.i18n import LANGUAGES, document_words

audit_app = typer.Typer(help="The tamper-evident register.", no_args_is_help=True)
sla_app = typer.Typer(help="Time standards of the SOP steps.", no_args_is_help=True)


class AuditBroken(HumasError):
    """The audit register has been altered."""

    exit_code = 4


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Check the hash chain, the signed checkpoint kept outside the database, and that what the other tables
    record has its entries; exits 4 and names every finding."""
    app = get_app(ctx)
    r = app.verify_register()
    if as_json:
        emit_json(r.as_dict())
        if not r.ok:
            raise typer.Exit(AuditBroken.exit_code)
        return
    if not r.ok:
        raise AuditBroken("audit register altered: " + "; ".join(r.findings))
    where = f", anchored at entry {r.anchored.seq}" if r.anchored else ", not anchored yet (no checkpoint written)"
    ok(f"audit register intact: {r.checked} entries{where}")


#: options every printing command shares
FORCE_OPTION = typer.Option(False, "--force", help="Replace an existing --out file.")
PRINTED_BY_OPTION = typer.Option(None, "--as", envvar="HUMAS_USER",
                                 help="Who prints (env: HUMAS_USER), as recorded in the register; default: the "
                                      "server's shell ('cli').")
LANG_OPTION = typer.Option(None, "--lang", help="id or en (default: the user's language, else the web's).")


@audit_app.command("export")
def audit_export(
    ctx: typer.Context,
    fmt: str = typer.Option("csv", "--format", help="csv or pdf."),
    out: Path | None = typer.Option(None, "--out", help="File to write; '-' or none: standard output (a PDF only "
                                                         "into a pipe)."),
    since: str = typer.Option("", "--since", help="First day, YYYY-MM-DD in the office's time zone."),
    until: str = typer.Option("", "--until", help="Last day (inclusive), YYYY-MM-DD."),
    action: str = typer.Option("", "--action"),
    subject: str = typer.Option("", "--subject", help="e.g. content:12"),
    actor: str = typer.Option("", "--actor", help="Entries by this user only."),
    force: bool = FORCE_OPTION,
    user: str | None = PRINTED_BY_OPTION,
    lang: str | None = LANG_OPTION,
) -> None:
    """Write the register (Ponjong's "register dokumentasi dan konten") as CSV or PDF; the copy is itself recorded
    in the register (record.printed)."""
    if fmt not in ("csv", "pdf"):
        raise InvalidInput(f"unknown format '{fmt}' (supported: csv, pdf)")
    query = RegisterQuery.parse(since, until, action=action, subject=subject, actor=actor)
    target = Destination(out, force=force, binary=fmt == "pdf")
    app = get_app(ctx)
    who, words = printing_as(app, user, lang)
    issued = target.write(lambda stage: app.records().register(who, query, fmt, words, before_commit=stage))
    if target.path is not None:
        ok(f"{issued.entries} entries written to {target.path} ({fmt.upper()}; register entry #{issued.seq}"
           + (f", print code {issued.code})" if fmt == "pdf" else ")"))


def printing_as(app: App, user: str | None, lang: str | None) -> tuple[Actor, Words]:
    """The person printing (``--as``; without it the server's shell, trusted as every CLI command is) and the
    document's language (``--lang``, else theirs, else the web interface's)."""
    if lang is not None and lang not in LANGUAGES:
        raise InvalidInput(f"unknown language '{lang}' (id or en)")
    if not user:
        return SHELL, document_words(lang or app.settings.web.language)
    with app.db.read() as s:
        who = app.actor(s, user)
        own = s.execute(select(User.language).where(User.name == who.name)).scalar_one_or_none()
    return who, document_words(lang or own or app.settings.web.language)


class Destination:
    """Where a record goes: a file, written whole or not at all (a temporary file beside it, renamed once the
    register has recorded the copy), or standard output. An existing file is kept unless ``force``."""

    def __init__(self, out: Path | None, *, force: bool, binary: bool) -> None:
        self.path = None if out is None or str(out) == "-" else out
        self.force = force
        self.tmp: Path | None = None
        if self.path is None:
            if binary and sys.stdout.isatty():
                raise InvalidInput("a PDF or PNG is not written to a terminal: give --out FILE, or pipe it")
            return
        if self.path.is_dir():
            raise InvalidInput(f"{self.path} is a directory: give a file name to --out")
        if self.path.exists() and not force:
            raise InvalidInput(f"{self.path} exists (use --force to replace it)")
        if not self.path.parent.is_dir():
            raise InvalidInput(f"cannot write {self.path}: the folder {self.path.parent} does not exist")

    def write(self, produce: Callable[[Callable[[Issued], None]], Issued]) -> Issued:
        """``produce(stage)`` makes and records the document, calling ``stage`` before its record commits."""
        try:
            issued = produce(self._stage)
            self._finish(issued)
            return issued
        finally:
            if self.tmp is not None:
                self.tmp.unlink(missing_ok=True)

    def _stage(self, issued: Issued) -> None:
        if self.path is None:
            return
        try:
            fd, name = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
            self.tmp = Path(name)
            with os.fdopen(fd, "wb") as fh:
                fh.write(issued.data)
                fh.flush()
                os.fsync(fh.fileno())
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(self.tmp, 0o666 & ~mask)  # as a plain file would be created, not mkstemp's 0600
        except OSError as exc:
            raise InvalidInput(f"cannot write {self.path}: {exc.strerror}") from None

    def _finish(self, issued: Issued) -> None:
        if self.path is None or self.tmp is None:
            sys.stdout.flush()
            sys.stdout.buffer.write(issued.data)
            sys.stdout.buffer.flush()
            return
        if self.path.exists() and not self.force:
            raise InvalidInput(f"{self.path} appeared meanwhile (use --force to replace it)")
        try:
            os.replace(self.tmp, self.path)
        except OSError as exc:
            raise InvalidInput(f"cannot write {self.path}: {exc.strerror}") from None
        self.tmp = None


@sla_app.command("overdue")
def sla_overdue(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """What is overdue now, and who must act."""
    app = get_app(ctx)
    with app.db.session() as s:
        rows = [o.as_dict(app.sops, app.tz) for o in overdue(s, app.sops, app.calendar, app.clock())]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        ok("nothing is overdue")
    for r in rows:
        ok(f"{r['subject_type']} {r['subject_id']} '{r['title']}': {r['step_label']} ({r['role_label']}) "
           f"overdue by {r['overdue_by']} — {', '.join(r['must_act']) or 'no user holds this role'}")
