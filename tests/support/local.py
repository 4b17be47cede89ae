"""The local stack as tests run it: every server on a port the system picks (port 0)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from watchnext.adapters.local.state_folder import StateFolder
from watchnext.entrypoints.local_stack import LocalStack, build_local_stack
from watchnext.settings import Settings


def config_for(tmp_path: Path, trained: Path) -> Settings:
    """A stack in ``tmp_path`` whose API, web app and SMTP sink listen on free ports."""
    return Settings(
        data_dir=tmp_path, artifact=trained, api_port=0, smtp_port=0, web_port=0, api_key="k"
    )


def state_of(settings: Settings) -> StateFolder:
    """The local stack's state folder under the settings' data folder."""
    return StateFolder.of(settings.data_dir)


@contextmanager
def running_stack(settings: Settings) -> Iterator[LocalStack]:
    """The stack serving ``settings`` until the block ends."""
    stack = build_local_stack(settings)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
