"""What the review API answers besides success, as the OpenAPI document declares it.

Every status a route can return is declared with the body it carries, so that a client (and
the conformance tests) can rely on the document: the 4xx shape `Problem`, the 503 shape
`Unavailable`, the API key as a security scheme, HTML for the pages people open.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.models import SecurityScheme
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

API_KEY_SCHEME = "apiKey"


def security_schemes() -> dict[str, SecurityScheme]:
    """The API key as an OpenAPI security scheme. Powertools' OpenAPI models take about a
    quarter of a second to import, so only the document's route pays for them."""
    from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn

    return {
        API_KEY_SCHEME: APIKey(
            name="x-api-key",
            in_=APIKeyIn.header,
            description="The stage's API key (a usage plan; `ReviewApiKeyId` in the outputs).",
        )
    }


NEEDS_API_KEY: list[dict[str, list[str]]] = [{API_KEY_SCHEME: []}]


# The error bodies are written by hand (`review_api._json`); their models only describe them
# in the OpenAPI document, so they are built when the document is, not at every cold start.
DOCUMENT_ONLY = ConfigDict(defer_build=True)


class FieldProblem(BaseModel):
    model_config = DOCUMENT_ONLY
    field: str = Field(description="Where: `user_id`, `query.n`, `body`, a header name")
    reason: str
    type: str = Field(description="A stable code, e.g. `missing`, `body_invalid`, `key_reused`")


class Problem(BaseModel):
    """A refused request: what to change, field by field. The submitted values are not
    echoed back."""

    model_config = DOCUMENT_ONLY
    message: str
    errors: list[FieldProblem]


class Message(BaseModel):
    model_config = DOCUMENT_ONLY
    message: str


class Unavailable(BaseModel):
    model_config = DOCUMENT_ONLY
    message: str
    retry_after_seconds: int = Field(description="Also in the `Retry-After` header")


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


def _json(model: type[BaseModel], description: str, **extra: Any) -> OpenAPIResponse:
    response: OpenAPIResponse = {
        "description": description,
        "content": {"application/json": {"model": model}},
    }
    response.update(extra)  # type: ignore[typeddict-item]
    return response


def _html(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


FORBIDDEN = _json(Message, "No API key, or not this stage's (API Gateway's own answer)")
INVALID = _json(Problem, "A parameter or field is missing or invalid; `errors` says which")
UNAVAILABLE = _json(
    Unavailable,
    "The recommender or a store is not ready or not answering; retry later",
    headers=RETRY_AFTER,
)


def review_responses(accepted: type[BaseModel]) -> dict[int, OpenAPIResponse]:
    return {
        200: _json(
            accepted,
            "Recorded; the recommendations reflect the review",
            links={
                "RecommendationsOfTheReviewer": {
                    "operationId": "get_recommendations",
                    "parameters": {"user_id": "$response.body#/user_id"},
                }
            },
        ),
        400: _json(Problem, "The Idempotency-Key header is malformed"),
        403: FORBIDDEN,
        409: _json(
            Message, "The same review is being recorded right now; retry", headers=RETRY_AFTER
        ),
        413: _json(Problem, "The body is larger than the API accepts"),
        415: _json(Problem, "The body is not `application/json`"),
        422: _json(Problem, "A field is missing or invalid, or the Idempotency-Key was reused"),
        503: UNAVAILABLE,
    }


def recommendation_responses(listed: type[BaseModel]) -> dict[int, OpenAPIResponse]:
    return {
        200: _json(listed, "The viewer's current recommendations, best first, with titles"),
        403: FORBIDDEN,
        422: INVALID,
        503: UNAVAILABLE,
    }


SUBSCRIPTION_RESPONSES: dict[int, OpenAPIResponse] = {
    200: _html("A page for the viewer, with the next step's button"),
    400: _html("The link is malformed, forged or expired; the page says which"),
    404: _html("Unsubscribing is not configured on this deployment"),
    422: INVALID,
    503: UNAVAILABLE,
}

CLICK_RESPONSES: dict[int, OpenAPIResponse] = {
    302: _html("The click is recorded: on to the title's page (Location)"),
    400: _html("The link is malformed or forged; nothing is recorded"),
    404: _html("Pick links are not configured on this deployment"),
    409: _html("The link was followed before; nothing is recorded again"),
    410: _html("The link has expired; nothing is recorded"),
    422: INVALID,
    503: UNAVAILABLE,
}


def without_unused_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """The document less the component schemas nothing refers to: Powertools adds its own
    validation-error models, which this API never returns."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    used: set[str] = set()
    pending = [json.dumps(document["paths"])]
    while pending:
        for name in re.findall(r'"#/components/schemas/([^"]+)"', pending.pop()):
            if name not in used and name in schemas:
                used.add(name)
                pending.append(json.dumps(schemas[name]))
    document["components"]["schemas"] = {n: s for n, s in schemas.items() if n in used}
    return document
