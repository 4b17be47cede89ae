"""Child process of the cold-start benchmark: one fresh interpreter per measurement. Prints
one JSON line of milliseconds.

- ``boto3``: a bare ``import boto3``.
- ``validated``: what a user would write instead of WatchNext, the fair baseline: Logger,
  ``APIGatewayRestResolver(enable_validation=True)`` validating the same review with pydantic
  (``EmailStr`` included), the same six boto3 clients built at init, and a first request that
  makes the same AWS calls with the same Stubber answers as ours.
- ``minimal``: the same without validation (no pydantic model, no ``EmailStr``), kept beside
  it.
- ``watchnext``: everything before our first response leaves: importing the Lambda handler
  (which at init reads the settings, builds the clients and the review API), then the first
  request.
- ``restore``: what a SnapStart restore leaves to do: init untimed (the snapshot holds it),
  then the after-restore hooks and the first request.

Both request paths attach Stubber to the clients and queue the answers inside the timed
window: the same harness work on both sides.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks.review_fixture import (
    AWS_CALLS_PER_REVIEW,
    DEPLOYED_ENVIRONMENT,
    SSM_ANSWER,
    LambdaContext,
    review_event,
)

REVIEW_CLIENTS = ("personalize_events", "personalize_runtime", "dynamodb", "sqs", "ssm")
SERVICES = {
    "personalize_events": "personalize-events", "personalize_runtime": "personalize-runtime",
    "dynamodb": "dynamodb", "sqs": "sqs", "ssm": "ssm", "secretsmanager": "secretsmanager",
}  # fmt: skip


def deployed_environment() -> dict[str, str]:
    """The variables template.yaml gives the review function (fake credentials)."""
    return {
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench", "POWERTOOLS_SERVICE_NAME": "watchnext",
        "POWERTOOLS_METRICS_NAMESPACE": "WatchNext", "POWERTOOLS_LOG_LEVEL": "WARNING",
        **DEPLOYED_ENVIRONMENT,
    }  # fmt: skip


def _stub(clients: dict[str, Any]) -> list[Any]:
    from botocore.stub import Stubber

    stubbers = {name: Stubber(clients[name]) for name in REVIEW_CLIENTS}
    for stubber in stubbers.values():
        stubber.activate()
    stubbers["ssm"].add_response("get_parameters_by_path", SSM_ANSWER)
    for name, operation, response in AWS_CALLS_PER_REVIEW:
        stubbers[name].add_response(operation, response)
    return list(stubbers.values())


def _first_request(handler: Callable[..., dict[str, Any]], clients: dict[str, Any]) -> float:
    """Milliseconds to answer one review, Stubber attached to ``clients`` inside the window."""
    started = time.perf_counter()
    stubbers = _stub(clients)
    response = handler(review_event(0), LambdaContext())
    elapsed = (time.perf_counter() - started) * 1e3
    assert response["statusCode"] == 200, response
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
    return elapsed


def watchnext() -> dict[str, float]:
    started = time.perf_counter()
    from watchnext.entrypoints import api

    init_ms = (time.perf_counter() - started) * 1e3
    clients = {name: getattr(api.clients, name) for name in REVIEW_CLIENTS}
    return {"init_ms": init_ms, "first_call_ms": _first_request(api.handler, clients)}


def restore() -> dict[str, float]:
    import snapshot_restore_py

    from watchnext.entrypoints import api

    started = time.perf_counter()
    for hook, args, kwargs in snapshot_restore_py.get_after_restore():
        hook(*args, **kwargs)
    hooks_ms = (time.perf_counter() - started) * 1e3
    clients = {name: getattr(api.clients, name) for name in REVIEW_CLIENTS}
    return {"hooks_ms": hooks_ms, "first_call_ms": _first_request(api.handler, clients)}


def minimal() -> dict[str, float]:
    started = time.perf_counter()
    import boto3
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from botocore.config import Config

    logger = Logger()
    resolver = APIGatewayRestResolver()
    session = boto3.session.Session()
    config = Config(retries={"mode": "standard", "total_max_attempts": 3})
    clients = {name: session.client(service, config=config) for name, service in SERVICES.items()}  # type: ignore[call-overload]

    @resolver.post("/reviews")
    def post_review() -> dict[str, Any]:
        review = json.loads(resolver.current_event.body or "{}")
        return _the_same_calls(clients, review)

    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return resolver.resolve(event, context)

    init_ms = (time.perf_counter() - started) * 1e3
    return {"init_ms": init_ms, "first_call_ms": _first_request(handler, clients)}


def validated() -> dict[str, float]:
    started = time.perf_counter()
    from datetime import datetime
    from typing import Annotated, Literal

    import boto3
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.event_handler.openapi.params import Body
    from botocore.config import Config
    from pydantic import BaseModel, EmailStr, Field

    class Review(BaseModel):
        user_id: str = Field(min_length=1, max_length=256)
        item_id: str = Field(min_length=1, max_length=256)
        event_rating: int = Field(ge=1, le=5)
        event_verified_purchase: Literal["Y", "N"]
        event_type: Literal["RATING", "CLICK"] = "RATING"
        email_address: EmailStr
        timestamp: datetime

    logger = Logger()
    resolver = APIGatewayRestResolver(enable_validation=True)
    session = boto3.session.Session()
    config = Config(retries={"mode": "standard", "total_max_attempts": 3})
    clients = {name: session.client(service, config=config) for name, service in SERVICES.items()}  # type: ignore[call-overload]

    def post_review(review: Review) -> dict[str, Any]:
        return _the_same_calls(clients, review.model_dump(mode="json"))

    # Real objects: this module's annotations are strings, and Review is local.
    post_review.__annotations__ = {"review": Annotated[Review, Body()], "return": dict}
    resolver.post("/reviews")(post_review)

    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return resolver.resolve(event, context)

    init_ms = (time.perf_counter() - started) * 1e3
    return {"init_ms": init_ms, "first_call_ms": _first_request(handler, clients)}


def _the_same_calls(clients: dict[str, Any], review: dict[str, Any]) -> dict[str, Any]:
    """Our review's AWS calls, in our order, with plain boto3 and no validation."""
    user, table = review["user_id"], {"S": "x"}
    clients["ssm"].get_parameters_by_path(Path=DEPLOYED_ENVIRONMENT["WATCHNEXT_PARAMETER_PATH"])
    clients["dynamodb"].put_item(TableName="IdempotencyTable", Item={"id": table})
    clients["personalize_events"].put_events(
        trackingId="tracking-bench", sessionId=user,
        eventList=[{"eventType": "RATING", "sentAt": review["timestamp"]}],
    )  # fmt: skip
    ranked = clients["personalize_runtime"].get_recommendations(
        campaignArn="arn:aws:personalize:us-east-1:123456789012:campaign/c", userId=user
    )
    ids = [{"item_id": {"S": item["itemId"]}} for item in ranked["itemList"]]
    clients["dynamodb"].batch_get_item(RequestItems={"CatalogTable": {"Keys": ids}})
    opt_out_keys = [{"pk": {"S": key}} for key in ("address", "user")]
    clients["dynamodb"].batch_get_item(RequestItems={"EmailStateTable": {"Keys": opt_out_keys}})
    clients["sqs"].send_message(
        QueueUrl=DEPLOYED_ENVIRONMENT["WATCHNEXT_EMAIL_QUEUE_URL"], MessageBody="{}"
    )
    clients["dynamodb"].update_item(TableName="IdempotencyTable", Key={"id": table})
    return {"user_id": user, "recommendations": ranked["itemList"]}


def boto3_import() -> dict[str, float]:
    started = time.perf_counter()
    import boto3  # noqa: F401

    return {"init_ms": (time.perf_counter() - started) * 1e3, "first_call_ms": 0.0}


MODES = {
    "boto3": boto3_import, "minimal": minimal, "validated": validated, "watchnext": watchnext,
    "restore": restore,
}  # fmt: skip

if __name__ == "__main__":
    os.environ.update(deployed_environment())
    print(json.dumps(MODES[sys.argv[1]]()))
