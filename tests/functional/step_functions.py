"""Running the real state machine definitions in moto's ASL interpreter.

What the harness adds to moto (5.2), and why:

* **Mocked responses** in AWS Step Functions Local's mock-config format (``pipeline_mocks.json``:
  named test cases map a state to a named response sequence). moto carries the classes but its
  file loader is switched off and it never hands a test case to an execution, so the harness
  loads the file and sets the worker's test case. Responses are handed out one per invocation
  of the state, in order ("0", "1-2", ... are invocation numbers), because moto indexes by the
  state's RetryCount, which restarts whenever a polling loop re-enters the state.
* **S3 as Step Functions reports it**: ``GetObject``'s ``Body`` as text (moto hands back a
  stream) and errors named ``S3.<Exception>`` (moto has no error prefix for S3 and uses ``s3``).
* **Our Lambda steps run in-process**: moto cannot run Lambda code without Docker, so a
  ``lambda:invoke`` of a registered function ARN calls the Python handler (errors become a
  ``FunctionError`` as Lambda reports them).

Everything not mocked (S3, SSM, SNS, CloudWatch, DynamoDB) is moto's real implementation.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
from botocore.session import get_session
from botocore.validate import ParamValidator
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_aws_sdk as aws_sdk,
)
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.mocking.mock_config import (
    MockedResponse,
    MockedResponseReturn,
    MockedResponseThrow,
    MockTestCase,
)

from watchnext.entrypoints.lambda_context import LocalLambdaContext
from watchnext.pipeline.asl import load_definition

ROOT = Path(__file__).resolve().parents[2]
MOCKS = Path(__file__).with_name("pipeline_mocks.json")
ROLE_ARN = "arn:aws:iam::123456789012:role/watchnext-test-pipeline"

# moto logs every failing state with its whole parse tree; the run's history says it better.
logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)


class InvocationSequence:
    """The responses of one state, handed out one per invocation whatever index is asked."""

    def __init__(self, state_name: str, responses: list[MockedResponse]) -> None:
        self.state_name = state_name
        self.responses = responses
        self.handed_out = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:  # moto checks `len(...) <= retry_count` before indexing
        return len(self.responses) + 1_000_000

    def __getitem__(self, _retry_count: int) -> MockedResponse:
        with self._lock:
            if self.handed_out >= len(self.responses):
                raise RuntimeError(
                    f"state {self.state_name!r} invoked {self.handed_out + 1} times; "
                    f"the test case mocks {len(self.responses)}"
                )
            response = self.responses[self.handed_out]
            self.handed_out += 1
            return response


@dataclass
class _StateResponses:
    state_name: str
    mocked_responses: InvocationSequence


def _response(raw: Mapping[str, Any]) -> MockedResponse:
    if "Return" in raw:
        return MockedResponseReturn(0, 0, raw["Return"])
    throw = raw["Throw"]
    return MockedResponseThrow(0, 0, throw["Error"], throw.get("Cause", ""))


def _expand(ranges: Mapping[str, Mapping[str, Any]]) -> list[MockedResponse]:
    expanded: list[MockedResponse] = []
    for key, raw in sorted(ranges.items(), key=lambda item: int(item[0].split("-")[0])):
        start, _, end = key.partition("-")
        if int(start) != len(expanded):
            raise ValueError(f"mocked responses must be numbered consecutively, got {key!r}")
        expanded.extend([_response(raw)] * (int(end or start) - int(start) + 1))
    return expanded


def load_test_case(machine: str, case: str, path: Path = MOCKS) -> MockTestCase:
    """One named test case of a Step Functions Local mock-config file."""
    config = json.loads(path.read_text())
    states = config["StateMachines"][machine]["TestCases"][case]
    test_case = MockTestCase(machine, case, [])
    for state_name, response_name in states.items():
        sequence = InvocationSequence(state_name, _expand(config["MockedResponses"][response_name]))
        test_case.state_mocked_responses[state_name] = _StateResponses(state_name, sequence)  # type: ignore[assignment]
    return test_case


def unused_responses(test_case: MockTestCase) -> dict[str, int]:
    """States whose mocked responses were not all handed out (a test case that says more
    than the run did is a test case that is wrong)."""
    left = {}
    for name, state in test_case.state_mocked_responses.items():
        sequence = state.mocked_responses
        assert isinstance(sequence, InvocationSequence)
        if sequence.handed_out < len(sequence.responses):
            left[name] = len(sequence.responses) - sequence.handed_out
    return left


LambdaHandler = Callable[[dict[str, Any], Any], Any]


@dataclass
class Interpreter:
    """The patches that make moto's interpreter behave like Step Functions for our machines."""

    lambdas: dict[str, LambdaHandler] = field(default_factory=dict)
    test_case: MockTestCase | None = None

    @contextmanager
    def installed(self) -> Iterator[Interpreter]:
        original_worker = Execution._get_start_execution_worker
        original_invoke = lambda_eval_utils._invoke_lambda_function

        def worker(execution: Execution) -> Any:
            started = original_worker(execution)
            started._mock_test_case = self.test_case  # type: ignore[misc]  # moto never sets it
            return started

        def normalise_response(_self: Any, response: Any, *_args: Any, **_kwargs: Any) -> None:
            body = response.get("Body") if isinstance(response, dict) else None
            if body is not None and hasattr(body, "read"):
                response["Body"] = body.read().decode()

        def invoke(parameters: dict[str, Any], region: str, state_credentials: Any) -> Any:
            handler = self.lambdas.get(parameters["FunctionName"])
            if handler is None:
                return original_invoke(parameters, region, state_credentials)
            return _invoke_in_process(handler, parameters)

        with (
            mock.patch.object(Execution, "_get_start_execution_worker", worker),
            mock.patch.dict(aws_sdk._SERVICE_ERROR_NAMES, {"s3": "S3"}),
            mock.patch.object(
                aws_sdk.StateTaskServiceAwsSdk, "_normalise_response", normalise_response
            ),
            mock.patch.object(lambda_eval_utils, "_invoke_lambda_function", invoke),
        ):
            yield self


def _invoke_in_process(handler: LambdaHandler, parameters: Mapping[str, Any]) -> dict[str, Any]:
    payload = json.loads(parameters.get("Payload") or b"{}")
    try:
        result = handler(payload, LocalLambdaContext("pipeline", timeout_seconds=900))
    except Exception as error:
        return {
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "Payload": {"errorType": type(error).__name__, "errorMessage": str(error)},
        }
    return {"StatusCode": 200, "Payload": json.loads(json.dumps(result))}


@dataclass
class Run:
    status: str
    output: dict[str, Any] | None
    error: str | None
    cause: str | None
    history: list[dict[str, Any]]

    def entered(self) -> list[str]:
        """Names of the states entered, in order (nested states included)."""
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history
            if "stateEnteredEventDetails" in event
        ]

    def calls(self, service: str) -> list[tuple[str, dict[str, Any]]]:
        """(action, parameters) of every SDK task scheduled against ``service``."""
        found = []
        for event in self.history:
            details = event.get("taskScheduledEventDetails")
            if details and details["resourceType"] in (f"aws-sdk:{service}", service):
                found.append((details["resource"], json.loads(details["parameters"])))
        return found


def create_machine(definition: Mapping[str, Any], name: str | None = None) -> str:
    """Create a state machine in moto; returns its ARN."""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    created = sfn.create_state_machine(
        name=name or f"m{time.monotonic_ns()}", definition=json.dumps(definition), roleArn=ROLE_ARN
    )
    return created["stateMachineArn"]


def start_and_wait(
    definition: Mapping[str, Any], execution_input: Mapping[str, Any], *, timeout: float = 60
) -> Run:
    """Create the machine in moto, run it to the end and return what happened."""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    execution = sfn.start_execution(
        stateMachineArn=create_machine(definition), input=json.dumps(execution_input)
    )["executionArn"]
    deadline = time.monotonic() + timeout
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            sfn.stop_execution(executionArn=execution, error="Test.Timeout")
            raise TimeoutError(f"execution still running after {timeout} s")
        time.sleep(0.02)
    history = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    return Run(
        status=described["status"],
        output=json.loads(described["output"]) if described.get("output") else None,
        error=described.get("error"),
        cause=described.get("cause"),
        history=[dict(event) for event in history],
    )


def definition(name: str, substitutions: Mapping[str, str]) -> dict[str, Any]:
    return load_definition(ROOT / "data_pipeline" / f"{name}.asl.yaml", substitutions)


def _to_api_names(value: Any, shape: Any) -> Any:
    """PascalCase Step Functions parameters → the API's member names, guided by the model."""
    if shape.type_name == "structure" and isinstance(value, dict):
        by_lower = {name.lower(): name for name in shape.members}
        converted = {}
        for key, item in value.items():
            member = by_lower.get(key.lower(), key)
            member_shape = shape.members.get(member)
            converted[member] = _to_api_names(item, member_shape) if member_shape else item
        return converted
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_api_names(item, shape.member) for item in value]
    return value


def model_errors(service: str, action: str, parameters: Mapping[str, Any]) -> str:
    """botocore's validation of a task's parameters against the service model ('' if valid).

    Step Functions accepts PascalCase names for camelCase APIs, so names are matched
    case-insensitively first; anything unknown, missing or of the wrong type is reported.
    """
    model = get_session().get_service_model(service)
    operation = model.operation_model(action[0].upper() + action[1:])
    shape = operation.input_shape
    assert shape is not None, f"{service}.{action} takes no input"
    report = ParamValidator().validate(_to_api_names(dict(parameters), shape), shape)
    return report.generate_report() if report.has_errors() else ""
