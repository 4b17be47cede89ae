"""API Gateway REST proxy events, built the way API Gateway builds them.

Used by tests, benchmarks and the local gateway, so that all of them feed the handler
exactly what the deployed API would.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

from watchnext.adapters.http.routes import route_for


def resource_for(method: str, path: str) -> tuple[str, dict[str, str] | None]:
    """The API resource a path matches, and its path parameters (None when it has none)."""
    found = route_for(method, path)
    if found is None:
        return path, None
    route, parameters = found
    return route.resource, parameters or None


def proxy_event(
    method: str,
    path: str,
    *,
    body: str | None = None,
    headers: Mapping[str, str] | None = None,
    query: Mapping[str, str] | None = None,
    stage: str = "local",
    source_ip: str = "127.0.0.1",
    base64_body: bool = False,
    headers_as_sent: bool = False,
) -> dict[str, Any]:
    """``base64_body``: ``body`` is base64, as API Gateway sends a body it does not pass as
    text (``isBase64Encoded``). ``headers_as_sent``: exactly ``headers``, as a gateway passes
    a real request's; otherwise a JSON Content-Type is added when none is given."""
    resource, path_parameters = resource_for(method, path)
    default = {} if headers_as_sent else {"Content-Type": "application/json"}
    all_headers = {**default, **(headers or {})}
    now = time.time()
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers or None,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()} or None,
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
        "isBase64Encoded": base64_body,
    }
