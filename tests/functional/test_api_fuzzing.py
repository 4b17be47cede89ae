"""Schemathesis against the local API's own OpenAPI document: generated requests, valid and
not, sent through the local gateway (WSGI, in-process) to the real local adapters (a trained
model, SQLite). Every response must conform to the document (status, content type, headers,
body schema), no request may get a 5xx, schema-invalid data must be refused, every 4xx must
say why, and the same holds along the document's links (stateful)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from watchnext.bootstrap.local import local_components
from watchnext.entrypoints.gateway import LocalGateway
from watchnext.settings import Settings

API_KEY = {"x-api-key": "fuzz-key"}
CASES_PER_MODE = 210  # per operation, valid and invalid data each
MINIMUM_CASES = 2000
STATEFUL_SCENARIOS = 60

# Left out, with the reason:
# - positive_data_acceptance: the document cannot say "not in the future" for a timestamp,
#   nor everything email-validator refuses, so schema-valid data may rightly get a 422.
# - unsupported_method: API Gateway answers an undeclared method with 403 "Missing
#   Authentication Token", not 405, and the local gateway does the same as the real one.
# - use_after_free, ensure_resource_availability: the API deletes nothing a link points to.


def says_why(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 4xx names its reason: the JSON ``message``, or the text of an HTML page."""
    if response.status_code < 400:
        return None
    assert _reason(response), (case.as_curl_command(), response.text[:500])
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
    says_why,
]


@pytest.fixture(scope="module")
def local_api_schema(tmp_path_factory: pytest.TempPathFactory, trained: Path) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("fuzz")
    settings = Settings(data_dir=folder / "state", artifact=trained, api_key=API_KEY["x-api-key"])
    stack = local_components(settings)  # adapters only: no servers, no mail worker
    app = LocalGateway(stack.api, stack.api_key)
    try:
        yield schemathesis.openapi.from_wsgi("/openapi.json", app, headers=API_KEY)
    finally:
        stack.db.close()


def _reason(response: Any) -> str:
    content_type = {name.lower(): value for name, value in response.headers.items()}.get(
        "content-type", ""
    )
    if "text/html" in str(content_type):
        return re.sub(r"<[^>]+>|WatchNext", "", response.text).strip()
    body = response.json()
    if isinstance(body, dict):
        return str(body.get("message") or "")
    return ""


def _with_our_key(case: Any) -> dict[str, str]:
    """The stage's key where the case sends one (schemathesis makes up a value); none where a
    negative case left it out, which the API must then refuse."""
    sends_a_key = any(name.lower() == "x-api-key" for name in (case.headers or {}))
    return dict(API_KEY) if sends_a_key else {}


statuses: Counter[int] = Counter()


def _fuzz(operation: Any, mode: GenerationMode) -> int:
    """Send CASES_PER_MODE generated requests for one operation; returns how many were sent."""
    sent = 0

    # schemathesis' own pytest plugin does not run under pytest 9, so its strategies are
    # driven with hypothesis directly.
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=CASES_PER_MODE,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,  # the same cases every run: a failure reproduces
        database=None,
    )
    def check(case: Any) -> None:
        nonlocal sent
        sent += 1
        headers = _with_our_key(case)
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    check()
    return sent


def test_every_generated_request_gets_a_documented_answer(local_api_schema: Any) -> None:
    sent: Counter[str] = Counter()
    operations = [result.ok() for result in local_api_schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            sent[f"{operation.label} ({mode.value})"] += _fuzz(operation, mode)

    assert {
        "POST /reviews", "GET /users/{user_id}/recommendations",
        "GET /unsubscribe", "POST /unsubscribe", "POST /resubscribe", "GET /r/{token}",
    } <= {operation.label for operation in operations}  # fmt: skip
    print(f"schemathesis: {sum(sent.values())} cases, statuses {dict(sorted(statuses.items()))}")
    assert sum(sent.values()) >= MINIMUM_CASES, sent
    assert statuses[200] > 0, statuses  # valid data got through
    assert statuses[422] > 0, statuses  # and invalid data was refused


def test_the_documents_links_hold_when_followed(local_api_schema: Any) -> None:
    """Stateful: a review's answer leads to its viewer's recommendations (the 200's link)."""
    machine = local_api_schema.as_state_machine()
    followed: Counter[str] = Counter()

    class Scenarios(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": _with_our_key(case)}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            followed[case.operation.label] += 1
            case.validate_response(response, checks=CHECKS, headers=_with_our_key(case))

    Scenarios.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
            stateful_step_count=4,
        )
    )
    print(f"schemathesis stateful: {dict(followed)}")
    assert followed["GET /users/{user_id}/recommendations"] > 0, followed
