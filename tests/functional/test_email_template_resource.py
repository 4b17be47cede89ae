"""The custom resource answers CloudFormation exactly once on every path: a loopback HTTP
server plays the pre-signed S3 URL; SES v2 and Pinpoint through Stubber."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from tests.presigned import presigned_url
from watchnext.email.templates import load_template, pinpoint_variant
from watchnext.entrypoints import email_template_resource as resource
from watchnext.entrypoints.lambda_context import LocalLambdaContext

NAME = "watchnext-test-recommendations"


@pytest.fixture
def cloudformation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in for CloudFormation's pre-signed HTTPS URL that records every PUT."""
    with presigned_url(tmp_path) as (url, responses, certificate):
        monkeypatch.setattr(resource.helper, "_ssl_verify", str(certificate))  # AWS_CA_BUNDLE
        yield url, responses


@pytest.fixture
def ses(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    client = boto3.client("sesv2", region_name="us-east-1")
    monkeypatch.setattr(resource, "_client", lambda channel: client)
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


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


def not_found(stub: Stubber, operation: str) -> None:
    stub.add_client_error(operation, service_error_code="NotFoundException", http_status_code=404)


def test_create_installs_the_template_and_answers_success_once(
    cloudformation: Any, ses: Stubber
) -> None:
    url, responses = cloudformation
    not_found(ses, "update_email_template")
    ses.add_response(
        "create_email_template", {}, {"TemplateName": NAME, "TemplateContent": content()}
    )

    resource.handler(event("Create", url), LocalLambdaContext())

    (answer,) = responses
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == NAME
    assert answer["Data"]["ContentHash"] == load_template().content_hash


def test_update_reinstalls_under_the_same_physical_id(cloudformation: Any, ses: Stubber) -> None:
    url, responses = cloudformation
    ses.add_response(
        "update_email_template", {}, {"TemplateName": NAME, "TemplateContent": content()}
    )

    resource.handler(event("Update", url, TemplatesLayer="v2"), LocalLambdaContext())

    (answer,) = responses
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", NAME)


def test_delete_removes_the_template_and_tolerates_it_being_gone(
    cloudformation: Any, ses: Stubber
) -> None:
    url, responses = cloudformation
    ses.add_response("delete_email_template", {}, {"TemplateName": NAME})
    not_found(ses, "delete_email_template")

    resource.handler(event("Delete", url), LocalLambdaContext())
    resource.handler(event("Delete", url), LocalLambdaContext())

    assert [r["Status"] for r in responses] == ["SUCCESS", "SUCCESS"]


def test_a_failure_answers_failed_with_the_reason_once(cloudformation: Any, ses: Stubber) -> None:
    url, responses = cloudformation
    ses.add_client_error(
        "update_email_template", service_error_code="AccessDeniedException",
        service_message="not allowed to touch templates", http_status_code=403,
    )  # fmt: skip

    resource.handler(event("Create", url), LocalLambdaContext())

    (answer,) = responses
    assert answer["Status"] == "FAILED"
    assert "not allowed to touch templates" in answer["Reason"]


def test_bad_properties_fail_cleanly_and_their_delete_succeeds(
    cloudformation: Any, ses: Stubber
) -> None:
    url, responses = cloudformation

    resource.handler(event("Create", url, Channel="fax"), LocalLambdaContext())
    resource.handler(event("Delete", url, Channel="fax"), LocalLambdaContext())

    assert [r["Status"] for r in responses] == ["FAILED", "SUCCESS"]
    assert "Channel must be ses or pinpoint" in responses[0]["Reason"]


def test_the_pinpoint_channel_installs_the_generated_variant(
    cloudformation: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, responses = cloudformation
    client = boto3.client("pinpoint", region_name="us-east-1")
    monkeypatch.setattr(resource, "_client", lambda channel: client)
    variant = pinpoint_variant(load_template())
    with Stubber(client) as stub:
        stub.add_response(
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
        resource.handler(event("Create", url, Channel="pinpoint"), LocalLambdaContext())
    assert [r["Status"] for r in responses] == ["SUCCESS"]
