"""``humas web``: serve the web interface and the API alone (``humas run`` serves them alongside the daemon)."""

from __future__ import annotations

import typer

from humas.cli.common import get_app


def web(
    ctx: typer.Context,
    host: str | None = typer.Option(None, "--host", envvar="HUMAS_WEB_HOST",
                                    help="Address to listen on (env: HUMAS_WEB_HOST; default: web.host, 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", envvar="HUMAS_WEB_PORT", min=1, max=65535,
                                    help="Port (env: HUMAS_WEB_PORT; default: web.port, 8000)."),
) -> None:
    """Serve the web interface and /api/v1. On first start it prints the admin's one-time password once."""
    import uvicorn

    from humas.daemon import setup_logging
    from humas.web.app import create_app

    app = get_app(ctx)
    setup_logging(app.settings.log_level)
    api = create_app(app)
    uvicorn.run(api, host=host or app.settings.web.host, port=port or app.settings.web.port,
                log_level=app.settings.log_level.lower(), proxy_headers=True, server_header=False)
