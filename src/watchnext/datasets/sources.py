"""Readers: each turns one source format into the same three DuckDB views.

``events``: user_id, item_id, title, ts (epoch seconds), rating, verified ('Y'/'N' or NULL),
    row_key (identifies a raw row for de-duplication; equal rows share it).
``catalog``: item_id, title, genres ('|'-separated), year — for the items file.
``people``: user_id plus whatever the source knows — for the users file (MovieLens only).
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from watchnext.datasets.amazon_tsv import COLUMNS, DEDUP_COLUMNS, PYTHON_WHITESPACE
from watchnext.datasets.engine import count_of, run, sql_string
from watchnext.datasets.errors import DatasetError

ItemKey = Literal["id", "title"]
SourceName = Literal["amazon-tsv", "amazon-2023", "movielens"]


@dataclass(frozen=True)
class SourceInfo:
    has_verified: bool
    has_users: bool
    rows_read: int
    malformed_rows: int


def _files(paths: Sequence[Path]) -> str:
    return "[" + ", ".join(sql_string(p) for p in paths) + "]"


def _require(paths: Sequence[Path]) -> None:
    for path in paths:
        if not path.exists():
            raise DatasetError(f"{path}: no such file")
        if path.is_dir():
            raise DatasetError(
                f"{path}: a folder; this source reads files (movielens reads folders)"
            )


def _first_line(path: Path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as stream:
            return str(stream.readline())
    except (OSError, EOFError) as error:
        raise DatasetError(f"{path}: cannot read it ({error})") from None


def _require_tsv_header(paths: Sequence[Path]) -> None:
    """The dumps start with a header of 15 tab-separated columns; anything else is another
    format, which DuckDB's sniffer would only describe in a 25-line dump."""
    for path in paths:
        fields = _first_line(path).rstrip("\r\n").split("\t")
        if len(fields) != len(COLUMNS):
            found = f"{len(fields)} tab-separated columns" if len(fields) > 1 else "no tab"
            raise DatasetError(
                f"{path}: not an Amazon review TSV (its first line has {found}; the dumps start "
                f"with a header of {len(COLUMNS)}: {', '.join(COLUMNS[:3])}, ...). For Amazon "
                "Reviews 2023 JSONL pass --source amazon-2023; for MovieLens, --source movielens "
                "and its folder"
            )


def _catalog_from_events(con: duckdb.DuckDBPyConnection) -> None:
    """Amazon dumps carry titles and categories on each review: the catalog is derived."""
    run(
        con,
        """
        CREATE OR REPLACE TEMP VIEW catalog AS
        SELECT item_id, min(title) AS title, min(genres) AS genres, NULL::INTEGER AS year
        FROM events GROUP BY item_id
        """,
    )


def read_amazon_tsv(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path], item_key: ItemKey
) -> SourceInfo:
    """Legacy ``amazon_reviews_us_*.tsv(.gz)``: 15 tab-separated columns, no quoting at all
    (the dumps contain stray '"'), lines with the wrong number of fields skipped and counted."""
    _require(paths)
    _require_tsv_header(paths)
    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in COLUMNS) + "}"
    run(
        con,
        f"""
        CREATE OR REPLACE TEMP VIEW amazon_raw AS
        SELECT * FROM read_csv({_files(paths)}, delim = '\t', quote = '', escape = '',
            header = true, columns = {columns}, ignore_errors = true, null_padding = false,
            strict_mode = true, store_rejects = true, rejects_table = 'amazon_rejects',
            parallel = true)
        """,
    )
    strip = sql_string(PYTHON_WHITESPACE)
    key = "trim(product_title, " + strip + ")" if item_key == "title" else "product_id"
    run(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE events AS
        SELECT customer_id AS user_id,
               {key} AS item_id,
               trim(product_title, {strip}) AS title,
               product_category AS genres,
               epoch(TRY_CAST(review_date AS DATE))::BIGINT AS ts,
               TRY_CAST(star_rating AS DOUBLE) AS rating,
               verified_purchase AS verified,
               hash({", ".join(DEDUP_COLUMNS)}) AS row_key
        FROM amazon_raw
        """,
    )
    rows = count_of(con, "SELECT count(*) FROM events")
    rejected = count_of(con, "SELECT count(DISTINCT (file_id, line)) FROM amazon_rejects")
    _catalog_from_events(con)
    return SourceInfo(has_verified=True, has_users=False, rows_read=rows, malformed_rows=rejected)


def read_amazon_2023(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path], item_key: ItemKey
) -> SourceInfo:
    """Amazon Reviews 2023: JSONL reviews (user_id, parent_asin, rating, timestamp in ms,
    verified_purchase) and, optionally, the category's meta file (titles, categories),
    told apart by name (``meta_*``). Malformed lines are skipped and counted."""
    _require(paths)
    meta = [p for p in paths if p.name.startswith("meta")]
    reviews = [p for p in paths if p not in meta]
    if not reviews:
        raise DatasetError("amazon-2023 needs a reviews file (and optionally a meta_* file)")
    columns = (
        "{'user_id': 'VARCHAR', 'parent_asin': 'VARCHAR', 'asin': 'VARCHAR', "
        "'rating': 'DOUBLE', 'timestamp': 'BIGINT', 'verified_purchase': 'BOOLEAN'}"
    )
    run(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE reviews_2023 AS
        SELECT * FROM read_json({_files(reviews)}, format = 'newline_delimited',
            columns = {columns}, ignore_errors = true)
        """,
    )
    total_lines = count_of(
        con,
        f"SELECT count(*) FROM read_csv({_files(reviews)}, delim = '\\x01', quote = '', "
        "escape = '', header = false, columns = {'line': 'VARCHAR'}) WHERE trim(line) <> ''",
    )
    if meta:
        run(
            con,
            f"""
            CREATE OR REPLACE TEMP TABLE meta_2023 AS
            SELECT parent_asin, first(title) AS title,
                   first(array_to_string(categories, '|')) AS genres
            FROM read_json({_files(meta)}, format = 'newline_delimited', ignore_errors = true,
                columns = {{'parent_asin': 'VARCHAR', 'title': 'VARCHAR',
                            'categories': 'VARCHAR[]', 'main_category': 'VARCHAR'}})
            GROUP BY parent_asin
            """,
        )
    else:
        run(
            con,
            "CREATE OR REPLACE TEMP TABLE meta_2023 AS "
            "SELECT NULL::VARCHAR AS parent_asin, NULL::VARCHAR AS title, NULL::VARCHAR AS genres "
            "WHERE false",
        )
    key = (
        "coalesce(nullif(trim(m.title), ''), r.parent_asin)"
        if item_key == "title"
        else "r.parent_asin"
    )
    run(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE events AS
        SELECT r.user_id, {key} AS item_id,
               coalesce(nullif(trim(m.title), ''), r.parent_asin) AS title,
               m.genres AS genres,
               (r.timestamp // 1000)::BIGINT AS ts,
               r.rating,
               CASE WHEN r.verified_purchase THEN 'Y' WHEN NOT r.verified_purchase THEN 'N' END
                   AS verified,
               hash(r.user_id, r.parent_asin, r.asin, r.rating, r.timestamp, r.verified_purchase)
                   AS row_key
        FROM reviews_2023 r LEFT JOIN meta_2023 m USING (parent_asin)
        WHERE r.user_id IS NOT NULL AND r.parent_asin IS NOT NULL
        """,
    )
    rows = count_of(con, "SELECT count(*) FROM events")
    _catalog_from_events(con)
    return SourceInfo(
        has_verified=True, has_users=False, rows_read=rows, malformed_rows=total_lines - rows
    )


ML100K_GENRES = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
"""The 19 genre flags at the end of each u.item line, in order."""

YEAR_IN_TITLE = r"\((\d{4})\)\s*$"


def movielens_layout(directory: Path) -> str:
    """Which MovieLens release a folder holds, by its file names."""
    if (directory / "u.data").exists():
        return "100k"
    if (directory / "ml-100k.inter").exists():
        return "100k-atomic"
    if (directory / "ratings.dat").exists():
        return "1m"
    if (directory / "ratings.csv").exists():
        return "latest"
    raise DatasetError(
        f"{directory}: not a MovieLens folder (expected u.data, ml-100k.inter, ratings.dat "
        "or ratings.csv); `watchnext data fetch movielens-100k` downloads one"
    )


MOVIELENS_FILES = {
    "100k": ("u.data", "u.item", "u.user"),
    "100k-atomic": ("ml-100k.inter", "ml-100k.item", "ml-100k.user"),
    "1m": ("ratings.dat", "movies.dat", "users.dat"),
    "latest": ("ratings.csv", "movies.csv"),
}


def _require_companions(directory: Path, layout: str) -> None:
    ratings, *companions = MOVIELENS_FILES[layout]
    missing = [name for name in companions if not (directory / name).exists()]
    if missing:
        raise DatasetError(
            f"{directory}: {', '.join(missing)} missing; a MovieLens folder with {ratings} "
            f"needs {' and '.join(companions)} beside it (copy the whole release folder)"
        )


def _split_lines(path: Path, encoding: str = "utf-8") -> str:
    """A relation of the '::'-separated fields of each line of a MovieLens 1M file."""
    return (
        f"(SELECT string_split(line, '::') AS f FROM read_csv({sql_string(path)}, "
        f"delim = '\\x01', quote = '', escape = '', header = false, encoding = '{encoding}', "
        "columns = {'line': 'VARCHAR'}))"
    )


def _movielens_relations(directory: Path, layout: str) -> tuple[str, str, str | None]:
    """SQL for (ratings, movies, users) relations of one layout, in common columns."""
    d = directory
    if layout == "100k":
        flags = ", ".join(f"column{5 + i:02d}" for i in range(len(ML100K_GENRES)))
        names = "[" + ", ".join(sql_string(g) for g in ML100K_GENRES) + "]"
        ratings = (
            f"SELECT column0::VARCHAR AS user_id, column1::VARCHAR AS item_id, "
            f"column2::DOUBLE AS rating, column3::BIGINT AS ts FROM read_csv("
            f"{sql_string(d / 'u.data')}, delim = '\\t', header = false)"
        )
        movies = (
            f"SELECT column00::VARCHAR AS item_id, column01 AS title, array_to_string("
            f"list_filter(list_transform(range(19), lambda i: CASE WHEN [{flags}][i + 1] = 1 "
            f"THEN {names}[i + 1] END), lambda g: g IS NOT NULL), '|') AS genres "
            f"FROM read_csv({sql_string(d / 'u.item')}, delim = '|', quote = '', escape = '', "
            "header = false, encoding = 'latin-1', all_varchar = false)"
        )
        users = (
            "SELECT column0::VARCHAR AS user_id, column1::INTEGER AS age, column2 AS gender, "
            f"column3 AS occupation FROM read_csv({sql_string(d / 'u.user')}, delim = '|', "
            "header = false)"
        )
        return ratings, movies, users
    if layout == "100k-atomic":
        ratings = (
            'SELECT "user_id:token"::VARCHAR AS user_id, "item_id:token"::VARCHAR AS item_id, '
            '"rating:float"::DOUBLE AS rating, "timestamp:float"::BIGINT AS ts '
            f"FROM read_csv({sql_string(d / 'ml-100k.inter')}, delim = '\\t', header = true)"
        )
        movies = (
            'SELECT "item_id:token"::VARCHAR AS item_id, '
            "\"movie_title:token_seq\" || coalesce(' (' || \"release_year:token\" || ')', '') "
            "AS title, replace(\"class:token_seq\", ' ', '|') AS genres "
            f"FROM read_csv({sql_string(d / 'ml-100k.item')}, delim = '\\t', header = true, "
            "quote = '', escape = '', all_varchar = true)"
        )
        users = (
            'SELECT "user_id:token"::VARCHAR AS user_id, "age:token"::INTEGER AS age, '
            '"gender:token" AS gender, "occupation:token" AS occupation '
            f"FROM read_csv({sql_string(d / 'ml-100k.user')}, delim = '\\t', header = true, "
            "all_varchar = true)"
        )
        return ratings, movies, users
    if layout == "1m":
        ratings = (
            "SELECT f[1] AS user_id, f[2] AS item_id, f[3]::DOUBLE AS rating, f[4]::BIGINT AS ts "
            f"FROM {_split_lines(d / 'ratings.dat')}"
        )
        movies = (
            "SELECT f[1] AS item_id, f[2] AS title, f[3] AS genres "
            f"FROM {_split_lines(d / 'movies.dat', 'latin-1')}"
        )
        users = (
            "SELECT f[1] AS user_id, f[3]::INTEGER AS age, f[2] AS gender, f[4] AS occupation "
            f"FROM {_split_lines(d / 'users.dat')}"
        )
        return ratings, movies, users
    ratings = (
        "SELECT userId::VARCHAR AS user_id, movieId::VARCHAR AS item_id, rating::DOUBLE AS "
        f"rating, timestamp::BIGINT AS ts FROM read_csv({sql_string(d / 'ratings.csv')}, "
        "header = true)"
    )
    movies = (
        "SELECT movieId::VARCHAR AS item_id, title, nullif(genres, '(no genres listed)') AS "
        f"genres FROM read_csv({sql_string(d / 'movies.csv')}, header = true, "
        "quote = '\"', escape = '\"')"
    )
    return ratings, movies, None


def read_movielens(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path], item_key: ItemKey
) -> SourceInfo:
    """MovieLens 100K (GroupLens files or RecBole's atomic files), 1M, or the ``latest``
    CSV layout, from the folder given as the input."""
    if len(paths) != 1:
        raise DatasetError("movielens takes one input: the folder holding the MovieLens files")
    if not paths[0].exists():
        raise DatasetError(
            f"{paths[0]}: no such folder; movielens takes one input: the folder holding the "
            "MovieLens files (`watchnext data fetch movielens-100k` downloads one)"
        )
    if not paths[0].is_dir():
        raise DatasetError(f"{paths[0]}: a file; movielens takes the folder holding its files")
    layout = movielens_layout(paths[0])
    _require_companions(paths[0], layout)
    ratings, movies, users = _movielens_relations(paths[0], layout)
    run(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE movies AS
        SELECT item_id, trim(title) AS title, genres,
               TRY_CAST(regexp_extract(title, '{YEAR_IN_TITLE}', 1) AS INTEGER) AS year
        FROM ({movies})
        """,
    )
    key = "coalesce(m.title, r.item_id)" if item_key == "title" else "r.item_id"
    run(
        con,
        f"""
        CREATE OR REPLACE TEMP TABLE events AS
        SELECT r.user_id, {key} AS item_id, coalesce(m.title, r.item_id) AS title, m.genres,
               r.ts, r.rating, NULL::VARCHAR AS verified,
               hash(r.user_id, r.item_id, r.rating, r.ts) AS row_key
        FROM ({ratings}) r LEFT JOIN movies m USING (item_id)
        """,
    )
    catalog_key = "title" if item_key == "title" else "item_id"
    run(
        con,
        f"""
        CREATE OR REPLACE TEMP VIEW catalog AS
        SELECT {catalog_key} AS item_id, min(title) AS title, min(genres) AS genres,
               min(year) AS year
        FROM movies GROUP BY {catalog_key}
        """,
    )
    if users:
        run(con, f"CREATE OR REPLACE TEMP TABLE people AS {users}")
    rows = count_of(con, "SELECT count(*) FROM events")
    return SourceInfo(
        has_verified=False, has_users=users is not None, rows_read=rows, malformed_rows=0
    )


READERS = {
    "amazon-tsv": read_amazon_tsv,
    "amazon-2023": read_amazon_2023,
    "movielens": read_movielens,
}
