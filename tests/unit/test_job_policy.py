"""The one retry policy of email jobs (`watchnext.service.jobs.attempt`), which the SQS
handler and the local worker both translate."""

from __future__ import annotations

from tests.support.fakes import FakeMailer, InMemoryEmailState, email_job
from watchnext.domain.email import EmailJob
from watchnext.service.delivery import Delivery, Outcome, RetryLaterError, backoff_seconds
from watchnext.service.jobs import attempt


def delivery(mailer: FakeMailer, cooldown: int = 0, now: float = 1e9) -> Delivery:
    return Delivery(
        mailer=mailer, state=InMemoryEmailState(), unsubscribe_base_url="https://api.example.com",
        signing_key=lambda: b"k" * 32, cooldown_seconds=cooldown, clock=lambda: now,
    )  # fmt: skip


def test_a_sent_job_is_done() -> None:
    decision = attempt(delivery(FakeMailer()), email_job, receives=1)

    assert (decision.done, decision.outcome, decision.failed) == (True, Outcome.SENT, False)


def test_a_failure_backs_off_by_its_receive_count() -> None:
    decisions = [
        attempt(delivery(FakeMailer(failures_left=1)), email_job, receives=n) for n in (1, 3, 9)
    ]

    assert [d.retry_in_seconds for d in decisions] == [backoff_seconds(n) for n in (1, 3, 9)]
    assert all(d.failed and not d.done for d in decisions)


def test_a_wait_the_delivery_asks_for_is_not_a_failure() -> None:
    job = email_job()
    service = delivery(FakeMailer(), cooldown=600, now=job.reviewed_at.timestamp() + 100)

    decision = attempt(service, lambda: job, receives=1)

    assert isinstance(decision.error, RetryLaterError)
    assert (decision.done, decision.failed, decision.retry_in_seconds) == (False, False, 501)


def test_a_job_that_cannot_be_read_is_a_failure_like_any_other() -> None:
    def unreadable() -> EmailJob:
        return EmailJob.model_validate_json("{not json")

    decision = attempt(delivery(FakeMailer()), unreadable, receives=2)

    assert (decision.failed, decision.retry_in_seconds) == (True, backoff_seconds(2))
