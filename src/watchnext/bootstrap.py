"""Wires concrete adapters into the review API from settings: the one place that knows them all."""

from __future__ import annotations

from watchnext.adapters.aws.catalog import DynamoDBCatalog
from watchnext.adapters.aws.clients import AwsClients
from watchnext.adapters.aws.email_queue import SqsEmailQueue
from watchnext.adapters.aws.parameters import SsmParameters
from watchnext.adapters.aws.personalize import PersonalizeEventRecorder, PersonalizeRecommender
from watchnext.entrypoints.api import Idempotency, ReviewApi
from watchnext.service import MetricsSink, NullMetrics, ReviewService
from watchnext.settings import EMAIL_QUEUE_URL, Settings, SettingsError


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
    return ReviewApi(
        service,
        idempotency=idempotency,
        metrics_sink=metrics_sink,
        cors_allowed_origins=settings.cors_allowed_origins,
    )
