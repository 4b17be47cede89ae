"""`watchnext pipeline start|teardown` against moto's Step Functions; the stack's outputs
through Stubber (moto's CloudFormation needs extras this project does not carry)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from typer.testing import CliRunner

from watchnext.cli import app
from watchnext.pipeline import control
from watchnext.pipeline.config import PipelineConfig
from watchnext.pipeline.errors import PipelineError

ROLE = "arn:aws:iam::123456789012:role/watchnext-test"


@pytest.fixture
def machines(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        sfn = boto3.client("stepfunctions")
        waiting = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Pass", "End": True}}})
        arns = {
            name: sfn.create_state_machine(name=name, definition=waiting, roleArn=ROLE)[
                "stateMachineArn"
            ]
            for name in ("training", "teardown")
        }
        yield arns


def inputs_of(arn: str) -> list[dict[str, object]]:
    sfn = boto3.client("stepfunctions")
    return [
        json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"])
        for e in sfn.list_executions(stateMachineArn=arn)["executions"]
    ]


def test_start_sends_the_checked_config_to_the_stack_s_training_machine(
    machines: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"minProvisionedTPS": 2}))

    result = CliRunner().invoke(
        app,
        ["pipeline", "start", "--config", str(config), "--state-machine-arn", machines["training"]],
    )

    assert result.exit_code == 0, result.output
    assert result.output.strip().startswith("arn:aws:states:")
    expected = PipelineConfig(min_provisioned_tps=2).as_input()
    assert inputs_of(machines["training"]) == [expected]


def test_a_bad_config_starts_nothing(machines: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"trainingMode": "WEEKLY"}))

    result = CliRunner().invoke(
        app,
        ["pipeline", "start", "--config", str(config), "--state-machine-arn", machines["training"]],
    )

    assert result.exit_code == 2
    assert "trainingMode: Input should be 'FULL' or 'UPDATE'" in result.output
    assert inputs_of(machines["training"]) == []


def test_teardown_starts_the_teardown_machine(machines: dict[str, str]) -> None:
    arn = machines["teardown"]
    result = CliRunner().invoke(
        app, ["pipeline", "teardown", "--yes", "--no-wait", "--state-machine-arn", arn]
    )

    assert result.exit_code == 0, result.output
    assert inputs_of(machines["teardown"]) == [{}]


def test_the_machine_arn_comes_from_the_stack_outputs() -> None:
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    outputs = [
        {"OutputKey": "TrainingStateMachineArn", "OutputValue": "arn:training"},
        {"OutputKey": "TeardownStateMachineArn", "OutputValue": "arn:teardown"},
    ]
    stack = {"StackName": "watchnext", "CreationTime": "2026-11-28T00:00:00Z"}
    with Stubber(cloudformation) as stub:
        for _ in range(2):
            stub.add_response(
                "describe_stacks",
                {"Stacks": [stack | {"StackStatus": "CREATE_COMPLETE", "Outputs": outputs}]},
                {"StackName": "watchnext"},
            )
        assert control.state_machine_arn(cloudformation, "watchnext", "training") == "arn:training"
        assert control.state_machine_arn(cloudformation, "watchnext", "teardown") == "arn:teardown"


def test_an_unknown_stack_is_a_clear_error() -> None:
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    with Stubber(cloudformation) as stub:
        stub.add_client_error(
            "describe_stacks", "ValidationError", "Stack with id nope does not exist"
        )
        with pytest.raises(PipelineError, match=r"cannot read stack 'nope'.*does not exist"):
            control.state_machine_arn(cloudformation, "nope", "training")


def test_wait_follows_an_execution_until_it_ends() -> None:
    answers = iter([{"status": "RUNNING"}, {"status": "FAILED", "error": "E", "cause": "C"}])

    class Sfn:
        def describe_execution(self, executionArn: str) -> dict[str, str]:  # noqa: N803
            return next(answers)

    seen: list[str] = []
    result = control.wait(Sfn(), "arn", on_poll=seen.append, sleep=lambda seconds: None)

    assert seen == ["RUNNING", "FAILED"]
    assert (result.status, result.error, result.cause) == ("FAILED", "E", "C")
