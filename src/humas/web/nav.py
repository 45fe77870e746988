"""The navigation each person sees, and the role sets that decide it (the decisions themselves are in authz)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from humas import authz
from humas.app import App

if TYPE_CHECKING:
    from humas.web.deps import Viewer


def publish_roles(app: App) -> set[str]:
    """The roles that schedule posts: every SOP's publish step."""
    return {sop.publish_step.role for sop in app.sops.sops.values()}


def response_roles(app: App) -> set[str]:
    """The roles that work on public responses: response and escalation roles and the response steps' roles."""
    out: set[str] = set()
    for sop in app.sops.sops.values():
        out |= {r for r in (sop.response_role, sop.escalation_role) if r}
        out |= {s.role for s in sop.response_steps}
    return out


def may_see_responses(app: App, viewer: Viewer) -> bool:
    return authz.may_view(viewer.actor, response_roles(app))


def nav_items(app: App, viewer: Viewer) -> list[tuple[str, str]]:
    """(path, Indonesian label) of the pages this person may open."""
    items = [("/", "Beranda"), ("/konten", "Konten"), ("/persetujuan", "Persetujuan"), ("/kalender", "Kalender"),
             ("/antrian", "Antrian")]
    if may_see_responses(app, viewer):
        items += [("/komentar", "Komentar"), ("/eskalasi", "Eskalasi")]
    items += [("/laporan", "Laporan"), ("/register", "Register")]
    if viewer.is_admin:
        items.append(("/admin", "Admin"))
    return items
