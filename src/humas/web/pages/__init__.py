"""The pages, one module per area; every router checks the CSRF token on each state-changing request
(:func:`humas.web.deps.page_router`)."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from humas.web.pages import account, admin, content, home, media, register, reports, responses, schedule

    return [account.router, home.router, content.router, schedule.router, responses.router, reports.router,
            register.router, admin.router, media.router]
