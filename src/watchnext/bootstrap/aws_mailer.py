"""The mailer function's adapter set, as template.yaml deploys it: the email channel named
by the settings (SES v2 by default), its state in DynamoDB, its jobs from SQS."""

from __future__ import annotations

from watchnext.adapters.aws.channels import channel_class
from watchnext.adapters.aws.clients import AwsClients
from watchnext.adapters.aws.email_jobs import JobHandler
from watchnext.bootstrap.aws import aws_email_state, aws_experiment_emails, unsubscribe_key
from watchnext.service.delivery import Delivery
from watchnext.service.ports import Mailer
from watchnext.settings import Settings, require


def aws_job_handler(settings: Settings, clients: AwsClients | None = None) -> JobHandler:
    """The mailer on its channel (`watchnext.email.channels`), as deployed by template.yaml."""
    clients = clients or AwsClients.create()
    sender = require(settings.email_sender, "email_sender", "the verified address to send from")
    queue_url = require(settings.email_queue_url, "email_queue_url", "the mailer's own queue")
    channel = channel_class(settings.email_channel)
    mailer: Mailer = channel.from_settings(clients.other(channel.service), settings, sender)
    delivery = Delivery(
        mailer=mailer,
        state=aws_email_state(settings, clients),
        unsubscribe_base_url=settings.unsubscribe_base_url,
        signing_key=unsubscribe_key(settings, clients),
        cooldown_seconds=settings.email_cooldown_seconds,
        address_limit=settings.email_address_limit,
        address_window_seconds=settings.email_address_window_seconds,
        engagement=aws_experiment_emails(settings, clients),
    )
    return JobHandler(delivery, clients.sqs, queue_url)
