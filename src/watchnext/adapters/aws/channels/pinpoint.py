"""The Pinpoint email channel, for the accounts that still have Pinpoint (its email ended on
2026-10-30): the recommendations go onto the user's endpoint as user attributes, then
``SendUsersMessages`` with the template, whose variables are those attributes. The channel
owns Pinpoint's own limit: attribute values of at most 100 characters."""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, ClassVar

from watchnext.adapters.aws.channels.base import update_or_create
from watchnext.domain.email import DEFAULT_SEND_CONCURRENCY, EmailJob, EmailLinks
from watchnext.email.templates import VERDICTS, EmailTemplate, unknown_title_note
from watchnext.service.delivery import send_pooled
from watchnext.service.ports import EmailDone
from watchnext.settings import Settings, require


@dataclass(frozen=True, kw_only=True)
class PinpointChannel:
    name: ClassVar[str] = "pinpoint"
    service: ClassVar[str] = "pinpoint"

    client: Any = field(kw_only=False)
    application_id: str
    sender: str
    template_name: str
    send_concurrency: int = DEFAULT_SEND_CONCURRENCY

    @classmethod
    def from_settings(cls, client: Any, settings: Settings, sender: str) -> PinpointChannel:
        application = require(
            settings.pinpoint_application_id, "pinpoint_application_id", "the pinpoint channel"
        )
        return cls(
            client,
            application_id=application,
            sender=sender,
            template_name=settings.email_template_name,
            send_concurrency=settings.email_send_concurrency,
        )

    def send_all(self, emails: Sequence[tuple[EmailJob, EmailLinks]], done: EmailDone) -> None:
        send_pooled(lambda: nullcontext(self.send), emails, done, self.send_concurrency)

    def send(self, job: EmailJob, links: EmailLinks) -> None:
        self.client.update_endpoint(
            ApplicationId=self.application_id,
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
        self.client.send_users_messages(
            ApplicationId=self.application_id,
            SendUsersMessageRequest={
                "MessageConfiguration": {"EmailMessage": {"FromAddress": self.sender}},
                "TemplateConfiguration": {"EmailTemplate": {"Name": self.template_name}},
                "Users": {job.user_id: {}},
            },
        )

    @staticmethod
    def install(client: Any, name: str, template: EmailTemplate) -> None:
        variant = pinpoint_variant(template)
        request = {"Subject": variant.subject, "HtmlPart": variant.html, "TextPart": variant.text}
        update_or_create(
            lambda: client.update_email_template(TemplateName=name, EmailTemplateRequest=request),
            lambda: client.create_email_template(TemplateName=name, EmailTemplateRequest=request),
        )


PINPOINT_VALUE_LIMIT = 100
"""Pinpoint refuses an endpoint user attribute value longer than this (EndpointUser)."""

PINPOINT_ATTRIBUTES = {
    "rated.rating": "User.UserAttributes.rated_rating.[0]",
    "count": "User.UserAttributes.recommendation_count.[0]",
}
PINPOINT_CHUNKED = {
    "rated.title": "User.UserAttributes.rated_title",
    "rated.verdict": "User.UserAttributes.rated_verdict",
    "rated.note": "User.UserAttributes.rated_note",
    "unsubscribe_url": "User.UserAttributes.unsubscribe_url",
}
"""Values that may exceed the limit: stored as ≤ 100-character pieces, joined by the template."""


def pinpoint_variant(template: EmailTemplate) -> EmailTemplate:
    """The same template for Pinpoint, whose variables are endpoint user attributes (lists of
    strings): the loop runs over ``recommended_titles`` and each entry is a title."""

    def convert(text: str) -> str:
        for variable, attribute in PINPOINT_ATTRIBUTES.items():
            text = re.sub(
                r"(\{\{\{?)\s*" + re.escape(variable) + r"\s*(\}?\}\})",
                rf"\g<1>{attribute}\g<2>",
                text,
            )
        for variable, attribute in PINPOINT_CHUNKED.items():
            text = text.replace(f"{{{{#if {variable}}}}}", f"{{{{#if {attribute}}}}}")
            text = re.sub(
                r"(\{\{\{?)\s*" + re.escape(variable) + r"\s*(\}?\}\})",
                rf"{{{{#each {attribute}}}}}\g<1>this\g<2>{{{{/each}}}}",
                text,
            )
        loop = re.compile(r"\{\{#each recommendations\}\}(.*?)\{\{/each\}\}", re.DOTALL)

        def per_title(match: re.Match[str]) -> str:
            body = re.sub(r"\{\{(\{?)\s*title\s*(\}?)\}\}", r"{{\g<1>this\g<2>}}", match.group(1))
            body = re.sub(r"\{\{#if reason\}\}.*?\{\{/if\}\}", "", body, flags=re.DOTALL)
            body = re.sub(r"\{\{#if heading\}\}.*?\{\{/if\}\}", "", body, flags=re.DOTALL)
            body = re.sub(r"\{\{rank\}\}\.?", "", body)
            body = re.sub(r"\{\{#if url\}\}(.*?)\{\{/if\}\}", "", body, flags=re.DOTALL)
            return "{{#each User.UserAttributes.recommended_titles}}" + body + "{{/each}}"

        return loop.sub(per_title, text)

    return EmailTemplate(convert(template.subject), convert(template.html), convert(template.text))


def pinpoint_attributes(job: EmailJob, links: EmailLinks) -> dict[str, list[str]]:
    """The endpoint user attributes the Pinpoint variant reads. Its loop runs over titles
    alone (one attribute value each), so the picks carry no tracked links there."""
    return {
        "recommended_titles": [_shortened(r.title) for r in job.recommendations],
        "rated_title": _pieces(job.rated.title),
        "rated_verdict": _pieces(VERDICTS[job.rated.feeling]),
        **(
            {}
            if job.rated.known
            else {"rated_note": _pieces(unknown_title_note(job.recommendations))}
        ),
        "rated_rating": [str(job.rated.rating)],
        "recommendation_count": [str(len(job.recommendations))],
        "unsubscribe_url": _pieces(links.unsubscribe),
    }


def _pieces(value: str) -> list[str]:
    """``value`` in order, as pieces Pinpoint accepts; the template joins them again."""
    step = PINPOINT_VALUE_LIMIT
    return [value[start : start + step] for start in range(0, len(value), step)] or [""]


def _shortened(title: str) -> str:
    """A title that fits one attribute value (a loop over titles cannot join pieces)."""
    if len(title) <= PINPOINT_VALUE_LIMIT:
        return title
    return title[: PINPOINT_VALUE_LIMIT - 1] + "…"
