"""Retention of the local stack's events: old events move into the training data.

`compact` appends the stored events older than a cut-off to the prepared dataset's
``interactions.csv`` and records which dataset version (its SHA-256) now holds them. They
stay in the event store, and keep reaching the served model, until a model trained on that
version (or a later one) is served: then the store forgets them (`forget_trained`), since
the model has them from training. Nothing an accepted review contributed is lost on the way.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from watchnext.domain.events import InteractionEvent
from watchnext.recommender.errors import RecommenderError

COLUMNS = ("USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE")


@dataclass(frozen=True)
class Compaction:
    events: int
    appended: int
    checksum: str
    """The SHA-256 of ``interactions.csv`` with the events in it."""


def append_interactions(dataset: Path, events: Iterable[InteractionEvent]) -> tuple[int, str]:
    """Add ``events`` to ``dataset/interactions.csv`` (rows it already has are not added
    twice); the file and the manifest are replaced whole. Returns (rows added, checksum)."""
    path = dataset / "interactions.csv"
    if not path.exists():
        raise RecommenderError(f"{dataset}: no interactions.csv to compact events into")
    original = path.read_bytes()
    header = next(csv.reader(io.StringIO(original.decode("utf-8").split("\n", 1)[0])))
    if tuple(header[: len(COLUMNS)]) != COLUMNS:
        raise RecommenderError(f"{path}: expected the columns {', '.join(COLUMNS)} first")
    present = {tuple(row[:3]) for row in csv.reader(io.StringIO(original.decode("utf-8")))}
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    added = 0
    for event in events:
        key = (event.user_id, event.item_id, str(int(event.timestamp.timestamp())))
        if key in present:
            continue
        present.add(key)
        extra = [""] * (len(header) - len(COLUMNS))
        writer.writerow([*key, event.event_type, f"{event.event_value:g}", *extra])
        added += 1
    content = original if original.endswith(b"\n") or not original else original + b"\n"
    content += rows.getvalue().encode("utf-8")
    _replace(path, content)
    checksum = hashlib.sha256(content).hexdigest()
    _update_manifest(dataset, content.count(b"\n") - 1, checksum)
    return added, checksum


def drop_user_interactions(dataset: Path, user_id: str) -> int:
    """Remove ``user_id``'s rows from ``dataset/interactions.csv`` (erasure); the file and
    the manifest are replaced whole, other lines kept byte for byte. Returns rows removed."""
    path = dataset / "interactions.csv"
    if not path.exists():
        return 0
    lines = path.read_bytes().decode("utf-8").splitlines(keepends=True)
    kept = lines[:1] + [line for line in lines[1:] if next(csv.reader([line]), [""])[0] != user_id]
    dropped = len(lines) - len(kept)
    if dropped:
        content = "".join(kept).encode("utf-8")
        _replace(path, content)
        _update_manifest(dataset, len(kept) - 1, hashlib.sha256(content).hexdigest())
    return dropped


def _replace(path: Path, content: bytes) -> None:
    staging = path.with_name(f".{path.name}.partial")
    with staging.open("wb") as stream:
        stream.write(content)
        stream.flush()
        os.fsync(stream.fileno())
    staging.replace(path)


def _update_manifest(dataset: Path, rows: int, checksum: str) -> None:
    manifest = dataset / "manifest.json"
    if not manifest.exists():
        return
    document = json.loads(manifest.read_text())
    document.setdefault("files", {})["interactions.csv"] = {"rows": rows, "sha256": checksum}
    _replace(manifest, (json.dumps(document, indent=2) + "\n").encode())


def cutoff(now: datetime, retention_days: int) -> datetime:
    from datetime import timedelta

    if retention_days < 1:
        raise RecommenderError("keep events at least 1 day (--older-than-days 1 or more)")
    return now - timedelta(days=retention_days)
