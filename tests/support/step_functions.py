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
  ``lambda:invoke`` of a function of template.yaml runs its handler string with its template
  environment and its role (errors become a ``FunctionError`` as Lambda reports them).
* **The machine's role**: the execution thread's clients call as the state machine's role
  (`tests.support.aws_account`), and `check_run` authorizes every task the history shows,
  mocked ones included, and applies Personalize's documented rules to the mocked calls.

Everything not mocked (S3, SSM, SNS, CloudWatch, DynamoDB) is moto's real implementation.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
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

from tests.support.aws_account import AwsAccount
from tests.support.iam import requests_for
from tests.support.lambda_runtime import invoke as invoke_function
from tests.support.service_rules import violations
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


@dataclass
class Interpreter:
    """The patches that make moto's interpreter behave like Step Functions for our machines."""

    account: AwsAccount
    lambdas: dict[str, str] = field(default_factory=dict)
    """Function ARN → logical id in template.yaml."""
    test_case: MockTestCase | None = None
    machine: str | None = None
    """The logical id of the state machine whose role the executions run as."""

    @contextmanager
    def installed(self) -> Iterator[Interpreter]:
        original_worker = Execution._get_start_execution_worker
        original_invoke = lambda_eval_utils._invoke_lambda_function
        interpreter = self

        def as_the_machine(create: Callable[..., Any]) -> Callable[..., Any]:
            def client_for(*args: Any, **kwargs: Any) -> Any:
                with interpreter.account.acting_as(interpreter.machine):
                    return create(*args, **kwargs)

            return client_for

        def worker(execution: Execution) -> Any:
            started = original_worker(execution)
            started._mock_test_case = self.test_case  # type: ignore[misc]  # moto never sets it
            return started

        def normalise_response(_self: Any, response: Any, *_args: Any, **_kwargs: Any) -> None:
            body = response.get("Body") if isinstance(response, dict) else None
            if body is not None and hasattr(body, "read"):
                response["Body"] = body.read().decode()

        def invoke(parameters: dict[str, Any], region: str, state_credentials: Any) -> Any:
            function = self.lambdas.get(parameters["FunctionName"])
            if function is None:
                return original_invoke(parameters, region, state_credentials)
            return _invoke_in_process(self.account, function, parameters)

        with (
            mock.patch.object(Execution, "_get_start_execution_worker", worker),
            mock.patch.dict(aws_sdk._SERVICE_ERROR_NAMES, {"s3": "S3"}),
            mock.patch.object(
                aws_sdk.StateTaskServiceAwsSdk, "_normalise_response", normalise_response
            ),
            mock.patch.object(lambda_eval_utils, "_invoke_lambda_function", invoke),
            ExitStack() as clients,
        ):
            # Every integration builds its client per task, in whichever thread runs the task.
            for module in list(sys.modules.values()):
                name = getattr(module, "__name__", "")
                if name.startswith("moto.stepfunctions.parser") and hasattr(
                    module, "boto_client_for"
                ):
                    clients.enter_context(
                        mock.patch.object(
                            module, "boto_client_for", as_the_machine(module.boto_client_for)
                        )
                    )
            yield self


def _invoke_in_process(
    account: AwsAccount, function: str, parameters: Mapping[str, Any]
) -> dict[str, Any]:
    payload = json.loads(parameters.get("Payload") or b"{}")
    try:
        result = invoke_function(account, function, payload, warm=True)
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


TASK_SERVICES = {"lambda": "lambda", "sns": "sns"}
"""Optimized integrations by resource type; ``aws-sdk:<service>`` names its service."""


def check_run(account: AwsAccount, machine: str, run: Run) -> None:
    """Authorize every task the execution scheduled as ``machine``'s role, and refuse what
    Personalize would refuse (mocked responses cannot), recording findings in ``account``."""
    caller = account.principal(machine)
    for event in run.history:
        done = event.get("taskSucceededEventDetails")
        if done and done.get("resource") == "describeSolution":
            _learn_described_solution(account, json.loads(done["output"]))
        details = event.get("taskScheduledEventDetails")
        if not details:
            continue
        kind, resource = details["resourceType"], details["resource"]
        service = (
            kind.removeprefix("aws-sdk:") if kind.startswith("aws-sdk:") else TASK_SERVICES[kind]
        )
        operation = resource.split(".")[0]
        operation = operation[0].upper() + operation[1:]
        model = get_session().get_service_model(service).operation_model(operation)
        params = _to_api_names(json.loads(details["parameters"]), model.input_shape)
        account.authorize(caller, requests_for(service, operation, params))
        _learn(account, service, operation, params)
        problems = violations(account.personalize, service, operation, params, model.input_shape)
        if problems:
            account.refuse(service, operation, problems)


def _learn(account: AwsAccount, service: str, operation: str, params: Mapping[str, Any]) -> None:
    if service == "personalize" and operation == "CreateSolution":
        group = str(params["datasetGroupArn"]).split(":dataset-group/")[0]
        arn = f"{group}:solution/{params['name']}"
        account.personalize.solution_recipes[arn] = str(params["recipeArn"])


def _learn_described_solution(account: AwsAccount, output: Mapping[str, Any]) -> None:
    solution = output.get("Solution", output)
    arn = solution.get("SolutionArn")
    if not arn:
        return
    if solution.get("RecipeArn"):
        account.personalize.solution_recipes[arn] = solution["RecipeArn"]
    latest = solution.get("LatestSolutionVersion") or {}
    if latest.get("Status") == "ACTIVE" and latest.get("TrainingMode", "FULL") == "FULL":
        account.personalize.solutions_with_full_version.add(arn)


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
