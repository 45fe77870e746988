"""Delivery through apprise to the targets in ``[notify]``.

``admins`` and ``[[notify.targets]]`` (``role`` + apprise ``urls``), every URL a :class:`~humas.config.Secret`
(``"env:NAME"``) revealed only when sending. Delivery problems are logged with masked URLs and never raised into
the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from humas.config import NotifySettings, Secret
from humas.errors import HumasError

log = logging.getLogger("humas.notify")

#: ``(urls, title, body) -> delivered``; the default sends through apprise.
Sender = Callable[[Sequence[str], str, str], bool]


def mask(url: str) -> str:
    """The URL as apprise prints it with privacy on (passwords and tokens starred); never the raw URL."""
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(url)
        if plugin is not None:
            return str(plugin.url(privacy=True))  # type: ignore[no-untyped-call]
    except Exception:  # masking must never fail the caller
        pass
    scheme = url.split("://", 1)[0] if "://" in url else "?"
    return f"{scheme}://****"


def apprise_send(urls: Sequence[str], title: str, body: str) -> bool:
    """Send through apprise to every URL; True when all of them accepted it."""
    import apprise

    ap = apprise.Apprise()
    usable = 0
    for url in urls:
        if ap.add(url):
            usable += 1
        else:
            log.warning("notify: unusable apprise URL %s", mask(url))
    if not usable:
        return False
    return bool(ap.notify(title=title, body=body))


class RoleNotifier:
    """The :class:`~humas.notify.base.Notifier` over ``[notify]``: role targets and admins, through ``sender``."""

    def __init__(self, settings: NotifySettings, sender: Sender | None = None) -> None:
        self.settings = settings
        self.sender = sender or apprise_send

    def _reveal(self, secrets: Iterable[Secret]) -> list[str]:
        urls: list[str] = []
        for secret in secrets:
            try:
                urls.append(secret.reveal())
            except HumasError as exc:  # names the variable, never a value
                log.warning("notify: %s", exc.message)
        return urls

    def _send(self, secrets: Sequence[Secret], title: str, body: str, who: str) -> bool:
        if not self.settings.enabled or not secrets:
            log.debug("notify: nobody to tell (%s): %s", who, title)
            return False
        urls = self._reveal(secrets)
        if not urls:
            return False
        try:
            delivered = self.sender(urls, title, body)
        except Exception as exc:  # a notification never breaks the caller; messages may hold URLs: type only
            log.warning("notify: sending to %s failed (%s) via %s", who, type(exc).__name__,
                        ", ".join(mask(u) for u in urls))
            return False
        if not delivered:
            log.warning("notify: delivery to %s failed via %s", who, ", ".join(mask(u) for u in urls))
        return delivered

    def targets(self, role: str) -> list[Secret]:
        return [url for t in self.settings.targets if t.role == role for url in t.urls]

    def notify_role(self, role: str, title: str, body: str) -> bool:
        """Tell everyone configured for ``role`` (``[[notify.targets]] role = ...``)."""
        return self._send(self.targets(role), title, body, f"role {role}")

    def notify_admins(self, title: str, body: str) -> bool:
        return self._send(list(self.settings.admins), title, body, "admins")
