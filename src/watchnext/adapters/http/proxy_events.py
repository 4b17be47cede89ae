"""API Gateway REST proxy events, built the way API Gateway builds them.

Used by tests, benchmarks and (later) the local gateway, so that all of them feed the handler
exactly what the deployed API would.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

RESOURCES = {
    ("POST", "/reviews"): "/reviews",
    ("GET", "/openapi.json"): "/openapi.json",
}


def resource_for(method: str, path: str) -> tuple[str, dict[str, str] | None]:
    """The API resource a path matches, and its path parameters."""
    parts = path.strip("/").split("/")
    if (
        method == "GET"
        and len(parts) == 3
        and parts[0] == "users"
        and parts[2] == "recommendations"
    ):
        return "/users/{user_id}/recommendations", {"user_id": parts[1]}
    if method == "GET" and len(parts) == 2 and parts[0] == "r":
        return "/r/{token}", {"token": parts[1]}
    return RESOURCES.get((method, path), path), None


def proxy_event(
    method: str,
    path: str,
    *,
    body: str | None = None,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    stage: str = "local",
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    resource, path_parameters = resource_for(method, path)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    now = time.time()
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": (
            {name: [value] for name, value in query.items()} if query else None
        ),
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(now * 1000),
            "identity": {"sourceIp": source_ip, "apiKey": all_headers.get("x-api-key")},
            "protocol": "HTTP/1.1",
            "accountId": "000000000000",
            "apiId": "local",
        },
        "body": body,
        "isBase64Encoded": False,
    }
