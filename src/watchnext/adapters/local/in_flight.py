"""Requests the local gateway is handling now: the mail worker defers to them, as background
work yields to a viewer waiting for an answer (the API and the mailer share a few cores)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class InFlight:
    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    @contextmanager
    def request(self) -> Iterator[None]:
        with self._lock:
            self._count += 1
        try:
            yield
        finally:
            with self._lock:
                self._count -= 1

    def busy(self) -> bool:
        return self._count > 0
