"""Email jobs from SQS, a batch at a time: the batch's jobs are delivered together
(`Delivery.deliver_all`: its state written twice, its emails sent over the channel's pool),
and each failed job is reported alone (partial batch failures), delayed as the one retry
policy decided, so one bad message is retried (with backoff, then the DLQ) and the rest are
not."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from watchnext.domain.email import EmailJob
from watchnext.observability import PowertoolsMetrics, logger
from watchnext.service.delivery import Delivery
from watchnext.service.jobs import JobDecision, attempt_all, decide

MAX_VISIBILITY_SECONDS = 43_200  # SQS's limit


class JobHandler:
    def __init__(self, delivery: Delivery, visibility: Any, queue_url: str) -> None:
        self.delivery = delivery
        self._visibility = visibility  # the SQS client: ChangeMessageVisibility
        self._queue_url = queue_url
        self._metrics = PowertoolsMetrics()

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        """``{"batchItemFailures": [{"itemIdentifier": <message id>}, ...]}`` for the jobs
        to be tried again, each delayed first."""
        records = [SQSRecord(raw) for raw in event.get("Records") or []]
        readable: list[tuple[SQSRecord, EmailJob, int]] = []
        failed: list[str] = []
        for record in records:
            receives = int(record.attributes.approximate_receive_count or 1)
            try:
                readable.append((record, EmailJob.model_validate_json(record.body), receives))
            except Exception as error:  # not a job: retried, then dead-lettered
                self._settle(record, decide(error, receives), failed)
        decisions = attempt_all(self.delivery, [(job, n) for _, job, n in readable])
        for (record, _, _), decision in zip(readable, decisions, strict=True):
            self._settle(record, decision, failed)
        return {"batchItemFailures": [{"itemIdentifier": message} for message in failed]}

    def _settle(self, record: SQSRecord, decision: JobDecision, failed: list[str]) -> None:
        if decision.outcome is not None:
            self._metrics.count(f"Emails_{decision.outcome.value}")
            logger.info(
                "Email job done",
                extra={"message_id": record.message_id, "outcome": decision.outcome.value},
            )
            return
        self._delay(record, min(decision.retry_in_seconds, MAX_VISIBILITY_SECONDS))
        if decision.failed:
            logger.error(
                "Email job failed", extra={"message_id": record.message_id}, exc_info=decision.error
            )
        failed.append(record.message_id)

    def _delay(self, record: SQSRecord, seconds: int) -> None:
        try:
            self._visibility.change_message_visibility(
                QueueUrl=self._queue_url,
                ReceiptHandle=record.receipt_handle,
                VisibilityTimeout=seconds,
            )
        except Exception:
            logger.warning("Could not delay the retry", extra={"message_id": record.message_id})


def handle_batch(event: dict[str, Any], context: Any, job_handler: JobHandler) -> dict[str, Any]:
    """The mailer Lambda's batch: see `JobHandler.handle`."""
    return job_handler.handle(event)
