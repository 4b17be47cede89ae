"""The deployed stack in miniature: moto's SQS, DynamoDB and SSM built from template.yaml,
and Personalize through botocore's Stubber (moto has no Personalize runtime or events).

The review function's clients are created as its role (`tests.support.aws_account`): a call
its policy in template.yaml does not allow is refused as AWS would, and fails the test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.stub import Stubber
from moto import mock_aws

from tests.support import resource, template
from tests.support.aws_account import AwsAccount
from tests.support.deployment import create_table
from tests.support.service_rules import columns_of
from watchnext.adapters.aws.clients import AwsClients
from watchnext.adapters.http.review_api import ReviewApi
from watchnext.bootstrap.aws import aws_review_api
from watchnext.datasets.schemas import interactions_schema
from watchnext.pipeline.catalog_loader import catalog_rows
from watchnext.service.ports import MetricsSink
from watchnext.settings import Settings

STAGE = "test"
PARAMETER_PATH = f"/watchnext/{STAGE}"
ACCOUNT = "123456789012"
CAMPAIGN_ARN = f"arn:aws:personalize:us-east-1:{ACCOUNT}:campaign/watchnext-{STAGE}-campaign"
FILTER_ARN = f"arn:aws:personalize:us-east-1:{ACCOUNT}:filter/watchnext-{STAGE}-exclude-rated"
TRACKING_ID = "0f6d1c2e-5f1a-4b7e-9d2c-3a4b5c6d7e8f"
CATALOG = {"Lucy": "Lucy (2014)", "Arrival": "Arrival (2016)", "Her": "Her (2013)"}
GENRES = {"Lucy": "Sci-Fi|Action", "Arrival": "Sci-Fi|Drama", "Her": "Romance|Drama"}


@dataclass
class AwsWorld:
    clients: AwsClients
    events: Stubber
    runtime: Stubber
    queue_url: str
    table_names: dict[str, str]
    account: AwsAccount
    admin: AwsClients

    def api(self, metrics_sink: MetricsSink | None = None, **overrides: Any) -> ReviewApi:
        settings = Settings(
            parameter_path=PARAMETER_PATH,
            email_queue_url=self.queue_url,
            idempotency_table=self.table_names["IdempotencyTable"],
            **overrides,
        )
        return aws_review_api(settings, self.clients, metrics_sink=metrics_sink)

    def publish(self, **values: str) -> None:
        """What the training pipeline does: overwrite the SSM placeholders."""
        for name, value in values.items():
            self.admin.ssm.put_parameter(
                Name=f"{PARAMETER_PATH}/{name.replace('_', '-')}",
                Value=value,
                Type="String",
                Overwrite=True,
            )

    def publish_all(self, **more: str) -> None:
        """Everything a training run publishes for the review function (and ``more``)."""
        self.publish(
            campaign_arn=CAMPAIGN_ARN,
            tracking_id=TRACKING_ID,
            filter_arn=FILTER_ARN,
            event_properties='["eventVerifiedPurchase"]',
            **more,
        )

    def queued_jobs(self) -> list[dict[str, Any]]:
        messages = self.admin.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]


def _create_tables(clients: AwsClients) -> dict[str, str]:
    names = {}
    for logical_id, spec in template()["Resources"].items():
        if spec["Type"] != "AWS::DynamoDB::Table":
            continue
        create_table(clients.dynamodb, logical_id, spec["Properties"])
        names[logical_id] = logical_id
    return names


def _create_parameters(clients: AwsClients, table_names: dict[str, str]) -> None:
    for spec in template()["Resources"].values():
        if spec["Type"] != "AWS::SSM::Parameter":
            continue
        props = spec["Properties"]
        name = props["Name"]["Fn::Sub"].replace("${Stage}", STAGE)
        value = props["Value"]
        if isinstance(value, dict):
            value = table_names[value["Ref"]]
        clients.ssm.put_parameter(Name=name, Value=value, Type=props["Type"])


def _create_queue(clients: AwsClients) -> str:
    dlq_url = clients.sqs.create_queue(QueueName="EmailJobDeadLetterQueue")["QueueUrl"]
    dlq_arn = clients.sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    max_receives = template()["Parameters"]["EmailJobMaxReceiveCount"]["Default"]
    redrive = {
        "deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"],
        "maxReceiveCount": max_receives,
    }
    return clients.sqs.create_queue(
        QueueName="EmailJobQueue", Attributes={"RedrivePolicy": json.dumps(redrive)}
    )["QueueUrl"]


def _load_catalog(clients: AwsClients, table: str) -> None:
    """The catalog as the pipeline's loader writes it, from an items.csv."""
    from boto3.dynamodb.types import TypeSerializer

    lines = ["ITEM_ID,TITLE,GENRES,YEAR\n"]
    lines += [f'{item_id},"{title}",{GENRES[item_id]},\n' for item_id, title in CATALOG.items()]
    serialize = TypeSerializer().serialize
    for item in catalog_rows(iter(lines)):
        clients.dynamodb.put_item(
            TableName=table, Item={name: serialize(value) for name, value in item.items()}
        )


@contextmanager
def aws_world() -> Iterator[AwsWorld]:
    assert resource("CatalogTable")["Type"] == "AWS::DynamoDB::Table"
    account = AwsAccount()
    with mock_aws(), account.opened(), ExitStack() as stack:
        admin = AwsClients.create(boto3.session.Session(region_name="us-east-1"))
        tables = _create_tables(admin)
        _create_parameters(admin, tables)
        _load_catalog(admin, tables["CatalogTable"])
        queue_url = _create_queue(admin)
        # An Amazon reviews deployment: its interactions carry EVENT_VERIFIED_PURCHASE.
        account.personalize.interaction_columns = columns_of(interactions_schema(has_verified=True))
        with account.acting_as("ReviewFunction"):
            clients = AwsClients.create(boto3.session.Session(region_name="us-east-1"))
        events = stack.enter_context(Stubber(clients.personalize_events))
        runtime = stack.enter_context(Stubber(clients.personalize_runtime))
        yield AwsWorld(clients, events, runtime, queue_url, tables, account, admin)
        account.assert_allowed()
