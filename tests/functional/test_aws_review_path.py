"""The review path on AWS adapters: Personalize via Stubber; SQS, DynamoDB and SSM via moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import ANY

from tests.support import ORIGINAL_REVIEW, body_of, get, header, post_review, sample_event
from tests.support.aws_world import CAMPAIGN_ARN, FILTER_ARN, TRACKING_ID, AwsWorld
from watchnext.adapters.http.lambda_context import LocalLambdaContext
from watchnext.adapters.http.proxy_events import proxy_event
from watchnext.bootstrap.lambda_init import BuiltAtInit
from watchnext.entrypoints import api as api_module
from watchnext.observability import PowertoolsMetrics

REVIEW = {**ORIGINAL_REVIEW, "timestamp": "2026-11-01T18:30:00Z"}
REVIEWED_AT = datetime(2026, 11, 1, 18, 30, tzinfo=UTC)
PERSONALIZE_ANSWER = {
    "itemList": [
        {"itemId": "Arrival", "score": 0.41},
        {"itemId": "Her", "score": 0.22, "reason": ["Exploration"]},
        {"itemId": "B00NOTINCATALOG", "score": 0.07},
    ],
    "recommendationId": "RID-8c1d2f",
}


def expect_put_events(
    aws: AwsWorld,
    item_id: str = "Lucy",
    at: object = REVIEWED_AT,
    *,
    event_type: str = "RATING",
    value: float = 5.0,
) -> None:
    aws.events.add_response(
        "put_events",
        {},
        expected_params={
            "trackingId": TRACKING_ID,
            "userId": "37197598",
            "sessionId": ANY,
            "eventList": [
                {
                    "eventId": ANY,
                    "eventType": event_type,
                    "eventValue": value,
                    "itemId": item_id,
                    "sentAt": at,
                    "properties": json.dumps({"eventVerifiedPurchase": "Y"}),
                }
            ],
        },
    )


def expect_get_recommendations(
    aws: AwsWorld, num_results: int = 10, answer: dict[str, Any] = PERSONALIZE_ANSWER
) -> None:
    aws.runtime.add_response(
        "get_recommendations",
        answer,
        expected_params={
            "campaignArn": CAMPAIGN_ARN,
            "userId": "37197598",
            "numResults": num_results,
            "filterArn": FILTER_ARN,
        },
    )


def pick(item_id: str, title: str, score: float) -> dict[str, object]:
    """A pick as the API shows it when the recommender computed no history reason."""
    return {
        "item_id": item_id, "title": title, "score": score,
        "because_item_id": None, "because_title": None, "reasons": [],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("rating", "dislike_below", "event_type", "feeling"),
    [
        (2, 3, "DISLIKE", "dislike"),  # no neutral band: a like from 3, a dislike below
        (2, 2, "RATING", "neutral"),  # the defaults: a neutral band [2, 3)
        (3, 3, "RATING", "like"),
    ],
)
def test_a_dislike_goes_to_personalize_as_its_own_type_and_the_email_says_so(
    aws: AwsWorld, rating: int, dislike_below: int, event_type: str, feeling: str
) -> None:
    """Below the dislike threshold a rating is a DISLIKE event, which no solution trains on
    (`test_training_reads_only_likes_and_never_a_dislike`); the value still travels, and
    the email job carries what the rating said."""
    aws.publish_all()
    expect_put_events(aws, event_type=event_type, value=float(rating))
    expect_get_recommendations(aws, num_results=20 if event_type == "DISLIKE" else 10)
    api = aws.api(dislike_threshold=dislike_below)

    response = post_review(api, REVIEW | {"event_rating": rating})

    assert response["statusCode"] == 200, response["body"]
    aws.events.assert_no_pending_responses()
    (job,) = aws.queued_jobs()
    assert job["rated"]["feeling"] == feeling


def test_after_a_dislike_picks_that_share_its_genres_are_pushed_down(aws: AwsWorld) -> None:
    """Personalize cannot be told that a DISLIKE pushes away, so the function asks for twice
    the picks and pushes down those whose genres overlap the disliked title's: Arrival
    (Sci-Fi, like Lucy) falls below Her. The same calls as any review, under the function's
    role as the world enforces it."""
    aws.publish_all()
    expect_put_events(aws, event_type="DISLIKE", value=1.0)
    expect_get_recommendations(aws, num_results=4, answer=PERSONALIZE_ANSWER)
    api = aws.api(num_results=2, dislike_demotion=1.5)

    response = post_review(api, REVIEW | {"event_rating": 1})

    assert response["statusCode"] == 200, response["body"]
    picks = [r["item_id"] for r in body_of(response)["recommendations"]]
    assert picks == ["Her", "Arrival"]  # Arrival shares Sci-Fi with Lucy: it falls below Her


def test_the_original_body_records_an_event_returns_titles_and_queues_one_job(
    aws: AwsWorld,
) -> None:
    aws.publish_all()
    expect_put_events(aws)
    expect_get_recommendations(aws)

    response = post_review(aws.api(), REVIEW)

    assert response["statusCode"] == 200, response["body"]
    assert body_of(response) == {
        "user_id": "37197598",
        "recommendation_id": "RID-8c1d2f",
        "recommendations": [
            pick("Arrival", "Arrival (2016)", 0.41),
            pick("Her", "Her (2013)", 0.22) | {"reasons": ["Exploration"]},  # Personalize's own
            pick("B00NOTINCATALOG", "B00NOTINCATALOG", 0.07),
        ],
        "item_known": True,
        "email_queued": True,
        "email_not_queued_reason": None,
    }
    aws.events.assert_no_pending_responses()
    aws.runtime.assert_no_pending_responses()
    (job,) = aws.queued_jobs()
    assert job["email_address"] == "viewer@example.com"
    assert job["rated"] == {
        "item_id": "Lucy", "title": "Lucy (2014)", "rating": 5, "known": True, "feeling": "like",
    }  # fmt: skip
    assert [r["title"] for r in job["recommendations"]] == [
        "Arrival (2016)",
        "B00NOTINCATALOG",  # the email groups picks by reason: the two without one together
        "Her (2013)",
    ]
    assert job["recommendation_id"] == "RID-8c1d2f"


def test_the_same_review_posted_twice_records_one_event_and_queues_one_job(
    aws: AwsWorld,
) -> None:
    aws.publish_all()
    expect_put_events(aws)
    expect_get_recommendations(aws)
    api = aws.api()

    first = post_review(api, REVIEW)
    second = post_review(api, REVIEW)

    assert first["statusCode"] == second["statusCode"] == 200
    assert body_of(first) == body_of(second)
    aws.events.assert_no_pending_responses()
    assert len(aws.queued_jobs()) == 1


def test_a_review_at_another_time_is_a_new_event(aws: AwsWorld) -> None:
    aws.publish_all()
    later = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    expect_put_events(aws)
    expect_get_recommendations(aws)
    expect_put_events(aws, at=later)
    expect_get_recommendations(aws)
    api = aws.api()

    post_review(api, REVIEW)
    post_review(api, {**REVIEW, "timestamp": later.isoformat()})

    aws.events.assert_no_pending_responses()
    assert len(aws.queued_jobs()) == 2


@pytest.mark.parametrize("missing", ["campaign_arn", "tracking_id"])
def test_an_unpublished_campaign_or_tracker_gets_503_naming_the_parameter(
    aws: AwsWorld, missing: str
) -> None:
    aws.publish_all()
    aws.publish(**{missing: "NOT_CONFIGURED"})
    if missing == "campaign_arn":
        expect_put_events(aws)

    response = post_review(aws.api(), REVIEW)

    assert response["statusCode"] == 503
    assert header(response, "Retry-After") == "30"
    assert f"/watchnext/test/{missing.replace('_', '-')}" in body_of(response)["message"]
    assert aws.queued_jobs() == []


def test_a_campaign_that_is_not_active_gets_503(aws: AwsWorld) -> None:
    aws.publish_all()
    expect_put_events(aws)
    aws.runtime.add_client_error(
        "get_recommendations",
        service_error_code="ResourceNotFoundException",
        service_message="Campaign is in CREATE PENDING state",
        http_status_code=404,
    )

    response = post_review(aws.api(retry_after_seconds=120), REVIEW)

    assert response["statusCode"] == 503
    assert header(response, "Retry-After") == "120"
    assert "not ACTIVE" in body_of(response)["message"]
    assert aws.queued_jobs() == []


def test_without_a_filter_recommendations_are_asked_unfiltered(aws: AwsWorld) -> None:
    aws.publish(campaign_arn=CAMPAIGN_ARN, tracking_id=TRACKING_ID)
    aws.runtime.add_response(
        "get_recommendations",
        PERSONALIZE_ANSWER,
        expected_params={"campaignArn": CAMPAIGN_ARN, "userId": "37197598", "numResults": 5},
    )

    response = get(aws.api(), "/users/37197598/recommendations", {"n": "5"})

    assert response["statusCode"] == 200
    assert body_of(response)["recommendations"][0]["title"] == "Arrival (2016)"


def test_the_lambda_handler_serves_the_sample_events(
    aws: AwsWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.publish_all()
    monkeypatch.setattr(
        api_module, "api", BuiltAtInit.holding(aws.api(metrics_sink=PowertoolsMetrics()))
    )
    expect_put_events(aws, at=ANY)
    expect_get_recommendations(aws)
    aws.runtime.add_response("get_recommendations", PERSONALIZE_ANSWER)

    review = api_module.handler(sample_event("review.json"), LocalLambdaContext())
    invalid = api_module.handler(sample_event("review-invalid.json"), LocalLambdaContext())
    recommendations = api_module.handler(sample_event("recommendations.json"), LocalLambdaContext())

    assert review["statusCode"] == 200
    assert invalid["statusCode"] == 422
    assert {e["field"] for e in body_of(invalid)["errors"]} == {
        "user_id",
        "event_rating",
        "event_verified_purchase",
        "event_type",
        "email_address",
        "mood",
    }
    assert recommendations["statusCode"] == 200
    emitted = capsys.readouterr().out
    assert '"ReviewsAccepted"' in emitted
    assert '"ReviewsRejected"' in emitted


def post_with_key(api: Any, body: dict[str, Any], key: str) -> dict[str, Any]:
    event = proxy_event("POST", "/reviews", body=json.dumps(body), headers={"Idempotency-Key": key})
    response: dict[str, Any] = api.handle(event, LocalLambdaContext())
    return response


def test_a_retry_with_the_same_idempotency_key_and_no_timestamp_records_once(
    aws: AwsWorld,
) -> None:
    """Without `timestamp` each POST is a new time; the header makes the retry the same."""
    aws.publish_all()
    expect_put_events(aws, at=ANY)
    expect_get_recommendations(aws)
    api = aws.api()

    first = post_with_key(api, ORIGINAL_REVIEW, "5b1c0e34-8a2f-4d6e-9c1b-2f3a4b5c6d7e")
    retried = post_with_key(api, ORIGINAL_REVIEW, "5b1c0e34-8a2f-4d6e-9c1b-2f3a4b5c6d7e")

    assert first["statusCode"] == retried["statusCode"] == 200
    assert body_of(first) == body_of(retried)
    aws.events.assert_no_pending_responses()
    assert len(aws.queued_jobs()) == 1


def test_an_idempotency_key_reused_for_another_review_is_refused(aws: AwsWorld) -> None:
    aws.publish_all()
    expect_put_events(aws, at=ANY)
    expect_get_recommendations(aws)
    api = aws.api()
    post_with_key(api, ORIGINAL_REVIEW, "key-1")

    reused = post_with_key(api, {**ORIGINAL_REVIEW, "event_rating": 1}, "key-1")

    assert reused["statusCode"] == 422
    assert body_of(reused)["errors"][0]["field"] == "Idempotency-Key"
    assert len(aws.queued_jobs()) == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "caf\u00e9"])
def test_a_malformed_idempotency_key_is_a_400_naming_the_header(aws: AwsWorld, key: str) -> None:
    response = post_with_key(aws.api(), REVIEW, key)

    assert response["statusCode"] == 400
    assert body_of(response)["errors"][0]["field"] == "Idempotency-Key"
