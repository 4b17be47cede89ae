"""The DuckDB connection every dataset step shares: bounded memory, spilling to disk."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb

DEFAULT_MEMORY_LIMIT = "1GB"


def connect(
    memory_limit: str = DEFAULT_MEMORY_LIMIT, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory database that spills past ``memory_limit`` and keeps row order stable."""
    connection = duckdb.connect(":memory:")
    spill = Path(tempfile.gettempdir()) / "watchnext-duckdb"
    run(connection, f"SET memory_limit = '{memory_limit}'")
    run(connection, f"SET temp_directory = '{spill}'")
    run(connection, f"SET threads = {threads or max(1, os.cpu_count() or 1)}")
    run(connection, "SET preserve_insertion_order = false")
    run(connection, f"SET enable_progress_bar = {str(sys.stderr.isatty()).lower()}")
    return connection


def run(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    """Execute one statement to completion (DuckDB 2 refuses new work while a result is open)."""
    return connection.execute(sql).fetchall()


def scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> Any:
    rows = run(connection, sql)
    return rows[0][0] if rows else None


def count_of(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    """The single number a counting query returns (0 for NULL)."""
    return int(scalar(connection, sql) or 0)


def dataset_csv(path: Path) -> str:
    """SQL reading one of our own CSV files as text columns.

    Delimiter and quoting are stated, never sniffed: a quoted title may first appear far
    beyond the sniffer's sample, and a wrong guess splits that row.
    """
    return (
        f"read_csv({sql_string(path)}, header = true, delim = ',', quote = '\"', "
        "escape = '\"', all_varchar = true)"
    )


def sql_string(value: str | Path) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"
