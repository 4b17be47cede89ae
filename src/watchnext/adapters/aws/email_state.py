"""Mailer state in one DynamoDB table keyed by ``pk``: ``optout-address#<address>`` (and
``optout#<user>`` from links sent before opt-outs were kept by address), ``sent#<job>``
(``sending`` with a lease, then ``sent``), ``latest#<user>``, ``click#<click id>`` (a followed
pick link, until it expires), ``rate#<address>#<window>`` (emails to an address in a window,
until it ends); conditional writes make each decision atomic across concurrent
mailers and clicks."""

from __future__ import annotations

import time
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from watchnext.adapters.aws.errors import aws_errors_as_unavailable
from watchnext.domain.email import Recipient, address_key
from watchnext.errors import ServiceUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SENT_RECORD_DAYS = 14  # longer than any SQS redelivery
SENDING, SENT = "sending", "sent"
RETRY_SECONDS = 5
UNPROCESSED_ATTEMPTS = 3
"""BatchGetItem may leave keys unread under throttling: ask again for those, this often."""


def _conditional_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoDbEmailState:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def batch(self) -> AbstractContextManager[object]:
        return nullcontext()  # every call is its own conditional write

    def is_opted_out(self, address: str, user_id: str) -> bool:
        """Both opt-out keys in one round trip (BatchGetItem), on the review path too, where a
        failure must be a 503 to retry, not a 500."""
        keys: list[Any] = [{"pk": {"S": key}} for key in Recipient.keys_for(address, user_id)]
        with aws_errors_as_unavailable("email opt-out table", retry_after_seconds=RETRY_SECONDS):
            for _ in range(UNPROCESSED_ATTEMPTS):
                answer = self._client.batch_get_item(
                    RequestItems={
                        self._table: {
                            "Keys": keys,
                            "ConsistentRead": True,
                            "ProjectionExpression": "pk",
                        }
                    }
                )
                if answer.get("Responses", {}).get(self._table):
                    return True
                unread = answer.get("UnprocessedKeys", {}).get(self._table)
                keys = list(unread["Keys"]) if unread else []
                if not keys:
                    return False
        raise ServiceUnavailableError(
            "The email opt-out table left keys unread; retry later.",
            retry_after_seconds=RETRY_SECONDS,
        )

    def opt_out(self, recipient: Recipient) -> None:
        with aws_errors_as_unavailable("email opt-out table", retry_after_seconds=RETRY_SECONDS):
            self._client.put_item(
                TableName=self._table,
                Item={"pk": {"S": recipient.key}, "at": {"N": str(int(time.time()))}},
            )

    def opt_in(self, recipient: Recipient) -> None:
        with aws_errors_as_unavailable("email opt-out table", retry_after_seconds=RETRY_SECONDS):
            self._client.delete_item(TableName=self._table, Key={"pk": {"S": recipient.key}})

    def claim(self, job_id: str, lease_seconds: float) -> bool:
        now = time.time()
        expires = int(now) + SENT_RECORD_DAYS * 86_400
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": f"sent#{job_id}"},
                    "status": {"S": SENDING},
                    "lease_until": {"N": str(now + lease_seconds)},
                    "expires_at": {"N": str(expires)},
                },
                # A record without status (older mailers) counts as sent.
                ConditionExpression=(
                    "attribute_not_exists(pk) OR (#status = :sending AND lease_until < :now)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":sending": {"S": SENDING}, ":now": {"N": str(now)}},
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

    def was_sent(self, job_id: str) -> bool:
        item = self._client.get_item(
            TableName=self._table, Key={"pk": {"S": f"sent#{job_id}"}}, ConsistentRead=True
        ).get("Item")
        # A record without status (older mailers) counts as sent.
        return item is not None and item.get("status", {}).get("S") != SENDING

    def mark_sent(self, job_id: str) -> None:
        self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": f"sent#{job_id}"}},
            UpdateExpression="SET #status = :sent REMOVE lease_until",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":sent": {"S": SENT}},
        )

    def release(self, job_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key={"pk": {"S": f"sent#{job_id}"}})

    def first_use(self, click_id: str, expires_at: float) -> bool:
        """A ``click#`` item per followed link; TTL removes it once the link has expired
        (TTL deletes late, so an expired item counts as absent)."""
        item = {"pk": {"S": f"click#{click_id}"}, "expires_at": {"N": str(int(expires_at))}}
        with aws_errors_as_unavailable("email state table", retry_after_seconds=RETRY_SECONDS):
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                    ExpressionAttributeValues={":now": {"N": str(int(time.time()))}},
                )
            except ClientError as error:
                if _conditional_failed(error):
                    return False
                raise
        return True

    def forget_use(self, click_id: str) -> None:
        with aws_errors_as_unavailable("email state table", retry_after_seconds=RETRY_SECONDS):
            self._client.delete_item(TableName=self._table, Key={"pk": {"S": f"click#{click_id}"}})

    def take_send_slot(self, address: str, limit: int, window_seconds: int, now: float) -> bool:
        window = int(now // window_seconds)
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": f"rate#{address_key(address)}#{window}"}},
                UpdateExpression="ADD sends :one SET expires_at = :ends",
                ConditionExpression="attribute_not_exists(sends) OR sends < :limit",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(limit)},
                    ":ends": {"N": str((window + 1) * window_seconds)},
                },
            )
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True

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
