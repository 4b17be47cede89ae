"""Child process for the cold-start benchmark: time `import boto3` alone, or the handler's
import plus its first request (Stubber behind every AWS call). Prints JSON."""

from __future__ import annotations

import json
import os
import sys
import time


def main(mode: str) -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    started = time.perf_counter()
    if mode == "boto3":
        import boto3  # noqa: F401

        print(json.dumps({"import_ms": (time.perf_counter() - started) * 1e3}))
        return
    if mode == "breakdown":
        print(json.dumps({"import_ms": 0.0, **_breakdown()}))
        return
    from watchnext.entrypoints import api

    imported = time.perf_counter()
    from benchmarks.handler_stack import review_event, stubbed_aws_api
    from watchnext.adapters.http.lambda_context import LocalLambdaContext

    helpers_ms = (time.perf_counter() - imported) * 1e3
    first_started = time.perf_counter()
    stubbed = stubbed_aws_api()
    stubbed.queue_one_review()
    api._api = stubbed.api
    response = api.handler(review_event(0), LocalLambdaContext())
    finished = time.perf_counter()
    assert response["statusCode"] == 200, response
    print(
        json.dumps(
            {
                "import_ms": (imported - started) * 1e3,
                "first_call_ms": (finished - first_started) * 1e3,
                "bench_helpers_ms": helpers_ms,
            }
        )
    )


def _breakdown() -> dict[str, float]:
    """Where the handler's import time goes, each step on top of the ones before it."""
    steps = {}
    for label, module in (
        ("boto3", "boto3"),
        ("aws_xray_sdk (Tracer)", "aws_xray_sdk.core"),
        ("pydantic + email-validator", "email_validator"),
        (
            "powertools event handler + OpenAPI",
            "aws_lambda_powertools.event_handler.openapi.params",
        ),
        ("powertools idempotency", "aws_lambda_powertools.utilities.idempotency"),
        ("watchnext (models, adapters, routes)", "watchnext.bootstrap.aws"),
    ):
        started = time.perf_counter()
        __import__(module)
        steps[label] = (time.perf_counter() - started) * 1e3
    return steps


if __name__ == "__main__":
    main(sys.argv[1])
