"""Mailer state in one DynamoDB table keyed by ``pk``: ``optout#<user>``, ``sent#<job>``,
``latest#<user>``; conditional writes make each decision atomic across concurrent mailers."""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SENT_RECORD_DAYS = 14  # longer than any SQS redelivery


def _conditional_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoDbEmailState:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def is_opted_out(self, user_id: str) -> bool:
        item = self._client.get_item(
            TableName=self._table, Key={"pk": {"S": f"optout#{user_id}"}}, ConsistentRead=True
        )
        return "Item" in item

    def opt_out(self, user_id: str) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={"pk": {"S": f"optout#{user_id}"}, "at": {"N": str(int(time.time()))}},
        )

    def claim(self, job_id: str) -> bool:
        expires = int(time.time()) + SENT_RECORD_DAYS * 86_400
        try:
            self._client.put_item(
                TableName=self._table,
                Item={"pk": {"S": f"sent#{job_id}"}, "expires_at": {"N": str(expires)}},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def release(self, job_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key={"pk": {"S": f"sent#{job_id}"}})

    def note_latest(self, user_id: str, job_id: str, reviewed_at: datetime) -> str:
        at = str(reviewed_at.timestamp())
        key = {"pk": {"S": f"latest#{user_id}"}}
        try:
            self._client.put_item(
                TableName=self._table,
                Item={**key, "job_id": {"S": job_id}, "reviewed_at": {"N": at}},
                ConditionExpression="attribute_not_exists(pk) OR reviewed_at <= :at",
                ExpressionAttributeValues={":at": {"N": at}},
            )
        except ClientError as error:
            if not _conditional_failed(error):
                raise
        item = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        return item["Item"]["job_id"]["S"]
