"""One SQLite database file for the local stack's durable state, in WAL mode: an accepted
review or a queued email survives a crash or a restart."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from watchnext.errors import WatchNextError

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
CREATE TABLE IF NOT EXISTS experiments (
    name TEXT PRIMARY KEY, body TEXT NOT NULL, started_at REAL NOT NULL, stopped_at REAL,
    winner TEXT
);
CREATE TABLE IF NOT EXISTS served_model (
    id INTEGER PRIMARY KEY CHECK (id = 1), artifact TEXT NOT NULL, experiment TEXT,
    at REAL NOT NULL
);
"""
MIGRATIONS = (
    # (the column it adds, the statements that add it) for databases made before it
    ("events.compaction", "ALTER TABLE events ADD COLUMN compaction INTEGER"),
    ("events.recommendation_id", "ALTER TABLE events ADD COLUMN recommendation_id TEXT"),
    ("events.impression", "ALTER TABLE events ADD COLUMN impression TEXT"),
    ("events.source", "ALTER TABLE events ADD COLUMN source TEXT"),
    ("sent_emails.experiment", "ALTER TABLE sent_emails ADD COLUMN experiment TEXT"),
    ("sent_emails.arms", "ALTER TABLE sent_emails ADD COLUMN arms TEXT"),
)
INDEXES = "CREATE INDEX IF NOT EXISTS events_by_user ON events (user_id);"


def private_folder(folder: Path) -> Path:
    """``folder``, created if need be, readable by this user only: the local stack's state
    (reviews, email addresses, keys) is nobody else's on a shared machine."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


class DatabaseError(WatchNextError):
    """A batch of writes could not be committed; none of them is kept."""


class Database:
    """The local stack's SQLite file: one writer connection with group commit, and a reader
    connection per thread.

    Every `transaction` is durable when it returns (WAL, ``synchronous=FULL``: it survives a
    power loss). Transactions that arrive while a commit is being written join the next one:
    each runs in a savepoint of a shared transaction, and one of their threads commits them
    all with a single fsync, then all return (group commit). A failed block rolls back its
    own savepoint alone. Reads outside a transaction go to the thread's reader connection,
    which sees only committed data and never waits for the writer (WAL); inside one, they
    read through the writer, so a block sees its own writes.
    """

    def __init__(self, path: Path) -> None:
        private_folder(path.parent)
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)  # a database made before this version
        self.path = path
        self._connection = self._connect()
        self._lock = threading.RLock()  # the writer connection
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._batch = 0  # the newest batch; open while `_open`
        self._open = False
        self._committed = 0
        self._failed: dict[int, BaseException] = {}
        self._committing = False
        self._commit_done = threading.Condition()
        with self._lock:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.executescript(SCHEMA)
            self._migrate()
            self._connection.executescript(INDEXES)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        connection.execute("PRAGMA synchronous=FULL")  # durable on power loss too
        connection.execute("PRAGMA busy_timeout=5000")
        return connection

    def _migrate(self) -> None:
        for target, statement in MIGRATIONS:
            table, column = target.split(".")
            columns = {row[1] for row in self._connection.execute(f"PRAGMA table_info({table})")}
            if column not in columns:
                self._connection.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A block of writes, committed (durably) when the outermost block returns."""
        depth: int = getattr(self._local, "depth", 0)
        batch, shared = 0, True
        try:
            with self._lock:
                # Alone in a batch it opened, a block needs no savepoint: its failure rolls
                # back the whole transaction, which holds nothing else (the lock is ours).
                shared = depth > 0 or self._open
                batch = self._join_batch()
                if shared:
                    self._connection.execute(f"SAVEPOINT s{depth}")
                self._local.depth = depth + 1
                try:
                    yield self._connection
                except BaseException:
                    self._roll_back(depth, shared)
                    batch = 0  # nothing of this block to commit
                    raise
                finally:
                    self._local.depth = depth
                if shared:
                    self._connection.execute(f"RELEASE s{depth}")
        finally:
            if depth == 0 and batch:
                self._durable(batch)

    def _roll_back(self, depth: int, shared: bool) -> None:
        if shared:
            self._connection.execute(f"ROLLBACK TO s{depth}")
            self._connection.execute(f"RELEASE s{depth}")
            return
        self._open = False
        self._connection.execute("ROLLBACK")

    def _join_batch(self) -> int:
        if not self._open:
            self._connection.execute("BEGIN IMMEDIATE")
            self._open = True
            self._batch += 1
        return self._batch

    def _durable(self, batch: int) -> None:
        """Return once ``batch`` is committed: commit it unless another thread is."""
        with self._commit_done:
            while self._committed < batch and self._committing:
                self._commit_done.wait()
            lead = self._committed < batch
            if lead:
                self._committing = True
        if lead:
            error: BaseException | None = None
            with self._lock:
                try:
                    self._commit()
                except BaseException as problem:  # every transaction of the batch fails
                    error = problem
            with self._commit_done:
                self._committing = False
                self._committed = batch
                if error is not None:
                    self._failed[batch] = error
                self._commit_done.notify_all()
        failure = self._failed.get(batch)
        if failure is not None:
            raise DatabaseError(f"{self.path}: the writes were not committed") from failure

    def _commit(self) -> None:
        """Commit the open batch (under the writer lock); roll it back if that fails."""
        self._open = False
        try:
            self._connection.execute("COMMIT")
        except BaseException:
            if self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
            raise

    def query(self, sql: str, parameters: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        if getattr(self._local, "depth", 0):
            with self._lock:
                return list(self._connection.execute(sql, parameters).fetchall())
        return list(self._reader().execute(sql, parameters).fetchall())

    def _reader(self) -> sqlite3.Connection:
        reader: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._connect()
            reader.execute("PRAGMA query_only=1")
            with self._readers_lock:
                self._readers.append(reader)
            self._local.reader = reader
        return reader

    def close(self) -> None:
        with self._readers_lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()
        with self._lock:
            self._connection.close()
