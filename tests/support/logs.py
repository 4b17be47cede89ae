"""Log lines as the Powertools formatter prints them, for assertions."""

from __future__ import annotations

import logging


class LogCapture(logging.Handler):
    """Collects log lines exactly as the Powertools formatter would print them."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
