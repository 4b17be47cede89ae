"""The review handler wired to in-memory fakes, or to boto3 clients answered by Stubber.

Shared by the warm benchmark and the cold-start child process.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.stub import Stubber

from watchnext.adapters.aws.clients import AwsClients
from watchnext.adapters.http.proxy_events import proxy_event
from watchnext.adapters.http.review_api import ReviewApi
from watchnext.bootstrap.aws import aws_review_api
from watchnext.service.review import ReviewService
from watchnext.settings import Settings

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
    ("sqs", "send_message", {"MessageId": "m-1", "MD5OfMessageBody": "0" * 32}),
    ("dynamodb", "update_item", {}),  # idempotency: store the result
)
"""The synchronous AWS round trips of one review, in order (SSM is cached after the first)."""

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


def review_event(n: int) -> dict[str, Any]:
    """A distinct review per ``n`` (distinct idempotency key), as API Gateway would send it."""
    body = {
        "user_id": f"user-{n}",
        "item_id": "Lucy",
        "event_rating": 5,
        "event_verified_purchase": "Y",
        "event_type": "RATING",
        "email_address": "viewer@example.com",
        "timestamp": 1_700_000_000 + n,
    }
    return proxy_event("POST", "/reviews", body=json.dumps(body))


@dataclass
class StubbedAws:
    api: ReviewApi
    stubbers: dict[str, Stubber]
    exit_stack: ExitStack

    def queue_one_review(self) -> None:
        for client, operation, response in AWS_CALLS_PER_REVIEW:
            self.stubbers[client].add_response(operation, response)

    def close(self) -> None:
        self.exit_stack.close()


def stubbed_aws_api() -> StubbedAws:
    clients = AwsClients.create(boto3.session.Session(region_name="us-east-1"))
    stack = ExitStack()
    stubbers = {
        name: stack.enter_context(Stubber(getattr(clients, name)))
        for name in ("personalize_events", "personalize_runtime", "dynamodb", "sqs", "ssm")
    }
    stubbers["ssm"].add_response("get_parameters_by_path", SSM_ANSWER)
    settings = Settings(
        parameter_path="/watchnext/bench",
        email_queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/email-jobs",
        idempotency_table="IdempotencyTable",
    )
    return StubbedAws(aws_review_api(settings, clients), stubbers, stack)


def fake_api(make_fakes: Callable[[], tuple[Any, Any, Any, Any]]) -> ReviewApi:
    recorder, recommender, catalog, queue = make_fakes()
    return ReviewApi(ReviewService(recorder, recommender, catalog, queue))
