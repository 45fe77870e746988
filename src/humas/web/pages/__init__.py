"""The pages, one module per area; every router checks the CSRF token on each state-changing request."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from humas.web.deps import csrf_protect


def page_router() -> APIRouter:
    return APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def routers() -> list[APIRouter]:
    from humas.web.pages import account, admin, content, home, media, register, reports, responses, schedule

    return [account.router, home.router, content.router, schedule.router, responses.router, reports.router,
            register.router, admin.router, media.router]
