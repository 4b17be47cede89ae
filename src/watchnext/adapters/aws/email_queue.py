"""The email hand-off: one SQS message per job; delivery is the mailer's concern."""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchnext.adapters.aws.errors import aws_errors_as_unavailable
from watchnext.domain.email import EmailJob

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class SqsEmailQueue:
    def __init__(self, client: SQSClient, queue_url: str, *, retry_after_seconds: int) -> None:
        self._client = client
        self._queue_url = queue_url
        self._retry_after_seconds = retry_after_seconds

    def enqueue(self, job: EmailJob) -> None:
        with aws_errors_as_unavailable(
            "email queue", retry_after_seconds=self._retry_after_seconds
        ):
            self._client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=job.model_dump_json(),
                MessageAttributes={"job_id": {"DataType": "String", "StringValue": job.job_id}},
            )
