"""The SES v2 email channel (the default): ``SendEmail`` with the installed template and the
job as ``TemplateData``, and the RFC 8058 one-click unsubscribe headers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, ClassVar

from watchnext.adapters.aws.channels.base import update_or_create
from watchnext.domain.email import DEFAULT_SEND_CONCURRENCY, EmailJob, EmailLinks
from watchnext.email.templates import EmailTemplate, template_data
from watchnext.service.delivery import send_pooled
from watchnext.service.ports import EmailDone
from watchnext.settings import Settings


def list_unsubscribe_headers(url: str) -> list[dict[str, str]]:
    """RFC 8058 one-click unsubscribe, which mail clients show as an Unsubscribe button."""
    return [
        {"Name": "List-Unsubscribe", "Value": f"<{url}>"},
        {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
    ]


@dataclass(frozen=True, kw_only=True)
class SesChannel:
    name: ClassVar[str] = "ses"
    service: ClassVar[str] = "sesv2"

    client: Any = field(kw_only=False)
    sender: str
    template_name: str
    configuration_set: str | None = None
    send_concurrency: int = DEFAULT_SEND_CONCURRENCY

    @classmethod
    def from_settings(cls, client: Any, settings: Settings, sender: str) -> SesChannel:
        return cls(
            client,
            sender=sender,
            template_name=settings.email_template_name,
            configuration_set=settings.ses_configuration_set,
            send_concurrency=settings.email_send_concurrency,
        )

    def send_all(self, emails: Sequence[tuple[EmailJob, EmailLinks]], done: EmailDone) -> None:
        send_pooled(lambda: nullcontext(self.send), emails, done, self.send_concurrency)

    def send(self, job: EmailJob, links: EmailLinks) -> None:
        request: dict[str, Any] = {
            "FromEmailAddress": self.sender,
            "Destination": {"ToAddresses": [str(job.email_address)]},
            "Content": {
                "Template": {
                    "TemplateName": self.template_name,
                    "TemplateData": json.dumps(template_data(job, links)),
                    "Headers": list_unsubscribe_headers(links.unsubscribe),
                }
            },
            "EmailTags": [{"Name": "kind", "Value": "recommendations"}],
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        self.client.send_email(**request)

    @staticmethod
    def install(client: Any, name: str, template: EmailTemplate) -> None:
        content = {"Subject": template.subject, "Html": template.html, "Text": template.text}
        update_or_create(
            lambda: client.update_email_template(TemplateName=name, TemplateContent=content),
            lambda: client.create_email_template(TemplateName=name, TemplateContent=content),
        )
