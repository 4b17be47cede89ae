"""One contract over every email channel (as the email-state contract is over every store):
sent a job, the viewer gets one email, to their address, whose subject names the rated title,
with every pick and a working unsubscribe link. SES v2 and Pinpoint answer through Stubber
(the message is what their template renders from the call), the SMTP channel delivers to the
local sink, and the test fake stands for them in the other tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from tests.support import template
from tests.support.fakes import FakeMailer, email_job
from watchnext.adapters.aws.channels import channel_class
from watchnext.adapters.aws.channels.pinpoint import pinpoint_variant
from watchnext.adapters.local.outbox import Outbox
from watchnext.adapters.local.smtp import SmtpMailer, SmtpSink
from watchnext.domain.email import EmailJob, EmailLinks
from watchnext.email.channels import CHANNELS
from watchnext.email.render import HandlebarsRenderer
from watchnext.email.templates import load_template, template_data
from watchnext.service.ports import Mailer

LINKS = EmailLinks("https://api.example.com/prod/unsubscribe?token=t0k3n")


@dataclass(frozen=True)
class Received:
    to: str
    subject: str
    text: str


Channel = Callable[[Path], Any]


@contextmanager
def ses(_: Path) -> Iterator[tuple[Mailer, Callable[[], list[Received]]]]:
    client = boto3.client("sesv2", region_name="us-east-1")
    sent: list[dict[str, Any]] = []
    with Stubber(client) as stub:
        stub.add_response("send_email", {"MessageId": "m1"}, expected_params=ANY_SEND)
        client.meta.events.register_first(
            "before-parameter-build.sesv2.SendEmail", lambda params, **_: sent.append(params)
        )
        mailer = channel_class("ses")(client, sender="picks@example.com", template_name="t")

        def received() -> list[Received]:
            renderer = HandlebarsRenderer(load_template())
            return [
                Received(call["Destination"]["ToAddresses"][0], *_subject_text(renderer, data))
                for call, data in (
                    (c, json.loads(c["Content"]["Template"]["TemplateData"])) for c in sent
                )
            ]

        yield mailer, received


ANY_SEND = {
    "FromEmailAddress": ANY, "Destination": ANY, "Content": ANY, "EmailTags": ANY,
}  # fmt: skip


@contextmanager
def pinpoint(_: Path) -> Iterator[tuple[Mailer, Callable[[], list[Received]]]]:
    client = boto3.client("pinpoint", region_name="us-east-1")
    endpoints: list[dict[str, Any]] = []
    with Stubber(client) as stub:
        stub.add_response("update_endpoint", {"MessageBody": {"Message": "ok"}})
        stub.add_response(
            "send_users_messages", {"SendUsersMessageResponse": {"ApplicationId": "app"}}
        )
        client.meta.events.register_first(
            "before-parameter-build.pinpoint.UpdateEndpoint",
            lambda params, **_: endpoints.append(params),
        )
        mailer = channel_class("pinpoint")(
            client, application_id="app", sender="picks@example.com", template_name="t"
        )

        def received() -> list[Received]:
            renderer = HandlebarsRenderer(pinpoint_variant(load_template()))
            return [
                Received(
                    call["EndpointRequest"]["Address"],
                    *_subject_text(renderer, {"User": call["EndpointRequest"]["User"]}),
                )
                for call in endpoints
            ]

        yield mailer, received


@contextmanager
def smtp(folder: Path) -> Iterator[tuple[Mailer, Callable[[], list[Received]]]]:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    sink = SmtpSink(folder, listener)
    sink.start()
    try:
        mailer = SmtpMailer(
            HandlebarsRenderer(load_template()), sender="picks@example.com",
            host="127.0.0.1", port=listener.getsockname()[1],
        )  # fmt: skip

        def received() -> list[Received]:
            return [Received(m.to, m.subject, m.parts()[0]) for m in Outbox(folder).page()]

        yield mailer, received
    finally:
        sink.stop()


@contextmanager
def fake(_: Path) -> Iterator[tuple[Mailer, Callable[[], list[Received]]]]:
    mailer = FakeMailer()
    renderer = HandlebarsRenderer(load_template())

    def received() -> list[Received]:
        return [
            Received(str(job.email_address), *_subject_text(renderer, template_data(job, links)))
            for job, links in mailer.sent
        ]

    yield mailer, received


def _subject_text(renderer: HandlebarsRenderer, data: dict[str, Any]) -> tuple[str, str]:
    email = renderer.render(data)
    return email.subject, email.text


CHANNEL_WORLDS = {"ses": ses, "pinpoint": pinpoint, "smtp": smtp, "fake": fake}


def test_every_registered_channel_runs_the_contract() -> None:
    assert set(CHANNELS) <= set(CHANNEL_WORLDS)
    assert set(CHANNELS) == set(template()["Parameters"]["EmailChannel"]["AllowedValues"])
    assert all(channel_class(name).name == name for name in CHANNELS)


@pytest.mark.parametrize("channel", CHANNEL_WORLDS)
def test_a_job_becomes_one_email_to_the_viewer_naming_the_title_and_every_pick(
    channel: str, tmp_path: Path
) -> None:
    picks = ("Arrival (2016)", "Her (2013)", "Solaris (1972)")
    job: EmailJob = email_job(titles=picks)
    with CHANNEL_WORLDS[channel](tmp_path) as (mailer, received):
        mailer.send(job, LINKS)
        emails = received()

    (email,) = emails
    assert email.to == "viewer@example.com"
    assert job.rated.title in email.subject
    assert all(title in email.text for title in picks)
    assert "t0k3n" in email.text.replace("\n", "")
