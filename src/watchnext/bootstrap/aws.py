"""The AWS adapter set, as template.yaml deploys it: the review API on Personalize, DynamoDB,
SQS and SSM, and the mailer on SES v2 or Pinpoint."""

from __future__ import annotations

from collections.abc import Callable

from watchnext.adapters.aws.catalog import DynamoDBCatalog
from watchnext.adapters.aws.clients import AwsClients
from watchnext.adapters.aws.email_jobs import JobHandler
from watchnext.adapters.aws.email_queue import SqsEmailQueue
from watchnext.adapters.aws.email_state import DynamoDbEmailState
from watchnext.adapters.aws.mailers import PinpointMailer, SesMailer
from watchnext.adapters.aws.parameters import SsmParameters
from watchnext.adapters.aws.personalize import PersonalizeEventRecorder, PersonalizeRecommender
from watchnext.adapters.http.review_api import Idempotency, ReviewApi
from watchnext.service.delivery import Delivery
from watchnext.service.ports import Mailer, MetricsSink, NullMetrics
from watchnext.service.review import ReviewService
from watchnext.service.subscriptions import Subscriptions
from watchnext.settings import (
    EMAIL_QUEUE_URL,
    EMAIL_SENDER,
    EMAIL_STATE_TABLE,
    PINPOINT_APPLICATION_ID,
    UNSUBSCRIBE_SECRET,
    Settings,
    SettingsError,
)


def aws_review_api(
    settings: Settings,
    clients: AwsClients | None = None,
    *,
    metrics_sink: MetricsSink | None = None,
) -> ReviewApi:
    """The review API on Personalize, DynamoDB, SQS and SSM, as deployed by template.yaml."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    if not settings.email_queue_url:
        raise SettingsError(f"{EMAIL_QUEUE_URL} is not set: the API needs the email job queue.")
    clients = clients or AwsClients.create()
    parameters = SsmParameters(
        settings.parameter_path,
        clients.ssm,
        max_age_seconds=settings.parameters_max_age_seconds,
        retry_after_seconds=settings.retry_after_seconds,
    )
    service = ReviewService(
        recorder=PersonalizeEventRecorder(
            clients.personalize_events,
            parameters,
            session_window_seconds=settings.session_window_seconds,
            retry_after_seconds=settings.retry_after_seconds,
        ),
        recommender=PersonalizeRecommender(
            clients.personalize_runtime,
            parameters,
            retry_after_seconds=settings.retry_after_seconds,
        ),
        catalog=DynamoDBCatalog(clients.dynamodb, lambda: parameters.current().catalog_table),
        email_queue=SqsEmailQueue(
            clients.sqs, settings.email_queue_url, retry_after_seconds=settings.retry_after_seconds
        ),
        num_results=settings.num_results,
        metrics=metrics_sink or NullMetrics(),
    )
    idempotency = None
    if settings.idempotency_table:
        idempotency = Idempotency(
            DynamoDBPersistenceLayer(
                table_name=settings.idempotency_table, boto3_client=clients.dynamodb
            ),
            expiry_seconds=settings.idempotency_expiry_seconds,
        )
    subscriptions = None
    if settings.unsubscribe_secret and settings.email_state_table:
        state = aws_email_state(settings, clients)
        service.opt_outs = state
        subscriptions = Subscriptions(state, unsubscribe_key(settings, clients))

    return ReviewApi(
        service,
        idempotency=idempotency,
        metrics_sink=metrics_sink,
        cors_allowed_origins=settings.cors_allowed_origins,
        subscriptions=subscriptions,
        retry_after_seconds=settings.retry_after_seconds,
    )


def unsubscribe_key(settings: Settings, clients: AwsClients) -> Callable[[], bytes]:
    """The HMAC key for unsubscribe links, from Secrets Manager, cached for five minutes."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    if not settings.unsubscribe_secret:
        raise SettingsError(f"{UNSUBSCRIBE_SECRET} is not set: unsubscribe links need a key.")
    provider = SecretsProvider(boto3_client=clients.other("secretsmanager"))
    secret = settings.unsubscribe_secret
    return lambda: str(provider.get(secret, max_age=300)).encode()


def aws_email_state(settings: Settings, clients: AwsClients) -> DynamoDbEmailState:
    if not settings.email_state_table:
        raise SettingsError(f"{EMAIL_STATE_TABLE} is not set: the mailer keeps its state there.")
    return DynamoDbEmailState(clients.dynamodb, settings.email_state_table)


def aws_job_handler(settings: Settings, clients: AwsClients | None = None) -> JobHandler:
    """The mailer on SES v2 (default) or Pinpoint, as deployed by template.yaml."""
    clients = clients or AwsClients.create()
    if not settings.email_sender:
        raise SettingsError(f"{EMAIL_SENDER} is not set: the verified address to send from.")
    if not settings.email_queue_url:
        raise SettingsError(f"{EMAIL_QUEUE_URL} is not set: the mailer's own queue.")
    mailer: Mailer
    if settings.email_channel == "pinpoint":
        if not settings.pinpoint_application_id:
            raise SettingsError(f"{PINPOINT_APPLICATION_ID} is needed for the pinpoint channel.")
        mailer = PinpointMailer(
            clients.other("pinpoint"),
            application_id=settings.pinpoint_application_id,
            sender=settings.email_sender,
            template_name=settings.email_template_name,
        )
    else:
        mailer = SesMailer(
            clients.other("sesv2"),
            sender=settings.email_sender,
            template_name=settings.email_template_name,
            configuration_set=settings.ses_configuration_set,
        )
    delivery = Delivery(
        mailer=mailer,
        state=aws_email_state(settings, clients),
        unsubscribe_base_url=settings.unsubscribe_base_url,
        signing_key=unsubscribe_key(settings, clients),
        cooldown_seconds=settings.email_cooldown_seconds,
    )
    return JobHandler(delivery, clients.sqs, settings.email_queue_url)
