"""The web interface inside ``humas run``: uvicorn in a thread beside the scheduler, stopped with the daemon."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import uvicorn

from humas.app import App
from humas.errors import InvalidInput
from humas.web.app import create_app

if TYPE_CHECKING:
    from humas.daemon import Daemon

log = logging.getLogger("humas.web")


def heartbeat_of(daemon: Daemon) -> Callable[[], dict[str, Any]]:
    """``/healthz``'s view of the daemon: healthy while its timers ran within the last few ticks."""

    def beat() -> dict[str, Any]:
        last = daemon.heartbeat
        now = daemon.app.clock()
        window = timedelta(seconds=max(60.0, 6 * daemon.app.settings.queue.tick_seconds))
        ok = last is not None and now - last <= window and not daemon.stop_event.is_set()
        return {"ok": ok, "last_tick": last.isoformat(timespec="seconds") if last else None,
                "instance": daemon.owner}

    return beat


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise InvalidInput(f"cannot serve the web interface on {host}:{port}: {exc.strerror}; set [web] port "
                               "in the config, or start with --no-web") from None


def start_in_thread(app: App, daemon: Daemon) -> Callable[[], None]:
    """Serve on ``web.host:web.port``; returns the function that stops the server."""
    web = app.settings.web
    config = uvicorn.Config(create_app(app, heartbeat=heartbeat_of(daemon)), host=web.host, port=web.port,
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
