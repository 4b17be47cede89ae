"""The two AWS email channels: SES v2 templates (default) and Pinpoint (the original design)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from watchnext.domain.email import EmailJob, EmailLinks
from watchnext.email.templates import pinpoint_attributes, template_data

if TYPE_CHECKING:
    from mypy_boto3_pinpoint import PinpointClient
    from mypy_boto3_sesv2 import SESV2Client


def list_unsubscribe_headers(url: str) -> list[dict[str, str]]:
    """RFC 8058 one-click unsubscribe, which mail clients show as an Unsubscribe button."""
    return [
        {"Name": "List-Unsubscribe", "Value": f"<{url}>"},
        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
    ]


class SesMailer:
    """``SendEmail`` with the installed template and the job as ``TemplateData``."""

    def __init__(
        self,
        client: SESV2Client,
        *,
        sender: str,
        template_name: str,
        configuration_set: str | None = None,
    ) -> None:
        self._client = client
        self._sender = sender
        self._template_name = template_name
        self._configuration_set = configuration_set

    def send(self, job: EmailJob, links: EmailLinks) -> None:
        request: dict[str, Any] = {
            "FromEmailAddress": self._sender,
            "Destination": {"ToAddresses": [str(job.email_address)]},
            "Content": {
                "Template": {
                    "TemplateName": self._template_name,
                    "TemplateData": json.dumps(template_data(job, links)),
                    "Headers": list_unsubscribe_headers(links.unsubscribe),
                }
            },
            "EmailTags": [{"Name": "kind", "Value": "recommendations"}],
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        self._client.send_email(**request)


class PinpointMailer:
    """The original design's path: put the recommendations on the user's endpoint as user
    attributes, then ``SendUsersMessages`` with the template."""

    def __init__(
        self, client: PinpointClient, *, application_id: str, sender: str, template_name: str
    ) -> None:
        self._client = client
        self._application_id = application_id
        self._sender = sender
        self._template_name = template_name

    def send(self, job: EmailJob, links: EmailLinks) -> None:
        self._client.update_endpoint(
            ApplicationId=self._application_id,
            EndpointId=job.user_id,
            EndpointRequest={
                "ChannelType": "EMAIL",
                "Address": str(job.email_address),
                "User": {
                    "UserId": job.user_id,
                    "UserAttributes": pinpoint_attributes(job, links),
                },
            },
        )
        self._client.send_users_messages(
            ApplicationId=self._application_id,
            SendUsersMessageRequest={
                "MessageConfiguration": {"EmailMessage": {"FromAddress": self._sender}},
                "TemplateConfiguration": {"EmailTemplate": {"Name": self._template_name}},
                "Users": {job.user_id: {}},
            },
        )
