"""The review function's adapter set, as template.yaml deploys it: the review API on
Personalize, DynamoDB, SQS and SSM. The mailer's is in `aws_mailer` (each Lambda imports only
its own)."""

from __future__ import annotations

from collections.abc import Callable

from watchnext.adapters.aws.catalog import DynamoDBCatalog
from watchnext.adapters.aws.clients import AwsClients
from watchnext.adapters.aws.email_queue import SqsEmailQueue
from watchnext.adapters.aws.email_state import DynamoDbEmailState
from watchnext.adapters.aws.experiment_emails import DynamoDbExperimentEmails
from watchnext.adapters.aws.parameters import SsmParameters
from watchnext.adapters.aws.personalize import PersonalizeEventRecorder, PersonalizeRecommender
from watchnext.adapters.http.review_api import Idempotency, ReviewApi
from watchnext.service.clicks import Clicks
from watchnext.service.ports import MetricsSink, NullMetrics
from watchnext.service.review import ReviewService
from watchnext.service.subscriptions import Subscriptions
from watchnext.settings import Settings, require


def aws_review_api(
    settings: Settings,
    clients: AwsClients | None = None,
    *,
    metrics_sink: MetricsSink | None = None,
) -> ReviewApi:
    """The review API on Personalize, DynamoDB, SQS and SSM, as deployed by template.yaml."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    queue_url = require(settings.email_queue_url, "email_queue_url", "the API queues email jobs")
    clients = clients or AwsClients.create()
    parameters = SsmParameters(
        settings.parameter_path,
        clients.ssm,
        max_age_seconds=settings.parameters_max_age_seconds,
        retry_after_seconds=settings.retry_after_seconds,
    )
    linked = bool(settings.unsubscribe_secret and settings.email_state_table)
    state = aws_email_state(settings, clients) if linked else None
    recorder = PersonalizeEventRecorder(
        clients.personalize_events,
        parameters,
        session_window_seconds=settings.session_window_seconds,
        sentiment=settings.sentiment,
        retry_after_seconds=settings.retry_after_seconds,
    )
    service = ReviewService(
        recorder=recorder,
        recommender=PersonalizeRecommender(
            clients.personalize_runtime,
            parameters,
            retry_after_seconds=settings.retry_after_seconds,
        ),
        catalog=DynamoDBCatalog(clients.dynamodb, lambda: parameters.current().catalog_table),
        email_queue=SqsEmailQueue(
            clients.sqs, queue_url, retry_after_seconds=settings.retry_after_seconds
        ),
        num_results=settings.num_results,
        sentiment=settings.sentiment,
        dislike_penalty=settings.dislike_demotion,
        metrics=metrics_sink or NullMetrics(),
        opt_outs=state,
    )
    idempotency = None
    if settings.idempotency_table:
        idempotency = Idempotency(
            DynamoDBPersistenceLayer(
                table_name=settings.idempotency_table, boto3_client=clients.dynamodb
            ),
            expiry_seconds=settings.idempotency_expiry_seconds,
        )
    subscriptions = clicks = None
    if state is not None:
        signing_key = unsubscribe_key(settings, clients)
        subscriptions = Subscriptions(state, signing_key)
        clicks = Clicks(
            recorder=recorder,
            ledger=state,
            signing_key=signing_key,
            title_url_template=settings.title_url_template,
            engagement=aws_experiment_emails(settings, clients),
        )

    return ReviewApi(
        service,
        idempotency=idempotency,
        metrics_sink=metrics_sink,
        cors_allowed_origins=settings.cors_allowed_origins,
        subscriptions=subscriptions,
        clicks=clicks,
        retry_after_seconds=settings.retry_after_seconds,
    )


def unsubscribe_key(settings: Settings, clients: AwsClients) -> Callable[[], bytes]:
    """The HMAC key for unsubscribe links, from Secrets Manager, cached for five minutes."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    secret = require(settings.unsubscribe_secret, "unsubscribe_secret", "links need a key")
    provider = SecretsProvider(boto3_client=clients.other("secretsmanager"))
    return lambda: str(provider.get(secret, max_age=300)).encode()


def aws_experiment_emails(
    settings: Settings, clients: AwsClients
) -> DynamoDbExperimentEmails | None:
    """Where experiment emails are kept for their status; none when the stack has no table."""
    if settings.experiment_emails_table is None:
        return None
    return DynamoDbExperimentEmails(clients.dynamodb, settings.experiment_emails_table)


def aws_email_state(settings: Settings, clients: AwsClients) -> DynamoDbEmailState:
    table = require(
        settings.email_state_table, "email_state_table", "opt-outs and sends live there"
    )
    return DynamoDbEmailState(clients.dynamodb, table)
