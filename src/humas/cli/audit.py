"""``humas audit`` and ``humas sla``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from humas.cli.common import JSON_OPTION, emit_json, get_app, ok
from humas.errors import HumasError, InvalidInput
from humas.sop.timing import overdue
from humas.store import audit

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


@audit_app.command("export")
def audit_export(
    ctx: typer.Context,
    fmt: str = typer.Option("csv", "--format", help="csv"),
    out: Path | None = typer.Option(None, "--out", help="File to write (default: standard output)."),
    action: str = typer.Option("", "--action"),
    subject: str = typer.Option("", "--subject", help="e.g. content:12"),
) -> None:
    """Write the register (Ponjong's "register dokumentasi dan konten")."""
    if fmt != "csv":
        raise InvalidInput(f"unknown format '{fmt}' (supported: csv)")
    stype, _, sid = subject.partition(":")
    app = get_app(ctx)
    with app.db.session() as s:
        if out is None:
            audit.export_csv(s, sys.stdout, app.tz, action=action, subject_type=stype, subject_id=sid)
            return
        tmp = out.with_name(f".{out.name}.tmp")
        try:
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                n = audit.export_csv(s, fh, app.tz, action=action, subject_type=stype, subject_id=sid)
            tmp.replace(out)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise InvalidInput(f"cannot write {out}: {exc.strerror}") from None
    ok(f"{n} entries written to {out}")


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
