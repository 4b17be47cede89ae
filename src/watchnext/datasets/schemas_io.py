"""Reading the schema files a prepared dataset folder carries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from watchnext.datasets.errors import DatasetError

DATASETS = ("interactions", "items", "users")


def load_schemas(directory: Path) -> dict[str, dict[str, Any]]:
    """``{name: schema}`` for every ``<name>.csv`` with its ``<name>.schema.json`` beside it."""
    if not (directory / "interactions.csv").exists():
        raise DatasetError(f"{directory}: no interactions.csv; run `watchnext prepare` first")
    found = {}
    for name in DATASETS:
        csv_path, schema_path = directory / f"{name}.csv", directory / f"{name}.schema.json"
        if csv_path.exists():
            if not schema_path.exists():
                raise DatasetError(f"{csv_path} has no {schema_path.name} beside it")
            found[name] = json.loads(schema_path.read_text())
    return found
