"""The mailer's Lambda handler on the email job queue (an SQS batch of email jobs)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from watchnext.adapters.aws.clients import AwsClients, lambda_deadline
from watchnext.adapters.aws.email_jobs import JobHandler, handle_batch
from watchnext.bootstrap.aws_mailer import aws_job_handler
from watchnext.entrypoints import snapstart
from watchnext.observability import logger, metrics
from watchnext.settings import Settings, SettingsError

snapstart.register()


def _build() -> JobHandler:
    return aws_job_handler(Settings.from_env(), clients)


# Built at init, clients included, so that a SnapStart snapshot holds them.
clients = AwsClients.create()
try:
    _job_handler: JobHandler | None = _build()
except SettingsError:
    _job_handler = None


def _aws_job_handler() -> JobHandler:
    global _job_handler
    if _job_handler is None:
        _job_handler = _build()
    return _job_handler


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with lambda_deadline(context.get_remaining_time_in_millis()):
        return handle_batch(event, context, _aws_job_handler())
