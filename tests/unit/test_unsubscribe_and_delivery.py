"""Signed unsubscribe links, and the mailer use case over in-memory fakes."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from tests.support.fakes import FakeMailer, InMemoryEmailState, email_job
from watchnext.domain.email import SEND_CLAIM_LEASE_SECONDS, Recipient
from watchnext.email.unsubscribe import (
    InvalidTokenError,
    sign,
    sign_legacy,
    sign_readable,
    unsubscribe_url,
    verify,
)
from watchnext.service.delivery import Delivery, Outcome, RetryLaterError

KEY = b"k" * 32


def test_a_signed_token_gives_back_its_address_case_folded() -> None:
    assert verify(sign("Viewer@Example.com", KEY), KEY) == Recipient(address="viewer@example.com")


def test_a_link_from_before_opt_outs_by_address_still_names_its_user() -> None:
    assert verify(sign_legacy("37197598", KEY), KEY) == Recipient(legacy_user_id="37197598")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: sign("viewer@example.com", b"another key"),  # sealed with another key
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # tampered
        lambda t: t[:20],  # truncated
        lambda t: "",  # empty
        lambda t: t + ".x",  # not a signed token either
        lambda t: sign_readable("viewer@example.com", b"another key"),  # old kind, forged
    ],
)
def test_a_forged_or_broken_token_is_refused(mangle: object) -> None:
    token = mangle(sign("viewer@example.com", KEY))  # type: ignore[operator]
    with pytest.raises(InvalidTokenError):
        verify(token, KEY)


def test_a_link_does_not_carry_the_address_readably() -> None:
    """Issue 24: the address was readable in base64 in every link."""
    token = sign("viewer@example.com", KEY)
    padded = token + "=" * (-len(token) % 4)

    assert b"viewer" not in base64.urlsafe_b64decode(padded)
    assert "." not in token
    assert sign("viewer@example.com", KEY) != token  # a fresh nonce each time


def test_a_readable_link_from_an_older_email_still_works() -> None:
    old = sign_readable("Viewer@Example.com", KEY)
    assert verify(old, KEY) == Recipient(address="viewer@example.com")


def test_an_old_token_expires() -> None:
    old = sign("u", KEY, now=datetime(2020, 1, 1, tzinfo=UTC).timestamp())
    with pytest.raises(InvalidTokenError, match="expired"):
        verify(old, KEY)


def test_the_link_carries_a_token_for_the_address() -> None:
    url = unsubscribe_url("https://api.example.com/prod/", "a+b@example.com", KEY)
    parsed = urlparse(url)
    assert parsed.path == "/prod/unsubscribe"
    assert verify(parse_qs(parsed.query)["token"][0], KEY) == Recipient(address="a+b@example.com")


def delivery(
    state: InMemoryEmailState, mailer: FakeMailer, cooldown: int = 0, now: float = 0.0
) -> Delivery:
    return Delivery(
        mailer=mailer, state=state, unsubscribe_base_url="https://api.example.com/prod",
        signing_key=lambda: KEY, cooldown_seconds=cooldown, clock=lambda: now,
    )  # fmt: skip


def test_a_job_is_sent_once_with_a_working_unsubscribe_link() -> None:
    mailer, state = FakeMailer(), InMemoryEmailState()
    service = delivery(state, mailer)

    assert service.deliver(email_job()) is Outcome.SENT
    assert service.deliver(email_job()) is Outcome.DUPLICATE

    ((job, links),) = mailer.sent
    token = parse_qs(urlparse(links.unsubscribe).query)["token"][0]
    assert verify(token, KEY) == Recipient(address=job.email_address)


def test_an_opt_out_follows_the_address_whatever_the_user_id() -> None:
    mailer, state = FakeMailer(), InMemoryEmailState()
    state.opt_out(Recipient(address="viewer@example.com"))
    service = delivery(state, mailer)

    as_another_user = email_job("job-1", "another-id", email_address="Viewer@Example.com")
    same_user_new_address = email_job("job-2", "37197598", email_address="new@example.com")

    assert service.deliver(as_another_user) is Outcome.OPTED_OUT
    assert service.deliver(same_user_new_address) is Outcome.SENT
    assert [job.job_id for job, _ in mailer.sent] == ["job-2"]


def test_an_opt_out_made_by_an_old_link_still_stops_that_users_mail() -> None:
    mailer, state = FakeMailer(), InMemoryEmailState()
    state.opt_out(Recipient(legacy_user_id="37197598"))

    assert delivery(state, mailer).deliver(email_job()) is Outcome.OPTED_OUT
    assert mailer.sent == []


def test_resubscribing_lets_mail_through_again() -> None:
    mailer, state = FakeMailer(), InMemoryEmailState()
    state.opt_out(Recipient(address="viewer@example.com"))
    state.opt_in(Recipient(address="VIEWER@example.com"))

    assert delivery(state, mailer).deliver(email_job()) is Outcome.SENT


def test_a_failed_send_is_released_so_the_retry_sends() -> None:
    mailer, state = FakeMailer(failures_left=1), InMemoryEmailState()
    service = delivery(state, mailer)

    with pytest.raises(ConnectionError):
        service.deliver(email_job())
    assert service.deliver(email_job()) is Outcome.SENT
    assert len(mailer.sent) == 1


def test_a_burst_of_reviews_within_the_cooldown_yields_one_email_with_the_latest_picks() -> None:
    mailer, state = FakeMailer(), InMemoryEmailState()
    start = datetime(2026, 11, 1, 18, 0, tzinfo=UTC)
    burst = [
        email_job(f"job-{i}", reviewed_at=start + timedelta(seconds=20 * i), titles=(f"Pick {i}",))
        for i in range(3)
    ]
    during = delivery(state, mailer, cooldown=300, now=start.timestamp() + 60)
    waits = []
    for job in burst:  # first delivery attempts, inside the cooldown
        try:
            during.deliver(job)
        except RetryLaterError as wait:
            waits.append(wait.seconds)
    assert len(waits) == 3  # each was the newest when it arrived, so each waits
    assert mailer.sent == []
    after = delivery(state, mailer, cooldown=300, now=start.timestamp() + 400)
    outcomes = [after.deliver(job) for job in burst]  # the redeliveries, after the cooldown

    assert outcomes == [Outcome.SUPERSEDED, Outcome.SUPERSEDED, Outcome.SENT]
    assert [job.recommendations[0].title for job, _ in mailer.sent] == ["Pick 2"]


def test_without_a_cooldown_every_review_gets_its_email() -> None:
    mailer, state = FakeMailer(), InMemoryEmailState()
    service = delivery(state, mailer)
    for i in range(3):
        service.deliver(email_job(f"job-{i}"))
    assert len(mailer.sent) == 3


def test_a_redelivered_job_whose_send_claim_is_still_held_is_retried_not_dropped() -> None:
    """A mailer died mid-send holding the claim; the queue hands the job out again before the
    claim's lease ends. That means "try again later", never "already sent"."""
    clock = [0.0]
    mailer, state = FakeMailer(), InMemoryEmailState(clock=lambda: clock[0])
    assert state.claim("job-1", SEND_CLAIM_LEASE_SECONDS)  # the mailer that died
    clock[0] = 60.0

    with pytest.raises(RetryLaterError) as wait:
        delivery(state, mailer, now=clock[0]).deliver(email_job())
    clock[0] += wait.value.seconds

    assert delivery(state, mailer, now=clock[0]).deliver(email_job()) is Outcome.SENT
    assert len(mailer.sent) == 1


def test_an_address_past_its_limit_gets_no_more_emails_this_window() -> None:
    """The operator's guard against a client posting reviews for someone else's address:
    every job is acknowledged, only the first ``address_limit`` are sent."""
    mailer, state = FakeMailer(), InMemoryEmailState()
    service = delivery(state, mailer, now=1_764_000_000.0)
    service.address_limit = 2

    outcomes = [service.deliver(email_job(job_id=f"job-{n}")) for n in range(4)]

    assert outcomes == [Outcome.SENT] * 2 + [Outcome.RATE_LIMITED] * 2
    assert len(mailer.sent) == 2
    assert [job for job in state.claimed if job in ("job-2", "job-3")] == []


def test_a_batch_gives_each_job_its_own_outcome_and_a_failed_send_can_be_sent_again() -> None:
    mailer, state = FakeMailer(), InMemoryEmailState()
    service = delivery(state, mailer)
    service.deliver(email_job("sent-before"))
    mailer.failures_left = 1
    state.opt_out(Recipient(address="out@example.com"))
    jobs = [
        email_job("fails", user_id="u1"),
        email_job("fresh", user_id="u2"),
        email_job("opted-out", user_id="u3", email_address="out@example.com"),
        email_job("sent-before"),
    ]

    results = service.deliver_all(jobs)

    assert isinstance(results[0], ConnectionError)
    assert results[1:] == [Outcome.SENT, Outcome.OPTED_OUT, Outcome.DUPLICATE]
    assert [job.job_id for job, _ in mailer.sent] == ["sent-before", "fresh"]
    assert service.deliver(jobs[0]) is Outcome.SENT  # its claim was released


def test_a_broken_channel_fails_every_email_of_the_batch_and_keeps_none_claimed() -> None:
    class BrokenChannel(FakeMailer):
        def send_all(self, emails: object, done: object) -> None:
            raise RuntimeError("the channel itself broke")

    state = InMemoryEmailState()
    results = delivery(state, BrokenChannel()).deliver_all([email_job("a"), email_job("b")])

    assert all(isinstance(result, RuntimeError) for result in results)
    assert state.claimed == {}


def test_a_sent_email_whose_mark_fails_is_retried_and_the_others_are_still_marked() -> None:
    class MarkFailsOnce(InMemoryEmailState):
        failed = False

        def mark_sent(self, job_id: str) -> None:
            if not self.failed:
                self.failed = True
                raise ConnectionError("state table unavailable")
            super().mark_sent(job_id)

    state, mailer = MarkFailsOnce(), FakeMailer()
    results = delivery(state, mailer).deliver_all([email_job("a"), email_job("b")])

    assert isinstance(results[0], ConnectionError)
    assert results[1] is Outcome.SENT
    assert state.was_sent("b")
    assert not state.was_sent("a")
