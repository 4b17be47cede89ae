"""The local stack's database as the CLI commands open it: closed after the block, or one line
saying what its absence means."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from watchnext.cli.errors import fail

if TYPE_CHECKING:
    from watchnext.adapters.local.sqlite import Database


@contextmanager
def local_database(data_dir: Path, missing: str) -> Iterator[Database]:
    """``missing``: the error's text after the database's path when there is none."""
    from watchnext.adapters.local.sqlite import Database
    from watchnext.adapters.local.state_folder import StateFolder

    database = StateFolder.of(data_dir).database
    if not database.exists():
        raise fail(f"{database}: {missing}")
    db = Database(database)
    try:
        yield db
    finally:
        db.close()
