"""The review API's Lambda handler behind API Gateway (proxy integration)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from watchnext.adapters.aws.clients import AwsClients, lambda_deadline
from watchnext.adapters.http.review_api import ReviewApi
from watchnext.bootstrap.aws import aws_review_api
from watchnext.entrypoints import snapstart
from watchnext.observability import PowertoolsMetrics, logger, metrics
from watchnext.settings import Settings, SettingsError

snapstart.register()


def _build() -> ReviewApi:
    return aws_review_api(Settings.from_env(), clients, metrics_sink=PowertoolsMetrics())


# Built at init, clients included, so that a SnapStart snapshot holds them; without its
# settings, the first request builds again and answers with the missing one's name.
clients = AwsClients.create()
try:
    _api: ReviewApi | None = _build()
except SettingsError:
    _api = None


def _aws_api() -> ReviewApi:
    global _api
    if _api is None:
        _api = _build()
    return _api


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with lambda_deadline(context.get_remaining_time_in_millis()):
        return _aws_api().handle(event, context)
