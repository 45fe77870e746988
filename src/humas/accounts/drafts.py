"""What content becomes on an account (its per-platform caption, its media), and that content against the
platform limits of its target accounts."""

from __future__ import annotations

from collections.abc import Sequence

from humas.config import AccountConfig, Settings
from humas.publisher.base import AdapterFor, MediaFile, Platform, PostDraft, Problem
from humas.store.media import MediaStore
from humas.store.models import Content, MediaBlob

#: The per-platform caption an account uses (``Content.platform_captions`` keys).
CAPTION_KEYS = {Platform.X: "x", Platform.FACEBOOK: "facebook", Platform.INSTAGRAM: "instagram",
                Platform.INSTAGRAM_PRIVATE: "instagram", Platform.YOUTUBE: "youtube"}


def media_file(media: MediaStore, blob: MediaBlob) -> MediaFile:
    return MediaFile(path=media.path_for(blob.sha256), sha256=blob.sha256, mime=blob.mime, size=blob.size,
                     width=blob.width, height=blob.height)


def draft_for(media: MediaStore, content: Content, acc: AccountConfig) -> PostDraft:
    """What ``content`` becomes on ``acc``'s platform: its per-platform caption, else the caption, else the text (on
    the website: the text, else the caption)."""
    key = CAPTION_KEYS.get(acc.behaves_like, "")
    if acc.behaves_like is Platform.WORDPRESS:  # the office website carries the whole narrative, not the caption
        text = str(content.text or content.caption)
    else:
        text = str(content.platform_captions.get(key) or content.caption or content.text)
    return PostDraft(text=text, title=content.title, media=[media_file(media, m.blob) for m in content.media])


class PlatformCheck:
    """Content against its target accounts' platform limits (each adapter's ``validate``, no network).

    Called at submit (the workflow) and again at scheduling (the queue), so approvers never approve a post the
    platform will reject.
    """

    def __init__(self, settings: Settings, media: MediaStore, adapter_for: AdapterFor) -> None:
        self.settings = settings
        self.media = media
        self.adapter_for = adapter_for

    def problems(self, content: Content, account: str) -> list[Problem]:
        acc = self.settings.account(account)
        return self.adapter_for(account).validate(draft_for(self.media, content, acc))

    def __call__(self, content: Content, accounts: Sequence[str]) -> list[str]:
        """Every platform problem of ``content`` on ``accounts``, as "account: rule: message" lines."""
        out: list[str] = []
        for name in accounts:
            out += [f"{name}: {p.rule}: {p.message}" for p in self.problems(content, name)]
        return out
