"""The local mailer: drains the SQLite email queue through the same `Delivery` use case as
the mailer Lambda, with the same backoff, until stopped."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from watchnext.adapters.local.stores import LeasedJob, SqliteEmailQueue
from watchnext.observability import logger
from watchnext.service.delivery import Delivery, queue_lease_seconds
from watchnext.service.jobs import JobDecision, attempt_all


class MailWorker:
    def __init__(
        self,
        queue: SqliteEmailQueue,
        delivery: Delivery,
        poll_seconds: float = 0.2,
        batch_size: int = 50,
        busy: Callable[[], bool] = lambda: False,
        max_deferral_seconds: float = 1.0,
    ) -> None:
        self.queue = queue
        self.delivery = delivery
        self.batch_size = batch_size
        self._busy = busy
        self._max_deferral_seconds = max_deferral_seconds
        self._poll_seconds = poll_seconds
        # A leased job comes back only after a dead sender's claim has expired.
        self.lease_seconds = queue_lease_seconds(delivery.claim_lease_seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mail-worker", daemon=True)

    def drain_once(self) -> int:
        """Deliver what is due now, a batch at a time; returns how many jobs were handled."""
        leased = self.queue.lease(limit=self.batch_size, lease_seconds=self.lease_seconds)
        if not leased:
            return 0
        decisions = attempt_all(self.delivery, [(item.job, item.attempts) for item in leased])
        with self.queue.batch():  # the acks and the retries: one commit
            for item, decision in zip(leased, decisions, strict=True):
                self._settle(item, decision)
        return len(leased)

    def _settle(self, item: LeasedJob, decision: JobDecision) -> None:
        job_id = item.job.job_id
        if decision.outcome is not None:
            self.queue.ack(job_id)
            logger.info(
                "Email job done", extra={"job_id": job_id, "outcome": decision.outcome.value}
            )
            return
        error = decision.error
        reason = f"{type(error).__name__}: {error}" if decision.failed else str(error)
        self.queue.retry(job_id, decision.retry_in_seconds, reason)
        if decision.failed:
            logger.warning(
                "Email delivery failed; retrying",
                extra={
                    "job_id": job_id,
                    "attempt": item.attempts,
                    "retry_in_s": decision.retry_in_seconds,
                },
            )

    def _defer_to_requests(self) -> None:
        """Wait while requests are being answered, at most `max_deferral_seconds` a batch:
        under a steady load the mailer still sends a batch a second."""
        deadline = time.monotonic() + self._max_deferral_seconds
        while self._busy() and time.monotonic() < deadline and not self._stop.is_set():
            self._stop.wait(0.01)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._defer_to_requests()
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
