"""One contract on both paths: each case is sent over real HTTP to the local stack, and as the
API Gateway REST proxy event API Gateway would build from the same request to the review
API's handler; status and body shape must agree, and match what the case expects.

API Gateway's side is built from its documented behaviour: the path is percent-decoded as
UTF-8 into ``path`` and ``pathParameters``; headers arrive as sent. A body that is not valid
UTF-8 is passed base64-encoded (``isBase64Encoded``): API Gateway does so for binary media
types, and what it passes for a text media type is not documented, so the handler refuses
such a body on both shapes (`test_invalid_utf8_is_refused_in_either_shape`).
"""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.support import ORIGINAL_REVIEW
from tests.support.local import config_for, running_stack
from watchnext.adapters.http.lambda_context import LocalLambdaContext
from watchnext.adapters.http.proxy_events import proxy_event
from watchnext.local_stack import LocalStack

REVIEW = {**ORIGINAL_REVIEW, "item_id": "A1"}


def review(**changes: object) -> bytes:
    return json.dumps({**REVIEW, **changes}).encode()


def with_bytes(raw: bytes) -> bytes:
    """The review with ``raw`` spliced into its item id: a body that is not valid UTF-8."""
    return review(item_id="A1").replace(b'"A1"', b'"A' + raw + b'"')


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    status: int
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    field: str | None = None
    """The field a refusal names, if the case is a refusal."""


CASES = [
    Case("year 1 with a positive offset", "POST", "/reviews", 422,
         review(timestamp="0001-01-01T00:00:00+01:00"), field="timestamp"),
    Case("year 1 at +14:00", "POST", "/reviews", 422,
         review(timestamp="0001-01-01T00:00:00+14:00"), field="timestamp"),
    Case("media type in capitals", "POST", "/reviews", 200, review(),
         {"Content-Type": "APPLICATION/JSON"}),
    Case("media type mixed case with a charset", "POST", "/reviews", 200, review(),
         {"Content-Type": "Application/Json; charset=UTF-8"}),
    Case("another media type", "POST", "/reviews", 415, review(),
         {"Content-Type": "text/plain"}, field="body"),
    Case("a lone 0xff byte", "POST", "/reviews", 422, with_bytes(b"\xff"), field="body"),
    Case("a truncated sequence", "POST", "/reviews", 422, with_bytes(b"\xc3"), field="body"),
    Case("an encoded surrogate", "POST", "/reviews", 422, with_bytes(b"\xed\xa0\x80"),
         field="body"),
    Case("an overlong slash", "POST", "/reviews", 422, with_bytes(b"\xc0\xaf"), field="body"),
    Case("a lone continuation byte", "POST", "/reviews", 422, with_bytes(b"\x80"),
         field="body"),
    Case("GET a NUL user id", "GET", "/users/%00/recommendations", 422, field="path.user_id"),
    Case("GET a CR LF user id", "GET", "/users/a%0D%0Ab/recommendations", 422,
         field="path.user_id"),
    Case("GET a white-space user id", "GET", "/users/%20/recommendations", 422,
         field="path.user_id"),
    Case("GET a user id of 257 characters", "GET", f"/users/{'u' * 257}/recommendations", 422,
         field="path.user_id"),
    Case("GET a non-ASCII user id", "GET", "/users/%E2%98%85fan/recommendations", 200),
    Case("an address with a non-ASCII local part", "POST", "/reviews", 422,
         review(email_address="élève@exämple.com"), field="email_address"),
    Case("an address with a Unicode domain", "POST", "/reviews", 200,
         review(email_address="a@exämple.com")),
    Case("an address with a Punycode domain", "POST", "/reviews", 200,
         review(email_address="a@xn--exmple-cua.com")),
]  # fmt: skip


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, trained: Path) -> Iterator[LocalStack]:
    with running_stack(config_for(tmp_path_factory.mktemp("parity"), trained)) as running:
        yield running


def over_http(stack: LocalStack, case: Case) -> tuple[int, Any]:
    target = urlsplit(stack.config.api_url)
    connection = http.client.HTTPConnection(target.hostname or "", target.port, timeout=10)
    try:
        headers = {**case.headers, "x-api-key": "k"}
        connection.request(case.method, case.path, body=case.body, headers=headers)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def as_api_gateway(stack: LocalStack, case: Case) -> tuple[int, Any]:
    """The handler fed the event API Gateway would build from the same request."""
    body, encoded = None, False
    if case.body is not None:
        try:
            body = case.body.decode("utf-8")
        except UnicodeDecodeError:
            body, encoded = base64.b64encode(case.body).decode("ascii"), True
    event = proxy_event(
        case.method, unquote(case.path, errors="strict"), body=body,
        headers={**case.headers, "x-api-key": "k"}, base64_body=encoded,
    )  # fmt: skip
    response = stack.api.handle(event, LocalLambdaContext())
    return int(response["statusCode"]), json.loads(response["body"])


def shape(body: Any) -> Any:
    """What must agree between the paths: the keys, each refusal's field, never ids or times."""
    if isinstance(body, dict):
        return {k: shape(v) for k, v in sorted(body.items()) if k != "recommendation_id"} | (
            {"errors": [e["field"] for e in body["errors"]]} if "errors" in body else {}
        )
    if isinstance(body, list):
        return [shape(item) for item in body]
    return type(body).__name__


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_case_gets_the_same_answer_on_both_paths(stack: LocalStack, case: Case) -> None:
    status, body = over_http(stack, case)
    handler_status, handler_body = as_api_gateway(stack, case)

    assert (status, shape(body)) == (handler_status, shape(handler_body))
    assert status == case.status, body
    if case.field is not None:
        assert [error["field"] for error in body["errors"]] == [case.field], body


def test_a_non_ascii_user_id_reads_back_what_it_posted(stack: LocalStack) -> None:
    posted = Case("post as ★fan", "POST", "/reviews", 200, review(user_id="★fan"))
    read = Case("read ★fan", "GET", "/users/%E2%98%85fan/recommendations", 200)

    assert over_http(stack, posted)[0] == 200
    status, body = over_http(stack, read)

    assert (status, body["user_id"]) == (200, "★fan")


def test_invalid_utf8_is_refused_in_either_shape(stack: LocalStack) -> None:
    """Whether API Gateway hands the handler invalid UTF-8 as base64 or as text with the bytes
    replaced is not documented: neither is ever recorded."""
    raw = with_bytes(b"\xff")
    replaced = raw.decode("utf-8", "replace")
    event = proxy_event("POST", "/reviews", body=replaced, headers={"x-api-key": "k"})

    response = stack.api.handle(event, LocalLambdaContext())

    assert response["statusCode"] == 422, response["body"]
    (error,) = json.loads(response["body"])["errors"]
    assert error["field"] == "item_id"
    assert "U+FFFD" in error["reason"]


def post_with_key(stack: LocalStack, body: bytes, key: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
    return over_http(stack, Case("keyed", "POST", "/reviews", 0, body, headers))


def test_an_idempotency_key_is_honoured_locally_as_on_aws(stack: LocalStack) -> None:
    """As `test_aws_review_path`'s key tests on the AWS path: a retry under the same key
    answers the first result and records nothing again; the key reused for another review
    is a 422 naming Idempotency-Key, and nothing is recorded for it."""
    first_body = review(user_id="keyed-viewer", item_id="A2")
    stored = stack.events.count()

    first = post_with_key(stack, first_body, "5b1c0e34-8a2f-4d6e-9c1b-2f3a4b5c6d7e")
    retried = post_with_key(stack, first_body, "5b1c0e34-8a2f-4d6e-9c1b-2f3a4b5c6d7e")
    reused = post_with_key(
        stack, review(user_id="keyed-viewer", item_id="A2", event_rating=1),
        "5b1c0e34-8a2f-4d6e-9c1b-2f3a4b5c6d7e",
    )  # fmt: skip

    assert first == retried
    assert first[0] == 200
    assert reused[0] == 422, reused
    assert [error["field"] for error in reused[1]["errors"]] == ["Idempotency-Key"]
    assert stack.events.count() == stored + 1


def test_two_reviews_under_one_implicit_key_are_never_both_acknowledged(
    stack: LocalStack,
) -> None:
    """The same viewer, title and time with another rating and address: once both answered
    200 and the second was dropped. Now the second is refused, as on AWS."""
    at = "2026-11-01T18:30:00Z"
    one = review(user_id="twice", item_id="A3", event_rating=5, timestamp=at)
    other = review(user_id="twice", item_id="A3", event_rating=1, timestamp=at,
                   email_address="other@example.com")  # fmt: skip

    assert post_with_key(stack, one, None)[0] == 200
    status, body = post_with_key(stack, other, None)

    assert status == 422, body
    assert [error["field"] for error in body["errors"]] == ["Idempotency-Key", "timestamp"]
    assert [e.event_value for e in stack.events.events_of("twice")] == [5.0]


def test_two_reviews_a_millisecond_apart_are_two_events_each_with_its_email(
    stack: LocalStack,
) -> None:
    """Sub-second time is kept (PutEvents' sentAt is a timestamp to the millisecond and more),
    so the second review is neither refused nor dropped: each is its own event."""
    one = review(user_id="quick", item_id="A3", timestamp="2026-11-01T18:30:00.001Z")
    other = review(
        user_id="quick", item_id="A3", event_rating=1, timestamp="2026-11-01T18:30:00.002Z",
        email_address="other@example.com",
    )  # fmt: skip

    answers = [post_with_key(stack, body, None) for body in (one, other)]

    assert [(status, body["email_queued"]) for status, body in answers] == [(200, True)] * 2
    assert sorted(e.event_value for e in stack.events.events_of("quick")) == [1.0, 5.0]
