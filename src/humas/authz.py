"""Who may do what: the one rule set the CLI, the web pages and the API all call."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from humas.errors import PermissionDenied

ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    """A person acting through the CLI, a page or the API."""

    id: int
    name: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    def has(self, role: str) -> bool:
        return role in self.roles


def require_role(actor: Actor, role: str, doing: str, role_label: str | None = None) -> None:
    """Refuse unless ``actor`` holds ``role``. SOP steps are never open to admins by rank alone."""
    if not actor.has(role):
        held = ", ".join(sorted(actor.roles)) or "no role"
        raise PermissionDenied(
            f"user '{actor.name}' ({held}) may not {doing}: that needs the role {role_label or role}"
        )


def require_any(actor: Actor, roles: Iterable[str], doing: str) -> None:
    wanted = sorted(set(roles))
    if not actor.roles.intersection(wanted):
        held = ", ".join(sorted(actor.roles)) or "no role"
        raise PermissionDenied(f"user '{actor.name}' ({held}) may not {doing}: that needs one of {', '.join(wanted)}")


def require_staff(actor: Actor, doing: str) -> None:
    """Refuse a signed-in account that holds no role at all (a deactivated team member's leftover, say)."""
    if not actor.roles:
        raise PermissionDenied(f"user '{actor.name}' (no role) may not {doing}: that needs any role")


def require_admin(actor: Actor, doing: str) -> None:
    require_role(actor, ADMIN, doing)


def may_operate_queue(actor: Actor, publish_roles: Iterable[str]) -> bool:
    """Scheduling, retrying and cancelling posts: the SOP's publishing roles, or an admin."""
    return actor.is_admin or bool(actor.roles.intersection(publish_roles))


def may_view(actor: Actor, roles: Iterable[str]) -> bool:
    """Seeing an area of work (comments, cases): one of the roles that work there, or an admin."""
    return actor.is_admin or bool(actor.roles.intersection(roles))


def require_view(actor: Actor, roles: Iterable[str], doing: str) -> None:
    if not may_view(actor, roles):
        require_any(actor, roles, doing)


def may_print_records(actor: Actor) -> bool:
    """Printing or exporting the office's records (approval sheets, the register as PDF or CSV): anyone who holds a
    role, admins included; a user whose every role was withdrawn takes no copies of them."""
    return bool(actor.roles)


def require_print_records(actor: Actor, doing: str) -> None:
    if not may_print_records(actor):
        raise PermissionDenied(f"user '{actor.name}' (no role) may not {doing}: printing records needs a role")
