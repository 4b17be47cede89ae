"""Every function of template.yaml, invoked as Lambda invokes it: by its handler string, cold,
with exactly the environment the template gives it, under its own role, against moto
resources built from the template (`tests.support.deployment`). Personalize, SES v2 and
Pinpoint answer through Stubber and refuse what the services refuse.

The pipeline steps and teardown functions run the same way inside the state-machine tests
(tests/functional/step_functions.py), the email-template function in
test_email_template_resource.py."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
from botocore.stub import ANY

from tests.support import body_of, header, sample_event
from tests.support.aws_account import AwsAccount
from tests.support.deployment import SECRET_VALUE, deployed, publish, received
from tests.support.fakes import email_job
from tests.support.lambda_runtime import invoke
from tests.support.service_rules import columns_of
from tests.support.stack import ACCOUNT, REGION, SENDER, STAGE
from watchnext.adapters.aws.clients import ATTEMPT_SECONDS, DEADLINE_RESERVE_SECONDS
from watchnext.adapters.http.proxy_events import proxy_event
from watchnext.datasets.schemas import interactions_schema
from watchnext.email.click_links import ClickClaims, sign_click
from watchnext.email.unsubscribe import unsubscribe_url

PERSONALIZE = f"arn:aws:personalize:{REGION}:{ACCOUNT}"
CAMPAIGN_ARN = f"{PERSONALIZE}:campaign/watchnext-{STAGE}-campaign"
FILTER_ARN = f"{PERSONALIZE}:filter/watchnext-{STAGE}-exclude-interacted"
ANSWER = {"itemList": [{"itemId": "50", "score": 0.4}], "recommendationId": "RID-1"}


def ready_for_reviews(
    account: AwsAccount, *, verified_purchase_column: bool, published: str = "NOT_CONFIGURED"
) -> None:
    """A campaign and tracker deployed on a dataset with or without EVENT_VERIFIED_PURCHASE;
    ``published``: what the pipeline put in event-properties."""
    account.personalize.interaction_columns = columns_of(
        interactions_schema(has_verified=verified_purchase_column)
    )
    publish(
        account,
        campaign_arn=CAMPAIGN_ARN,
        tracking_id="tracking-1",
        filter_arn=FILTER_ARN,
        event_properties=published,
    )
    account.expect("personalize-events", "put_events", {})
    account.expect("personalize-runtime", "get_recommendations", ANSWER)


def test_a_review_reaches_personalize_and_queues_its_email() -> None:
    with deployed() as account:
        ready_for_reviews(
            account, verified_purchase_column=True, published='["eventVerifiedPurchase"]'
        )

        response = invoke(account, "ReviewFunction", sample_event("review.json"))

        assert response["statusCode"] == 200, response["body"]
        assert body_of(response)["email_queued"] is True
        [job] = received(account, "EmailJobQueue")
        assert json.loads(job["body"])["recommendation_id"] == "RID-1"
        account.assert_no_pending_responses()


def test_a_movielens_deployment_gets_no_property_its_schema_lacks() -> None:
    """MovieLens interactions have no EVENT_VERIFIED_PURCHASE: PutEvents must not send it."""
    with deployed() as account:
        ready_for_reviews(account, verified_purchase_column=False, published="[]")

        response = invoke(account, "ReviewFunction", sample_event("review.json"))

        assert response["statusCode"] == 200, response["body"]
        account.assert_no_pending_responses()


def test_the_mailer_sends_a_queued_job_with_ses() -> None:
    with deployed() as account:
        queue = boto3.client("sqs", region_name=REGION)
        queue.send_message(
            QueueUrl=account.stack.ref("EmailJobQueue"), MessageBody=email_job().model_dump_json()
        )
        account.expect(
            "sesv2",
            "send_email",
            {"MessageId": "ses-1"},
            {"FromEmailAddress": SENDER, "Destination": ANY, "Content": ANY, "EmailTags": ANY},
        )

        response = invoke(
            account, "MailerFunction", {"Records": received(account, "EmailJobQueue")}
        )

        assert response == {"batchItemFailures": []}
        account.assert_no_pending_responses()


def test_the_mailer_sends_a_queued_job_with_pinpoint() -> None:
    with deployed({"EmailChannel": "pinpoint", "PinpointApplicationId": "app-1"}) as account:
        queue = boto3.client("sqs", region_name=REGION)
        queue.send_message(
            QueueUrl=account.stack.ref("EmailJobQueue"), MessageBody=email_job().model_dump_json()
        )
        account.expect("pinpoint", "update_endpoint", {"MessageBody": {"Message": "Accepted"}})
        account.expect(
            "pinpoint",
            "send_users_messages",
            {"SendUsersMessageResponse": {"ApplicationId": "app-1"}},
        )

        response = invoke(
            account, "MailerFunction", {"Records": received(account, "EmailJobQueue")}
        )

        assert response == {"batchItemFailures": []}
        account.assert_no_pending_responses()


def test_the_unsubscribe_link_opts_the_address_out_and_back_in() -> None:
    """GET asks, POST opts out (a review from the address then queues nothing), and the
    page's second button opts back in: each under the review function's own role."""
    address = json.loads(sample_event("review.json")["body"])["email_address"]
    link = unsubscribe_url("https://api.example.com/test", address, SECRET_VALUE.encode())
    query = {"token": parse_qs(urlsplit(link).query)["token"][0]}
    table = boto3.client("dynamodb", region_name=REGION)
    opt_out_key = {"pk": {"S": f"optout-address#{address.lower()}"}}
    with deployed() as account:
        asked = invoke(account, "ReviewFunction", proxy_event("GET", "/unsubscribe", query=query))
        assert asked["statusCode"] == 200, asked["body"]
        assert "Item" not in table.get_item(TableName="EmailStateTable", Key=opt_out_key)

        done = invoke(account, "ReviewFunction", proxy_event("POST", "/unsubscribe", query=query))
        assert done["statusCode"] == 200, done["body"]
        assert "Item" in table.get_item(TableName="EmailStateTable", Key=opt_out_key)

        ready_for_reviews(account, verified_purchase_column=False)
        review = invoke(account, "ReviewFunction", sample_event("review.json"))
        assert body_of(review)["email_not_queued_reason"] == "opted_out", review["body"]
        assert received(account, "EmailJobQueue") == []

        back = invoke(account, "ReviewFunction", proxy_event("POST", "/resubscribe", query=query))
        assert back["statusCode"] == 200, back["body"]
        assert "Item" not in table.get_item(TableName="EmailStateTable", Key=opt_out_key)
        account.assert_no_pending_responses()


def preflight(path: str, origin: str) -> dict[str, Any]:
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-api-key,idempotency-key",
    }
    return proxy_event("OPTIONS", path, headers=headers)


def test_a_browser_preflight_is_answered_for_the_configured_origin_only() -> None:
    origin = "https://app.example.com"
    with deployed({"CorsAllowedOrigins": origin}) as account:
        allowed = invoke(account, "ReviewFunction", preflight("/reviews", origin))
        stranger = invoke(account, "ReviewFunction", preflight("/reviews", "https://evil.example"))

    assert allowed["statusCode"] in (200, 204)
    assert header(allowed, "Access-Control-Allow-Origin") == origin
    allowed_headers = (header(allowed, "Access-Control-Allow-Headers") or "").lower()
    assert {"x-api-key", "idempotency-key", "content-type"} <= set(allowed_headers.split(","))
    assert header(stranger, "Access-Control-Allow-Origin") is None


def test_a_review_with_too_little_time_left_answers_503_before_lambda_would_time_out() -> None:
    """No attempt starts that could outlive the function: a slow or late request ends in a
    503 with Retry-After, not in a Lambda timeout (a 502 from API Gateway)."""
    with deployed() as account:
        publish(account, campaign_arn=CAMPAIGN_ARN, tracking_id="tracking-1")
        account.personalize.interaction_columns = columns_of(
            interactions_schema(has_verified=False)
        )
        seconds_left = DEADLINE_RESERVE_SECONDS + ATTEMPT_SECONDS / 2

        response = invoke(
            account, "ReviewFunction", sample_event("review.json"), seconds_left=seconds_left
        )

        assert response["statusCode"] == 503, response["body"]
        assert header(response, "Retry-After") == "30"
        assert received(account, "EmailJobQueue") == []


METRIC_ATTRIBUTION = f"{PERSONALIZE}:metric-attribution/watchnext-{STAGE}-engagement"


def test_a_followed_pick_link_reaches_personalize_as_one_click_with_what_was_shown() -> None:
    """The email's list and impression, and its source for the metric attribution; a second
    use of the link records nothing (an unexpected PutEvents would fail the test)."""
    claims = ClickClaims(
        user_id="37197598", job_id="job-1", item_id="51", position=2,
        expires_at=int(time.time()) + 600, recommendation_id="RID-1", impression=("50", "51"),
    )  # fmt: skip
    link = proxy_event("GET", f"/r/{sign_click(claims, SECRET_VALUE.encode())}")
    with deployed({"TitleUrlTemplate": "https://watch.example.com/t/{item_id}"}) as account:
        publish(
            account, campaign_arn=CAMPAIGN_ARN, tracking_id="tracking-1",
            metric_attribution_arn=METRIC_ATTRIBUTION,
        )  # fmt: skip
        account.expect(
            "personalize-events",
            "put_events",
            {},
            {
                "trackingId": "tracking-1", "userId": "37197598", "sessionId": ANY,
                "eventList": [{
                    "eventId": claims.click_id, "eventType": "CLICK", "eventValue": 1.0,
                    "itemId": "51", "sentAt": ANY, "recommendationId": "RID-1",
                    "impression": ["50", "51"],
                    "metricAttribution": {"eventAttributionSource": "email"},
                }],
            },
        )  # fmt: skip

        first = invoke(account, "ReviewFunction", link)
        again = invoke(account, "ReviewFunction", link)

        assert first["statusCode"] == 302, first["body"]
        assert header(first, "Location") == "https://watch.example.com/t/51"
        assert again["statusCode"] == 409, again["body"]
        account.assert_no_pending_responses()


def test_a_review_from_the_picks_carries_their_recommendation_id_and_its_source() -> None:
    review = json.loads(sample_event("review.json")["body"])
    event = proxy_event(
        "POST", "/reviews",
        body=json.dumps({**review, "recommendation_id": "RID-0", "event_source": "webapp"}),
        headers={"x-api-key": "k"},
    )  # fmt: skip
    with deployed() as account:
        account.personalize.interaction_columns = columns_of(interactions_schema(False))
        publish(
            account, campaign_arn=CAMPAIGN_ARN, tracking_id="tracking-1", filter_arn=FILTER_ARN,
            event_properties="[]", metric_attribution_arn=METRIC_ATTRIBUTION,
        )  # fmt: skip
        account.expect(
            "personalize-events",
            "put_events",
            {},
            {
                "trackingId": "tracking-1", "userId": review["user_id"], "sessionId": ANY,
                "eventList": [{
                    "eventId": ANY, "eventType": "RATING", "eventValue": 5.0,
                    "itemId": review["item_id"], "sentAt": ANY, "recommendationId": "RID-0",
                    "metricAttribution": {"eventAttributionSource": "webapp"},
                }],
            },
        )  # fmt: skip

        account.expect("personalize-runtime", "get_recommendations", ANSWER)

        response = invoke(account, "ReviewFunction", event)

        assert response["statusCode"] == 200, response["body"]
        account.assert_no_pending_responses()
