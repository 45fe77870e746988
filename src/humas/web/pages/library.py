"""Pustaka media: the photos and videos humas holds, with the contents that use each; upload once, reuse in any
content (the content form offers the newest files)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, File, Request, UploadFile
from fastapi.responses import Response

from humas.errors import HumasError, PermissionDenied, RuleBroken
from humas.web import library
from humas.web.deps import Viewer, flash, humas, page_router, page_viewer, redirect, render
from humas.web.i18n import said, translator
from humas.web.paging import fetch, page_number, search_text
from humas.web.views import saved_uploads

router = page_router()
ViewerDep = Annotated[Viewer, Depends(page_viewer)]


def _page(request: Request, viewer: Viewer, jenis: str, q: str, halaman: str, error: str | None = None,
          status: int = 200) -> Response:
    app = humas(request)
    search = search_text(q)
    with app.db.read() as s:
        page = fetch(s, library.query(jenis, search), page_number(halaman), scalars=False,
                     params={"jenis": jenis, "q": search})
        rows = [library.row(blob, uses) for blob, uses in page.rows]
        return render(request, "library.html", {"rows": rows, "page": page, "jenis": jenis, "q": search,
                                                "error": error}, viewer=viewer, status=status)


@router.get("/pustaka")
def library_page(request: Request, viewer: ViewerDep, jenis: str = "", q: str = "", halaman: str = "1") -> Response:
    return _page(request, viewer, jenis, q, halaman)


@router.post("/pustaka")
def upload(request: Request, viewer: ViewerDep, media: Annotated[list[UploadFile] | None, File()] = None) -> Response:
    app = humas(request)
    _ = translator(viewer.language)
    files = [(f.filename or "file", f.file) for f in media or [] if f.filename]
    try:
        with saved_uploads(files) as paths, app.db.session() as s:
            added = library.add(app, s, viewer.actor, paths)
            count = len(added)
    except PermissionDenied:
        raise
    except HumasError as exc:
        error = said(exc, viewer.language)
        return _page(request, viewer, "", "", "1", error, 422 if isinstance(exc, RuleBroken) else 400)
    flash(request, _("{n} file disimpan di pustaka.", n=count))
    return redirect("/pustaka")
