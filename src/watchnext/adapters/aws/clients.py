"""boto3 clients, built once per container with botocore's standard retry mode, and the
deadline that keeps every AWS call of an invocation inside the function's timeout."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_personalize_events import PersonalizeEventsClient
    from mypy_boto3_personalize_runtime import PersonalizeRuntimeClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient

MAX_ATTEMPTS = 3
"""Attempts per call, the first included."""
CONNECT_TIMEOUT_SECONDS = 1
READ_TIMEOUT_SECONDS = 3
ATTEMPT_SECONDS = CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS
"""The longest one attempt of one call can take."""

CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
)
"""Standard mode retries throttling and transient errors with jittered backoff."""

LONGEST_BACKOFF_SECONDS = 7
"""botocore's longest wait before the last attempt: throttling backoff ≤ 1 s * 2^(attempts-2)
plus up to 5 s more when the service sends x-amz-retry-after (botocore.retries.standard)."""
RESPONSE_SECONDS = 1
"""Enough to turn a refused attempt into a response and return it."""
DEADLINE_RESERVE_SECONDS = LONGEST_BACKOFF_SECONDS + RESPONSE_SECONDS + 2
"""Kept back from an invocation's remaining time: no attempt starts that could end later than
this before the function times out, so a slow dependency ends in a 503 with Retry-After (or a
retried job), never in a Lambda timeout. The 2 s are the margin."""

_deadline: ContextVar[float | None] = ContextVar("watchnext_aws_deadline", default=None)


class DeadlineExceededError(BotoCoreError):
    fmt = "No time is left for another AWS attempt before the function's deadline"


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """AWS calls made inside the block start no attempt that could end after ``seconds``."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


@contextmanager
def lambda_deadline(remaining_milliseconds: int) -> Iterator[None]:
    """`deadline` for a Lambda invocation: its remaining time less the reserve."""
    with deadline(remaining_milliseconds / 1000 - DEADLINE_RESERVE_SECONDS):
        yield


def _refuse_attempts_past_the_deadline(**_kwargs: Any) -> None:
    ends = _deadline.get()
    if ends is not None and time.monotonic() + ATTEMPT_SECONDS > ends:
        raise DeadlineExceededError()


def client(session: boto3.session.Session, service: str) -> Any:
    """A client with WatchNext's timeouts, retries and deadline."""
    built = session.client(service, config=CLIENT_CONFIG)  # type: ignore[call-overload]
    built.meta.events.register("before-send", _refuse_attempts_past_the_deadline)
    return built


@dataclass(frozen=True)
class AwsClients:
    personalize_events: PersonalizeEventsClient
    personalize_runtime: PersonalizeRuntimeClient
    dynamodb: DynamoDBClient
    sqs: SQSClient
    ssm: SSMClient
    session: boto3.session.Session | None = None
    _others: dict[str, Any] = field(default_factory=dict, repr=False)

    def other(self, service: str) -> Any:
        """A client for a service off the review path (built on first use, then kept)."""
        if service not in self._others:
            self._others[service] = client(self.session or boto3.session.Session(), service)
        return self._others[service]

    @classmethod
    def create(cls, session: boto3.session.Session | None = None) -> AwsClients:
        # One session: its loaders and endpoint data are shared by every client built from it.
        session = session or boto3.session.Session()
        return cls(
            personalize_events=client(session, "personalize-events"),
            personalize_runtime=client(session, "personalize-runtime"),
            dynamodb=client(session, "dynamodb"),
            sqs=client(session, "sqs"),
            ssm=client(session, "ssm"),
            session=session,
        )
