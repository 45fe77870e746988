"""Notifications through apprise (email, Telegram, WhatsApp, webhooks...): see :mod:`humas.notify.notifier`."""

from humas.notify.notifier import Notifier, mask

__all__ = ["Notifier", "mask"]
