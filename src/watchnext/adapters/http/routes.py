"""The API's routes as API Gateway serves them (template.yaml's Api events, checked by
`tests/unit/test_routes.py`), and what API Gateway answers before the handler runs.

API Gateway answers these itself, in its ``{"message": ...}`` shape (the "Gateway response
types" table of the REST API developer guide): a method and path no resource matches is 403
``Missing Authentication Token`` (MISSING_AUTHENTICATION_TOKEN); a method that needs the API
key, called without a valid one, 403 ``Forbidden`` (INVALID_API_KEY); a payload over the 10 MB
quota, 413 (REQUEST_TOO_LARGE).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
"""API Gateway REST's payload quota ("Amazon API Gateway quotas", not adjustable)."""


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    resource: str
    key_required: bool = True

    def parameters(self, path: str) -> dict[str, str] | None:
        """The path parameters when ``path`` matches this resource, else None."""
        segments, parts = self.resource.strip("/").split("/"), path.strip("/").split("/")
        if len(segments) != len(parts) or not path.startswith("/"):
            return None
        found = {}
        for segment, part in zip(segments, parts, strict=True):
            if segment.startswith("{"):
                if not part:
                    return None
                found[segment[1:-1]] = part
            elif segment != part:
                return None
        return found


ROUTES = (
    Route("POST", "/reviews"),
    Route("GET", "/users/{user_id}/recommendations"),
    Route("GET", "/openapi.json"),
    Route("OPTIONS", "/reviews", key_required=False),
    Route("OPTIONS", "/users/{user_id}/recommendations", key_required=False),
    Route("OPTIONS", "/openapi.json", key_required=False),
    # An email's links carry their own signed token instead of the key.
    Route("GET", "/r/{token}", key_required=False),
    Route("GET", "/unsubscribe", key_required=False),
    Route("POST", "/unsubscribe", key_required=False),
    Route("POST", "/resubscribe", key_required=False),
)


def route_for(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route serving ``method`` on ``path`` (already percent-decoded), and its path
    parameters; None where API Gateway has no such method."""
    for route in ROUTES:
        if route.method == method:
            parameters = route.parameters(path)
            if parameters is not None:
                return route, parameters
    return None
