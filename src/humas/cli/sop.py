"""``humas sop``: the SOPs this installation knows."""

from __future__ import annotations

import typer

from humas.cli.common import JSON_OPTION, emit_json, get_app, ok
from humas.sop.describe import sop_dict, sop_summary

sop_app = typer.Typer(help="SOPs (presets and the office's own).", no_args_is_help=True)


@sop_app.command("list")
def sop_list(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List the SOPs."""
    app = get_app(ctx, schema=False)
    sops = sorted(app.sops.sops.values(), key=lambda s: s.id)
    if as_json:
        emit_json([sop_summary(s) for s in sops])
        return
    for s in sops:
        ok(f"{s.id:<20} {s.name} — {s.office} ({len(s.steps)} langkah)")


@sop_app.command("show")
def sop_show(ctx: typer.Context, sop_id: str = typer.Argument(..., metavar="ID"), as_json: bool = JSON_OPTION) -> None:
    """Show one SOP's steps, roles and time standards."""
    app = get_app(ctx, schema=False)
    sop = app.sops.get(sop_id)
    if as_json:
        emit_json(sop_dict(sop))
        return
    from rich.table import Table

    from humas.cli.common import console

    t = Table(title=f"{sop.name} ({sop.id})")
    for col in ("#", "langkah", "pelaksana", "aksi", "waktu", "kelengkapan", "jika ditolak"):
        t.add_column(col)
    for i, st in enumerate(sop.steps + sop.response_steps, 1):
        req = st.requires.description or ", ".join(st.requires.fields)
        t.add_row(str(i), f"{st.label} [{st.id}]" + (f" (jika {st.when})" if st.when else ""),
                  app.sops.role_label(st.role), st.action, st.time_standard, req, st.on_reject or "")
    console.print(t)


@sop_app.command("roles")
def sop_roles(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """List every role id and its name."""
    app = get_app(ctx, schema=False)
    if as_json:
        emit_json(dict(sorted(app.sops.roles.items())))
        return
    for rid, label in sorted(app.sops.roles.items()):
        ok(f"{rid:<40} {label}")
