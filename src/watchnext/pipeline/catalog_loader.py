"""Loading ``items.csv`` from the training layout into the DynamoDB catalog table (titles for
the emails). A Lambda step of the training state machine: parsing quoted CSV and retrying
unprocessed writes is not something ASL can express.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from watchnext.pipeline.errors import PipelineError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_s3 import S3Client

REQUIRED_COLUMNS = ("ITEM_ID",)


def catalog_rows(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Catalog items from the lines of an ``items.csv`` WatchNext wrote (header first)."""
    reader = csv.DictReader(lines)
    missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or ())]
    if missing:
        raise PipelineError(f"items.csv has no {', '.join(missing)} column: {reader.fieldnames}")
    for row in reader:
        item = _catalog_item(row)
        if item:
            yield item


def _catalog_item(row: Mapping[str, str | None]) -> dict[str, Any] | None:
    item_id = (row.get("ITEM_ID") or "").strip()
    if not item_id:
        return None
    item: dict[str, Any] = {"item_id": item_id}
    if title := (row.get("TITLE") or "").strip():
        item["title"] = title
    if genres := (row.get("GENRES") or "").strip():
        item["genres"] = genres
    if (year := (row.get("YEAR") or "").strip()).isdigit():
        item["year"] = int(year)
    return item


def load_catalog(s3: S3Client, table: Table, bucket: str, key: str) -> int | None:
    """Write every item of ``s3://bucket/key`` into ``table``; None when there is no file.

    Items are upserted (a re-run rewrites them); items no longer in the file stay.
    """
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    except s3.exceptions.NoSuchKey:
        return None
    lines = codecs.iterdecode(body.iter_lines(keepends=True), "utf-8")
    count = 0
    # batch_writer groups puts by 25 and re-sends unprocessed items itself.
    with table.batch_writer(overwrite_by_pkeys=["item_id"]) as batch:
        for item in catalog_rows(lines):
            batch.put_item(Item=item)
            count += 1
    return count
