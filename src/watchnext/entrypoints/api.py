"""The review API's Lambda handler behind API Gateway (proxy integration)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from watchnext.adapters.aws.clients import AwsClients, lambda_deadline
from watchnext.bootstrap.aws import aws_review_api
from watchnext.bootstrap.lambda_init import BuiltAtInit
from watchnext.entrypoints import snapstart
from watchnext.observability import PowertoolsMetrics, logger, metrics
from watchnext.settings import Settings

snapstart.register()


clients = AwsClients.create()
api = BuiltAtInit(
    lambda: aws_review_api(Settings.from_env(), clients, metrics_sink=PowertoolsMetrics())
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with lambda_deadline(context.get_remaining_time_in_millis()):
        return api.get().handle(event, context)
