"""Starting the training and teardown state machines from a workstation, and following them.

The state machines' ARNs come from the stack's outputs (``TrainingStateMachineArn``,
``TeardownStateMachineArn``) unless given, so nobody pastes an ARN.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from watchnext.pipeline.errors import PipelineError

OUTPUTS = {"training": "TrainingStateMachineArn", "teardown": "TeardownStateMachineArn"}
FINISHED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    status: str
    output: dict[str, Any] | None
    error: str | None
    cause: str | None


def state_machine_arn(cloudformation: Any, stack: str, machine: str) -> str:
    """The ARN of ``machine`` (training or teardown) from the outputs of ``stack``."""
    try:
        [described] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except (ClientError, BotoCoreError) as error:
        raise PipelineError(f"cannot read stack {stack!r}: {error}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    try:
        return str(outputs[OUTPUTS[machine]])
    except KeyError:
        raise PipelineError(
            f"stack {stack!r} has no output {OUTPUTS[machine]}; deploy this version first"
        ) from None


def start(sfn: Any, arn: str, execution_input: Mapping[str, Any]) -> str:
    """Start an execution; returns its ARN."""
    try:
        started = sfn.start_execution(stateMachineArn=arn, input=json.dumps(execution_input))
    except (ClientError, BotoCoreError) as error:
        raise PipelineError(f"cannot start {arn}: {error}") from None
    return str(started["executionArn"])


def wait(
    sfn: Any,
    execution_arn: str,
    *,
    poll_seconds: float = 30,
    on_poll: Callable[[str], None] = lambda status: None,
    sleep: Callable[[float], None] = time.sleep,
) -> ExecutionResult:
    """Poll until the execution ends."""
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        status = str(described["status"])
        on_poll(status)
        if status in FINISHED:
            output = described.get("output")
            return ExecutionResult(
                status=status,
                output=json.loads(output) if output else None,
                error=described.get("error"),
                cause=described.get("cause"),
            )
        sleep(poll_seconds)
