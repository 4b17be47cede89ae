"""The one reader of a prepared dataset's ``items.csv`` (ITEM_ID, TITLE, GENRES, YEAR), used by
the pipeline's catalog loader, the web app and the local recommender.

It takes lines, not a path, so the same code reads a local file and an S3 object's stream.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from watchnext.errors import WatchNextError

GENRE_SEPARATOR = "|"  # Personalize's categorical separator, as `watchnext prepare` writes it


class ItemsFileError(WatchNextError):
    """The file is not an items.csv WatchNext wrote."""


@dataclass(frozen=True, slots=True)
class ItemRow:
    item_id: str
    title: str | None
    genres: tuple[str, ...]
    year: int | None

    @property
    def display_title(self) -> str:
        return self.title or self.item_id


def read_items(lines: Iterable[str]) -> Iterator[ItemRow]:
    """Each row with an ITEM_ID, whitespace trimmed and empty fields as None or ()."""
    reader = csv.DictReader(lines)
    if "ITEM_ID" not in (reader.fieldnames or ()):
        raise ItemsFileError(f"items.csv has no ITEM_ID column: {reader.fieldnames}")
    for row in reader:
        item_id = (row.get("ITEM_ID") or "").strip()
        if not item_id:
            continue
        genres = (row.get("GENRES") or "").strip()
        year = (row.get("YEAR") or "").strip()
        yield ItemRow(
            item_id=item_id,
            title=(row.get("TITLE") or "").strip() or None,
            genres=tuple(g for g in genres.split(GENRE_SEPARATOR) if g) if genres else (),
            year=int(year) if year.isdigit() else None,
        )
