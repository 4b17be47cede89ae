"""Throttling goes through botocore's real retry logic: a local HTTP server plays Personalize.

Stubber answers before botocore's retry handler runs, so it cannot prove retries; this can.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from tests.support import ORIGINAL_REVIEW, body_of, header, post_review
from tests.support.aws_world import CAMPAIGN_ARN, FILTER_ARN, TRACKING_ID, AwsWorld
from tests.support.fakes import FakeCatalog, FakeEmailQueue, FakeEventRecorder
from watchnext.adapters.aws.clients import CLIENT_CONFIG, MAX_ATTEMPTS
from watchnext.adapters.aws.parameters import SsmParameters
from watchnext.adapters.aws.personalize import PersonalizeRecommender
from watchnext.adapters.http.review_api import ReviewApi
from watchnext.service.review import ReviewService

Reply = tuple[int, dict[str, str], dict[str, object]]

THROTTLED: Reply = (400, {"x-amzn-ErrorType": "ThrottlingException"}, {"message": "Rate exceeded"})
ANSWER: Reply = (
    200,
    {},
    {"itemList": [{"itemId": "Her", "score": 0.5}], "recommendationId": "RID-1"},
)


@dataclass
class FakePersonalizeServer:
    script: list[Reply]
    requests: list[str] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's backoff delays, recorded instead of slept so the tests stay fast."""
    delays: list[float] = []
    monkeypatch.setattr("botocore.endpoint.time.sleep", delays.append)
    return delays


@pytest.fixture
def personalize_server() -> Iterator[FakePersonalizeServer]:
    server_state = FakePersonalizeServer(script=[])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            server_state.requests.append(self.path)
            status, headers, body = server_state.script.pop(0) if server_state.script else THROTTLED
            payload = json.dumps(body).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()


def recommender_against(server: FakePersonalizeServer, aws: AwsWorld) -> PersonalizeRecommender:
    aws.publish(campaign_arn=CAMPAIGN_ARN, tracking_id=TRACKING_ID, filter_arn=FILTER_ARN)
    client = boto3.session.Session(region_name="us-east-1").client(
        "personalize-runtime", config=CLIENT_CONFIG, endpoint_url=server.url
    )
    parameters = SsmParameters(
        "/watchnext/test", aws.clients.ssm, max_age_seconds=60, retry_after_seconds=30
    )
    return PersonalizeRecommender(client, parameters, retry_after_seconds=30)


def test_throttled_calls_are_retried_with_backoff_until_they_succeed(
    aws: AwsWorld, personalize_server: FakePersonalizeServer, backoff: list[float]
) -> None:
    personalize_server.script = [THROTTLED, THROTTLED, ANSWER]

    ranked = recommender_against(personalize_server, aws).recommend("37197598", 5)

    assert ranked.item_ids == ["Her"]
    assert personalize_server.requests == ["/recommendations"] * 3
    assert len(backoff) == 2
    assert all(delay >= 0 for delay in backoff)


def test_throttling_that_outlasts_the_retries_gets_503(
    aws: AwsWorld, personalize_server: FakePersonalizeServer, backoff: list[float]
) -> None:
    recorder = FakeEventRecorder()
    api = ReviewApi(
        ReviewService(
            recorder=recorder,
            recommender=recommender_against(personalize_server, aws),
            catalog=FakeCatalog(),
            email_queue=FakeEmailQueue(),
        )
    )

    response = post_review(api, ORIGINAL_REVIEW)

    assert response["statusCode"] == 503
    assert header(response, "Retry-After") == "30"
    assert "throttling" in body_of(response)["message"]
    assert len(personalize_server.requests) == MAX_ATTEMPTS
    assert len(backoff) == MAX_ATTEMPTS - 1
