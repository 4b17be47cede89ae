"""Which demo runs on a state folder: ``demo.lock`` (an advisory lock the running stack holds,
released by the system even if the process is killed) and ``running.json`` beside it (the
stack's URLs), so client commands find the demo they mean and a second demo cannot share the
folder by accident."""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from watchnext.adapters.local.state_folder import StateFolder
from watchnext.errors import WatchNextError


@dataclass(frozen=True)
class RunningDemo:
    api_url: str
    web_url: str | None
    pid: int


class StateFolderInUseError(WatchNextError):
    def __init__(self, state_dir: Path, other: RunningDemo | None) -> None:
        where = f" by the demo at {other.api_url} (pid {other.pid})" if other else ""
        super().__init__(
            f"{state_dir} is in use{where}: give a second demo its own folder with "
            "--data-dir PATH (`make demo API_PORT=3001 …` does so by itself)"
        )


class DemoLock:
    """Held by a running stack for its lifetime."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._handle: IO[str] | None = None

    def acquire(self, running: RunningDemo) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        handle = StateFolder(self.state_dir).lock.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise StateFolderInUseError(self.state_dir, _read(self.state_dir)) from None
        self._handle = handle
        target = StateFolder(self.state_dir).running
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(running)))
        os.replace(temporary, target)

    def release(self) -> None:
        if self._handle is None:
            return
        StateFolder(self.state_dir).running.unlink(missing_ok=True)
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()
        self._handle = None


def running_demo(state_dir: Path) -> RunningDemo | None:
    """The demo running on ``state_dir``; None if none holds it (a stale file is ignored)."""
    lock = StateFolder(state_dir).lock
    if not lock.exists():
        return None
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(state_dir)  # held: a demo runs
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def _read(state_dir: Path) -> RunningDemo | None:
    try:
        return RunningDemo(**json.loads(StateFolder(state_dir).running.read_text()))
    except (OSError, ValueError, TypeError):
        return None
