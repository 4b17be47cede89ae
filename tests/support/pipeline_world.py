"""The training pipeline's surroundings in moto: the data bucket with a prepared layout, the
catalog table and SSM placeholders built from template.yaml, and the notification topic with a
queue subscribed to read what it was told. Names are the deployed stack's
(`tests.support.stack`), so each machine and Lambda step runs under its own role."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto import mock_aws

from tests.support import resource
from tests.support.aws_account import AwsAccount
from tests.support.stack import ACCOUNT, REGION, STAGE, Stack
from tests.support.step_functions import (
    Interpreter,
    Run,
    check_run,
    definition,
    load_test_case,
    start_and_wait,
)
from watchnext.datasets.schemas import interactions_schema, items_schema

PREFIX = f"watchnext-{STAGE}"
BUCKET = "databucket"
DATA_PREFIX = "training"
STEPS_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:PipelineStepsFunction"
TEARDOWN_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:TeardownFunction"
PERSONALIZE_ARN = f"arn:aws:personalize:{REGION}:{ACCOUNT}"
MACHINES = {"TrainingPipeline": "TrainingStateMachine", "TeardownPipeline": "TeardownStateMachine"}
ITEMS_CSV = (
    "ITEM_ID,TITLE,GENRES,YEAR\n"
    '1,"Lucy, the movie",Action|Sci-Fi,2014\n'
    '2,"The ""Quoted"" One",Drama,\n'
    "3,,Comedy,1999\n"
)
FAST = {"pollSeconds": 0, "maxConcurrency": 1}
"""Waits from the input so tests run in seconds; one Map iteration at a time so each state's
mocked responses are handed out in a known order."""


@dataclass
class PipelineWorld:
    topic_arn: str
    inbox_url: str
    catalog_table: str
    interpreter: Interpreter
    account: AwsAccount

    def substitutions(self, machine: str = "TrainingStateMachine") -> dict[str, str]:
        """template.yaml's DefinitionSubstitutions of ``machine``, resolved for this stack."""
        both = {
            **self.account.stack.properties("TeardownStateMachine")["DefinitionSubstitutions"],
            **self.account.stack.properties(machine)["DefinitionSubstitutions"],
        }
        return {name: str(value) for name, value in both.items()}

    def run(self, machine: str, case: str, execution_input: dict[str, Any]) -> Run:
        """Run ``TrainingPipeline`` or ``TeardownPipeline`` under a named mocked test case, as
        its role; every task it scheduled is authorized afterwards."""
        self.interpreter.test_case = load_test_case(machine, case)
        self.interpreter.machine = MACHINES[machine]
        name = {"TrainingPipeline": "training", "TeardownPipeline": "teardown"}[machine]
        run = start_and_wait(
            definition(name, self.substitutions(MACHINES[machine])), execution_input
        )
        check_run(self.account, MACHINES[machine], run)
        return run

    def parameter(self, name: str) -> str:
        ssm = boto3.client("ssm", region_name=REGION)
        return ssm.get_parameter(Name=f"/watchnext/{STAGE}/{name}")["Parameter"]["Value"]

    def notifications(self) -> list[dict[str, str]]:
        sqs = boto3.client("sqs", region_name=REGION)
        messages = sqs.receive_message(QueueUrl=self.inbox_url, MaxNumberOfMessages=10)
        return [
            {"subject": body.get("Subject", ""), "message": body["Message"]}
            for body in (json.loads(m["Body"]) for m in messages.get("Messages", []))
        ]

    def put(self, key: str, body: str) -> None:
        boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=key, Body=body)


def _upload_layout() -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    files = {
        "schemas/interactions.schema.json": json.dumps(interactions_schema(has_verified=False)),
        "schemas/items.schema.json": json.dumps(items_schema()),
        "interactions/interactions.csv": "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n",
        "items/items.csv": ITEMS_CSV,
    }  # no users: the pipeline must skip that dataset
    for key, body in files.items():
        s3.put_object(Bucket=BUCKET, Key=f"{DATA_PREFIX}/{key}", Body=body.encode())


def _catalog_table() -> str:
    properties = resource("CatalogTable")["Properties"]
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="CatalogTable",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=properties["AttributeDefinitions"],
        KeySchema=properties["KeySchema"],
    )
    return "CatalogTable"


def _placeholders() -> None:
    ssm = boto3.client("ssm", region_name=REGION)
    for logical_id in ("CampaignArnParameter", "TrackingIdParameter", "FilterArnParameter"):
        properties = resource(logical_id)["Properties"]
        name = properties["Name"]["Fn::Sub"].replace("${Stage}", STAGE)
        ssm.put_parameter(Name=name, Value=properties["Value"], Type=properties["Type"])


def _topic_with_inbox() -> tuple[str, str]:
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    topic_arn = sns.create_topic(Name="AlarmTopic")["TopicArn"]
    inbox_url = sqs.create_queue(QueueName="watchnext-test-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox_url, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn["Attributes"]["QueueArn"])
    return topic_arn, inbox_url


@contextmanager
def pipeline_world(parameters: dict[str, str] | None = None) -> Iterator[PipelineWorld]:
    """The world; on leaving, fails with every call the roles of template.yaml do not allow."""
    account = AwsAccount(Stack(parameters or {}))
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}), account.opened():
        _upload_layout()
        _placeholders()
        table = _catalog_table()
        topic_arn, inbox_url = _topic_with_inbox()
        interpreter = Interpreter(
            account,
            lambdas={STEPS_ARN: "PipelineStepsFunction", TEARDOWN_ARN: "TeardownFunction"},
        )
        with interpreter.installed():
            yield PipelineWorld(topic_arn, inbox_url, table, interpreter, account)
        account.assert_allowed()
