"""The mailer use case: one job in, at most one email out."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from watchnext.domain.email import EmailJob
from watchnext.email.ports import EmailState, Mailer
from watchnext.email.unsubscribe import unsubscribe_url


class Outcome(StrEnum):
    SENT = "sent"
    OPTED_OUT = "opted_out"
    DUPLICATE = "duplicate"
    SUPERSEDED = "superseded"


class RetryLaterError(Exception):
    """The job waits for its user's cooldown to end; deliver it again after ``seconds``."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"cooldown: retry in {seconds} s")
        self.seconds = seconds


@dataclass
class Delivery:
    mailer: Mailer
    state: EmailState
    unsubscribe_base_url: str
    signing_key: Callable[[], bytes]
    cooldown_seconds: int = 0
    clock: Callable[[], float] = field(default=time.time)
    # Shorter than the queue's visibility timeout (180 s): a job redelivered after its
    # mailer died mid-send finds the claim expired and is sent; longer than any one send.
    claim_lease_seconds: float = 120.0

    def deliver(self, job: EmailJob) -> Outcome:
        """Send ``job`` unless the user opted out, it was sent already, or (with a cooldown)
        a newer review of the same user will be emailed instead."""
        if self.state.is_opted_out(job.user_id):
            return Outcome.OPTED_OUT
        if self.cooldown_seconds > 0:
            latest = self.state.note_latest(job.user_id, job.job_id, job.reviewed_at)
            if latest != job.job_id:
                return Outcome.SUPERSEDED
            wait = job.reviewed_at.timestamp() + self.cooldown_seconds - self.clock()
            if wait > 0:
                raise RetryLaterError(int(wait) + 1)
        if not self.state.claim(job.job_id, self.claim_lease_seconds):
            return Outcome.DUPLICATE
        url = unsubscribe_url(self.unsubscribe_base_url, job.user_id, self.signing_key())
        try:
            self.mailer.send(job, url)
        except Exception:
            self.state.release(job.job_id)
            raise
        self.state.mark_sent(job.job_id)
        return Outcome.SENT
