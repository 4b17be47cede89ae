"""Runtime settings that the training pipeline publishes to SSM Parameter Store.

They are read through Powertools' parameters utility with a short cache, so a retraining
that publishes a new campaign ARN takes effect without a redeploy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from watchnext.errors import NotConfiguredError, ServiceUnavailableError
from watchnext.observability import logger
from watchnext.settings import NOT_CONFIGURED

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

    from watchnext.domain.experiment import Experiment

CAMPAIGN_ARN = "campaign-arn"
TRACKING_ID = "tracking-id"
FILTER_ARN = "filter-arn"
CATALOG_TABLE_PARAMETER = "catalog-table"
EVENT_PROPERTIES = "event-properties"
METRIC_ATTRIBUTION_ARN = "metric-attribution-arn"
EXPERIMENT = "experiment"


@dataclass(frozen=True, slots=True)
class PersonalizeParameters:
    campaign_arn: str | None
    tracking_id: str | None
    filter_arn: str | None
    catalog_table: str | None
    event_properties: frozenset[str] = frozenset()
    """PutEvents property keys the interactions schema has; none until published."""
    metric_attribution_arn: str | None = None
    """Set when the pipeline created a metric attribution: events then carry their source."""
    experiment: Experiment | None = None
    """The running experiment (`watchnext experiment start --aws`): its arms are campaigns."""


class SsmParameters:
    """Reads ``<path>/campaign-arn``, ``tracking-id``, ``filter-arn`` and ``catalog-table``."""

    def __init__(
        self, path: str, client: SSMClient, *, max_age_seconds: int, retry_after_seconds: int
    ) -> None:
        self.path = path
        self._provider = SSMProvider(boto3_client=client)
        self._max_age_seconds = max_age_seconds
        self._retry_after_seconds = retry_after_seconds

    def current(self) -> PersonalizeParameters:
        try:
            values = self._provider.get_multiple(
                self.path, max_age=self._max_age_seconds, recursive=False
            )
        except GetParameterError as error:
            raise ServiceUnavailableError(
                f"Could not read the SSM parameters under {self.path}.",
                retry_after_seconds=self._retry_after_seconds,
            ) from error
        return PersonalizeParameters(
            campaign_arn=_configured(values.get(CAMPAIGN_ARN)),
            tracking_id=_configured(values.get(TRACKING_ID)),
            filter_arn=_configured(values.get(FILTER_ARN)),
            catalog_table=_configured(values.get(CATALOG_TABLE_PARAMETER)),
            event_properties=_names(_configured(values.get(EVENT_PROPERTIES))),
            metric_attribution_arn=_configured(values.get(METRIC_ATTRIBUTION_ARN)),
            experiment=_experiment(_configured(values.get(EXPERIMENT))),
        )

    def require(self, name: str, value: str | None) -> str:
        """``value`` or a 503 naming the SSM parameter the training pipeline has to publish."""
        if value:
            return value
        raise NotConfiguredError(
            f"{name} is not configured yet: SSM parameter {self.path}/{name} holds no value. "
            "The training pipeline publishes it when a campaign is deployed.",
            retry_after_seconds=self._retry_after_seconds,
        )


def _names(value: str | None) -> frozenset[str]:
    try:
        names = json.loads(value) if value else []
    except json.JSONDecodeError:
        return frozenset()  # an unreadable list sends no properties rather than bad ones
    return frozenset(str(name) for name in names) if isinstance(names, list) else frozenset()


def _experiment(value: str | None) -> Experiment | None:
    """The experiment the parameter holds; none when it holds none or cannot be read (a
    hand-edited parameter must not stop reviews: the campaign serves, and the log says why)."""
    if value is None:
        return None
    # Imported only while an experiment runs: the review function's cold start pays nothing.
    from watchnext.domain.experiment import Experiment, ExperimentError

    try:
        return Experiment.from_json(value)
    except ExperimentError as error:
        reason = {"why": str(error)}
        logger.error("Experiment parameter unreadable: serving the campaign", extra=reason)
        return None


def _configured(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if value and value != NOT_CONFIGURED else None
