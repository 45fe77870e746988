"""The pages, one module per area; every router checks the CSRF token on each state-changing request
(:func:`humas.web.deps.page_router`)."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from humas.web.pages import (
        account,
        admin,
        agenda,
        content,
        equipment,
        home,
        library,
        media,
        plan,
        register,
        reports,
        responses,
        sandbox,
        schedule,
    )

    return [account.router, home.router, content.router, schedule.router, plan.router, responses.router,
            reports.router, register.router, admin.router, media.router, equipment.router, agenda.router,
            sandbox.router, library.router]
