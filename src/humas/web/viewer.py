"""The person signed in to a page or holding an API token."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from humas.authz import Actor


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as read at the start of the request."""

    id: int
    name: str
    display_name: str
    roles: frozenset[str]
    language: str
    must_change_password: bool
    via_token: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        return Actor(id=self.id, name=self.name, roles=self.roles)

    @property
    def is_admin(self) -> bool:
        return self.actor.is_admin
