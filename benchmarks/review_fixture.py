"""One review as the benchmarks send it, and the AWS answers it gets, as plain data.

Standard library only: the cold-start child imports this before it starts its clock, so it
must not import boto3, Powertools or WatchNext.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

CAMPAIGN_ARN = "arn:aws:personalize:us-east-1:123456789012:campaign/watchnext-bench-campaign"
FILTER_ARN = "arn:aws:personalize:us-east-1:123456789012:filter/watchnext-bench-exclude-rated"
ITEMS = [f"item-{i}" for i in range(10)]

AWS_CALLS_PER_REVIEW: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("dynamodb", "put_item", {}),  # idempotency: claim the key
    ("personalize_events", "put_events", {}),
    (
        "personalize_runtime",
        "get_recommendations",
        {
            "itemList": [{"itemId": i, "score": 0.1} for i in ITEMS],
            "recommendationId": "RID-bench",
        },
    ),
    (
        "dynamodb",
        "batch_get_item",
        {
            "Responses": {
                "CatalogTable": [
                    {"item_id": {"S": i}, "title": {"S": f"Title of {i}"}} for i in ITEMS
                ]
            }
        },
    ),
    ("dynamodb", "batch_get_item", {"Responses": {"EmailStateTable": []}}),  # opt-outs
    ("sqs", "send_message", {"MessageId": "m-1", "MD5OfMessageBody": "0" * 32}),
    ("dynamodb", "update_item", {}),  # idempotency: store the result
)
"""What Stubber answers to one review, in order (SSM is cached after the first). The
benchmarks count the calls the code makes with `CallLatency`, not from this script."""

SSM_ANSWER = {
    "Parameters": [
        {"Name": f"/watchnext/bench/{name}", "Value": value, "Type": "String"}
        for name, value in {
            "campaign-arn": CAMPAIGN_ARN,
            "tracking-id": "tracking-bench",
            "filter-arn": FILTER_ARN,
            "catalog-table": "CatalogTable",
        }.items()
    ]
}


DEPLOYED_ENVIRONMENT = {
    "WATCHNEXT_PARAMETER_PATH": "/watchnext/bench",
    "WATCHNEXT_EMAIL_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/email-jobs",
    "WATCHNEXT_IDEMPOTENCY_TABLE": "IdempotencyTable",
    "WATCHNEXT_EMAIL_STATE_TABLE": "EmailStateTable",
    "WATCHNEXT_EXPERIMENT_EMAILS_TABLE": "ExperimentEmailsTable",
    "WATCHNEXT_UNSUBSCRIBE_SECRET": "arn:aws:secretsmanager:us-east-1:123456789012:secret:unsub",
    "WATCHNEXT_EMAIL_SENDER": "picks@watchnext.example.com",
}
"""The settings template.yaml gives the functions: every table, the queue and the secret."""


def review_event(n: int, rating: int = 5) -> dict[str, Any]:
    """A distinct review per ``n`` (distinct idempotency key), as API Gateway would send it."""
    body = {
        "user_id": f"user-{n}", "item_id": "Lucy", "event_rating": rating,
        "event_verified_purchase": "Y", "event_type": "RATING",
        "email_address": "viewer@example.com", "timestamp": 1_700_000_000 + n,
    }  # fmt: skip
    return {
        "resource": "/reviews", "path": "/reviews", "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": None, "stageVariables": None, "isBase64Encoded": False,
        "body": json.dumps(body),
        "requestContext": {
            "resourcePath": "/reviews", "httpMethod": "POST", "path": "/prod/reviews",
            "stage": "prod", "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": "127.0.0.1", "apiKey": "bench"}, "accountId": "123456789012",
            "apiId": "bench",
        },
    }  # fmt: skip


class LambdaContext:
    """What the handler reads of Lambda's context object."""

    function_name = "watchnext-bench"
    function_version = "1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:watchnext-bench"
    memory_limit_in_mb = 512
    aws_request_id = "bench"
    log_group_name = "/aws/lambda/watchnext-bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 25_000
