"""The mailer function's adapter set, as template.yaml deploys it: SES v2 (default) or
Pinpoint, its state in DynamoDB, its jobs from SQS."""

from __future__ import annotations

from watchnext.adapters.aws.clients import AwsClients
from watchnext.adapters.aws.email_jobs import JobHandler
from watchnext.adapters.aws.mailers import PinpointMailer, SesMailer
from watchnext.bootstrap.aws import aws_email_state, unsubscribe_key
from watchnext.service.delivery import Delivery
from watchnext.service.ports import Mailer
from watchnext.settings import Settings, require


def aws_job_handler(settings: Settings, clients: AwsClients | None = None) -> JobHandler:
    """The mailer on SES v2 (default) or Pinpoint, as deployed by template.yaml."""
    clients = clients or AwsClients.create()
    sender = require(settings.email_sender, "email_sender", "the verified address to send from")
    queue_url = require(settings.email_queue_url, "email_queue_url", "the mailer's own queue")
    mailer: Mailer
    if settings.email_channel == "pinpoint":
        mailer = PinpointMailer(
            clients.other("pinpoint"),
            application_id=require(
                settings.pinpoint_application_id, "pinpoint_application_id", "the pinpoint channel"
            ),
            sender=sender,
            template_name=settings.email_template_name,
        )
    else:
        mailer = SesMailer(
            clients.other("sesv2"),
            sender=sender,
            template_name=settings.email_template_name,
            configuration_set=settings.ses_configuration_set,
        )
    delivery = Delivery(
        mailer=mailer,
        state=aws_email_state(settings, clients),
        unsubscribe_base_url=settings.unsubscribe_base_url,
        signing_key=unsubscribe_key(settings, clients),
        cooldown_seconds=settings.email_cooldown_seconds,
        address_limit=settings.email_address_limit,
        address_window_seconds=settings.email_address_window_seconds,
    )
    return JobHandler(delivery, clients.sqs, queue_url)
