"""The mailer use case: one job in, at most one email out."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from enum import StrEnum

from watchnext.domain.email import SEND_CLAIM_LEASE_SECONDS, EmailJob, EmailLinks
from watchnext.email.click_links import pick_links
from watchnext.email.unsubscribe import unsubscribe_url
from watchnext.errors import WatchNextError
from watchnext.service.ports import EmailDone, EmailState, EngagementLog, Mailer


class Outcome(StrEnum):
    SENT = "sent"
    OPTED_OUT = "opted_out"
    DUPLICATE = "duplicate"
    SUPERSEDED = "superseded"
    RATE_LIMITED = "rate_limited"


QUEUE_LEASE_FACTOR = 1.5
MAX_BACKOFF_SECONDS = 900


def queue_lease_seconds(claim_lease_seconds: float) -> float:
    """How long a queue hides a job it handed out: longer than the claim, so a job whose
    sender died comes back to find the claim expired (AWS: 120 s claim, 180 s visibility)."""
    return claim_lease_seconds * QUEUE_LEASE_FACTOR


def backoff_seconds(receive_count: int) -> int:
    """10 s, 20 s, 40 s, … capped at 15 minutes, for the n-th failed attempt at a job."""
    return int(min(MAX_BACKOFF_SECONDS, 10 * 2 ** max(0, receive_count - 1)))


class RetryLaterError(WatchNextError):
    """Deliver the job again after ``seconds``: its user's cooldown, or a claim still held."""

    def __init__(self, seconds: int, reason: str = "cooldown") -> None:
        super().__init__(f"{reason}: retry in {seconds} s")
        self.seconds = seconds


@dataclass
class Delivery:
    mailer: Mailer
    state: EmailState
    unsubscribe_base_url: str
    """The review API's public URL: it serves the unsubscribe and the pick links."""
    signing_key: Callable[[], bytes]
    cooldown_seconds: int = 0
    address_limit: int = 0
    """At most this many emails to one address per ``address_window_seconds`` (0: no
    limit): the operator's guard against a client that posts reviews for others' addresses."""
    address_window_seconds: int = 3600
    clock: Callable[[], float] = field(default=time.time)
    claim_lease_seconds: float = SEND_CLAIM_LEASE_SECONDS
    engagement: EngagementLog | None = None

    def deliver(self, job: EmailJob) -> Outcome:
        """Send ``job`` unless the user opted out, it was sent already, (with a cooldown) a
        newer review of the same user will be emailed instead, or (with an address limit) its
        address had its emails for this window."""
        (result,) = self.deliver_all([job])
        if isinstance(result, Exception):
            raise result
        return result

    def deliver_all(self, jobs: Sequence[EmailJob]) -> list[Outcome | Exception]:
        """`deliver` for each job: the claims written together before any send, the emails
        handed to the mailer together, and each one recorded as soon as it went; for each job,
        in order, its outcome or the error to retry it for (`RetryLaterError`: a wait)."""
        results: list[Outcome | Exception] = []
        with self.state.batch():
            for job in jobs:
                try:
                    results.append(self._claim(job))
                except Exception as problem:  # this job's: the others go on
                    results.append(problem)
        ready = [index for index, result in enumerate(results) if result is Outcome.SENT]
        lock, reported = threading.Lock(), set[int]()

        def done(position: int, error: Exception | None) -> None:
            # Each email's state is written as soon as it went, as when sent one at a time:
            # a crash mid-batch can send again only the email that was in flight.
            job = jobs[ready[position]]
            with lock:
                reported.add(position)
            try:
                self._record(job, error)
            except Exception as problem:  # not recorded: retried, as a failed send is
                error = error or problem
            if error is not None:
                with lock:
                    results[ready[position]] = error

        emails = [(jobs[i], self.links(jobs[i])) for i in ready]
        try:
            if emails:
                self.mailer.send_all(emails, done)
        except Exception as error:  # the channel itself broke: the rest are retried
            for position in set(range(len(emails))) - reported:
                done(position, error)
        return results

    def _record(self, job: EmailJob, error: Exception | None) -> None:
        """After a send: release the claim of a failed one, mark a sent one (called from the
        pool's threads at once: the stores are thread-safe)."""
        with self.state.batch():
            if error is not None:
                self.state.release(job.job_id)
                return
            self.state.mark_sent(job.job_id)
            if self.engagement is not None:
                self.engagement.sent(job, self.clock())

    def _claim(self, job: EmailJob) -> Outcome:
        """`Outcome.SENT` when ``job`` is claimed and may be sent now; else why not."""
        if self.state.is_opted_out(job.email_address, job.user_id):
            return Outcome.OPTED_OUT
        if self.cooldown_seconds > 0:
            latest = self.state.note_latest(job.user_id, job.job_id, job.reviewed_at)
            if latest != job.job_id:
                return Outcome.SUPERSEDED
            wait = job.reviewed_at.timestamp() + self.cooldown_seconds - self.clock()
            if wait > 0:
                raise RetryLaterError(int(wait) + 1)
        if not self.state.claim(job.job_id, self.claim_lease_seconds):
            if self.state.was_sent(job.job_id):
                return Outcome.DUPLICATE
            # Being sent, or its sender died holding the claim: once the lease is over,
            # the redelivered job sends. Acknowledging it now would lose the email.
            raise RetryLaterError(int(self.claim_lease_seconds) + 1, "send claimed elsewhere")
        if self.address_limit > 0 and not self.state.take_send_slot(
            job.email_address, self.address_limit, self.address_window_seconds, self.clock()
        ):
            self.state.release(job.job_id)
            return Outcome.RATE_LIMITED
        return Outcome.SENT

    def links(self, job: EmailJob) -> EmailLinks:
        key, base = self.signing_key(), self.unsubscribe_base_url
        return EmailLinks(
            unsubscribe=unsubscribe_url(base, job.email_address, key),
            picks=pick_links(base, job, key, now=self.clock()),
        )


def send_each(
    send: Callable[[EmailJob, EmailLinks], None],
    emails: Sequence[tuple[EmailJob, EmailLinks]],
    done: EmailDone,
    positions: Sequence[int] | None = None,
) -> None:
    """`Mailer.send_all` for a channel that sends one email at a time (``positions``: each
    email's place in the whole batch, when these are a share of it)."""
    for position, (job, links) in zip(positions or range(len(emails)), emails, strict=True):
        try:
            send(job, links)
        except Exception as error:  # this email's: the others are still sent
            done(position, error)
        else:
            done(position, None)


Send = Callable[[EmailJob, EmailLinks], None]


def send_pooled(
    sender: Callable[[], AbstractContextManager[Send]],
    emails: Sequence[tuple[EmailJob, EmailLinks]],
    done: EmailDone,
    concurrency: int,
) -> None:
    """`Mailer.send_all` over at most ``concurrency`` threads, each sending its share in turn
    with a sender of its own (``sender()``: a kept connection, or the channel's client)."""
    workers = max(1, min(concurrency, len(emails)))

    def send_share(start: int) -> None:
        with sender() as send:
            share = emails[start::workers]
            send_each(send, share, done, range(start, len(emails), workers))

    if workers == 1:
        send_share(0)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="send") as pool:
        for share in [pool.submit(send_share, start) for start in range(workers)]:
            share.result()  # a failure of the channel itself, not of one email
