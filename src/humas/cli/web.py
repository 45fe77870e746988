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
    from humas.daemon import setup_logging
    from humas.web.server import serve

    app = get_app(ctx)
    setup_logging(app.settings.log_level, app.settings.log_format)
    # proxy headers only from web.trusted_proxies; the access log on, secrets masked (humas.web.server)
    if not serve(app, host=host or app.settings.web.host, port=port or app.settings.web.port):
        raise typer.Exit(3)  # uvicorn could not start (it logged why, e.g. the port is in use)
