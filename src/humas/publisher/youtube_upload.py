"""YouTube's resumable upload protocol (platform-apis.md §4.2), made crash-safe by the checkpoint.

The session URI is saved to the checkpoint *before* the first byte is sent, so a crash, a timeout or a 5xx mid-upload
resumes from the byte YouTube reports instead of uploading (or creating) the video twice. Nothing here sleeps: an
interrupted chunk is retried at most ``max_resumes`` times per call, then the error is raised and the queue comes back
later, resuming from the checkpoint.

The only statuses read here are the protocol's own (308 incomplete, 200/201 done, 404/410 session gone) and the 5xx
that triggers a resume; every failure is translated by the adapter's ``error_for`` (style.md guideline 6).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

import requests

from humas.errors import NetworkError, OutcomeUnknown, PlatformUnavailable, PublishError, RetryLater
from humas.publisher import http
from humas.publisher.base import Checkpoint, MediaFile

UPLOAD_PATH = "/upload/youtube/v3/videos"
UPLOAD_URL = f"https://www.googleapis.com{UPLOAD_PATH}"  # the default; an account's ``upload_base`` replaces the host
CHUNK_UNIT = 256 * 1024  # resumable chunks are multiples of 256 KiB, except the last (§4.2)
KEY_URI = "upload_uri"  # checkpoint key of the session URI

UploadState = int | dict[str, Any] | None
"""Where an upload stands: next byte to send, the video resource when complete, ``None`` when the session is gone."""


class Send(Protocol):
    """The adapter's authorised, quota-counted call; answers with any status, raises transport failures."""

    def __call__(
        self,
        method: str,
        url: str,
        *,
        cost: int = 0,
        inserts: int = 0,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> requests.Response: ...


class ResumableUpload:
    """Uploads one video through a resumable session whose URI lives in the checkpoint."""

    def __init__(
        self,
        send: Send,
        error_for: Callable[[requests.Response], PublishError],
        *,
        chunk_size: int,
        max_resumes: int,
        platform: str,
        account: str,
        upload_url: str = UPLOAD_URL,
    ) -> None:
        self._send = send
        self._error_for = error_for
        self._upload_url = upload_url
        self._chunk_size = chunk_size
        self._max_resumes = max_resumes
        self._platform = platform
        self._account = account

    def upload(self, ckpt: Checkpoint, video: MediaFile, metadata: dict[str, Any]) -> dict[str, Any]:
        """The video resource, resuming the checkpointed session or starting one (``metadata``; one videos.insert
        call from its own quota bucket)."""
        total = video.path.stat().st_size
        uri: str | None = ckpt.get(KEY_URI)
        offset = 0
        if uri:  # resuming after a crash / an earlier failed attempt: ask YouTube where it stands
            state = self._status(uri, total)
            if isinstance(state, dict):
                return state
            if state is None:
                ckpt.save(KEY_URI, None)
                uri = None
            else:
                offset = state
        for _ in range(2):  # a second round only when the session vanished (404) mid-upload
            if uri is None:
                uri = self._start(video, total, metadata)
                ckpt.save(KEY_URI, uri)
                offset = 0
            resource = self._put_chunks(uri, video, total, offset)
            if resource is not None:
                return resource
            ckpt.save(KEY_URI, None)
            uri = None
        raise RetryLater("YouTube: upload session lost twice", platform=self._platform, account=self._account)

    def find(self, ckpt: Checkpoint, video: Callable[[], MediaFile]) -> dict[str, Any] | None:
        """The video resource when the checkpointed session completed; ``video`` is asked for only when one exists."""
        uri = ckpt.get(KEY_URI)
        if not uri:
            return None  # no session URI saved: no byte was sent, so no video exists
        state = self._status(uri, video().path.stat().st_size)
        # 308: incomplete (upload() resumes it); 404: the session is gone, nothing was created
        return state if isinstance(state, dict) else None

    def _start(self, video: MediaFile, total: int, metadata: dict[str, Any]) -> str:
        # no bytes sent yet, so no video can exist: safe to repeat (idempotent)
        resp = self._send(
            "POST",
            self._upload_url,
            inserts=1,
            idempotent=True,
            params={"uploadType": "resumable", "part": "snippet,status"},
            json=metadata,
            headers={"X-Upload-Content-Length": str(total), "X-Upload-Content-Type": video.mime},
        )
        if not resp.ok:
            raise self._error_for(resp) from None
        if not (location := resp.headers.get("Location")):
            raise PlatformUnavailable(
                "YouTube: upload session started without a Location", platform=self._platform, account=self._account
            )
        return location

    def _put_chunks(self, uri: str, video: MediaFile, total: int, offset: int) -> dict[str, Any] | None:
        """PUT chunks from ``offset``; the video resource when done, ``None`` when the session is gone."""
        resumes = 0
        with video.path.open("rb") as f:
            while True:
                f.seek(offset)
                chunk = f.read(self._chunk_size)
                last = offset + len(chunk) - 1
                final = last + 1 >= total
                headers = {"Content-Range": f"bytes {offset}-{last}/{total}", "Content-Type": video.mime}
                failure: PublishError | None = None
                try:
                    resp = self._send("PUT", uri, data=chunk, headers=headers, idempotent=not final)
                except (NetworkError, OutcomeUnknown) as exc:
                    failure = exc
                else:
                    if resp.status_code < 500:
                        state = self._state(resp)
                        if not isinstance(state, int):
                            return state
                        offset = state
                        continue
                    failure = self._error_for(resp)
                # interrupted (connection, timeout, 5xx): ask where the upload stands and go on from there (§4.2)
                resumes += 1
                if resumes > self._max_resumes:
                    raise failure
                try:
                    state = self._status(uri, total)
                except PublishError as exc:
                    if final and isinstance(failure, OutcomeUnknown):
                        raise OutcomeUnknown(
                            f"YouTube: last chunk sent, upload state unknown ({exc.message})",
                            platform=self._platform,
                            account=self._account,
                        ) from exc
                    raise
                if state is None or isinstance(state, dict):
                    return state
                offset = state

    def _status(self, uri: str, total: int) -> UploadState:
        """Ask where a resumable upload stands (an empty PUT)."""
        return self._state(
            self._send("PUT", uri, data=b"", headers={"Content-Range": f"bytes */{total}"}, idempotent=True)
        )

    def _state(self, resp: requests.Response) -> UploadState:
        """What an answer to a PUT on the session URI says; any other answer is raised as the adapter maps it."""
        if resp.status_code == 308:
            return _next_byte(resp)
        if resp.status_code in (200, 201):
            return http.json_body(resp)
        if resp.status_code in (404, 410):
            return None
        raise self._error_for(resp) from None


def _next_byte(resp: requests.Response) -> int:
    """The byte to send next after a 308: ``Range: bytes=0-N`` means N+1; no Range means nothing was stored."""
    match = re.match(r"bytes=\d+-(\d+)", resp.headers.get("Range", ""))
    return int(match.group(1)) + 1 if match else 0
