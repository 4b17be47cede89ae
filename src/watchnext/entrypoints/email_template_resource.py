"""CloudFormation custom resource: installs the recommendations email template into SES v2
or Pinpoint (``Channel``) on Create and Update, removes it on Delete.

crhelper (AWS's custom-resource helper) owns the response protocol: every path, failures and
an approaching Lambda timeout included, answers the pre-signed URL exactly once, so a stack
never hangs waiting. The physical id is the template name, stable across updates; Update
re-installs (the ``TemplatesLayer`` property is a new layer version whenever a template file
changes) and is idempotent, as is Create over a template that already exists.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import ClientError
from crhelper import CfnResource

from watchnext.adapters.aws.clients import CLIENT_CONFIG
from watchnext.email.templates import EmailTemplate, load_template, pinpoint_variant
from watchnext.observability import logger

# AWS_CA_BUNDLE, botocore's own setting, also lets the response through a TLS-inspecting proxy.
helper = CfnResource(
    json_logging=False,
    log_level="INFO",
    sleep_on_delete=0,
    ssl_verify=os.environ.get("AWS_CA_BUNDLE"),  # type: ignore[arg-type]  # a path works too
)


def _properties(event: dict[str, Any]) -> tuple[str, str]:
    props = event.get("ResourceProperties", {})
    name, channel = props.get("TemplateName"), props.get("Channel", "ses")
    if not name:
        raise ValueError("TemplateName is required")
    if channel not in ("ses", "pinpoint"):
        raise ValueError(f"Channel must be ses or pinpoint, not {channel!r}")
    return str(name), str(channel)


def _not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in ("NotFoundException",)


def _update_or_create(update: Callable[[], object], create: Callable[[], object]) -> None:
    """Update the template; create it if it is not there (Create over an existing one, and
    Update after someone deleted it, both end installed)."""
    try:
        update()
    except ClientError as error:
        if not _not_found(error):
            raise
        create()


def install_ses(client: Any, name: str, template: EmailTemplate) -> None:
    content = {"Subject": template.subject, "Html": template.html, "Text": template.text}
    _update_or_create(
        lambda: client.update_email_template(TemplateName=name, TemplateContent=content),
        lambda: client.create_email_template(TemplateName=name, TemplateContent=content),
    )


def install_pinpoint(client: Any, name: str, template: EmailTemplate) -> None:
    variant = pinpoint_variant(template)
    request = {"Subject": variant.subject, "HtmlPart": variant.html, "TextPart": variant.text}
    _update_or_create(
        lambda: client.update_email_template(TemplateName=name, EmailTemplateRequest=request),
        lambda: client.create_email_template(TemplateName=name, EmailTemplateRequest=request),
    )


def _client(channel: str) -> Any:
    return boto3.client("sesv2" if channel == "ses" else "pinpoint", config=CLIENT_CONFIG)


@helper.create
@helper.update
def install(event: dict[str, Any], _context: Any) -> str:
    name, channel = _properties(event)
    template = load_template()
    (install_ses if channel == "ses" else install_pinpoint)(_client(channel), name, template)
    helper.Data["ContentHash"] = template.content_hash
    logger.info("Email template installed", extra={"template": name, "channel": channel})
    return name


@helper.delete
def remove(event: dict[str, Any], _context: Any) -> None:
    try:
        name, channel = _properties(event)
    except ValueError:
        return  # a Create that failed validation left nothing behind
    client = _client(channel)
    try:
        client.delete_email_template(TemplateName=name)
    except ClientError as error:
        if not _not_found(error):
            raise


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
