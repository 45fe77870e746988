"""The web interface inside ``humas run``: uvicorn in a thread beside the scheduler, stopped with the daemon."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import uvicorn

from humas.app import App
from humas.errors import InvalidInput
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


def start_in_thread(app: App, *, heartbeat: Callable[[], dict[str, Any]]) -> Callable[[], None]:
    """Serve on ``web.host:web.port`` (``heartbeat``: the daemon's liveness for ``/healthz``); returns the function
    that stops the server."""
    web = app.settings.web
    config = uvicorn.Config(create_app(app, heartbeat=heartbeat), host=web.host, port=web.port,
                            log_level="warning", proxy_headers=True, server_header=False)
    check_port_free(web.host, web.port)
    server = uvicorn.Server(config)  # in a thread uvicorn leaves the signals to the daemon
    thread = threading.Thread(target=server.run, name="humas-web", daemon=True)
    thread.start()
    log.info("web interface on http://%s:%d", web.host, web.port)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return stop
