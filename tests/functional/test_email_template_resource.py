"""The custom resource answers CloudFormation exactly once on every path: a loopback HTTP
server plays the pre-signed S3 URL; SES v2 and Pinpoint through Stubber. The function runs by
its handler string with its template environment and role (tests.support.lambda_runtime)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import ANY

from tests.support.aws_account import AwsAccount
from tests.support.deployment import deployed
from tests.support.lambda_runtime import invoke
from tests.support.presigned import presigned_url
from watchnext.adapters.aws.channels.pinpoint import pinpoint_variant
from watchnext.email.templates import load_template

NAME = "watchnext-test-recommendations"


@pytest.fixture
def cloudformation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in for CloudFormation's pre-signed HTTPS URL that records every PUT."""
    with presigned_url(tmp_path) as (url, responses, certificate):
        monkeypatch.setenv("AWS_CA_BUNDLE", str(certificate))
        yield url, responses


@pytest.fixture
def account() -> Iterator[AwsAccount]:
    with deployed() as opened:
        yield opened
        opened.assert_no_pending_responses()


def run(account: AwsAccount, request: dict[str, Any], *, warm: bool = False) -> None:
    invoke(account, "EmailTemplateFunction", request, warm=warm)


def event(kind: str, url: str, **properties: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "RequestType": kind,
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/watchnext/1",
        "RequestId": f"request-{kind}",
        "LogicalResourceId": "EmailTemplate",
        "ResourceType": "Custom::EmailTemplate",
        "ResourceProperties": {
            "ServiceToken": "arn:lambda",
            "TemplateName": NAME,
            "Channel": "ses",
            **properties,
        },
    }
    if kind != "Create":
        request["PhysicalResourceId"] = NAME
    if kind == "Update":
        request["OldResourceProperties"] = {
            "TemplateName": NAME,
            "Channel": "ses",
            "TemplatesLayer": "v1",
        }
    return request


def content() -> dict[str, str]:
    template = load_template()
    return {"Subject": template.subject, "Html": template.html, "Text": template.text}


def not_found(account: AwsAccount, operation: str) -> None:
    account.expect_error("sesv2", operation, "NotFoundException", 404)


def test_create_installs_the_template_and_answers_success_once(
    cloudformation: Any, account: AwsAccount
) -> None:
    url, responses = cloudformation
    not_found(account, "update_email_template")
    account.expect(
        "sesv2",
        "create_email_template",
        {},
        {"TemplateName": NAME, "TemplateContent": content()},
    )

    run(account, event("Create", url))

    (answer,) = responses
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == NAME
    assert answer["Data"]["ContentHash"] == load_template().content_hash


def test_update_reinstalls_under_the_same_physical_id(
    cloudformation: Any, account: AwsAccount
) -> None:
    url, responses = cloudformation
    account.expect(
        "sesv2",
        "update_email_template",
        {},
        {"TemplateName": NAME, "TemplateContent": content()},
    )

    run(account, event("Update", url, TemplatesLayer="v2"))

    (answer,) = responses
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", NAME)


def test_delete_removes_the_template_and_tolerates_it_being_gone(
    cloudformation: Any, account: AwsAccount
) -> None:
    url, responses = cloudformation
    account.expect("sesv2", "delete_email_template", {}, {"TemplateName": NAME})
    run(account, event("Delete", url))
    not_found(account, "delete_email_template")
    run(account, event("Delete", url), warm=True)  # CloudFormation re-sends to the container

    assert [r["Status"] for r in responses] == ["SUCCESS", "SUCCESS"]


def test_a_failure_answers_failed_with_the_reason_once(
    cloudformation: Any, account: AwsAccount
) -> None:
    url, responses = cloudformation
    account.expect_error("sesv2", "update_email_template", "AccessDeniedException", 403)

    run(account, event("Create", url))

    (answer,) = responses
    assert answer["Status"] == "FAILED"
    assert "AccessDeniedException" in answer["Reason"]


def test_bad_properties_fail_cleanly_and_their_delete_succeeds(
    cloudformation: Any, account: AwsAccount
) -> None:
    url, responses = cloudformation

    run(account, event("Create", url, Channel="fax"))
    run(account, event("Delete", url, Channel="fax"))

    assert [r["Status"] for r in responses] == ["FAILED", "SUCCESS"]
    assert "the email channel is one of ses, pinpoint, not 'fax'" in responses[0]["Reason"]


def test_the_pinpoint_channel_installs_the_generated_variant(cloudformation: Any) -> None:
    url, responses = cloudformation
    variant = pinpoint_variant(load_template())
    pinpoint = {"EmailChannel": "pinpoint", "PinpointApplicationId": "app-1"}
    with deployed(pinpoint) as account:
        account.expect(
            "pinpoint",
            "update_email_template",
            {"MessageBody": {"Message": "updated"}},
            {
                "TemplateName": NAME,
                "EmailTemplateRequest": {
                    "Subject": variant.subject,
                    "HtmlPart": variant.html,
                    "TextPart": ANY,
                },
            },
        )
        run(account, event("Create", url, Channel="pinpoint"))
        account.assert_no_pending_responses()
    assert [r["Status"] for r in responses] == ["SUCCESS"]
