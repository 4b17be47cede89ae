"""The review handler wired to in-memory fakes, or to boto3 clients answered by Stubber.

Shared by the warm benchmark and the cold-start child process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.stub import Stubber

from benchmarks.review_fixture import (
    AWS_CALLS_PER_REVIEW,
    DEPLOYED_ENVIRONMENT,
    SSM_ANSWER,
)
from benchmarks.review_fixture import review_event as review_event
from watchnext.adapters.aws.clients import AwsClients
from watchnext.adapters.http.lambda_context import LocalLambdaContext
from watchnext.adapters.http.review_api import ReviewApi
from watchnext.bootstrap.aws import aws_review_api
from watchnext.bootstrap.aws_mailer import aws_job_handler
from watchnext.service.delivery import Delivery
from watchnext.service.review import ReviewService
from watchnext.settings import Settings

MAILER_CALLS_PER_EMAIL: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("dynamodb", "batch_get_item", {"Responses": {"EmailStateTable": []}}),  # opt-outs
    ("dynamodb", "put_item", {}),  # claim the job
    ("dynamodb", "update_item", {}),  # count it against its address's limit
    ("sesv2", "send_email", {"MessageId": "ses-1"}),
    ("dynamodb", "update_item", {}),  # mark it sent
)
"""What Stubber answers to one email job (cooldown off; the key is read once, then cached)."""

DEPLOYED = Settings.model_validate(
    {name.removeprefix("WATCHNEXT_").lower(): value for name, value in DEPLOYED_ENVIRONMENT.items()}
)


@dataclass
class CallLatency:
    """Sleeps ``seconds`` before every AWS call of the clients it is attached to, and counts
    them: the figures report what the code called, whatever Stubber was told to expect."""

    seconds: float = 0.0
    calls: int = 0
    names: list[str] = field(default_factory=list)

    def attach(self, client: Any) -> None:
        client.meta.events.register_first("before-call.*.*", self._before_call)

    def _before_call(self, model: Any, **_: Any) -> None:
        self.calls += 1
        self.names.append(model.name)
        if self.seconds:
            time.sleep(self.seconds)


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


def timed_reviews(latency: CallLatency, reviews: int, skip: int) -> tuple[list[float], list[int]]:
    """Seconds and AWS calls of each review through the stubbed API, after the first ``skip``
    (the very first also reads the SSM parameters, cached afterwards)."""
    stubbed = stubbed_aws_api()
    for stubber in stubbed.stubbers.values():
        latency.attach(stubber.client)
    context = LocalLambdaContext(timeout_seconds=3600)
    samples, calls = [], []
    try:
        for n in range(skip + reviews):
            stubbed.queue_one_review()
            before = latency.calls
            started = time.perf_counter()
            response = stubbed.api.handle(review_event(n), context)
            elapsed = time.perf_counter() - started
            assert response["statusCode"] == 200, response
            if n >= skip:
                samples.append(elapsed)
                calls.append(latency.calls - before)
        for stubber in stubbed.stubbers.values():
            stubber.assert_no_pending_responses()
    finally:
        stubbed.close()
    return samples, calls


def stubbed_aws_api() -> StubbedAws:
    clients = AwsClients.create(boto3.session.Session(region_name="us-east-1"))
    stack = ExitStack()
    stubbers = {
        name: stack.enter_context(Stubber(getattr(clients, name)))
        for name in ("personalize_events", "personalize_runtime", "dynamodb", "sqs", "ssm")
    }
    stubbers["ssm"].add_response("get_parameters_by_path", SSM_ANSWER)
    return StubbedAws(aws_review_api(DEPLOYED, clients), stubbers, stack)


@dataclass
class StubbedMailer:
    delivery: Delivery
    stubbers: dict[str, Stubber]
    exit_stack: ExitStack

    def queue_one_email(self) -> None:
        for client, operation, response in MAILER_CALLS_PER_EMAIL:
            self.stubbers[client].add_response(operation, response)

    def queue_batch(self, emails: int) -> None:
        """The answers for `Delivery.deliver_all` of ``emails`` jobs: every claim first, then
        each send and its mark (the same operations, so the pool's order does not matter)."""
        claims, sends = MAILER_CALLS_PER_EMAIL[:3], MAILER_CALLS_PER_EMAIL[3:]
        for calls in (claims, sends):
            for _ in range(emails):
                for client, operation, response in calls:
                    self.stubbers[client].add_response(operation, response)

    def close(self) -> None:
        self.exit_stack.close()


def stubbed_mailer() -> StubbedMailer:
    """The mailer as deployed (SES v2), every AWS call answered by Stubber."""
    clients = AwsClients.create(boto3.session.Session(region_name="us-east-1"))
    stack = ExitStack()
    stubbers = {
        "dynamodb": stack.enter_context(Stubber(clients.dynamodb)),
        "sqs": stack.enter_context(Stubber(clients.sqs)),
        "sesv2": stack.enter_context(Stubber(clients.other("sesv2"))),
        "secretsmanager": stack.enter_context(Stubber(clients.other("secretsmanager"))),
    }
    stubbers["secretsmanager"].add_response(
        "get_secret_value", {"SecretString": "k" * 32, "Name": "unsubscribe"}
    )
    return StubbedMailer(aws_job_handler(DEPLOYED, clients).delivery, stubbers, stack)


def fake_api(make_fakes: Callable[[], tuple[Any, Any, Any, Any]]) -> ReviewApi:
    recorder, recommender, catalog, queue = make_fakes()
    return ReviewApi(ReviewService(recorder, recommender, catalog, queue))
