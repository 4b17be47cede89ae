"""Schemathesis against the local API's own OpenAPI document: generated requests, valid and
not, sent through the local gateway (WSGI, in-process) to the real local adapters (a trained
implicit model, SQLite). No request may get a 5xx, and every 4xx must say why."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from watchnext.entrypoints.gateway import LocalGateway
from watchnext.local_stack import LocalConfig, build_local_stack

API_KEY = {"x-api-key": "fuzz-key"}
CASES_PER_MODE = 200  # per operation, valid and invalid data each
MINIMUM_CASES = 1000


@pytest.fixture(scope="module")
def local_api_schema(tmp_path_factory: pytest.TempPathFactory, trained: Path) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("fuzz")
    config = LocalConfig(data_dir=folder / "state", artifact=trained, api_key=API_KEY["x-api-key"])
    stack = build_local_stack(config)  # adapters only: no servers, no mail worker
    app = LocalGateway(stack.api, stack.api_key)
    try:
        yield schemathesis.openapi.from_wsgi("/openapi.json", app, headers=API_KEY)
    finally:
        stack.db.close()


def _reason(response: Any) -> str:
    """The reason a 4xx gives: the JSON ``message``/``detail``, or the text of an HTML page
    (the unsubscribe link answers people, not programs)."""
    content_type = {name.lower(): value for name, value in response.headers.items()}.get(
        "content-type", ""
    )
    if "text/html" in str(content_type):
        return re.sub(r"<[^>]+>|WatchNext", "", response.text).strip()
    body = response.json()
    if isinstance(body, dict):
        return str(body.get("message") or body.get("detail") or "")
    return ""


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
        response = case.call(headers=API_KEY)
        statuses[response.status_code] += 1
        assert response.status_code < 500, (case.as_curl_command(), response.text[:500])
        if response.status_code >= 400:
            assert _reason(response), (case.as_curl_command(), response.text[:500])

    check()
    return sent


def test_no_generated_request_gets_a_5xx_or_a_4xx_without_a_reason(local_api_schema: Any) -> None:
    sent: Counter[str] = Counter()
    operations = [result.ok() for result in local_api_schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            sent[f"{operation.label} ({mode.value})"] += _fuzz(operation, mode)

    assert {"POST /reviews", "GET /users/{user_id}/recommendations"} <= {
        operation.label for operation in operations
    }
    print(f"schemathesis: {sum(sent.values())} cases, statuses {dict(sorted(statuses.items()))}")
    assert sum(sent.values()) >= MINIMUM_CASES, sent
