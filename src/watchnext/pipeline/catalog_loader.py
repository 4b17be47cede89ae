"""Loading ``items.csv`` from the training layout into the DynamoDB catalog table (titles for
the emails). A Lambda step of the training state machine: parsing quoted CSV and retrying
unprocessed writes is not something ASL can express.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from watchnext.domain.items_file import GENRE_SEPARATOR, ItemsFileError, read_items
from watchnext.pipeline.errors import PipelineError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table
    from mypy_boto3_s3 import S3Client


def catalog_rows(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Catalog items (DynamoDB attributes) from the lines of an ``items.csv``."""
    try:
        for row in read_items(lines):
            item: dict[str, Any] = {"item_id": row.item_id}
            if row.title:
                item["title"] = row.title
            if row.genres:
                item["genres"] = GENRE_SEPARATOR.join(row.genres)
            if row.year is not None:
                item["year"] = row.year
            yield item
    except ItemsFileError as error:
        raise PipelineError(str(error)) from None


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
