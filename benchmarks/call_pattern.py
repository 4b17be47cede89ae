"""AWS round trips per review and request latency, ours against the original Lambda's call
pattern, both at the same simulated latency per AWS call, at least 200 requests each side.

Both run real boto3 clients answered by Stubber; a ``before-call`` hook sleeps the simulated
latency and counts each call the code makes. The original, per request: list_event_trackers
and describe_event_tracker (to find the tracking id by name), put_events, describe_campaign,
a 2 s sleep, get_recommendations, then Pinpoint's update_endpoint and send_users_messages.
Ours hands the email to the mailer, off the request path; the mailer runs as deployed (SES v2)
on as many jobs, and its calls are counted too.

Like for like comes first: the original without its sleep. The sleep is a constant the
original added, so its figure comes second, measured on 200 requests run 10 at a time (each
request's latency is still its own: the sleep holds no CPU).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber

from benchmarks.handler_stack import DEPLOYED, CallLatency, stubbed_mailer, timed_reviews
from benchmarks.stats import summary_ms
from watchnext.domain.email import EmailJob, RatedItem
from watchnext.domain.recommendation import Recommendation

ORIGINAL_SLEEP_SECONDS = 2.0
ACCOUNT_ARN = "arn:aws:personalize:us-east-1:123456789012"
REQUESTS = 200
SLEEPING_CONCURRENCY = 10


def _ours(latency: CallLatency, reviews: int) -> dict[str, Any]:
    samples, calls = timed_reviews(latency, reviews, skip=1)
    return {"aws_calls_per_review": max(calls), "requests": len(samples), **summary_ms(samples)}


def _mailer(latency: CallLatency, jobs: int) -> dict[str, Any]:
    mailer = stubbed_mailer()
    for stubber in mailer.stubbers.values():
        latency.attach(stubber.client)
    samples, calls = [], []
    try:
        for n in range(jobs + 1):
            mailer.queue_one_email()
            before = latency.calls
            started = time.perf_counter()
            outcome = mailer.delivery.deliver(_job(n))
            elapsed = time.perf_counter() - started
            assert outcome.value == "sent", outcome
            if n:  # the first job also reads the unsubscribe key (cached afterwards)
                samples.append(elapsed)
                calls.append(latency.calls - before)
        for stubber in mailer.stubbers.values():
            stubber.assert_no_pending_responses()
    finally:
        mailer.close()
    return {"aws_calls_per_email": max(calls), "jobs": len(samples), **summary_ms(samples)}


def _mailer_throughput(latency: CallLatency, jobs: int, batch: int = 10) -> dict[str, Any]:
    """Emails/s through the deployed mailer (SES v2), one job at a time as before, and an SQS
    batch at a time (`Delivery.deliver_all`, the channel's pool), same run, same latency."""
    rates = {}
    for mode in ("one_at_a_time", "sqs_batches"):
        mailer = stubbed_mailer()
        for stubber in mailer.stubbers.values():
            latency.attach(stubber.client)
        try:
            mailer.queue_one_email()
            mailer.delivery.deliver(_job(-1))  # reads the unsubscribe key (cached afterwards)
            started = time.perf_counter()
            for first in range(0, jobs, batch):
                group = [_job(n) for n in range(first, min(first + batch, jobs))]
                if mode == "one_at_a_time":
                    for job in group:
                        mailer.queue_one_email()
                        assert mailer.delivery.deliver(job).value == "sent"
                else:
                    mailer.queue_batch(len(group))
                    results = mailer.delivery.deliver_all(group)
                    assert all(getattr(r, "value", r) == "sent" for r in results), results
            rates[mode] = round(jobs / (time.perf_counter() - started), 1)
            for stubber in mailer.stubbers.values():
                stubber.assert_no_pending_responses()
        finally:
            mailer.close()
    return {
        "jobs": jobs,
        "batch": batch,
        "send_concurrency": DEPLOYED.email_send_concurrency,
        "emails_per_second": rates,
        "batches_over_one_at_a_time": round(rates["sqs_batches"] / rates["one_at_a_time"], 2),
    }


def _job(n: int) -> EmailJob:
    picks = tuple(Recommendation(item_id=f"item-{i}", title=f"Title {i}") for i in range(5))
    return EmailJob(
        job_id=f"job-{n}", user_id=f"user-{n}", email_address="viewer@example.com",
        rated=RatedItem(item_id="Lucy", title="Lucy (2014)", rating=5), recommendations=picks,
        recommendation_id="RID-bench", reviewed_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip


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


def _original(requests: int, latency_seconds: float, sleep: bool) -> dict[str, Any]:
    """The original's requests, each with its own clients; with its sleep, 10 at a time."""

    def one_request(_: int) -> tuple[float, int]:
        latency = CallLatency(latency_seconds)
        with ExitStack() as stack:
            stubbers = _original_clients(stack, latency)
            _queue_original(stubbers)
            started = time.perf_counter()
            _original_request(stubbers, time.sleep if sleep else _no_sleep)
            return time.perf_counter() - started, latency.calls

    workers = SLEEPING_CONCURRENCY if sleep else 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        measured = list(pool.map(one_request, range(requests)))
    samples = [elapsed for elapsed, _ in measured]
    return {
        "aws_calls_per_review": max(calls for _, calls in measured),
        "requests": len(samples),
        "concurrency": workers,
        **summary_ms(samples),
    }


def _no_sleep(_seconds: float) -> None:
    pass


def run(*, latency_ms: float = 20.0, requests: int = REQUESTS) -> dict[str, Any]:
    """Both patterns at ``latency_ms`` per AWS call; ratios are original / ours."""
    logging.getLogger("watchnext").setLevel(logging.WARNING)  # one INFO line per review
    seconds = latency_ms / 1000
    ours = _ours(CallLatency(seconds), requests)
    mailer = _mailer(CallLatency(seconds), requests)
    throughput = _mailer_throughput(CallLatency(seconds), requests)
    like_for_like = _original(requests, seconds, sleep=False)
    with_sleep = _original(requests, seconds, sleep=True)
    return {
        "simulated_latency_per_call_ms": latency_ms,
        "ours": ours,
        "ours_mailer": mailer,
        "ours_mailer_throughput": throughput,
        "original_without_its_sleep": like_for_like,
        "original_with_its_sleep": with_sleep | {"sleep_ms": ORIGINAL_SLEEP_SECONDS * 1000},
        "like_for_like": {
            "request_round_trip_ratio": round(
                like_for_like["aws_calls_per_review"] / ours["aws_calls_per_review"], 2
            ),
            "latency_ratio_p50": round(like_for_like["p50_ms"] / ours["p50_ms"], 2),
            "latency_ratio_p99": round(like_for_like["p99_ms"] / ours["p99_ms"], 2),
            # The original emailed inside the request, ours from the mailer: every call counts.
            "all_calls_per_review": {
                "original": like_for_like["aws_calls_per_review"],
                "ours": ours["aws_calls_per_review"] + mailer["aws_calls_per_email"],
            },
        },
        "with_the_originals_sleep_latency_ratio_p50": round(
            with_sleep["p50_ms"] / ours["p50_ms"], 1
        ),
    }
