"""The navigation each person sees (the decisions themselves are in :mod:`humas.authz`)."""

from __future__ import annotations

from humas import authz
from humas.sop.registry import SopRegistry
from humas.web.viewer import Viewer


def may_see_responses(sops: SopRegistry, viewer: Viewer) -> bool:
    return authz.may_view(viewer.actor, sops.response_roles())


def nav_items(sops: SopRegistry, viewer: Viewer) -> list[tuple[str, str]]:
    """(path, Indonesian label) of the pages this person may open."""
    items = [("/", "Beranda"), ("/konten", "Konten"), ("/persetujuan", "Persetujuan"), ("/kalender", "Kalender"),
             ("/antrian", "Antrian")]
    if may_see_responses(sops, viewer):
        items += [("/komentar", "Komentar"), ("/ditinjau", "Perlu ditinjau"), ("/eskalasi", "Eskalasi")]
    items += [("/laporan", "Laporan"), ("/register", "Register")]
    if viewer.is_admin:
        items.append(("/admin", "Admin"))
    return items
