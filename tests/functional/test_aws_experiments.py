"""Experiments on AWS, under the IAM harness: the review function serves each viewer from
their arm's campaign and tags their events with the arm's attribution source; `promote`
(as the stack's ExperimentRole) publishes the winner's campaign ARN, which the function
serves from then on. Personalize through Stubber; SSM, SQS and DynamoDB in moto."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY
from typer.testing import CliRunner

from tests.support import ORIGINAL_REVIEW, body_of, post_review
from tests.support.aws_world import ACCOUNT, CAMPAIGN_ARN, FILTER_ARN, STAGE, TRACKING_ID, AwsWorld
from tests.support.deployment import SECRET_VALUE, deployed, publish, received
from tests.support.fakes import email_job
from tests.support.lambda_runtime import invoke
from tests.support.stack import REGION
from watchnext.adapters.aws.experiments import SsmExperiments
from watchnext.adapters.http.proxy_events import proxy_event
from watchnext.cli import app
from watchnext.domain.email import EmailJob
from watchnext.domain.experiment import Arm, Design, Experiment, ExperimentError
from watchnext.email.click_links import ClickClaims, sign_click

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


def viewer_in(running: Experiment, arm: str) -> str:
    return next(f"viewer-{n}" for n in range(100) if running.arm_for(f"viewer-{n}").name == arm)


def job_of(running: Experiment, job_id: str, viewer: str) -> EmailJob:
    job = email_job(job_id, viewer)
    arm = running.arm_for(viewer).name
    picks = {pick.item_id: arm for pick in job.recommendations}
    return job.model_copy(update={"experiment": running.name, "arms": picks})


def pick_link(job: EmailJob, position: int) -> dict[str, Any]:
    claims = ClickClaims(
        user_id=job.user_id, job_id=job.job_id, item_id=job.recommendations[position - 1].item_id,
        position=position, expires_at=int(time.time()) + 600,
    )  # fmt: skip
    return proxy_event("GET", f"/r/{sign_click(claims, SECRET_VALUE.encode())}")


def test_status_on_aws_judges_the_emails_the_mailer_kept_and_the_links_followed_in_them() -> None:
    """The deployed functions, each under its own role: the mailer keeps each experiment
    email with its picks' arms, a followed link adds its position, and `status --aws`, as
    ExperimentRole, reads them back; an email of no experiment is not kept."""
    running = experiment()
    control, challenger = viewer_in(running, "control"), viewer_in(running, "challenger")
    jobs = [
        job_of(running, "job-1", control),
        job_of(running, "job-2", control),
        job_of(running, "job-3", challenger),
        email_job("job-4", "viewer-x"),  # no experiment: not kept, its click changes nothing
    ]
    with deployed() as account:
        publish(account, campaign_arn=CAMPAIGN_ARN, tracking_id=TRACKING_ID,
                experiment=running.to_json())  # fmt: skip
        sqs = boto3.client("sqs", region_name=REGION)
        for job in jobs:
            sqs.send_message(QueueUrl=account.stack.ref("EmailJobQueue"),
                             MessageBody=job.model_dump_json())  # fmt: skip
            account.expect("sesv2", "send_email", {"MessageId": f"ses-{job.job_id}"})
        mailed = invoke(account, "MailerFunction", {"Records": received(account, "EmailJobQueue")})
        assert mailed == {"batchItemFailures": []}
        for job, position in ((jobs[0], 2), (jobs[0], 1), (jobs[2], 1), (jobs[3], 1)):
            account.expect("personalize-events", "put_events", {})
            followed = invoke(account, "ReviewFunction", pick_link(job, position))
            assert followed["statusCode"] == 200, followed["body"]
        environment = {
            "WATCHNEXT_PARAMETER_PATH": f"/watchnext/{STAGE}",
            "WATCHNEXT_EXPERIMENT_EMAILS_TABLE": account.stack.ref("ExperimentEmailsTable"),
        }

        with account.acting_as("ExperimentRole"):
            shown = CliRunner().invoke(app, ["experiment", "status", "--aws"], env=environment)

        assert shown.exit_code == 0, shown.output
        figures = {line.split()[0]: line.split()[1:4] for line in shown.output.splitlines()[2:4]}
        # viewers, emails, clicks
        assert figures == {"control": ["1", "2", "2"], "challenger": ["1", "1", "1"]}
        assert "verdict: not yet" in shown.output
        account.assert_no_pending_responses()


def keep_email(running: Experiment, viewer: str, job_id: str, clicked: bool) -> None:
    """An experiment email as the mailer keeps it, its first pick followed or not."""
    arm = running.arm_for(viewer).name
    item: dict[str, Any] = {
        "user_id": {"S": viewer}, "job_id": {"S": job_id}, "experiment": {"S": running.name},
        "arms": {"L": [{"S": arm}, {"S": arm}]},
    }  # fmt: skip
    if clicked:
        item["clicked"] = {"NS": ["1"]}
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName="ExperimentEmailsTable", Item=item
    )


def test_promote_on_aws_without_an_arm_publishes_the_winner_of_the_status() -> None:
    """Challenger viewers click four emails in five, control viewers one in five: `status
    --aws` names the challenger, and `promote --aws` with no --arm publishes its campaign."""
    running = experiment()
    with deployed() as account:
        publish(account, campaign_arn=CAMPAIGN_ARN, experiment=running.to_json())
        environment = {
            "WATCHNEXT_PARAMETER_PATH": f"/watchnext/{STAGE}",
            "WATCHNEXT_EXPERIMENT_EMAILS_TABLE": account.stack.ref("ExperimentEmailsTable"),
        }
        for n in range(300):
            viewer = f"viewer-{n}"
            rate = 4 if running.arm_for(viewer).name == "challenger" else 1
            keep_email(running, viewer, f"job-{n}", clicked=n % 5 < rate)

        with account.acting_as("ExperimentRole"):
            shown = CliRunner().invoke(app, ["experiment", "status", "--aws"], env=environment)
            promoted = CliRunner().invoke(
                app, ["experiment", "promote", running.name, "--aws"], env=environment
            )

        assert "verdict: winner (challenger)" in shown.output, shown.output
        assert promoted.exit_code == 0, promoted.output
        published = boto3.client("ssm", region_name=REGION).get_parameter(
            Name=f"/watchnext/{STAGE}/campaign-arn"
        )
        assert published["Parameter"]["Value"] == CHALLENGER_ARN


def test_on_aws_status_and_promote_say_what_to_change_in_one_line() -> None:
    running = experiment()
    with deployed() as account:
        publish(account, campaign_arn=CAMPAIGN_ARN, experiment=running.to_json())
        environment = {"WATCHNEXT_PARAMETER_PATH": f"/watchnext/{STAGE}"}
        with account.acting_as("ExperimentRole"):
            no_table = CliRunner().invoke(app, ["experiment", "status", "--aws"], env=environment)
            environment["WATCHNEXT_EXPERIMENT_EMAILS_TABLE"] = "ExperimentEmailsTable"
            other = CliRunner().invoke(
                app, ["experiment", "status", "other", "--aws"], env=environment
            )
            too_soon = CliRunner().invoke(
                app, ["experiment", "promote", running.name, "--aws"], env=environment
            )

    assert no_table.exit_code == 2
    assert "set WATCHNEXT_EXPERIMENT_EMAILS_TABLE" in no_table.output
    assert other.exit_code == 2
    assert "there was no experiment 'other' on AWS" in other.output
    assert too_soon.exit_code == 2
    assert "has no winner (not yet): wait, or choose with --arm ARM" in too_soon.output
    for answer in (no_table, other, too_soon):
        assert "Traceback" not in answer.output
        assert len(answer.output.strip().splitlines()) == 1, answer.output


def test_a_click_in_an_interleaved_email_counts_for_the_arm_that_drafted_the_pick() -> None:
    """The arm comes from the email the mailer kept, not from the link: the viewer's link
    says nothing about arms."""
    running = experiment(Design.INTERLEAVING)
    job = email_job("job-1", VIEWER)
    first, second = (pick.item_id for pick in job.recommendations)
    job = job.model_copy(
        update={"experiment": running.name, "arms": {first: "control", second: "challenger"}}
    )
    with deployed() as account:
        publish(
            account, campaign_arn=CAMPAIGN_ARN, tracking_id=TRACKING_ID,
            metric_attribution_arn=METRIC_ATTRIBUTION, experiment=running.to_json(),
        )  # fmt: skip
        boto3.client("sqs", region_name=REGION).send_message(
            QueueUrl=account.stack.ref("EmailJobQueue"), MessageBody=job.model_dump_json()
        )
        account.expect("sesv2", "send_email", {"MessageId": "ses-1"})
        invoke(account, "MailerFunction", {"Records": received(account, "EmailJobQueue")})
        account.expect(
            "personalize-events", "put_events", {},
            {"trackingId": TRACKING_ID, "userId": VIEWER, "sessionId": ANY, "eventList": [{
                "eventId": ANY, "eventType": "CLICK", "eventValue": 1.0, "itemId": second,
                "sentAt": ANY,
                "metricAttribution": {"eventAttributionSource": "email/hrnn-vs-v2/challenger"},
            }]},
        )  # fmt: skip

        followed = invoke(account, "ReviewFunction", pick_link(job, 2))

        assert followed["statusCode"] == 200, followed["body"]
        assert "challenger" not in followed["body"]
        account.assert_no_pending_responses()


def test_a_stopped_experiments_status_is_read_by_name_and_its_name_is_not_reused() -> None:
    running = experiment()
    with deployed() as account:
        publish(account, campaign_arn=CAMPAIGN_ARN)
        environment = {
            "WATCHNEXT_PARAMETER_PATH": f"/watchnext/{STAGE}",
            "WATCHNEXT_EXPERIMENT_EMAILS_TABLE": account.stack.ref("ExperimentEmailsTable"),
        }
        with account.acting_as("ExperimentRole"):
            ssm = boto3.client("ssm", region_name=REGION)
        experiments = SsmExperiments(ssm, f"/watchnext/{STAGE}")
        experiments.start(running)
        keep_email(running, viewer_in(running, "control"), "job-1", clicked=True)
        experiments.stop(running.name)

        with account.acting_as("ExperimentRole"):
            shown = CliRunner().invoke(
                app, ["experiment", "status", running.name, "--aws"], env=environment
            )
        with pytest.raises(ExperimentError, match="already an experiment 'hrnn-vs-v2' on AWS"):
            experiments.start(running)

        assert shown.exit_code == 0, shown.output
        assert shown.output.splitlines()[2].split()[:4] == ["control", "1", "1", "1"]
        assert experiments.running() is None
