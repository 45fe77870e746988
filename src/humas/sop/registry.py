"""The SOPs an installation knows: the shipped presets plus the office's own (config ``sops`` / ``sop_files``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from humas.errors import ConfigError, NotFound
from humas.sop.model import SOP, SopError, load_presets, load_sop_file, parse_sop, role_catalogue


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

    def publish_roles(self) -> set[str]:
        """The roles that schedule posts under any SOP (each SOP's publish step)."""
        return {sop.publish_role for sop in self.sops.values()}

    def response_roles(self) -> set[str]:
        """The roles that work on public responses under any SOP: response and escalation roles, response steps."""
        out: set[str] = set()
        for sop in self.sops.values():
            out |= {r for r in (sop.response_role, sop.escalation_role) if r}
            out |= {s.role for s in sop.response_steps}
        return out

    def flags(self) -> dict[str, list[str]]:
        """Per SOP, the conditions (``when`` flags) its optional steps depend on."""
        return {sop.id: sorted({s.when for s in sop.steps if s.when}) for sop in self.sops.values()}


def load_sops(sop_files: Sequence[Path] = (), inline: Sequence[Mapping[str, Any]] = (),
              default_sop: str | None = None, source: str = "config") -> SopRegistry:
    """Presets, then ``sop_files``, then inline ``[[sops]]``; an office's SOP may replace a preset of the same id.

    ``default_sop`` must name one of them. Any problem is one :class:`ConfigError` line naming the file and key.
    """
    try:
        sops = dict(load_presets())
        for path in sop_files:
            sop = load_sop_file(path)
            sops[sop.id] = sop
        for i, data in enumerate(inline):
            sop = parse_sop(data, f"{source}: sops[{i}]")
            sops[sop.id] = sop
        registry = SopRegistry(sops)
    except (SopError, ValueError) as exc:
        lines = str(exc).splitlines() or ["invalid SOP"]
        more = f" (and {len(lines) - 1} more problem(s))" if len(lines) > 1 else ""
        raise ConfigError(lines[0] + more) from None
    if default_sop is not None and default_sop not in sops:
        known = ", ".join(sorted(sops))
        raise ConfigError(f"{source}: default_sop: unknown SOP '{default_sop}' (known: {known})")
    return registry
