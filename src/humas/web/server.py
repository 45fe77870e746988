"""How humas runs uvicorn: inside ``humas run`` (a thread beside the scheduler) and alone for ``humas web``.

Both go through :func:`uvicorn_config`, which holds the serving guarantees (docs/web.md, "Serving"):

- ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are believed only from the peers in ``web.trusted_proxies``; with
  none (the default) uvicorn's proxy-header middleware is not installed at all, so the client address the login
  rate limit counts is always the TCP peer's. (uvicorn on its own believes 127.0.0.1 and ``$FORWARDED_ALLOW_IPS``.)
- The access log is on: one line per request on the ``uvicorn.access`` logger at INFO, through humas's logging
  (time stamp, level, logger), so ``log_level = "WARNING"`` turns it off. Token-like query parameters (Meta's
  ``hub.verify_token`` and the like) are masked by :mod:`humas.web.logs` before a line is formatted.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from humas.app import App
from humas.errors import InvalidInput
from humas.web import logs
from humas.web.app import create_app

log = logging.getLogger("humas.web")


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise InvalidInput(f"cannot serve the web interface on {host}:{port}: {exc.strerror}; set [web] port "
                               "in the config, or start with --no-web") from None


def forwarded_allow_ips(trusted_proxies: list[str]) -> list[str]:
    """``web.trusted_proxies`` as uvicorn reads them: addresses as written, networks normalised.

    The config accepts ``10.0.0.1/8`` (host bits set); uvicorn would take that for a host name and never match it.
    """
    out: list[str] = []
    for item in trusted_proxies:
        if "/" in item:
            out.append(str(ipaddress.ip_network(item.strip(), strict=False)))
        else:
            out.append(str(ipaddress.ip_address(item.strip())))
    return out


def uvicorn_config(app: App, api: ASGIApp, *, host: str, port: int, embedded: bool) -> uvicorn.Config:
    """The uvicorn configuration for serving ``api`` (the ASGI app from :func:`create_app`).

    ``embedded``: inside ``humas run``, where uvicorn's own start-up lines stay quiet (warnings and errors only);
    the access log follows ``log_level`` in both cases.
    """
    trusted = forwarded_allow_ips(app.settings.web.trusted_proxies)
    level = app.settings.log_level
    config = uvicorn.Config(api, host=host, port=port, log_config=None, log_level=level.lower(), access_log=True,
                            proxy_headers=bool(trusted), forwarded_allow_ips=trusted, server_header=False)
    if embedded:
        logging.getLogger("uvicorn.error").setLevel(max(logging.WARNING, getattr(logging, level)))
    logs.install()
    return config


def start_in_thread(app: App, *, heartbeat: Callable[[], dict[str, Any]]) -> Callable[[], None]:
    """Serve on ``web.host:web.port`` (``heartbeat``: the daemon's liveness for ``/healthz``); returns the function
    that stops the server."""
    web = app.settings.web
    config = uvicorn_config(app, create_app(app, heartbeat=heartbeat), host=web.host, port=web.port, embedded=True)
    check_port_free(web.host, web.port)
    server = uvicorn.Server(config)  # in a thread uvicorn leaves the signals to the daemon
    thread = threading.Thread(target=server.run, name="humas-web", daemon=True)
    thread.start()
    log.info("web interface on http://%s:%d", web.host, web.port)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return stop


def serve(app: App, *, host: str, port: int) -> bool:
    """``humas web``: serve in the foreground until Ctrl-C or SIGTERM; False when the server could not start."""
    server = uvicorn.Server(uvicorn_config(app, create_app(app), host=host, port=port, embedded=False))
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it handled, after shutting down
        server.run()
    return server.started
