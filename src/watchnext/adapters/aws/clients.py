"""boto3 clients, built once per container with botocore's standard retry mode."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_personalize_events import PersonalizeEventsClient
    from mypy_boto3_personalize_runtime import PersonalizeRuntimeClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_ssm import SSMClient

MAX_ATTEMPTS = 3
"""Attempts per call, the first included."""

CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
    connect_timeout=2,
    read_timeout=5,
)
"""Standard mode retries throttling and transient errors with jittered backoff; the short
timeouts keep a slow dependency from eating the API Gateway's 29 s budget."""


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
            session = self.session or boto3.session.Session()
            self._others[service] = session.client(service, config=CLIENT_CONFIG)  # type: ignore[call-overload]
        return self._others[service]

    @classmethod
    def create(cls, session: boto3.session.Session | None = None) -> AwsClients:
        # One session: its loaders and endpoint data are shared by every client built from it.
        session = session or boto3.session.Session()
        return cls(
            personalize_events=session.client("personalize-events", config=CLIENT_CONFIG),
            personalize_runtime=session.client("personalize-runtime", config=CLIENT_CONFIG),
            dynamodb=session.client("dynamodb", config=CLIENT_CONFIG),
            sqs=session.client("sqs", config=CLIENT_CONFIG),
            ssm=session.client("ssm", config=CLIENT_CONFIG),
            session=session,
        )
