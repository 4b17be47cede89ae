"""`watchnext prepare`: one source format in, a Personalize dataset folder out.

The folder holds interactions.csv, items.csv, users.csv (when the source knows users), an Avro
schema per file, and manifest.json. DuckDB streams the input with bounded memory.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from watchnext import __version__
from watchnext.datasets import schemas
from watchnext.datasets.engine import DEFAULT_MEMORY_LIMIT, connect, count_of, run, sql_string
from watchnext.datasets.errors import DatasetError
from watchnext.datasets.sources import READERS, ItemKey, SourceInfo, SourceName
from watchnext.datasets.validate import Validation, validate_dataset


@dataclass(frozen=True)
class Filters:
    min_year: int | None = None
    min_user_interactions: int = 1
    min_item_interactions: int = 1
    min_rating: float | None = None
    item_key: ItemKey = "id"
    collapse: bool = False
    """One interaction per (user, item): the latest time, the mean rating, verified if any was."""


PRESETS: dict[str, Filters] = {
    # The original notebook: reviews from 2011 on, items keyed by stripped title, exact
    # duplicates (every column but review_id) dropped, repeated (user, title) collapsed.
    "original": Filters(min_year=2011, item_key="title", collapse=True),
}

Progress = Callable[[str], None]


@dataclass
class Manifest:
    source: str
    preset: str | None
    filters: dict[str, Any]
    inputs: list[dict[str, Any]]
    counts: dict[str, int] = field(default_factory=dict)
    time_range: dict[str, str | None] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    validation: dict[str, Any] = field(default_factory=dict)
    tool: dict[str, str] = field(
        default_factory=lambda: {"watchnext": __version__, "duckdb": duckdb.__version__}
    )

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _kept_rows(filters: Filters) -> str:
    conditions = [
        "user_id IS NOT NULL",
        "user_id <> ''",
        "item_id IS NOT NULL",
        "item_id <> ''",
        "ts IS NOT NULL",
        "rating IS NOT NULL",
    ]
    if filters.min_year is not None:
        conditions.append(f"ts >= epoch(make_date({int(filters.min_year)}, 1, 1))")
    if filters.min_rating is not None:
        conditions.append(f"rating >= {float(filters.min_rating)}")
    # Equal raw rows share row_key; the output columns are in the key too, so a hash
    # collision could only merge rows that agree on everything written.
    return (
        "SELECT DISTINCT user_id, item_id, ts, rating, verified, row_key FROM events WHERE "
        + " AND ".join(conditions)
    )


def _interactions_sql(filters: Filters) -> str:
    if filters.collapse:
        base = (
            "SELECT user_id, item_id, max(ts) AS ts, avg(rating) AS rating, max(verified) "
            "AS verified FROM kept GROUP BY user_id, item_id"
        )
    else:
        base = "SELECT user_id, item_id, ts, rating, verified FROM kept"
    # One pass: users with too few interactions go first, then items (not an iterated k-core).
    return f"""
        WITH base AS ({base}),
        users_ok AS (SELECT user_id FROM base GROUP BY user_id
                     HAVING count(*) >= {int(filters.min_user_interactions)}),
        by_user AS (SELECT * FROM base SEMI JOIN users_ok USING (user_id)),
        items_ok AS (SELECT item_id FROM by_user GROUP BY item_id
                     HAVING count(*) >= {int(filters.min_item_interactions)})
        SELECT * FROM by_user SEMI JOIN items_ok USING (item_id)
    """


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    run(
        con,
        f"COPY ({query}) TO {sql_string(path)} (FORMAT csv, HEADER true, DELIMITER ',', "
        "QUOTE '\"', ESCAPE '\"', NULL '')",
    )


def _write_files(
    con: duckdb.DuckDBPyConnection, info: SourceInfo, out: Path, event_type: str
) -> dict[str, dict[str, Any]]:
    verified = ", verified AS EVENT_VERIFIED_PURCHASE" if info.has_verified else ""
    _copy(
        con,
        f"SELECT user_id AS USER_ID, item_id AS ITEM_ID, ts AS TIMESTAMP, "
        f"{sql_string(event_type)} AS EVENT_TYPE, rating AS EVENT_VALUE{verified} "
        "FROM interactions ORDER BY USER_ID, TIMESTAMP, ITEM_ID, EVENT_VALUE",
        out / "interactions.csv",
    )
    _copy(
        con,
        "SELECT c.item_id AS ITEM_ID, c.title AS TITLE, c.genres AS GENRES, c.year AS YEAR "
        "FROM catalog c SEMI JOIN interactions i USING (item_id) ORDER BY ITEM_ID",
        out / "items.csv",
    )
    written = {
        "interactions": schemas.interactions_schema(info.has_verified),
        "items": schemas.items_schema(),
    }
    if info.has_users:
        _copy(
            con,
            "SELECT p.user_id AS USER_ID, p.age AS AGE, p.gender AS GENDER, "
            "p.occupation AS OCCUPATION FROM people p SEMI JOIN interactions i USING (user_id) "
            "ORDER BY USER_ID",
            out / "users.csv",
        )
        written["users"] = schemas.users_schema()
    for name, schema in written.items():
        (out / f"{name}.schema.json").write_text(json.dumps(schema, indent=2) + "\n")
    return written


def _counts(con: duckdb.DuckDBPyConnection, info: SourceInfo) -> dict[str, int]:
    def count(sql: str) -> int:
        return count_of(con, sql)

    return {
        "rows_read": info.rows_read,
        "malformed_rows_skipped": info.malformed_rows,
        "rows_kept_after_filters": count("SELECT count(*) FROM kept"),
        "interactions": count("SELECT count(*) FROM interactions"),
        "users": count("SELECT count(DISTINCT user_id) FROM interactions"),
        "items": count("SELECT count(DISTINCT item_id) FROM interactions"),
    }


def _time_range(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    row = run(con, "SELECT min(ts), max(ts) FROM interactions")[0]

    def iso(value: object) -> str | None:
        return datetime.fromtimestamp(int(value), UTC).isoformat() if value is not None else None  # type: ignore[call-overload]

    return {"first": iso(row[0]), "last": iso(row[1])}


SOURCE_SHAPES = {
    "amazon-tsv": "the legacy Amazon review TSV (amazon_reviews_us_*.tsv.gz)",
    "amazon-2023": "Amazon Reviews 2023 JSONL: one review per line with user_id, parent_asin, "
    "rating and timestamp",
    "movielens": "a MovieLens folder",
}


def nothing_read(manifest: Manifest) -> str | None:
    """Why a dataset came out empty, when no input line was a valid review."""
    if manifest.counts["rows_read"] > 0:
        return None
    names = ", ".join(str(item["path"]) for item in manifest.inputs)
    return (
        f"{names}: no valid review line ({manifest.counts['malformed_rows_skipped']:,} malformed "
        f"lines skipped); --source {manifest.source} reads "
        f"{SOURCE_SHAPES.get(manifest.source, manifest.source)}. Check the file and --source"
    )


def prepare(
    source: SourceName,
    inputs: Sequence[Path],
    out: Path,
    filters: Filters,
    *,
    preset: str | None = None,
    event_type: str = "RATING",
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
    progress: Progress = lambda message: None,
) -> Manifest:
    """Read ``inputs`` as ``source``, apply ``filters``, write and validate the dataset in ``out``.

    Files appear in ``out`` only once all of them are written (a failed run leaves the
    previous dataset as it was).
    """
    if source not in READERS:
        raise DatasetError(f"unknown source {source!r}; choose one of {', '.join(READERS)}")
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".prepare-", dir=out))
    try:
        with ThreadPoolExecutor(max_workers=1) as hasher:
            files = [p for p in inputs if p.is_file()]
            digests = hasher.map(sha256_of, files)  # hashing overlaps the DuckDB work
            con = connect(memory_limit, threads)
            progress(f"reading {source}")
            info = READERS[source](con, list(inputs), filters.item_key)
            progress("filtering and de-duplicating")
            run(con, f"CREATE OR REPLACE TEMP TABLE kept AS {_kept_rows(filters)}")
            run(con, f"CREATE OR REPLACE TEMP TABLE interactions AS {_interactions_sql(filters)}")
            progress("writing CSV files")
            written = _write_files(con, info, staging, event_type)
            manifest = Manifest(
                source=source,
                preset=preset,
                filters=asdict(filters),
                inputs=[
                    {"path": str(p), "bytes": p.stat().st_size, "sha256": d}
                    for p, d in zip(files, digests, strict=True)
                ],
                counts=_counts(con, info),
                time_range=_time_range(con),
            )
            con.close()
        progress("validating against Personalize's rules")
        validation = validate_dataset(staging, written)
        manifest.validation = validation.as_dict()
        for name in written:
            path = staging / f"{name}.csv"
            manifest.files[path.name] = {
                "rows": sum(1 for _ in path.open("rb")) - 1,
                "sha256": sha256_of(path),
            }
        manifest.write(staging / "manifest.json")
        for path in staging.iterdir():
            path.replace(out / path.name)
        for stale in ("users.csv", "users.schema.json"):
            if "users" not in written and (out / stale).exists():
                (out / stale).unlink()
        return manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def resolve_filters(preset: str | None, **overrides: Any) -> Filters:
    """A preset's filters with any explicitly given option on top."""
    if preset is not None and preset not in PRESETS:
        raise DatasetError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    base = PRESETS[preset] if preset else Filters()
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})


def validation_of(manifest: Manifest) -> Validation:
    from watchnext.datasets.validate import Failure

    return Validation([Failure(**f) for f in manifest.validation.get("failures", [])])
