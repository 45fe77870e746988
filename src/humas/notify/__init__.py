"""Telling people: the :class:`Notifier` interface the stages call, and its delivery through apprise
(:mod:`.delivery`). Each stage writes its own messages; this package only knows roles, admins and URLs."""

from humas.notify.base import Notifier, excerpt
from humas.notify.delivery import RoleNotifier, apprise_send, mask

__all__ = ["Notifier", "RoleNotifier", "apprise_send", "excerpt", "mask"]
