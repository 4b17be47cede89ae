"""The local mailer: drains the SQLite email queue through the same `Delivery` use case as
the mailer Lambda, with the same backoff, until stopped."""

from __future__ import annotations

import threading

from watchnext.adapters.local.stores import SqliteEmailQueue
from watchnext.observability import logger
from watchnext.service.delivery import (
    Delivery,
    RetryLaterError,
    backoff_seconds,
    queue_lease_seconds,
)


class MailWorker:
    def __init__(
        self, queue: SqliteEmailQueue, delivery: Delivery, poll_seconds: float = 0.2
    ) -> None:
        self.queue = queue
        self.delivery = delivery
        self._poll_seconds = poll_seconds
        # A leased job comes back only after a dead sender's claim has expired.
        self.lease_seconds = queue_lease_seconds(delivery.claim_lease_seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mail-worker", daemon=True)

    def drain_once(self) -> int:
        """Deliver what is due now; returns how many jobs were handled."""
        leased = self.queue.lease(limit=10, lease_seconds=self.lease_seconds)
        for item in leased:
            try:
                outcome = self.delivery.deliver(item.job)
            except RetryLaterError as wait:
                self.queue.retry(item.job.job_id, wait.seconds, str(wait))
                continue
            except Exception as error:
                delay = backoff_seconds(item.attempts)
                self.queue.retry(item.job.job_id, delay, f"{type(error).__name__}: {error}")
                logger.warning(
                    "Email delivery failed; retrying",
                    extra={
                        "job_id": item.job.job_id,
                        "attempt": item.attempts,
                        "retry_in_s": delay,
                    },
                )
                continue
            self.queue.ack(item.job.job_id)
            logger.info(
                "Email job done", extra={"job_id": item.job.job_id, "outcome": outcome.value}
            )
        return len(leased)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self.drain_once()
            except Exception:
                logger.exception("Mail worker error")
                handled = 0
            if not handled:
                self._stop.wait(self._poll_seconds)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
