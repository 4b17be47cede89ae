"""Test settings shared by every tier; set before any WatchNext module is imported."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from unittest import mock

import pytest

from tests.support import running_in_ci
from tests.support.logs import LogCapture

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


def _without_the_shells_settings() -> None:
    """The suite runs the same whatever WATCHNEXT_* settings the shell exports (the harness's
    own variables, such as WATCHNEXT_HELD_PORTS, stay)."""
    from watchnext.settings import Settings

    for name in Settings.env_names():
        os.environ.pop(name, None)


_without_the_shells_settings()


@pytest.fixture(autouse=True)
def _environment_restored() -> Iterator[None]:
    """What a test (or the CLI it runs) sets in os.environ ends with the test."""
    with mock.patch.dict(os.environ):
        yield


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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI, a skipped test fails the run: no tier may go green unrun."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if running_in_ci() and skipped and exitstatus == pytest.ExitCode.OK:
        names = ", ".join(sorted({report.nodeid.split("::")[0] for report in skipped}))
        print(f"\nCI is set and {len(skipped)} tests were skipped ({names}): failing the run.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
