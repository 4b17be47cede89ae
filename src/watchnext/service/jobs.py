"""What to do with an email job after one attempt: acknowledge it, or try it again in so
many seconds. The one retry policy; the SQS handler and the local worker only translate it
(a visibility change, a row's next time)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from watchnext.domain.email import EmailJob
from watchnext.service.delivery import Delivery, Outcome, RetryLaterError, backoff_seconds


@dataclass(frozen=True)
class JobDecision:
    outcome: Outcome | None
    """What the attempt did; None when the job is to be tried again."""
    retry_in_seconds: int = 0
    error: BaseException | None = None
    """Why it is tried again: a wait the delivery asked for, or a failure."""

    @property
    def done(self) -> bool:
        return self.outcome is not None

    @property
    def failed(self) -> bool:
        """Tried again because something broke (not a wait the delivery asked for)."""
        return self.error is not None and not isinstance(self.error, RetryLaterError)


def attempt(delivery: Delivery, read_job: Callable[[], EmailJob], receives: int) -> JobDecision:
    """One attempt at the job ``read_job`` gives (its ``receives``-th delivery): done, or
    again after the wait the delivery asked for (a cooldown, a claim held elsewhere), or
    after `backoff_seconds` when it failed, reading the job included."""
    try:
        result: Outcome | Exception = delivery.deliver(read_job())
    except Exception as error:  # any failure of one job: retried, then dead-lettered
        result = error
    return decide(result, receives)


def attempt_all(delivery: Delivery, jobs: Sequence[tuple[EmailJob, int]]) -> list[JobDecision]:
    """`attempt` for each (job, receives), delivered together (`Delivery.deliver_all`)."""
    try:
        results = delivery.deliver_all([job for job, _ in jobs])
    except Exception as error:  # the batch's state could not be kept: all are retried
        results = [error] * len(jobs)
    return [decide(result, receives) for result, (_, receives) in zip(results, jobs, strict=True)]


def decide(result: Outcome | Exception, receives: int) -> JobDecision:
    """The decision for one attempt's outcome or error."""
    if isinstance(result, RetryLaterError):
        return JobDecision(None, result.seconds, result)
    if isinstance(result, Exception):
        return JobDecision(None, backoff_seconds(receives), result)
    return JobDecision(result)
