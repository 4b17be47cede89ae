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
from typing import Any

from botocore.exceptions import ClientError
from crhelper import CfnResource

from watchnext.adapters.aws.channels import channel_class
from watchnext.adapters.aws.channels.base import not_found
from watchnext.adapters.aws.clients import AwsClients
from watchnext.email.channels import check_channel
from watchnext.email.templates import load_template, templates_root
from watchnext.observability import logger
from watchnext.settings import Settings

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
    return str(name), check_channel(str(channel))


clients = AwsClients.create()  # built at init and kept; a channel's client on first use


def _client(channel: str) -> Any:
    return clients.other(channel_class(channel).service)


@helper.create
@helper.update
def install(event: dict[str, Any], _context: Any) -> str:
    name, channel = _properties(event)
    template = load_template(templates_root(Settings.from_env().templates_dir))
    channel_class(channel).install(_client(channel), name, template)
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
        if not not_found(error):
            raise


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
