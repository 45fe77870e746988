"""``/api/v1``: the REST API. Personal tokens (``Authorization: Bearer``), the same services and rules as the CLI."""

from __future__ import annotations

from fastapi import APIRouter


def router() -> APIRouter:
    from humas.web.api import content, misc, responses

    r = APIRouter()
    r.include_router(misc.router)
    r.include_router(content.router)
    r.include_router(responses.router)
    return r
