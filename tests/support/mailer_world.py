"""The mailer's world: moto's DynamoDB and SQS as template.yaml builds them, its clients acting
as the mailer's role, and a `JobHandler` over them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws

from tests.support import resource
from tests.support.aws_account import AwsAccount
from tests.support.deployment import create_table, sqs_records
from tests.support.stack import Stack
from watchnext.adapters.aws.email_jobs import JobHandler
from watchnext.adapters.aws.email_state import DynamoDbEmailState
from watchnext.service.delivery import Delivery

KEY = b"s" * 32
SENDER = "picks@watchnext.example.com"
TEMPLATE = "watchnext-test-recommendations"


class World:
    def __init__(self, account: AwsAccount) -> None:
        self.account = account
        admin = boto3.session.Session(region_name="us-east-1")
        create_table(
            admin.client("dynamodb"), "EmailStateTable", resource("EmailStateTable")["Properties"]
        )
        self.admin_sqs = admin.client("sqs")
        self.queue_url = self.admin_sqs.create_queue(QueueName="EmailJobQueue")["QueueUrl"]
        with account.acting_as("MailerFunction"):
            session = boto3.session.Session(region_name="us-east-1")
            self.dynamodb = session.client("dynamodb")
            self.sqs = session.client("sqs")
            self.ses = session.client("sesv2")
            self.pinpoint = session.client("pinpoint")
        self.state = DynamoDbEmailState(self.dynamodb, "EmailStateTable")

    def handler(
        self, mailer: Any, cooldown: int = 0, claim_lease_seconds: float = 120.0
    ) -> JobHandler:
        delivery = Delivery(
            mailer=mailer, state=self.state, unsubscribe_base_url="https://api.example.com/prod",
            signing_key=lambda: KEY, cooldown_seconds=cooldown,
            claim_lease_seconds=claim_lease_seconds,
        )  # fmt: skip
        return JobHandler(delivery, self.sqs, self.queue_url)

    def receive(self, bodies: list[str]) -> dict[str, Any]:
        """Put the bodies on the queue and receive them as the Lambda event would carry them."""
        for body in bodies:
            self.admin_sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)
        messages = self.admin_sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
        )["Messages"]
        queue_arn = "arn:aws:sqs:us-east-1:123456789012:EmailJobQueue"
        return {"Records": sqs_records(messages, queue_arn)}


@contextmanager
def mailer_world(parameters: dict[str, str] | None = None) -> Iterator[World]:
    """moto with the mailer's role enforced; fails on any call AWS would refuse."""
    account = AwsAccount(Stack(parameters or {}))
    with mock_aws(), account.opened():
        yield World(account)
        account.assert_allowed()
