"""Run a function of template.yaml as Lambda runs it: its handler string, exactly the
environment the template gives it (plus what the Lambda runtime itself sets), a cold module,
and its own role for every AWS call it makes."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from unittest import mock

from tests.support.aws_account import AwsAccount
from tests.support.stack import REGION
from watchnext.adapters.http.lambda_context import LocalLambdaContext

# The variables the Lambda runtime sets (Lambda developer guide, "Defined runtime environment
# variables"); credentials are the test account's. Tracing stays off: X-Ray has no daemon here.
RUNTIME_ENVIRONMENT = {
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "1",
    "TZ": ":UTC",
}


def environment(account: AwsAccount, logical_id: str) -> dict[str, str]:
    properties = account.stack.properties(logical_id)
    variables = properties.get("Environment", {}).get("Variables", {})
    return {
        **RUNTIME_ENVIRONMENT,
        "AWS_LAMBDA_FUNCTION_NAME": logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(properties.get("MemorySize", 128)),
        "_HANDLER": str(properties["Handler"]),
        **{name: str(value) for name, value in variables.items()},
    }


@contextmanager
def lambda_environment(account: AwsAccount, logical_id: str) -> Iterator[None]:
    """The process environment replaced by the function's, for the length of the block."""
    # AWS_CA_BUNDLE: tests stand in for CloudFormation's pre-signed HTTPS URL with their own CA.
    inherited = ("PATH", "HOME", "AWS_CA_BUNDLE")
    kept = {name: os.environ[name] for name in inherited if name in os.environ}
    with mock.patch.dict(os.environ, {**kept, **environment(account, logical_id)}, clear=True):
        yield


def invoke(
    account: AwsAccount,
    logical_id: str,
    event: Mapping[str, Any],
    *,
    warm: bool = False,
    seconds_left: float | None = None,
) -> Any:
    """Call ``logical_id``'s handler string with ``event``: in a new container, or with
    ``warm`` in the one the function's last invocation in ``account`` used. The context has
    the function's Timeout left, or ``seconds_left`` (a late retry, say)."""
    properties = account.stack.properties(logical_id)
    module_name, function_name = str(properties["Handler"]).rsplit(".", 1)
    timeout = float(properties["Timeout"]) if seconds_left is None else seconds_left
    context = LocalLambdaContext(logical_id, timeout_seconds=timeout)
    with lambda_environment(account, logical_id), account.acting_as(logical_id):
        module = account.containers.get(logical_id) if warm else None
        if module is None:
            module = account.containers[logical_id] = _import_afresh(module_name)
        return getattr(module, function_name)(dict(event), context)


def _import_afresh(name: str) -> Any:
    """The handler's module as a new container imports it; the test process keeps its own
    copy in sys.modules, so nothing else sees the container's."""
    parent_name, _, child = name.rpartition(".")
    parent = importlib.import_module(parent_name)
    previous = sys.modules.pop(name, None)
    try:
        return importlib.import_module(name)
    finally:
        if previous is not None:
            sys.modules[name] = previous
            setattr(parent, child, previous)
        else:
            sys.modules.pop(name, None)
