"""The teardown state machine, executed (moto's ASL interpreter, Personalize mocked), and the
custom resource that starts it on stack deletion and lets it answer CloudFormation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.lambda_runtime import invoke
from tests.support.pipeline_world import PipelineWorld
from tests.support.presigned import presigned_url
from tests.support.step_functions import (
    Run,
    create_machine,
    definition,
    model_errors,
    unused_responses,
)

DELETION_ORDER = [
    "deleteCampaign",
    "deleteMetricAttribution",
    "deleteFilter",
    "deleteEventTracker",
    "deleteSolution",
    "deleteSolution",
    "deleteDataset",
    "deleteDataset",
    "deleteDatasetGroup",
    "deleteSchema",
    "deleteSchema",
    "deleteSchema",
]
AWAITED = {
    "deleteCampaign",
    "deleteMetricAttribution",
    "deleteFilter",
    "deleteEventTracker",
    "deleteSolution",
    "deleteDataset",
}


@pytest.fixture
def cloudformation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    with presigned_url(tmp_path) as (url, responses, certificate):
        monkeypatch.setenv("AWS_CA_BUNDLE", str(certificate))
        yield url, responses


def request(url: str, kind: str = "Delete", **properties: str) -> dict[str, Any]:
    return {
        "RequestType": kind,
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/watchnext/1",
        "RequestId": "5d1f-delete",
        "LogicalResourceId": "PipelineTeardown",
        "PhysicalResourceId": "watchnext-test",
        "ResourceType": "Custom::PipelineTeardown",
        "ResourceProperties": {"ResourcePrefix": "watchnext-test", **properties},
    }


def cloudformation_input(url: str) -> dict[str, Any]:
    fields = ("ResponseURL", "StackId", "RequestId", "LogicalResourceId", "PhysicalResourceId")
    return {"pollSeconds": 0, "cloudFormation": {k: request(url)[k] for k in fields}}


def deletions(run: Run) -> list[str]:
    return [action for action, _ in run.calls("personalize") if action.startswith("delete")]


def gone_before_next_deletion(run: Run) -> None:
    """Each kind of deletion starts only after the kind before it was seen gone (NotFound)."""
    deletes, not_found = [], []
    for index, event in enumerate(run.history):
        scheduled = event.get("taskScheduledEventDetails", {})
        if scheduled.get("resource", "").startswith("delete"):
            deletes.append((index, scheduled["resource"]))
        if event.get("taskFailedEventDetails", {}).get("error", "").endswith("NotFoundException"):
            not_found.append(index)
    for (at, action), (next_at, next_action) in pairwise(deletes):
        if action != next_action and action in AWAITED:
            assert any(at < seen < next_at for seen in not_found), f"{next_action} did not wait"


def test_teardown_deletes_everything_in_dependency_order_and_answers_cloudformation(
    pipeline: PipelineWorld, cloudformation: tuple[str, list[dict[str, Any]]]
) -> None:
    url, answers = cloudformation

    run = pipeline.run("TeardownPipeline", "DeletesEverythingInOrder", cloudformation_input(url))

    assert run.status == "SUCCEEDED", run.cause
    assert unused_responses(pipeline.interpreter.test_case) == {}  # type: ignore[arg-type]
    assert deletions(run) == DELETION_ORDER
    gone_before_next_deletion(run)
    for action, params in run.calls("personalize"):
        assert model_errors("personalize", action, params) == "", (action, params)
    [answer] = answers
    assert answer["Status"] == "SUCCESS"
    assert answer["RequestId"] == "5d1f-delete"
    assert answer["PhysicalResourceId"] == "watchnext-test"


def test_a_teardown_with_nothing_left_succeeds_quietly(pipeline: PipelineWorld) -> None:
    run = pipeline.run("TeardownPipeline", "NothingLeft", {"pollSeconds": 0})

    assert run.status == "SUCCEEDED", run.cause
    assert unused_responses(pipeline.interpreter.test_case) == {}  # type: ignore[arg-type]
    assert deletions(run) == ["deleteCampaign", "deleteSchema", "deleteSchema", "deleteSchema"]


def test_a_refused_deletion_still_answers_cloudformation_naming_what_is_left(
    pipeline: PipelineWorld, cloudformation: tuple[str, list[dict[str, Any]]]
) -> None:
    url, answers = cloudformation

    run = pipeline.run("TeardownPipeline", "DatasetDeletionRefused", cloudformation_input(url))

    assert run.status == "FAILED"
    assert run.error == "Personalize.InvalidInputException"
    assert run.cause is not None
    assert "dataset/watchnext-test/ITEMS cannot be deleted" in run.cause
    [answer] = answers
    assert answer["Status"] == "FAILED"
    assert "ITEMS cannot be deleted" in answer["Reason"]
    assert "watchnext pipeline teardown" in answer["Reason"]
    [notice] = pipeline.notifications()
    assert notice["subject"].startswith("WatchNext teardown failed")


def _teardown_machine(pipeline: PipelineWorld) -> str:
    teardown = definition("teardown", pipeline.substitutions())
    return create_machine(teardown, "watchnext-test-teardown")


def test_create_and_update_answer_at_once(
    pipeline: PipelineWorld, cloudformation: tuple[str, list[dict[str, Any]]]
) -> None:
    url, answers = cloudformation
    for kind in ("Create", "Update"):
        invoke(pipeline.account, "TeardownFunction", request(url, kind))

    assert [answer["Status"] for answer in answers] == ["SUCCESS", "SUCCESS"]


def test_delete_starts_one_teardown_and_leaves_the_answer_to_it(
    pipeline: PipelineWorld, cloudformation: tuple[str, list[dict[str, Any]]]
) -> None:
    url, answers = cloudformation
    machine = _teardown_machine(pipeline)
    pipeline.interpreter.test_case = None  # the execution may run; only its start matters here
    delete = request(url, StateMachineArn=machine)

    invoke(pipeline.account, "TeardownFunction", delete)
    invoke(pipeline.account, "TeardownFunction", delete)  # CloudFormation re-sends

    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    [execution] = sfn.list_executions(stateMachineArn=machine)["executions"]
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"])["cloudFormation"]["RequestId"] == "5d1f-delete"
    assert answers == []


def test_a_teardown_that_cannot_start_fails_the_deletion_at_once(
    pipeline: PipelineWorld, cloudformation: tuple[str, list[dict[str, Any]]]
) -> None:
    url, answers = cloudformation
    # The name its role may start, but no such machine was created.
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:watchnext-test-teardown"

    invoke(pipeline.account, "TeardownFunction", request(url, StateMachineArn=missing))

    [answer] = answers
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("Teardown did not start")


def test_a_deletion_that_outlasts_its_polls_answers_cloudformation_naming_it(
    pipeline: PipelineWorld, cloudformation: tuple[str, list[dict[str, Any]]]
) -> None:
    """CloudFormation waits at most its ServiceTimeout: a deletion still running after its
    bounded polls ends the run with FAILED naming it, not with CloudFormation giving up."""
    url, answers = cloudformation
    late = cloudformation_input(url) | {"maxPolls": 2}

    run = pipeline.run("TeardownPipeline", "CampaignOutlivesTheDeadline", late)

    assert run.status == "FAILED"
    assert run.error == "WatchNext.DeletionTimedOut", run.cause
    assert unused_responses(pipeline.interpreter.test_case) == {}  # type: ignore[arg-type]
    [answer] = answers
    assert answer["Status"] == "FAILED"
    assert "the campaign still exists after 3 polls" in answer["Reason"]
