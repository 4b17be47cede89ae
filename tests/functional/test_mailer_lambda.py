"""The mailer Lambda on an SQS batch: SES v2 and Pinpoint through Stubber, its state in
moto's DynamoDB (table built from template.yaml), retries via moto's SQS. Its clients call as
the mailer's role in template.yaml (`tests.support.aws_account`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.stub import ANY, Stubber

from tests.support.fakes import email_job
from tests.support.mailer_world import KEY, SENDER, TEMPLATE, World, mailer_world
from watchnext.adapters.aws.channels.pinpoint import PinpointChannel
from watchnext.adapters.aws.channels.ses import SesChannel
from watchnext.adapters.aws.email_jobs import handle_batch
from watchnext.adapters.http.lambda_context import LocalLambdaContext
from watchnext.domain.email import EmailJob, Recipient
from watchnext.email.click_links import verify_click
from watchnext.service.delivery import backoff_seconds


@pytest.fixture
def world() -> Iterator[World]:
    with mailer_world() as opened:
        yield opened


def expect_ses_send(stub: Stubber, job: EmailJob) -> None:
    stub.add_response(
        "send_email",
        {"MessageId": f"ses-{job.job_id}"},
        expected_params={
            "FromEmailAddress": SENDER,
            "Destination": {"ToAddresses": ["viewer@example.com"]},
            "Content": {
                "Template": {
                    "TemplateName": "watchnext-test-recommendations",
                    "TemplateData": ANY,
                    "Headers": [
                        {"Name": "List-Unsubscribe", "Value": ANY},
                        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
                    ],
                }
            },
            "EmailTags": [{"Name": "kind", "Value": "recommendations"}],
        },
    )


def test_a_batch_with_one_bad_message_reports_only_that_message(world: World) -> None:
    jobs = [email_job("job-a", "u1"), email_job("job-b", "u2")]
    ses = SesChannel(world.ses, sender=SENDER, template_name=TEMPLATE)
    event = world.receive([jobs[0].model_dump_json(), "{not a job", jobs[1].model_dump_json()])
    bad_id = event["Records"][1]["messageId"]

    with Stubber(world.ses) as stub:
        for job in jobs:
            expect_ses_send(stub, job)
        response = handle_batch(event, LocalLambdaContext(), world.handler(ses))
        stub.assert_no_pending_responses()

    assert response == {"batchItemFailures": [{"itemIdentifier": bad_id}]}


def test_ses_gets_the_template_data_and_a_one_click_unsubscribe_header(world: World) -> None:
    job = email_job(titles=("Tom & Jerry <Classic>",))
    ses = SesChannel(world.ses, sender=SENDER, template_name=TEMPLATE)
    sent: list[dict[str, Any]] = []
    world.ses.meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: sent.append(params)
    )

    with Stubber(world.ses) as stub:
        expect_ses_send(stub, job)
        handle_batch(
            world.receive([job.model_dump_json()]), LocalLambdaContext(), world.handler(ses)
        )

    template = sent[0]["Content"]["Template"]
    data = json.loads(template["TemplateData"])
    url = template["Headers"][0]["Value"].strip("<>")
    assert data["unsubscribe_url"] == url
    picks = data["recommendations"]
    assert [pick["title"] for pick in picks] == [r.title for r in job.recommendations]
    clicks = [verify_click(unquote(pick["url"].rpartition("/r/")[2]), KEY) for pick in picks]
    assert all(pick["url"].startswith("https://api.example.com/prod/r/") for pick in picks)
    assert [(c.position, c.item_id) for c in clicks] == list(
        enumerate((r.item_id for r in job.recommendations), start=1)
    )
    assert {c.recommendation_id for c in clicks} == {job.recommendation_id}
    assert data["recommendations"][0]["title"] == "Tom & Jerry <Classic>"
    assert url.startswith("https://api.example.com/prod/unsubscribe?token=")


def test_a_redelivered_job_is_not_sent_twice(world: World) -> None:
    job = email_job()
    ses = SesChannel(world.ses, sender=SENDER, template_name=TEMPLATE)
    with Stubber(world.ses) as stub:
        expect_ses_send(stub, job)  # one response only: a second send would fail the test
        first = handle_batch(
            world.receive([job.model_dump_json()]), LocalLambdaContext(), world.handler(ses)
        )
        again = handle_batch(
            world.receive([job.model_dump_json()]), LocalLambdaContext(), world.handler(ses)
        )
        stub.assert_no_pending_responses()
    assert first == again == {"batchItemFailures": []}


def test_an_opted_out_viewer_gets_nothing(world: World) -> None:
    world.state.opt_out(Recipient(address=email_job().email_address))
    ses = SesChannel(world.ses, sender=SENDER, template_name=TEMPLATE)
    with Stubber(world.ses) as stub:  # no response queued: any send would raise
        response = handle_batch(
            world.receive([email_job().model_dump_json()]), LocalLambdaContext(), world.handler(ses)
        )
        stub.assert_no_pending_responses()
    assert response == {"batchItemFailures": []}


def test_a_failed_send_is_retried_later_with_backoff(world: World) -> None:
    ses = SesChannel(world.ses, sender=SENDER, template_name=TEMPLATE)
    with Stubber(world.ses) as stub:
        stub.add_client_error(
            "send_email", service_error_code="TooManyRequestsException", http_status_code=429
        )
        response = handle_batch(
            world.receive([email_job().model_dump_json()]), LocalLambdaContext(), world.handler(ses)
        )
    assert len(response["batchItemFailures"]) == 1
    assert world.state.claim("job-1", 60) is True  # the failed send released its claim
    assert [backoff_seconds(n) for n in (1, 2, 3, 8, 20)] == [10, 20, 40, 900, 900]


PINPOINT = {"EmailChannel": "pinpoint", "PinpointApplicationId": "app-1"}


def test_the_pinpoint_channel_updates_the_endpoint_then_sends_to_the_user() -> None:
    job = email_job()
    with mailer_world(PINPOINT) as world, Stubber(world.pinpoint) as stub:
        mailer = PinpointChannel(
            world.pinpoint, application_id="app-1", sender=SENDER, template_name=TEMPLATE
        )
        stub.add_response(
            "update_endpoint",
            {"MessageBody": {"Message": "Accepted", "RequestID": "r"}},
            expected_params={
                "ApplicationId": "app-1",
                "EndpointId": "37197598",
                "EndpointRequest": {
                    "ChannelType": "EMAIL",
                    "Address": "viewer@example.com",
                    "User": {"UserId": "37197598", "UserAttributes": ANY},
                },
            },
        )
        stub.add_response(
            "send_users_messages",
            {"SendUsersMessageResponse": {"ApplicationId": "app-1"}},
            expected_params={
                "ApplicationId": "app-1",
                "SendUsersMessageRequest": {
                    "MessageConfiguration": {"EmailMessage": {"FromAddress": SENDER}},
                    "TemplateConfiguration": {"EmailTemplate": {"Name": TEMPLATE}},
                    "Users": {"37197598": {}},
                },
            },
        )
        response = handle_batch(
            world.receive([job.model_dump_json()]), LocalLambdaContext(), world.handler(mailer)
        )
        stub.assert_no_pending_responses()
    assert response == {"batchItemFailures": []}
