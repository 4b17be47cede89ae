"""The local mail queue behaves as SQS with a redrive policy: a job that fails every one of
`EmailJobMaxReceiveCount` deliveries moves to a dead-letter table, and `watchnext email
redrive` sends it back. Issue 24: an undeliverable address was retried for ever."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.support import template
from tests.support.fakes import FakeMailer, InMemoryEmailState, email_job
from watchnext.adapters.local.mail_worker import MailWorker
from watchnext.adapters.local.sqlite import Database
from watchnext.adapters.local.stores import SqliteEmailQueue
from watchnext.cli import app
from watchnext.domain.email import DEFAULT_MAX_RECEIVE_COUNT
from watchnext.service.delivery import MAX_BACKOFF_SECONDS, Delivery


def test_the_local_default_is_the_stacks() -> None:
    default = template()["Parameters"]["EmailJobMaxReceiveCount"]["Default"]
    assert int(default) == DEFAULT_MAX_RECEIVE_COUNT


def failing_worker(folder: Path, now: list[float]) -> tuple[MailWorker, SqliteEmailQueue]:
    folder.mkdir(parents=True, exist_ok=True)
    queue = SqliteEmailQueue(Database(folder / "watchnext.db"), clock=lambda: now[0])
    delivery = Delivery(
        mailer=FakeMailer(failures_left=10**6), state=InMemoryEmailState(),
        unsubscribe_base_url="https://api.example.com", signing_key=lambda: b"k" * 32,
    )  # fmt: skip
    return MailWorker(queue, delivery), queue


def test_a_job_that_always_fails_lands_in_the_dead_letter_table(tmp_path: Path) -> None:
    now = [1_000.0]
    worker, queue = failing_worker(tmp_path, now)
    queue.enqueue(email_job(job_id="doomed"))

    attempts = 0
    for _ in range(DEFAULT_MAX_RECEIVE_COUNT + 3):
        attempts += worker.drain_once()
        now[0] += MAX_BACKOFF_SECONDS + 1

    (letter,) = queue.dead_letters()
    assert attempts == DEFAULT_MAX_RECEIVE_COUNT
    assert (letter.job_id, letter.attempts, queue.pending()) == ("doomed", attempts, 0)
    assert letter.last_error is not None
    assert "mail server down" in letter.last_error


def test_redrive_sends_a_dead_letter_back_with_its_attempts_counted_afresh(
    tmp_path: Path,
) -> None:
    now = [1_000.0]
    _worker, queue = failing_worker(tmp_path, now)
    for job_id in ("a", "b"):
        queue.enqueue(email_job(job_id=job_id))
    for _ in range(DEFAULT_MAX_RECEIVE_COUNT + 1):
        queue.lease(lease_seconds=1)
        now[0] += 2

    assert sorted(letter.job_id for letter in queue.dead_letters()) == ["a", "b"]
    assert queue.redrive(["a"]) == 1
    (leased,) = queue.lease()
    assert (leased.job.job_id, leased.attempts) == ("a", 1)
    assert [letter.job_id for letter in queue.dead_letters()] == ["b"]


def test_the_cli_lists_and_redrives_dead_letters(tmp_path: Path) -> None:
    now = [1_000.0]
    _worker, queue = failing_worker(tmp_path / "local", now)
    queue.enqueue(email_job(job_id="stuck"))
    for _ in range(DEFAULT_MAX_RECEIVE_COUNT + 1):
        queue.lease(lease_seconds=0)
    queue.lease()  # due again after its last receive: moves to the dead letters
    runner = CliRunner()

    listed = runner.invoke(app, ["email", "dead-letters", "--data-dir", str(tmp_path)])
    redriven = runner.invoke(app, ["email", "redrive", "--data-dir", str(tmp_path)])
    after = runner.invoke(app, ["email", "dead-letters", "--data-dir", str(tmp_path)])

    assert listed.exit_code == 0, listed.output
    assert "stuck" in listed.output
    assert "1 dead letter(s)" in listed.output
    assert "1 job(s) back in the queue" in redriven.output
    assert "0 dead letter(s)" in after.output


def test_the_cli_says_what_to_do_without_a_local_stack(tmp_path: Path) -> None:
    answer = CliRunner().invoke(app, ["email", "dead-letters", "--data-dir", str(tmp_path)])

    assert answer.exit_code != 0
    assert "run `watchnext demo` first" in answer.output
    assert "Traceback" not in answer.output
