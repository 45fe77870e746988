"""API: printable records, the approval sheet of a content and the register as CSV or PDF (each copy recorded in the
register as ``record.printed``, as from the pages and the CLI)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from humas.reports.printable import RegisterQuery
from humas.web.api.schemas import ApiUser, PathId, QueryText, errors
from humas.web.deps import humas
from humas.web.i18n import document_words

router = APIRouter()
#: a day as a date input sends it; a day that does not exist (2026-02-30) is refused by the service, also 400
DAY = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

_BINARY = {"schema": {"type": "string", "format": "binary"}}
_RECORDED = ("Each copy is recorded in the register (`record.printed`, with its SHA-256 and the print code that "
             "stands on the paper). Labels in the token user's language.")


def _ok(description: str, *media: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {m: _BINARY for m in media}}}


@router.get("/content/{content_id}/sheet.pdf", response_class=Response, tags=["records"],
            responses={**_ok("The approval sheet (PDF)", "application/pdf"), **errors(403, 404)},
            summary="The content's approval sheet as PDF: steps, people, times, notes, version hash, signatures",
            description=_RECORDED, name="content_sheet")
def content_sheet(request: Request, viewer: ApiUser, content_id: PathId) -> Response:
    issued = humas(request).records().sheet(viewer.actor, content_id, document_words(viewer.language))
    return Response(issued.data, media_type=issued.media_type, headers=issued.headers)


@router.get("/register/export", response_class=Response, tags=["records"],
            responses={**_ok("The register as CSV or PDF", "text/csv", "application/pdf"), **errors(403)},
            summary="The register as CSV or PDF, for a period and filters",
            description=_RECORDED + " A PDF holds at most 5,000 entries (400 beyond: choose a shorter period).",
            name="register_export")
def register_export(
    request: Request, viewer: ApiUser,
    fmt: Annotated[Literal["csv", "pdf"], Query(alias="format")] = "csv",
    since: Annotated[str | None, Query(pattern=DAY, description="first day (office time zone), YYYY-MM-DD")] = None,
    until: Annotated[str | None, Query(pattern=DAY, description="last day, inclusive, YYYY-MM-DD")] = None,
    action: QueryText = None, subject: QueryText = None, actor: QueryText = None,
) -> Response:
    """``subject``: ``TYPE:ID``, e.g. ``content:12``."""
    query = RegisterQuery.parse(since, until, action=action or "", subject=subject or "", actor=actor or "")
    issued = humas(request).records().register(viewer.actor, query, fmt, document_words(viewer.language))
    return Response(issued.data, media_type=issued.media_type, headers=issued.headers)
