"""Listening sockets for the local servers, bound before anything is wired.

Binding first means port 0 asks the system for a free port with no race (tests, `demo
--check`), and a taken port is one clear error naming the server, before any thread starts.
"""

from __future__ import annotations

import socket

from watchnext.errors import WatchNextError


class PortInUseError(WatchNextError):
    def __init__(self, server: str, host: str, port: int, reason: str) -> None:
        super().__init__(f"{server}: cannot listen on {host}:{port} ({reason})")
        self.server = server
        self.host = host
        self.port = port
        self.reason = reason


def listen(server: str, host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (0: any free port) for ``server``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # As every server does: a restart may bind while old connections sit in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as error:
        sock.close()
        raise PortInUseError(server, host, port, error.strerror or str(error)) from None
    sock.setblocking(False)
    return sock


def bound_port(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])
