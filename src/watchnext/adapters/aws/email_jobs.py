"""Email jobs from SQS: Powertools batch processing with partial batch failures, so one bad
message is retried (with backoff, then the DLQ) and the rest are not."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from watchnext.domain.email import EmailJob
from watchnext.observability import PowertoolsMetrics, logger
from watchnext.service.delivery import Delivery
from watchnext.service.jobs import attempt

MAX_VISIBILITY_SECONDS = 43_200  # SQS's limit


class JobHandler:
    def __init__(self, delivery: Delivery, visibility: Any, queue_url: str) -> None:
        self.delivery = delivery
        self._visibility = visibility  # the SQS client: ChangeMessageVisibility
        self._queue_url = queue_url
        self._metrics = PowertoolsMetrics()

    def __call__(self, record: SQSRecord) -> str:
        """The job's outcome; raises to report the message failed (Powertools' batch
        processing), after delaying it as `watchnext.service.jobs.attempt` decided."""
        receives = int(record.attributes.approximate_receive_count or 1)
        decision = attempt(
            self.delivery, lambda: EmailJob.model_validate_json(record.body), receives
        )
        if decision.outcome is None:
            self._delay(record, min(decision.retry_in_seconds, MAX_VISIBILITY_SECONDS))
            if decision.failed:
                logger.error(
                    "Email job failed",
                    extra={"message_id": record.message_id},
                    exc_info=decision.error,
                )
            raise decision.error or RuntimeError("retry")
        self._metrics.count(f"Emails_{decision.outcome.value}")
        logger.info(
            "Email job done",
            extra={"message_id": record.message_id, "outcome": decision.outcome.value},
        )
        return decision.outcome.value

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
    """``{"batchItemFailures": [{"itemIdentifier": <message id>}, ...]}`` for the failed jobs."""
    return process_partial_response(  # type: ignore[return-value]
        event=event,
        record_handler=job_handler,
        # A batch that failed whole still reports its ids, so each gets our retry delay.
        processor=BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False),
        context=context,
    )
