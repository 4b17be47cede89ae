"""Synchronous AWS round trips per review and request latency, ours against the original
Lambda's call pattern, both at the same simulated latency per AWS call.

Both run real boto3 clients answered by Stubber; a ``before-call`` hook sleeps the simulated
latency and counts the call. The original, per request: list_event_trackers and
describe_event_tracker (to find the tracking id by name), put_events, describe_campaign,
a 2 s sleep, get_recommendations, then Pinpoint's update_endpoint and send_users_messages.
Ours sends the email from the mailer, off the request path (its calls are counted apart).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.stub import Stubber

from benchmarks.handler_stack import review_event, stubbed_aws_api
from benchmarks.stats import summary_ms
from watchnext.adapters.http.lambda_context import LocalLambdaContext

ORIGINAL_SLEEP_SECONDS = 2.0
ACCOUNT_ARN = "arn:aws:personalize:us-east-1:123456789012"
MAILER_CALLS = 3  # opt-out check, claim of the job id, SES SendEmail (cooldown off)


@dataclass
class CallLatency:
    """Sleeps ``seconds`` before every AWS call on the clients it is attached to, and counts."""

    seconds: float
    calls: int = 0
    names: list[str] = field(default_factory=list)

    def attach(self, client: Any) -> None:
        client.meta.events.register_first("before-call.*.*", self._before_call)

    def _before_call(self, model: Any, **_: Any) -> None:
        self.calls += 1
        self.names.append(model.name)
        time.sleep(self.seconds)


def _ours(latency: CallLatency, reviews: int) -> dict[str, Any]:
    stubbed = stubbed_aws_api()
    for stubber in stubbed.stubbers.values():
        latency.attach(stubber.client)
    context = LocalLambdaContext(timeout_seconds=3600)
    samples, calls = [], []
    try:
        for n in range(reviews + 1):
            stubbed.queue_one_review()
            before = latency.calls
            started = time.perf_counter()
            response = stubbed.api.handle(review_event(n), context)
            elapsed = time.perf_counter() - started
            assert response["statusCode"] == 200, response
            if n:  # the first review also reads the SSM parameters (cached afterwards)
                samples.append(elapsed)
                calls.append(latency.calls - before)
    finally:
        stubbed.close()
    return {"aws_calls_per_review": max(calls), **summary_ms(samples)}


def _original_clients(stack: ExitStack, latency: CallLatency) -> dict[str, Stubber]:
    session = boto3.session.Session(region_name="us-east-1")
    stubbers = {}
    for service in ("personalize", "personalize-events", "personalize-runtime", "pinpoint"):
        client = session.client(service)
        latency.attach(client)
        stubbers[service] = stack.enter_context(Stubber(client))
    return stubbers


def _queue_original(stubbers: dict[str, Stubber]) -> None:
    tracker = f"{ACCOUNT_ARN}:event-tracker/abc"
    stubbers["personalize"].add_response(
        "list_event_trackers", {"eventTrackers": [{"name": "tracker", "eventTrackerArn": tracker}]}
    )
    stubbers["personalize"].add_response(
        "describe_event_tracker", {"eventTracker": {"trackingId": "t-1", "name": "tracker"}}
    )
    stubbers["personalize-events"].add_response("put_events", {})
    stubbers["personalize"].add_response("describe_campaign", {"campaign": {"status": "ACTIVE"}})
    stubbers["personalize-runtime"].add_response(
        "get_recommendations", {"itemList": [{"itemId": f"item-{i}"} for i in range(5)]}
    )
    stubbers["pinpoint"].add_response("update_endpoint", {"MessageBody": {}})
    stubbers["pinpoint"].add_response(
        "send_users_messages", {"SendUsersMessageResponse": {"ApplicationId": "app"}}
    )


def _original_request(stubbers: dict[str, Stubber], sleep: Callable[[float], None]) -> None:
    """The original handler's calls, in its order, with its parameters' shapes."""
    clients: dict[str, Any] = {name: stub.client for name, stub in stubbers.items()}
    personalize = clients["personalize"]
    trackers = personalize.list_event_trackers()["eventTrackers"]
    tracker = personalize.describe_event_tracker(eventTrackerArn=trackers[0]["eventTrackerArn"])
    clients["personalize-events"].put_events(
        trackingId=tracker["eventTracker"]["trackingId"],
        userId="user-1",
        sessionId="random-session",
        eventList=[{"eventType": "RATING", "sentAt": 1_700_000_000, "properties": "{}"}],
    )
    personalize.describe_campaign(campaignArn=f"{ACCOUNT_ARN}:campaign/c")
    sleep(ORIGINAL_SLEEP_SECONDS)
    clients["personalize-runtime"].get_recommendations(
        campaignArn=f"{ACCOUNT_ARN}:campaign/c", userId="user-1", numResults=5
    )
    pinpoint = clients["pinpoint"]
    pinpoint.update_endpoint(
        ApplicationId="app", EndpointId="user-1", EndpointRequest={"Address": "v@example.com"}
    )
    pinpoint.send_users_messages(
        ApplicationId="app",
        SendUsersMessageRequest={
            "MessageConfiguration": {"EmailMessage": {}},
            "TemplateConfiguration": {"EmailTemplate": {"Name": "personalized-recommendations"}},
            "Users": {"user-1": {}},
        },
    )


def _original(latency: CallLatency, requests: int) -> dict[str, Any]:
    samples, calls = [], []
    with ExitStack() as stack:
        stubbers = _original_clients(stack, latency)
        for _ in range(requests):
            _queue_original(stubbers)
            before = latency.calls
            started = time.perf_counter()
            _original_request(stubbers, time.sleep)
            samples.append(time.perf_counter() - started)
            calls.append(latency.calls - before)
    return {"aws_calls_per_review": max(calls), **summary_ms(samples)}


def run(
    *, latency_ms: float = 20.0, reviews: int = 30, original_requests: int = 5
) -> dict[str, Any]:
    """Both patterns at ``latency_ms`` per AWS call; ratios are original / ours."""
    logging.getLogger("watchnext").setLevel(logging.WARNING)  # one INFO line per review
    ours = _ours(CallLatency(latency_ms / 1000), reviews)
    original = _original(CallLatency(latency_ms / 1000), original_requests)
    return {
        "simulated_latency_per_call_ms": latency_ms,
        "ours": ours | {"mailer_calls_off_the_request_path": MAILER_CALLS},
        "original": original | {"sleep_ms": ORIGINAL_SLEEP_SECONDS * 1000},
        "round_trip_ratio": round(
            original["aws_calls_per_review"] / ours["aws_calls_per_review"], 2
        ),
        "latency_ratio_p50": round(original["p50_ms"] / ours["p50_ms"], 1),
        "original_latency_without_its_sleep_ratio_p50": round(
            (original["p50_ms"] - ORIGINAL_SLEEP_SECONDS * 1000) / ours["p50_ms"], 2
        ),
    }
