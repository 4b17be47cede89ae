"""template.yaml deployed into moto: every table, queue, parameter, secret, bucket and topic
built from the template's own definitions, under the stack's physical names, inside an
`AwsAccount` that enforces each function's role."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws

from tests.support.aws_account import AwsAccount
from tests.support.stack import REGION, Stack

SECRET_VALUE = "s" * 64


def create_table(dynamodb: Any, name: str, properties: Mapping[str, Any]) -> None:
    """A table as its template properties define it: keys, attributes and indexes."""
    indexes = properties.get("GlobalSecondaryIndexes")
    dynamodb.create_table(
        TableName=name,
        KeySchema=properties["KeySchema"],
        AttributeDefinitions=properties["AttributeDefinitions"],
        BillingMode=properties["BillingMode"],
        **({"GlobalSecondaryIndexes": indexes} if indexes else {}),
    )


def _tables(stack: Stack, session: boto3.session.Session) -> None:
    dynamodb = session.client("dynamodb")
    for logical_id in stack.resources("AWS::DynamoDB::Table"):
        create_table(dynamodb, stack.physical_name(logical_id), stack.properties(logical_id))


def _queues(stack: Stack, session: boto3.session.Session) -> None:
    sqs = session.client("sqs")
    queues = stack.resources("AWS::SQS::Queue")
    # Dead-letter queues first: the others name them.
    for logical_id in sorted(queues, key=lambda q: "RedrivePolicy" in str(queues[q])):
        properties = stack.properties(logical_id)
        attributes: Any = {
            name: json.dumps(value) if isinstance(value, dict) else str(value)
            for name, value in properties.items()
            if name in ("VisibilityTimeout", "MessageRetentionPeriod", "RedrivePolicy")
        }
        sqs.create_queue(QueueName=stack.physical_name(logical_id), Attributes=attributes)


def _parameters(stack: Stack, session: boto3.session.Session) -> None:
    ssm = session.client("ssm")
    for logical_id in stack.resources("AWS::SSM::Parameter"):
        properties = stack.properties(logical_id)
        ssm.put_parameter(
            Name=properties["Name"], Value=str(properties["Value"]), Type=properties["Type"]
        )


def _secrets(stack: Stack, session: boto3.session.Session) -> None:
    secrets = session.client("secretsmanager")
    for logical_id in stack.resources("AWS::SecretsManager::Secret"):
        created = secrets.create_secret(Name=logical_id, SecretString=SECRET_VALUE)
        stack.arns[logical_id] = created["ARN"]  # Secrets Manager picks the suffix


def _buckets_and_topics(stack: Stack, session: boto3.session.Session) -> None:
    for logical_id in stack.resources("AWS::S3::Bucket"):
        session.client("s3").create_bucket(Bucket=stack.physical_name(logical_id))
    for logical_id in stack.resources("AWS::SNS::Topic"):
        session.client("sns").create_topic(Name=stack.physical_name(logical_id))


@contextmanager
def deployed(
    parameters: Mapping[str, str] | None = None, *, stack: Stack | None = None
) -> Iterator[AwsAccount]:
    """The stack (template.yaml with ``parameters``, or ``stack``) in moto; on leaving, fails
    with every call AWS would have refused."""
    account = AwsAccount(stack or Stack(dict(parameters or {})))
    with mock_aws(), account.opened():
        admin = boto3.session.Session(region_name=REGION)
        for build in (_tables, _queues, _parameters, _secrets, _buckets_and_topics):
            build(account.stack, admin)
        yield account
        account.assert_allowed()


def publish(account: AwsAccount, **values: str) -> None:
    """What the training pipeline does: overwrite the SSM placeholders."""
    ssm = boto3.client("ssm", region_name=REGION)
    path = f"/watchnext/{account.stack.parameter_values['Stage']}"
    for name, value in values.items():
        ssm.put_parameter(
            Name=f"{path}/{name.replace('_', '-')}", Value=value, Type="String", Overwrite=True
        )


def received(account: AwsAccount, logical_id: str) -> list[dict[str, Any]]:
    """Messages on a queue, as the SQS event of a Lambda would carry them."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = account.stack.ref(logical_id)
    messages = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]
    ).get("Messages", [])
    return sqs_records(messages, account.stack.get_att(logical_id, "Arn"))


def sqs_records(messages: list[Any], queue_arn: str) -> list[dict[str, Any]]:
    """ReceiveMessage's messages as the records of a Lambda SQS event."""
    return [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m["Attributes"],
            "messageAttributes": {},
            "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": REGION,
        }
        for m in messages
    ]
