"""The local database's group commit: transactions that arrive during a commit share the
next one, and each is still durable, alone in its failures, and read back by its thread."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from watchnext.adapters.local.sqlite import Database, DatabaseError


class SlowDisk(Database):
    """Every commit takes 20 ms, as on a disk whose fsync is slow."""

    commits = 0

    def _commit(self) -> None:
        time.sleep(0.02)
        type(self).commits += 1
        super()._commit()


def insert(db: Database, user: str) -> None:
    with db.transaction() as tx:
        tx.execute("INSERT INTO forgotten_users VALUES (?, ?)", (user, 0.0))


def test_concurrent_transactions_share_commits_and_every_one_is_kept(tmp_path: Path) -> None:
    SlowDisk.commits = 0
    db = SlowDisk(tmp_path / "w.db")

    def write_twenty(thread: int) -> None:
        for i in range(20):
            insert(db, f"{thread}-{i}")

    writers = [threading.Thread(target=write_twenty, args=(t,)) for t in range(8)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    db.close()

    reopened = Database(tmp_path / "w.db")
    assert reopened.query("SELECT count(*) FROM forgotten_users") == [(160,)]
    assert SlowDisk.commits < 160  # some commits carried several transactions
    reopened.close()


def test_a_failed_block_rolls_back_alone_and_leaves_no_transaction_open(tmp_path: Path) -> None:
    db = Database(tmp_path / "w.db")
    insert(db, "kept")

    def insert_then_fail() -> None:
        with db.transaction() as tx:
            tx.execute("INSERT INTO forgotten_users VALUES ('lost', 0)")
            tx.execute("INSERT INTO forgotten_users VALUES ('kept', 0)")  # a duplicate key

    with pytest.raises(sqlite3.IntegrityError):
        insert_then_fail()

    other_process = sqlite3.connect(tmp_path / "w.db", timeout=0.1)
    other_process.execute("INSERT INTO forgotten_users VALUES ('other', 0)")  # not locked out
    other_process.commit()
    other_process.close()
    assert sorted(db.query("SELECT user_id FROM forgotten_users")) == [("kept",), ("other",)]
    db.close()


def test_a_block_reads_its_own_writes_and_others_see_them_once_committed(
    tmp_path: Path,
) -> None:
    db = Database(tmp_path / "w.db")
    seen_by_other: list[object] = []
    with db.transaction() as tx:
        tx.execute("INSERT INTO forgotten_users VALUES ('new', 0)")
        assert db.query("SELECT count(*) FROM forgotten_users") == [(1,)]  # through the writer
        reader = threading.Thread(
            target=lambda: seen_by_other.append(db.query("SELECT count(*) FROM forgotten_users"))
        )
        reader.start()
        reader.join()  # a reader never waits for the writer's lock
    assert seen_by_other == [[(0,)]]
    assert db.query("SELECT count(*) FROM forgotten_users") == [(1,)]
    db.close()


def test_nested_blocks_commit_once_with_the_outermost(tmp_path: Path) -> None:
    SlowDisk.commits = 0
    db = SlowDisk(tmp_path / "w.db")
    with db.transaction():
        insert(db, "a")
        insert(db, "b")
    assert SlowDisk.commits == 1
    db.close()


def test_a_commit_that_fails_fails_every_transaction_of_its_batch(tmp_path: Path) -> None:
    class FullDisk(Database):
        def _commit(self) -> None:
            self._open = False
            self._connection.execute("ROLLBACK")
            raise sqlite3.OperationalError("database or disk is full")

    db = FullDisk(tmp_path / "w.db")
    with pytest.raises(DatabaseError, match="not committed"):
        insert(db, "lost")
    assert db.query("SELECT count(*) FROM forgotten_users") == [(0,)]
    db.close()
