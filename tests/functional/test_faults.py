"""Faults, each provoked for real: the SMTP sink down, the mailer Lambda dying mid-batch.

The other two faults the project promises to survive have their tests beside the code they
exercise: Personalize throttling (tests/functional/test_throttling.py: botocore's own retries
against a loopback server, then 503) and a restart of the local store
(tests/functional/test_local_stack.py::test_a_restart_keeps_every_accepted_review).
"""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support import ORIGINAL_REVIEW, post_review
from tests.support.fakes import email_job
from tests.support.local import config_for, state_of
from tests.support.mailer_world import World, mailer_world
from watchnext.adapters.aws.email_jobs import JobHandler, handle_batch
from watchnext.adapters.http.lambda_context import LocalLambdaContext
from watchnext.adapters.local.outbox import outbox
from watchnext.adapters.local.smtp import SmtpSink
from watchnext.bootstrap.local import local_components
from watchnext.domain.email import EmailJob, EmailLinks
from watchnext.service import jobs
from watchnext.service.delivery import send_each
from watchnext.service.ports import EmailDone


def test_with_the_smtp_sink_down_reviews_are_accepted_and_emails_arrive_once_it_is_back(
    tmp_path: Path,
    trained: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jobs, "backoff_seconds", lambda attempt: 0)  # retry at once
    reserved = socket.socket()  # bound, not listening: every connection is refused
    reserved.bind(("127.0.0.1", 0))
    config = config_for(tmp_path, trained).model_copy(
        update={"smtp_port": reserved.getsockname()[1]}
    )
    stack = local_components(config)
    api = stack.api
    try:
        for user in ("u1", "u2", "u3"):
            response = post_review(api, ORIGINAL_REVIEW | {"user_id": user, "item_id": "1"})
            assert response["statusCode"] == 200, response
        assert stack.worker.drain_once() == 3  # every send refused: connection refused
        assert stack.queue.pending() == 3
        assert outbox(state_of(config).outbox) == []

        reserved.listen()
        sink = SmtpSink(state_of(config).outbox, reserved)  # the sink is back, on the same port
        sink.start()
        try:
            assert stack.worker.drain_once() == 3
            assert stack.worker.drain_once() == 0
        finally:
            sink.stop()
        assert stack.queue.pending() == 0
    finally:
        stack.db.close()

    delivered = Counter(email.job_id for email in outbox(state_of(config).outbox))
    assert len(delivered) == 3
    assert set(delivered.values()) == {1}  # each review's email exactly once


class LambdaDied(BaseException):
    """What the runtime does to a timed-out or out-of-memory function: no exception handler
    of the function runs (BaseException, not Exception)."""


@dataclass
class DyingMailer:
    """Sends, and dies on the ``dies_on``-th send before the message is handed over."""

    dies_on: int | None = None
    sent: list[str] = field(default_factory=list)
    attempts: int = 0

    def send(self, job: EmailJob, links: EmailLinks) -> None:
        self.attempts += 1
        if self.attempts == self.dies_on:
            raise LambdaDied
        self.sent.append(job.job_id)

    def send_all(self, emails: Sequence[tuple[EmailJob, EmailLinks]], done: EmailDone) -> None:
        send_each(self.send, emails, done)


@pytest.fixture
def world() -> Iterator[World]:
    with mailer_world() as opened:
        yield opened


def _handler(world: World, mailer: Any) -> JobHandler:
    # The lease runs out before the redelivery, as in the template (120 s against 180 s).
    return world.handler(mailer, claim_lease_seconds=-1.0)


def test_a_mailer_dying_mid_batch_loses_no_email_and_sends_none_twice(world: World) -> None:
    jobs = [email_job(f"job-{n}", f"user-{n}") for n in range(3)]
    bodies = [job.model_dump_json() for job in jobs]
    first_life = DyingMailer(dies_on=2)

    with pytest.raises(LambdaDied):
        handle_batch(world.receive(bodies), LocalLambdaContext(), _handler(world, first_life))
    # No response reached the event source: SQS redelivers the whole batch.
    second_life = DyingMailer()
    redelivered = world.receive(bodies)
    response = handle_batch(redelivered, LocalLambdaContext(), _handler(world, second_life))

    assert response == {"batchItemFailures": []}
    assert first_life.sent == ["job-0"]
    assert second_life.sent == ["job-1", "job-2"]  # job-0 is not sent twice
    assert Counter(first_life.sent + second_life.sent) == {"job-0": 1, "job-1": 1, "job-2": 1}
