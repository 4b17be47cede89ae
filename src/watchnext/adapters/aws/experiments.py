"""Experiments on AWS (`watchnext experiment start|status|stop|promote --aws`), as the stack's
ExperimentRole allows: the running experiment is the SSM parameter ``<path>/experiment``,
which the review function reads with the campaign ARN (same path, same cache), and every
experiment started is kept as ``<path>/experiments/<name>`` (below the path the function
reads), so its status can be read after it stops. The status comes from the emails the
mailer kept for it (`experiment_emails`); promoting an arm publishes its campaign as
``<path>/campaign-arn``. No redeploy either way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from watchnext.adapters.aws.parameters import CAMPAIGN_ARN, EXPERIMENT
from watchnext.domain.experiment import Arm, Experiment, ExperimentError
from watchnext.settings import NOT_CONFIGURED

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

    from watchnext.adapters.aws.experiment_emails import DynamoDbExperimentEmails
    from watchnext.service.experiments import ExperimentStatus

EXPERIMENTS = "experiments"
"""Below the parameter path: one parameter per experiment started, named after it."""


class SsmExperiments:
    def __init__(
        self, client: SSMClient, path: str, emails: DynamoDbExperimentEmails | None = None
    ) -> None:
        self._client = client
        self._path = path.rstrip("/")
        self._emails = emails

    @property
    def stage(self) -> str:
        return self._path.rsplit("/", 1)[-1]

    def running(self) -> Experiment | None:
        value = self._client.get_parameter(Name=f"{self._path}/{EXPERIMENT}")["Parameter"]
        text = value.get("Value", NOT_CONFIGURED)
        return None if text.strip() == NOT_CONFIGURED else Experiment.from_json(text)

    def start(self, experiment: Experiment) -> None:
        running = self.running()
        if running is not None:
            raise ExperimentError(
                f"experiment {running.name!r} is running: stop it first (watchnext experiment "
                f"stop {running.name} --aws)"
            )
        prefix = f":campaign/watchnext-{self.stage}-"
        for arm in experiment.arms:
            if not (arm.recommender.startswith("arn:") and prefix in arm.recommender):
                raise ExperimentError(
                    f"arm {arm.name!r}: {arm.recommender!r} is not a campaign ARN named "
                    f"watchnext-{self.stage}-*, which the review function may ask"
                )
        if self.named(experiment.name) is not None:
            raise ExperimentError(
                f"there was already an experiment {experiment.name!r} on AWS: choose another "
                "name (its emails are kept under it)"
            )
        self._put(EXPERIMENT, experiment.to_json())
        self._put(f"{EXPERIMENTS}/{experiment.name}", experiment.to_json())

    def named(self, name: str) -> Experiment | None:
        """The experiment started as ``name``, running or not."""
        try:
            answer = self._client.get_parameter(Name=f"{self._path}/{EXPERIMENTS}/{name}")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ParameterNotFound":
                return None
            raise
        return Experiment.from_json(answer["Parameter"].get("Value", ""))

    def status(self, name: str | None = None) -> ExperimentStatus:
        """Experiment ``name``'s status, running or stopped; the running one's by default."""
        from watchnext.service.experiments import experiment_status

        if self._emails is None:
            raise ExperimentError("no experiment emails table to read the status from")
        experiment = self.running()
        if name is not None and (experiment is None or experiment.name != name):
            experiment = self.named(name)
        if experiment is None:
            raise ExperimentError(
                "no experiment is running on AWS" if name is None
                else f"there was no experiment {name!r} on AWS"
            )  # fmt: skip
        return experiment_status(experiment, *self._emails.of_experiment(experiment.name))

    def stop(self, name: str) -> None:
        self._running_named(name)
        self._put(EXPERIMENT, NOT_CONFIGURED)

    def promote(self, name: str, arm: str) -> Arm:
        """Serve ``arm``'s campaign to everyone: published first, then the experiment ends,
        so no viewer is served the old campaign in between. Returns the promoted arm."""
        winner = self._running_named(name).arm_named(arm)
        self._put(CAMPAIGN_ARN, winner.recommender)
        self._put(EXPERIMENT, NOT_CONFIGURED)
        return winner

    def _running_named(self, name: str) -> Experiment:
        running = self.running()
        if running is None or running.name != name:
            now = f"{running.name!r} is" if running else "none is"
            raise ExperimentError(f"experiment {name!r} is not running on AWS ({now})")
        return running

    def _put(self, name: str, value: str) -> None:
        self._client.put_parameter(
            Name=f"{self._path}/{name}", Value=value, Type="String", Overwrite=True
        )
