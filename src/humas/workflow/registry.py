"""The SOPs an installation knows: the shipped presets plus the office's own (config ``sops`` / ``sop_files``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from humas.errors import ConfigError, NotFound
from humas.workflow.sop import SOP, SopError, load_presets, load_sop_file, parse_sop, role_catalogue

if TYPE_CHECKING:
    from humas.config import Settings


class SopRegistry:
    def __init__(self, sops: dict[str, SOP]) -> None:
        self.sops = sops
        self.roles = role_catalogue(list(sops.values()))

    def get(self, sop_id: str) -> SOP:
        try:
            return self.sops[sop_id]
        except KeyError:
            known = ", ".join(sorted(self.sops))
            raise NotFound(f"unknown SOP '{sop_id}' (known: {known})") from None

    def role_label(self, role: str) -> str:
        return self.roles.get(role, role)

    def check_role(self, role: str) -> None:
        if role not in self.roles:
            raise NotFound(f"unknown role '{role}' (known: {', '.join(sorted(self.roles))})")


def load_sops(settings: Settings, source: str = "config") -> SopRegistry:
    """Presets, then ``sop_files``, then inline ``[[sops]]``; an office's SOP may replace a preset of the same id."""
    try:
        sops = dict(load_presets())
        for path in settings.sop_files:
            sop = load_sop_file(path)
            sops[sop.id] = sop
        for i, data in enumerate(settings.sops):
            sop = parse_sop(data, f"{source}: sops[{i}]")
            sops[sop.id] = sop
        registry = SopRegistry(sops)
    except (SopError, ValueError) as exc:
        lines = str(exc).splitlines() or ["invalid SOP"]
        more = f" (and {len(lines) - 1} more problem(s))" if len(lines) > 1 else ""
        raise ConfigError(lines[0] + more) from None
    if settings.default_sop not in sops:
        known = ", ".join(sorted(sops))
        raise ConfigError(f"{source}: default_sop: unknown SOP '{settings.default_sop}' (known: {known})")
    return registry
