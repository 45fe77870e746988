"""X API v2 chunked media upload (INITIALIZE / APPEND / FINALIZE / STATUS), resumable through the checkpoint.

tweepy has no v2 media upload (platform-apis.md §1.3), so this is our own. HTTP statuses are not read here: every step
goes through the adapter's ``call`` (credentials, token refresh, and its single ``_raise_for``), which returns the JSON
body of a successful answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from humas.errors import ContentRejected, RetryLater
from humas.publisher.base import Checkpoint, MediaFile

MEDIA_PATH = "/2/media/upload"
MEDIA_URL = f"https://api.x.com{MEDIA_PATH}"  # the default; an account's ``api_base`` replaces the host
MiB = 1024 * 1024

MediaCall = Callable[..., dict[str, Any]]
"""``call(method, url, **requests_kwargs)``: the JSON body of a successful answer; failures raised as humas errors."""


def media_category(m: MediaFile) -> str:
    """X's ``media_category`` for ``m``."""
    if m.mime == "image/gif":
        return "tweet_gif"
    return "tweet_video" if m.is_video else "tweet_image"


class MediaUploader:
    """Uploads an X account's media; the ids and their processing state are kept in the checkpoint (``x_media``)."""

    def __init__(
        self,
        call: MediaCall,
        *,
        chunk_size: int,
        clock: Callable[[], datetime],
        platform: str,
        account: str,
        media_url: str = MEDIA_URL,
    ) -> None:
        self._call = call
        self._url = media_url
        self._chunk_size = chunk_size
        self._clock = clock
        self._platform = platform
        self._account = account

    def media_ids(self, media: Sequence[MediaFile], ckpt: Checkpoint) -> list[str]:
        """Media ids for ``media``, uploading what the checkpoint does not already hold.

        An uploaded id is saved before anything can fail after it; one still processing raises ``RetryLater`` at
        X's ``check_after_secs`` (we never sleep), and the next attempt asks STATUS for the same id.
        """
        saved: list[dict[str, Any] | None] = list(ckpt.get("x_media") or [])
        saved += [None] * (len(media) - len(saved))
        now = self._clock().timestamp()
        ids: list[str] = []
        for i, m in enumerate(media):
            entry = saved[i]
            if entry is None or entry.get("sha256") != m.sha256 or entry.get("expires_at", 0) < now + 300:
                entry = saved[i] = self._upload_one(m)
            elif entry["state"] != "succeeded":
                entry = saved[i] = self._status(entry)
            else:  # uploaded and processed on an earlier attempt
                ids.append(entry["id"])
                continue
            ckpt.save("x_media", [dict(e) if e else None for e in saved])
            if entry["state"] != "succeeded":
                raise self._processing_later(entry)
            ids.append(entry["id"])
        return ids

    def _processing_later(self, entry: dict[str, Any]) -> RetryLater:
        retry_at = self._clock() + timedelta(seconds=max(1, int(entry["check_after_secs"])))
        return RetryLater(
            f"X: media {entry['id']} still processing",
            retry_after=retry_at,
            platform=self._platform,
            account=self._account,
        )

    def _upload_one(self, m: MediaFile) -> dict[str, Any]:
        init = self._call(
            "POST",
            f"{self._url}/initialize",
            json={"media_type": m.mime, "total_bytes": m.size, "media_category": media_category(m)},
        )
        media_id = str(init["data"]["id"])
        with m.path.open("rb") as f:
            for index, chunk in enumerate(iter(lambda: f.read(self._chunk_size), b"")):
                self._call(
                    "POST",
                    f"{self._url}/{media_id}/append",
                    files={"media": ("chunk", chunk, "application/octet-stream")},
                    data={"segment_index": str(index)},
                )
        fin = self._call("POST", f"{self._url}/{media_id}/finalize")["data"]
        ttl = int(fin.get("expires_after_secs") or init["data"].get("expires_after_secs") or 86400)
        entry = {
            "sha256": m.sha256,
            "id": media_id,
            "expires_at": int(self._clock().timestamp()) + ttl,
            "state": "succeeded",
            "check_after_secs": 0,
        }
        return self._processing(entry, fin.get("processing_info"))

    def _status(self, entry: dict[str, Any]) -> dict[str, Any]:
        data = self._call("GET", self._url, params={"command": "STATUS", "media_id": entry["id"]})["data"]
        return self._processing(dict(entry), data.get("processing_info") or {"state": "succeeded"})

    def _processing(self, entry: dict[str, Any], info: dict[str, Any] | None) -> dict[str, Any]:
        if not info:
            return entry
        entry["state"] = info.get("state", "succeeded")
        entry["check_after_secs"] = int(info.get("check_after_secs") or 5)
        if entry["state"] == "failed":
            err = info.get("error") or {}
            raise ContentRejected(
                f"X menolak media: {err.get('message') or err.get('name') or 'pemrosesan gagal'}",
                rule="media_processing",
                platform=self._platform,
                account=self._account,
            )
        return entry
