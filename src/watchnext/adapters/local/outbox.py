"""The local mailbox: every message the SMTP sink accepted, one .eml file each, and an index.

The index (SQLite, beside the files) lists messages newest first a page at a time, without
reading every file, and keeps one copy per Message-ID, as mail providers do: a message sent
again after a crash (the mailer died between the server's 250 and marking the job sent)
counts as a resend, not as a second email. A file is renamed into place before its index
row commits, so a crash leaves at worst a complete file without a row, which the next
start indexes (`recover`).
"""

from __future__ import annotations

import email
import email.policy
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from pathlib import Path

from watchnext.adapters.local.sqlite import private_folder

INDEX = "index.db"
SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    message_id TEXT PRIMARY KEY, file TEXT NOT NULL UNIQUE, received_at REAL NOT NULL,
    recipient TEXT NOT NULL, subject TEXT NOT NULL, job_id TEXT NOT NULL,
    resends INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_by_time ON messages (received_at DESC);
"""


@dataclass(frozen=True)
class StoredEmail:
    path: Path
    subject: str
    to: str
    job_id: str
    received_at: float
    resends: int = 0

    @property
    def email_id(self) -> str:
        """The message's id in the outbox: its file's name (the nanosecond it arrived)."""
        return self.path.stem

    def parts(self) -> tuple[str, str]:
        """(text, html) of the stored message."""
        message = email.message_from_bytes(self.path.read_bytes(), policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        return (
            text.get_content() if text else "",
            html.get_content() if html else "",
        )


class Outbox:
    def __init__(self, folder: Path) -> None:
        self.folder = private_folder(folder)
        with self._index() as index:
            index.executescript(SCHEMA)
        self._writer: sqlite3.Connection | None = None
        self._writing = threading.Lock()
        self._naming = threading.Lock()
        self._last_ns = 0

    def store(self, raw: bytes) -> bool:
        """Keep ``raw``; False when a message with its Message-ID is already here."""
        headers = _headers(raw)
        received_ns = self._unique_ns()
        message_id = str(headers["Message-ID"] or "").strip() or f"<{received_ns}@sink>"
        # Written and fsynced before the index is locked, so messages arriving on several
        # connections are written at once; a resend's file is removed again.
        path = self._write(f"{received_ns}.eml", raw)
        with self._writing:
            index = self._writer = self._writer or self._connect()
            index.execute("BEGIN IMMEDIATE")
            resent = index.execute(
                "UPDATE messages SET resends = resends + 1 WHERE message_id = ?", (message_id,)
            ).rowcount
            if not resent:
                _insert(index, message_id, path, received_ns / 1e9, headers)
            index.execute("COMMIT")
        if resent:
            path.unlink()
        return not resent

    def _unique_ns(self) -> int:
        """The arrival time in ns, which names the message's file: one per message."""
        with self._naming:
            self._last_ns = max(time.time_ns(), self._last_ns + 1)
            return self._last_ns

    def close(self) -> None:
        """Close the connection `store` keeps open. (Closing the last connection to the
        index checkpoints its WAL, which cost each message ~3 ms when every store opened
        its own.)"""
        with self._writing:
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    def page(self, offset: int = 0, limit: int | None = None) -> list[StoredEmail]:
        """Messages newest first, ``limit`` of them (all when None) after skipping ``offset``."""
        with self._index() as index:
            rows = index.execute(
                "SELECT file, subject, recipient, job_id, received_at, resends FROM messages "
                "ORDER BY received_at DESC LIMIT ? OFFSET ?",
                (-1 if limit is None else limit, offset),
            ).fetchall()
        return [
            StoredEmail(self.folder / file, subject, to, job, at, resends)
            for file, subject, to, job, at, resends in rows
        ]

    def count(self) -> int:
        with self._index() as index:
            return int(index.execute("SELECT count(*) FROM messages").fetchone()[0])

    def find(self, email_id: str) -> StoredEmail | None:
        """The message whose id is ``email_id``, looked up in the index: nothing else is read."""
        with self._index() as index:
            row = index.execute(
                "SELECT file, subject, recipient, job_id, received_at, resends FROM messages "
                "WHERE file = ?",
                (f"{email_id}.eml",),
            ).fetchone()
        if row is None:
            return None
        file, subject, to, job, at, resends = row
        return StoredEmail(self.folder / file, subject, to, job, at, resends)

    def erase(self, *, address: str | None = None, job_ids: frozenset[str] = frozenset()) -> int:
        """Delete the messages to ``address`` (case-insensitively) and those of ``job_ids``."""
        with self._index() as index:
            index.execute("BEGIN IMMEDIATE")
            rows = index.execute("SELECT file, recipient, job_id FROM messages").fetchall()
            doomed = [
                file
                for file, recipient, job in rows
                if job in job_ids or (address and address.lower() in str(recipient).lower())
            ]
            for file in doomed:
                index.execute("DELETE FROM messages WHERE file = ?", (file,))
                (self.folder / file).unlink(missing_ok=True)
            index.execute("COMMIT")
        return len(doomed)

    def _write(self, name: str, raw: bytes) -> Path:
        partial = self.folder / f".{name}.partial"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(raw)
            stream.flush()
            os.fsync(stream.fileno())
        return partial.replace(self.folder / name)  # a reader never sees half a message

    def recover(self) -> None:
        """Index the files a crash left without a row, and drop a stray copy of a message
        indexed since (its resend). Only the writer calls this, before it accepts mail."""
        with self._index() as index:
            known = {row[0] for row in index.execute("SELECT file FROM messages")}
            for path in sorted(self.folder.glob("*.eml")):
                if path.name in known or not _a_message_file(path):
                    continue
                headers = _headers(path.read_bytes())
                message_id = str(headers["Message-ID"] or "").strip() or f"<{path.stem}@sink>"
                duplicate = index.execute(
                    "SELECT 1 FROM messages WHERE message_id = ?", (message_id,)
                ).fetchone()
                if duplicate:
                    path.unlink()
                else:
                    _insert(index, message_id, path, int(path.stem) / 1e9, headers)
        for partial in self.folder.glob(".*.partial"):
            partial.unlink()  # never renamed into place: the sender got no 250 and resends

    @contextmanager
    def _index(self) -> Iterator[sqlite3.Connection]:
        with closing(self._connect()) as connection:
            yield connection

    def _connect(self) -> sqlite3.Connection:
        path = self.folder / INDEX
        connection = sqlite3.connect(
            path, timeout=10, isolation_level=None, check_same_thread=False
        )
        path.chmod(0o600)
        connection.execute("PRAGMA journal_mode=WAL")
        return connection


def _a_message_file(path: Path) -> bool:
    """A regular file the sink could have written: never a link, a FIFO or a device."""
    return path.stem.isdigit() and not path.is_symlink() and path.is_file()


def _headers(raw: bytes) -> Message:
    return BytesHeaderParser(policy=email.policy.default).parsebytes(raw)


def _insert(
    index: sqlite3.Connection, message_id: str, path: Path, received_at: float, headers: Message
) -> None:
    index.execute(
        "INSERT INTO messages (message_id, file, received_at, recipient, subject, job_id) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            message_id,
            path.name,
            received_at,
            str(headers["To"] or ""),
            str(headers["Subject"] or ""),
            str(headers["X-WatchNext-Job"] or "").strip(),
        ),
    )


def outbox(folder: Path) -> list[StoredEmail]:
    """Every message in the outbox at ``folder``, newest first."""
    return Outbox(folder).page()
