"""A batch of emails: the SMTP channel keeps a few connections open for it, a pooled AWS
channel sends its share on each thread, and every email's result comes back in its place."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import nullcontext
from pathlib import Path

from tests.support.fakes import email_job
from watchnext.adapters.local.outbox import Outbox
from watchnext.adapters.local.smtp import SmtpMailer, SmtpSink
from watchnext.domain.email import EmailJob, EmailLinks
from watchnext.email.render import HandlebarsRenderer
from watchnext.email.templates import load_template
from watchnext.service.delivery import send_pooled

LINKS = EmailLinks("https://api.example.com/prod/unsubscribe?token=t0k3n")


class CountingMailer(SmtpMailer):
    opened = 0

    def _connect(self):  # type: ignore[no-untyped-def]
        type(self).opened += 1
        return super()._connect()


def mailer(port: int, connections: int) -> CountingMailer:
    renderer = HandlebarsRenderer(load_template())
    return CountingMailer(renderer, sender="picks@example.com", port=port, connections=connections)


def send_all(
    channel: SmtpMailer, emails: list[tuple[EmailJob, EmailLinks]]
) -> list[Exception | None]:
    errors: list[Exception | None] = [ValueError("never reported")] * len(emails)
    channel.send_all(emails, errors.__setitem__)
    return errors


def test_the_smtp_channel_sends_a_batch_over_a_few_kept_connections(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    sink = SmtpSink(tmp_path, listener)
    sink.start()
    CountingMailer.opened = 0
    emails = [(email_job(f"job-{i}", email_address=f"v{i}@example.com"), LINKS) for i in range(20)]
    try:
        errors = send_all(mailer(listener.getsockname()[1], connections=3), emails)
    finally:
        sink.stop()

    assert errors == [None] * 20
    assert CountingMailer.opened == 3
    assert sorted(m.to for m in Outbox(tmp_path).page()) == sorted(
        f"v{i}@example.com" for i in range(20)
    )


def test_without_a_server_every_email_fails_in_its_place_and_nothing_raises() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there
    emails = [(email_job(f"job-{i}"), LINKS) for i in range(5)]

    errors = send_all(mailer(port, connections=2), emails)

    assert len(errors) == 5
    assert all(isinstance(error, OSError) for error in errors)


def test_a_pooled_channel_returns_each_result_in_its_place() -> None:
    threads: set[str] = set()

    def send(job: EmailJob, links: EmailLinks) -> None:
        threads.add(threading.current_thread().name)
        time.sleep(0.01)  # as a call to SES takes a while
        if job.job_id.endswith("3"):
            raise ValueError(job.job_id)

    emails = [(email_job(f"job-{i}"), LINKS) for i in range(10)]
    errors: list[Exception | None] = [None] * len(emails)
    send_pooled(lambda: nullcontext(send), emails, errors.__setitem__, concurrency=4)

    assert [str(error) if error else None for error in errors] == [
        "job-3" if i == 3 else None for i in range(10)
    ]
    assert len(threads) > 1  # sent from the pool, not the caller's thread
