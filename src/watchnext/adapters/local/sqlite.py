"""One SQLite database file for the local stack's durable state, in WAL mode: an accepted
review or a queued email survives a crash or a restart."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, item_id TEXT NOT NULL,
    event_type TEXT NOT NULL, event_value REAL NOT NULL, timestamp TEXT NOT NULL,
    properties TEXT NOT NULL, recorded_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS email_jobs (
    job_id TEXT PRIMARY KEY, body TEXT NOT NULL, available_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT
);
CREATE TABLE IF NOT EXISTS email_dead_letters (
    job_id TEXT PRIMARY KEY, body TEXT NOT NULL, attempts INTEGER NOT NULL, last_error TEXT,
    dead_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS forgotten_users (user_id TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS email_state (key TEXT PRIMARY KEY, value TEXT, at REAL);
CREATE TABLE IF NOT EXISTS compactions (
    seq INTEGER PRIMARY KEY, checksum TEXT NOT NULL, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sent_emails (
    job_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, model_id TEXT,
    picks INTEGER NOT NULL, sent_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    idempotency_key TEXT PRIMARY KEY, status TEXT NOT NULL, expiry INTEGER,
    in_progress_expiry INTEGER, response_data TEXT, payload_hash TEXT
);
CREATE TABLE IF NOT EXISTS clicks (
    job_id TEXT NOT NULL, position INTEGER NOT NULL, item_id TEXT NOT NULL,
    clicked_at REAL NOT NULL, PRIMARY KEY (job_id, position)
);
"""
MIGRATIONS = (
    # (the column it adds, the statements that add it) for databases made before it
    ("events.compaction", "ALTER TABLE events ADD COLUMN compaction INTEGER"),
    ("events.recommendation_id", "ALTER TABLE events ADD COLUMN recommendation_id TEXT"),
    ("events.impression", "ALTER TABLE events ADD COLUMN impression TEXT"),
    ("events.source", "ALTER TABLE events ADD COLUMN source TEXT"),
)
INDEXES = "CREATE INDEX IF NOT EXISTS events_by_user ON events (user_id);"


def private_folder(folder: Path) -> Path:
    """``folder``, created if need be, readable by this user only: the local stack's state
    (reviews, email addresses, keys) is nobody else's on a shared machine."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


class Database:
    """A thread-safe connection; every write is its own committed transaction."""

    def __init__(self, path: Path) -> None:
        private_folder(path.parent)
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)  # a database made before this version
        self.path = path
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        with self._lock:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=FULL")  # durable on power loss too
            self._connection.execute("PRAGMA busy_timeout=5000")
            self._connection.executescript(SCHEMA)
            self._migrate()
            self._connection.executescript(INDEXES)

    def _migrate(self) -> None:
        for target, statement in MIGRATIONS:
            table, column = target.split(".")
            columns = {row[1] for row in self._connection.execute(f"PRAGMA table_info({table})")}
            if column not in columns:
                self._connection.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def query(self, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._connection.execute(sql, parameters).fetchall())

    def close(self) -> None:
        with self._lock:
            self._connection.close()
