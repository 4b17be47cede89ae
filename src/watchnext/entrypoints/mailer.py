"""The mailer's Lambda handler on the email job queue (an SQS batch of email jobs)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from watchnext.adapters.aws.clients import AwsClients, lambda_deadline
from watchnext.adapters.aws.email_jobs import handle_batch
from watchnext.bootstrap.aws_mailer import aws_job_handler
from watchnext.bootstrap.lambda_init import BuiltAtInit
from watchnext.entrypoints import snapstart
from watchnext.observability import logger, metrics
from watchnext.settings import Settings

snapstart.register()


clients = AwsClients.create()
job_handler = BuiltAtInit(lambda: aws_job_handler(Settings.from_env(), clients))


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with lambda_deadline(context.get_remaining_time_in_millis()):
        return handle_batch(event, context, job_handler.get())
