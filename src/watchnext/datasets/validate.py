"""Personalize's import rules, checked on the written CSVs before anyone pays for an import.

Each failure names the rule and shows a few offending rows (line numbers count the header
as line 1).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from watchnext.datasets.engine import count_of, run, scalar, sql_string
from watchnext.datasets.schemas import AVRO_TO_CHECK

MIN_INTERACTIONS = 1000
MIN_USERS_WITH_TWO = 25
MAX_ID_LENGTH = 256
MAX_CATEGORICAL_LENGTH = 1000
EXAMPLES = 5


@dataclass
class Failure:
    file: str
    rule: str
    detail: str
    examples: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.file}: {self.rule}: {self.detail}"]
        lines.extend(f"    {example}" for example in self.examples)
        return "\n".join(lines)


@dataclass
class Validation:
    failures: list[Failure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "failures": [asdict(f) for f in self.failures]}


def _avro_type(field_spec: dict[str, Any]) -> tuple[str, bool]:
    kind = field_spec["type"]
    if isinstance(kind, list):
        return next(k for k in kind if k != "null"), "null" in kind
    return kind, False


def _load(
    con: duckdb.DuckDBPyConnection, path: Path, schema: dict[str, Any], table: str
) -> list[Failure]:
    """Read ``path`` strictly as RFC 4180 CSV with the schema's columns and types."""
    names = [f["name"] for f in schema["fields"]]
    header = path.open(encoding="utf-8", newline="").readline().rstrip("\r\n").split(",")
    if header != names:
        return [
            Failure(path.name, "header matches the schema", f"expected {names}, found {header}")
        ]
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    try:
        run(
            con,
            f"""CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM read_csv({sql_string(path)},
                header = true, delim = ',', quote = '"', escape = '"', columns = {columns},
                auto_detect = false, strict_mode = true, ignore_errors = true,
                store_rejects = true, rejects_table = '{table}_rejects',
                rejects_scan = '{table}_scans')""",
        )
    except duckdb.Error as error:
        reason = str(error).splitlines()[0]
        return [Failure(path.name, "the file is well-formed CSV (quoting)", reason)]
    failures = []
    rejects = run(
        con,
        f"SELECT line, error_type, csv_line FROM {table}_rejects ORDER BY line LIMIT {EXAMPLES}",
    )
    if rejects:
        total = scalar(con, f"SELECT count(DISTINCT line) FROM {table}_rejects")
        failures.append(
            Failure(
                path.name,
                "every row is well-formed CSV with the schema's columns (quoting)",
                f"{total} rows could not be parsed",
                [f"line {line}: {kind}: {text[:120]!r}" for line, kind, text in rejects],
            )
        )
    for spec in schema["fields"]:
        kind, nullable = _avro_type(spec)
        name = spec["name"]
        check = AVRO_TO_CHECK[kind]
        condition = f'"{name}" IS NULL OR "{name}" = \'\'' if not nullable else "false"
        if check != "VARCHAR":
            condition += f' OR ("{name}" <> \'\' AND TRY_CAST("{name}" AS {check}) IS NULL)'
        rule = f"{name} is a {kind}" + ("" if nullable else " and never empty")
        failures.extend(_offending(con, table, path.name, rule, condition, name))
    return failures


def _offending(
    con: duckdb.DuckDBPyConnection, table: str, file: str, rule: str, condition: str, column: str
) -> list[Failure]:
    total = scalar(con, f"SELECT count(*) FROM {table} WHERE {condition}")
    if not total:
        return []
    rows = run(
        con,
        f'SELECT "{column}" FROM {table} WHERE {condition} LIMIT {EXAMPLES}',
    )
    return [
        Failure(file, rule, f"{total} rows break it", [f"{column}={r[0]!r}"[:160] for r in rows])
    ]


def validate_dataset(directory: Path, schemas: dict[str, dict[str, Any]]) -> Validation:
    """Check each ``<name>.csv`` in ``directory`` against ``schemas[name]`` and the rules."""
    con = duckdb.connect(":memory:")
    result = Validation()
    for name, schema in schemas.items():
        path = directory / f"{name}.csv"
        failures = _load(con, path, schema, name)
        result.failures.extend(failures)
        if any(f.rule.startswith("header") for f in failures):
            continue
        id_column = "USER_ID" if name == "users" else "ITEM_ID"
        checks = (
            [("ITEM_ID", id_column)]
            if name != "interactions"
            else [("USER_ID", "USER_ID"), ("ITEM_ID", "ITEM_ID")]
        )
        for _, column in checks:
            result.failures.extend(
                _offending(
                    con,
                    name,
                    path.name,
                    f"{column} has at most {MAX_ID_LENGTH} characters",
                    f'length("{column}") > {MAX_ID_LENGTH}',
                    column,
                )
            )
        if name in ("items", "users"):
            duplicates = scalar(con, f'SELECT count(*) - count(DISTINCT "{id_column}") FROM {name}')
            if duplicates:
                result.failures.append(
                    Failure(path.name, f"{id_column} is unique", f"{duplicates} repeated ids")
                )
        for spec in schema["fields"]:
            if spec.get("categorical"):
                result.failures.extend(
                    _offending(
                        con,
                        name,
                        path.name,
                        f"categorical {spec['name']} values have at most "
                        f"{MAX_CATEGORICAL_LENGTH} characters",
                        f"""list_max(list_transform(string_split("{spec["name"]}", '|'),
                            lambda v: length(v))) > {MAX_CATEGORICAL_LENGTH}""",
                        spec["name"],
                    )
                )
        if name == "interactions":
            result.failures.extend(_interaction_rules(con, path.name))
    con.close()
    return result


def _interaction_rules(con: duckdb.DuckDBPyConnection, file: str) -> list[Failure]:
    failures = []
    count = count_of(con, "SELECT count(*) FROM interactions")
    if count < MIN_INTERACTIONS:
        failures.append(
            Failure(file, f"at least {MIN_INTERACTIONS:,} interactions", f"found {count:,}")
        )
    users_with_two = count_of(
        con,
        "SELECT count(*) FROM (SELECT USER_ID FROM interactions GROUP BY USER_ID "
        "HAVING count(*) >= 2)",
    )
    if users_with_two < MIN_USERS_WITH_TWO:
        failures.append(
            Failure(
                file,
                f"at least {MIN_USERS_WITH_TWO} users with 2 or more interactions",
                f"found {users_with_two}",
            )
        )
    latest = int(time.time()) + 86_400
    failures.extend(
        _offending(
            con,
            "interactions",
            file,
            "TIMESTAMP is Unix epoch seconds (not milliseconds, not in the future)",
            f"TRY_CAST(TIMESTAMP AS BIGINT) < 0 OR TRY_CAST(TIMESTAMP AS BIGINT) > {latest}",
            "TIMESTAMP",
        )
    )
    return failures
