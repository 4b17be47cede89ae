"""The emails sent for an experiment on AWS, and the pick links followed in them: what
`watchnext experiment status --aws` judges. One item per email in the experiment-emails
table, keyed by viewer and job (so erasing a viewer is one Query), with an index by
experiment (so the status is one Query); TTL removes an item `RECORD_DAYS` after its email.

It is the review and mailer functions' `watchnext.service.ports.EngagementLog` on AWS: the
mailer writes an item after each experiment email is sent, the review function adds each
followed link's position to its email's item (an email of no experiment has no item, and the
conditional update leaves it so)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from watchnext.adapters.aws.errors import aws_errors_as_unavailable
from watchnext.domain.email import EmailJob
from watchnext.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from watchnext.service.experiments import ExperimentEmail

BY_EXPERIMENT = "by-experiment"
"""The index template.yaml defines: ``experiment`` and ``job_id``, with ``arms`` and
``clicked`` projected."""
RECORD_DAYS = 180
"""How long an email's item lives: longer than any experiment should run."""
NO_ARM = ""
RETRY_SECONDS = 5


class DynamoDbExperimentEmails:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def sent(self, job: EmailJob, at: float) -> None:
        """Keep an experiment email's viewer and each pick's arm. The email is out already:
        a write that fails is logged, and the status goes on without that email."""
        if job.experiment is None:
            return
        arms = [{"S": arm or NO_ARM} for arm in job.arms_by_position()]
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "user_id": {"S": job.user_id},
                    "job_id": {"S": job.job_id},
                    "experiment": {"S": job.experiment},
                    "arms": {"L": arms},
                    "sent_at": {"N": str(at)},
                    "expires_at": {"N": str(int(at) + RECORD_DAYS * 86_400)},
                },
            )
        except (BotoCoreError, ClientError):
            logger.exception(
                "Experiment email not kept",
                extra={"job_id": job.job_id, "experiment": job.experiment},
            )

    def clicked(
        self, user_id: str, job_id: str, position: int, item_id: str, at: float
    ) -> str | None:
        """Add ``position`` to the email's clicked positions (a set, so a retried link adds
        nothing twice); the arm of its pick. An email sent for no experiment has no item and
        gets none."""
        with aws_errors_as_unavailable(
            "experiment emails table", retry_after_seconds=RETRY_SECONDS
        ):
            try:
                answer = self._client.update_item(
                    TableName=self._table,
                    Key={"user_id": {"S": user_id}, "job_id": {"S": job_id}},
                    UpdateExpression="ADD clicked :position",
                    ConditionExpression="attribute_exists(job_id)",
                    ExpressionAttributeValues={":position": {"NS": [str(position)]}},
                    ReturnValues="ALL_NEW",
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                return None
        arms = answer.get("Attributes", {}).get("arms", {}).get("L", [])
        return (arms[position - 1].get("S") or None) if 0 < position <= len(arms) else None

    def of_experiment(self, name: str) -> tuple[list[ExperimentEmail], dict[str, frozenset[int]]]:
        """Every email kept for experiment ``name``, and each one's clicked positions (by job)."""
        from watchnext.service.experiments import ExperimentEmail  # the CLI's, not the functions'

        emails: list[ExperimentEmail] = []
        clicked: dict[str, frozenset[int]] = {}
        for item in self._query(
            IndexName=BY_EXPERIMENT,
            KeyConditionExpression="experiment = :name",
            ExpressionAttributeValues={":name": {"S": name}},
        ):
            job_id = item["job_id"]["S"]
            arms = tuple(arm["S"] or None for arm in item.get("arms", {}).get("L", []))
            emails.append(ExperimentEmail(job_id, item["user_id"]["S"], arms))
            positions = item.get("clicked", {}).get("NS", [])
            if positions:
                clicked[job_id] = frozenset(int(p) for p in positions)
        return emails, clicked

    def forget_user(self, user_id: str) -> int:
        """Delete the viewer's items; how many there were."""
        jobs = [
            item["job_id"]
            for item in self._query(
                KeyConditionExpression="user_id = :user",
                ExpressionAttributeValues={":user": {"S": user_id}},
                ProjectionExpression="job_id",
            )
        ]
        for job in jobs:
            self._client.delete_item(
                TableName=self._table, Key={"user_id": {"S": user_id}, "job_id": job}
            )
        return len(jobs)

    def _query(self, **query: Any) -> Iterator[dict[str, Any]]:
        """Every item a Query answers, page after page."""
        while True:
            page = self._client.query(TableName=self._table, **query)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
