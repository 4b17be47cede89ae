"""Run a command while the demo's default ports are taken, as by a `make demo` in another
terminal: a test that listens on a fixed port then fails here, not on a developer's laptop.

Usage: python3 .ci/hold_ports.py 3000 8080 1025 -- make test
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading


def hold(port: int) -> socket.socket | None:
    """Listen on 127.0.0.1:port (where `make demo` listens) and answer by closing."""
    listener = socket.socket()
    try:
        listener.bind(("127.0.0.1", port))
    except OSError as error:
        listener.close()
        print(f"hold_ports: {port} is already taken ({error.strerror}); it stays taken", flush=True)
        return None
    listener.listen(16)

    def refuse() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.close()

    threading.Thread(target=refuse, daemon=True).start()
    return listener


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    ports = [int(port) for port in argv[:split]]
    held = [hold(port) for port in ports]
    command = argv[split + 1 :]
    print(
        f"hold_ports: {', '.join(map(str, ports))} are taken while `{' '.join(command)}` runs",
        flush=True,
    )
    env = {**os.environ, "WATCHNEXT_HELD_PORTS": ",".join(map(str, ports))}
    try:
        return subprocess.call(command, env=env)  # noqa: S603 - CI's own command line
    finally:
        for listener in held:
            if listener is not None:
                listener.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
