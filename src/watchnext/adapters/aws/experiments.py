"""Experiments on AWS (`watchnext experiment start|status|stop|promote --aws`), as the stack's
ExperimentRole allows: the running experiment is the SSM parameter ``<path>/experiment``,
which the review function reads with the campaign ARN (same path, same cache); its status
comes from the emails the mailer kept for it (`experiment_emails`); promoting an arm
publishes its campaign as ``<path>/campaign-arn``. No redeploy either way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchnext.adapters.aws.parameters import CAMPAIGN_ARN, EXPERIMENT
from watchnext.domain.experiment import Arm, Experiment, ExperimentError
from watchnext.settings import NOT_CONFIGURED

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

    from watchnext.adapters.aws.experiment_emails import DynamoDbExperimentEmails
    from watchnext.service.experiments import ExperimentStatus


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
        self._put(EXPERIMENT, experiment.to_json())

    def status(self, name: str | None = None) -> ExperimentStatus:
        """The running experiment's status (``name``, when given, must be it: a stopped
        experiment's arms and design are no longer kept on AWS)."""
        from watchnext.service.experiments import experiment_status

        if self._emails is None:
            raise ExperimentError("no experiment emails table to read the status from")
        experiment = self.running() if name is None else self._running_named(name)
        if experiment is None:
            raise ExperimentError("no experiment is running on AWS")
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
