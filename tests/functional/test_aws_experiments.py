"""Experiments on AWS, under the IAM harness: the review function serves each viewer from
their arm's campaign and tags their events with the arm's attribution source; `promote`
(as the stack's ExperimentRole) publishes the winner's campaign ARN, which the function
serves from then on. Personalize through Stubber; SSM, SQS and DynamoDB in moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY

from tests.support import ORIGINAL_REVIEW, body_of, post_review
from tests.support.aws_world import ACCOUNT, CAMPAIGN_ARN, FILTER_ARN, STAGE, TRACKING_ID, AwsWorld
from watchnext.adapters.aws.experiments import SsmExperiments
from watchnext.domain.experiment import Arm, Design, Experiment, ExperimentError

CHALLENGER_ARN = f"arn:aws:personalize:us-east-1:{ACCOUNT}:campaign/watchnext-{STAGE}-challenger"
METRIC_ATTRIBUTION = (
    f"arn:aws:personalize:us-east-1:{ACCOUNT}:metric-attribution/watchnext-{STAGE}-engagement"
)
VIEWER = "37197598"
REVIEW = {**ORIGINAL_REVIEW, "timestamp": "2026-11-01T18:30:00Z"}


def experiment(design: Design = Design.AB, challenger: str = CHALLENGER_ARN) -> Experiment:
    return Experiment(
        "hrnn-vs-v2",
        (Arm("control", CAMPAIGN_ARN), Arm("challenger", challenger)),
        design,
        datetime(2026, 12, 1, tzinfo=UTC),
    )


def answer(*items: str) -> dict[str, Any]:
    return {"itemList": [{"itemId": item} for item in items], "recommendationId": "RID-1"}


def expect_recommendations(aws: AwsWorld, campaign: str, *items: str) -> None:
    aws.runtime.add_response(
        "get_recommendations",
        answer(*items),
        {"campaignArn": campaign, "userId": VIEWER, "numResults": 3, "filterArn": FILTER_ARN},
    )


def expect_event_from(aws: AwsWorld, source: str) -> None:
    aws.events.add_response(
        "put_events",
        {},
        {
            "trackingId": TRACKING_ID, "userId": VIEWER, "sessionId": ANY,
            "eventList": [{
                "eventId": ANY, "eventType": "RATING", "eventValue": 5.0, "itemId": "Lucy",
                "sentAt": ANY, "properties": ANY,
                "metricAttribution": {"eventAttributionSource": source},
            }],
        },
    )  # fmt: skip


def start(aws: AwsWorld, running: Experiment) -> None:
    aws.publish_all(metric_attribution_arn=METRIC_ATTRIBUTION)
    with aws.account.acting_as("ExperimentRole"):
        ssm = boto3.client("ssm", region_name="us-east-1")
    SsmExperiments(ssm, f"/watchnext/{STAGE}").start(running)


def test_an_ab_viewer_is_served_by_their_arms_campaign_and_their_events_carry_the_arm(
    aws: AwsWorld,
) -> None:
    running = experiment()
    start(aws, running)
    arm = running.arm_for(VIEWER)
    expect_event_from(aws, f"api/hrnn-vs-v2/{arm.name}")
    expect_recommendations(aws, arm.recommender, "Arrival", "Her")

    response = post_review(aws.api(num_results=3), REVIEW)

    assert response["statusCode"] == 200, response["body"]
    assert "challenger" not in response["body"]
    assert "control" not in response["body"]  # the viewer is never told
    (job,) = aws.queued_jobs()
    assert job["experiment"] == "hrnn-vs-v2"
    assert job["arms"] == {"Arrival": arm.name, "Her": arm.name}
    aws.runtime.assert_no_pending_responses()


def test_interleaving_mixes_both_campaigns_and_marks_who_drafted_each_pick(
    aws: AwsWorld,
) -> None:
    start(aws, experiment(Design.INTERLEAVING))
    expect_event_from(aws, "api")  # a review cannot be credited to one arm of a mix
    expect_recommendations(aws, CAMPAIGN_ARN, "Arrival", "Her", "Lucy")
    expect_recommendations(aws, CHALLENGER_ARN, "Her", "Sunshine", "Arrival")

    response = post_review(aws.api(num_results=3), REVIEW)

    assert response["statusCode"] == 200, response["body"]
    (job,) = aws.queued_jobs()
    arms = job["arms"]
    assert set(arms.values()) == {"control", "challenger"}
    picks = [pick["item_id"] for pick in body_of(response)["recommendations"]]
    assert picks[0] in {"Arrival", "Her"}  # each arm's best goes first, by the coin
    assert set(picks) <= {"Arrival", "Her", "Lucy", "Sunshine"}


def test_an_arm_outside_the_stages_campaigns_cannot_be_started(aws: AwsWorld) -> None:
    wrong = experiment(challenger=f"arn:aws:personalize:us-east-1:{ACCOUNT}:campaign/other")
    with aws.account.acting_as("ExperimentRole"):
        ssm = boto3.client("ssm", region_name="us-east-1")
    experiments = SsmExperiments(ssm, f"/watchnext/{STAGE}")

    with pytest.raises(ExperimentError, match="watchnext-test-\\*, which the review function"):
        experiments.start(wrong)
    assert experiments.running() is None  # nothing was written


def test_promote_publishes_the_winners_campaign_and_the_function_serves_it(
    aws: AwsWorld,
) -> None:
    running = experiment()
    start(aws, running)
    with aws.account.acting_as("ExperimentRole"):
        ssm = boto3.client("ssm", region_name="us-east-1")
    experiments = SsmExperiments(ssm, f"/watchnext/{STAGE}")

    experiments.promote("hrnn-vs-v2", "challenger")

    published = aws.admin.ssm.get_parameter(Name=f"/watchnext/{STAGE}/campaign-arn")
    assert published["Parameter"]["Value"] == CHALLENGER_ARN
    assert experiments.running() is None
    expect_event_from(aws, "api")
    expect_recommendations(aws, CHALLENGER_ARN, "Her")
    response = post_review(aws.api(num_results=3), REVIEW)
    assert response["statusCode"] == 200, response["body"]
    (job,) = aws.queued_jobs()
    assert job["experiment"] is None
    with pytest.raises(ExperimentError, match="not running on AWS"):
        experiments.stop("hrnn-vs-v2")


def test_a_hand_edited_experiment_that_cannot_be_read_leaves_the_campaign_serving(
    aws: AwsWorld,
) -> None:
    aws.publish_all()
    aws.publish(experiment=json.dumps({"name": "half"}))
    aws.events.add_response("put_events", {}, None)
    expect_recommendations(aws, CAMPAIGN_ARN, "Her")

    response = post_review(aws.api(num_results=3), REVIEW)

    assert response["statusCode"] == 200, response["body"]
