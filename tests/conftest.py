"""Test settings shared by every tier; set before any WatchNext module is imported."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from unittest import mock

import pytest

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_SERVICE_NAME": "watchnext",
        "AWS_LAMBDA_FUNCTION_NAME": "watchnext-test",
    }
)
for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(name, None)


@pytest.fixture(autouse=True)
def _environment_restored() -> Iterator[None]:
    """What a test (or the CLI it runs) sets in os.environ ends with the test."""
    with mock.patch.dict(os.environ):
        yield


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


@pytest.fixture
def captured_logs() -> Iterator[LogCapture]:
    from watchnext.observability import logger

    capture = LogCapture()
    capture.setFormatter(logger.registered_formatter)
    underlying = logging.getLogger(logger.name)
    underlying.addHandler(capture)
    try:
        yield capture
    finally:
        underlying.removeHandler(capture)
