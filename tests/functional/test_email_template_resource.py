"""The custom resource answers CloudFormation exactly once on every path: a loopback HTTP
server plays the pre-signed S3 URL; SES v2 and Pinpoint through Stubber."""

from __future__ import annotations

import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from watchnext.email.templates import load_template, pinpoint_variant
from watchnext.entrypoints import email_template_resource as resource
from watchnext.entrypoints.lambda_context import LocalLambdaContext

NAME = "watchnext-test-recommendations"


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that is its own CA (the response URL is always HTTPS)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1)).not_valid_after(now + timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def cloudformation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in for CloudFormation's pre-signed HTTPS URL that records every PUT."""
    responses: list[dict[str, Any]] = []
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setattr(resource.helper, "_ssl_verify", str(cert))  # what AWS_CA_BUNDLE sets

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            responses.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/presigned?X-Amz-Signature=x", responses
    finally:
        server.shutdown()
        server.server_close()


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
