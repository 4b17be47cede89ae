"""The local stack as tests run it: every server on a port the system picks (port 0)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from watchnext.bootstrap.local import LocalConfig
from watchnext.entrypoints.local_stack import LocalStack, build_local_stack


def config_for(tmp_path: Path, trained: Path) -> LocalConfig:
    """A stack in ``tmp_path`` whose API, web app and SMTP sink listen on free ports."""
    return LocalConfig(
        data_dir=tmp_path, artifact=trained, api_port=0, smtp_port=0, web_port=0, api_key="k"
    )


@contextmanager
def running_stack(config: LocalConfig) -> Iterator[LocalStack]:
    """The stack serving ``config`` until the block ends."""
    stack = build_local_stack(config)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
