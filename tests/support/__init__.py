"""Helpers shared by the tests: the template as data, sample events, proxy calls."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from watchnext.adapters.http.lambda_context import LocalLambdaContext
from watchnext.adapters.http.proxy_events import proxy_event
from watchnext.adapters.http.review_api import ReviewApi

ROOT = Path(__file__).resolve().parents[2]


def running_in_ci() -> bool:
    """CI=true (GitHub Actions, GitLab, .ci/run's callers): nothing may skip there."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


EVENTS = ROOT / "events"

ORIGINAL_REVIEW: dict[str, Any] = {
    "user_id": "37197598",
    "item_id": "Lucy",
    "event_rating": 5,
    "event_verified_purchase": "Y",
    "event_type": "RATING",
    "email_address": "viewer@example.com",
}


@cache
def template() -> dict[str, Any]:
    """template.yaml parsed with CloudFormation's short-form tags (!Ref, !Sub, ...)."""
    from cfnlint.decode import decode

    parsed, problems = decode(str(ROOT / "template.yaml"))
    assert not problems, problems
    assert parsed is not None
    return dict(parsed)


def resource(logical_id: str) -> dict[str, Any]:
    return dict(template()["Resources"][logical_id])


def sample_event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def post_review(api: ReviewApi, body: dict[str, Any] | str) -> dict[str, Any]:
    raw = body if isinstance(body, str) else json.dumps(body)
    return api.handle(proxy_event("POST", "/reviews", body=raw), LocalLambdaContext())


def get(api: ReviewApi, path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    return api.handle(proxy_event("GET", path, query=query), LocalLambdaContext())


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def header(response: dict[str, Any], name: str) -> str | None:
    for key, values in (response.get("multiValueHeaders") or {}).items():
        if key.lower() == name.lower():
            return str(values[0])
    for key, value in (response.get("headers") or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return None
