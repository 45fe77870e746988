"""The navigation each person sees (the decisions themselves are in :mod:`humas.authz`)."""

from __future__ import annotations

from humas import authz
from humas.sop.registry import SopRegistry
from humas.web.viewer import Viewer


def may_see_responses(sops: SopRegistry, viewer: Viewer) -> bool:
    return authz.may_view(viewer.actor, sops.response_roles())


def may_see_documentation(sops: SopRegistry, viewer: Viewer) -> bool:
    """The equipment and the leaders' agenda: the roles of an SOP's inventory chain, or an admin (where one has)."""
    roles = {step.role for sop in sops.sops.values() for step in sop.inventory_steps}
    return bool(roles) and authz.may_view(viewer.actor, roles)


def nav_items(sops: SopRegistry, viewer: Viewer, *, sandbox: bool = False) -> list[tuple[str, str]]:
    """(path, Indonesian label) of the pages this person may open; ``sandbox``: the config has sandbox accounts."""
    items = [("/", "Beranda"), ("/konten", "Konten"), ("/persetujuan", "Persetujuan"), ("/kalender", "Kalender"),
             ("/antrian", "Antrian")]
    if any(sop.plan_steps for sop in sops.sops.values()):
        items.insert(4, ("/rencana", "Rencana"))
    if may_see_responses(sops, viewer):
        items += [("/komentar", "Komentar"), ("/ditinjau", "Perlu ditinjau"), ("/eskalasi", "Eskalasi")]
    if may_see_documentation(sops, viewer):
        items += [("/peralatan", "Peralatan"), ("/agenda", "Agenda Pimpinan")]
    items += [("/pustaka", "Pustaka media"), ("/laporan", "Laporan"), ("/register", "Register")]
    if sandbox:
        items.append(("/sandbox", "Sandbox"))
    if viewer.is_admin:
        items.append(("/admin", "Admin"))
    return items
