"""Titles for item ids from the DynamoDB catalog table that the data pipeline loads."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from watchnext.domain.recommendation import CatalogItem
from watchnext.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH_GET_LIMIT = 100
UNPROCESSED_RETRIES = 3


class DynamoDBCatalog:
    """Batch reads of ``item_id`` → ``title``/``genres``.

    Titles are cosmetic: a missing table, a missing item or a DynamoDB failure degrades to
    the id as the title rather than failing the review.
    """

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: Callable[[], str | None],
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._table_name = table_name
        self._sleep = sleep

    def lookup(self, item_ids: Iterable[str]) -> Mapping[str, CatalogItem]:
        ids = list(dict.fromkeys(item_ids))
        table = self._table_name()
        if not ids or not table:
            return {}
        found: dict[str, CatalogItem] = {}
        try:
            for start in range(0, len(ids), BATCH_GET_LIMIT):
                found.update(self._batch_get(table, ids[start : start + BATCH_GET_LIMIT]))
        except (ClientError, BotoCoreError) as error:
            logger.warning(
                "Catalog lookup failed; using ids as titles",
                extra={"table": table, "error": type(error).__name__},
            )
        return found

    def _batch_get(self, table: str, ids: Iterable[str]) -> dict[str, CatalogItem]:
        request: Any = {
            table: {
                "Keys": [{"item_id": {"S": item_id}} for item_id in ids],
                "ProjectionExpression": "item_id, title, genres",
            }
        }
        found: dict[str, CatalogItem] = {}
        for attempt in range(UNPROCESSED_RETRIES + 1):
            response = self._client.batch_get_item(RequestItems=request)
            for row in response.get("Responses", {}).get(table, []):
                item = _catalog_item(row)
                found[item.item_id] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            if attempt < UNPROCESSED_RETRIES:
                self._sleep(0.05 * 2**attempt)
        return found


def _catalog_item(row: Mapping[str, Any]) -> CatalogItem:
    item_id = row["item_id"]["S"]
    title = row.get("title", {}).get("S") or item_id
    # The pipeline's catalog loader writes genres as one string, '|'-separated.
    genres = row.get("genres", {}).get("S", "")
    return CatalogItem(
        item_id=item_id, title=title, genres=tuple(part for part in genres.split("|") if part)
    )
