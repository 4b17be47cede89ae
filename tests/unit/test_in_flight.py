"""The mail worker defers to requests being answered, but never for more than its bound."""

from __future__ import annotations

import threading
from unittest import mock

from watchnext.adapters.local.in_flight import InFlight
from watchnext.adapters.local.mail_worker import MailWorker


def test_requests_in_flight_are_counted_until_they_end() -> None:
    in_flight = InFlight()
    assert not in_flight.busy()
    with in_flight.request(), in_flight.request():
        assert in_flight.busy()
    assert not in_flight.busy()


def worker(busy: InFlight, bound: float) -> MailWorker:
    delivery = mock.Mock(claim_lease_seconds=120.0)
    return MailWorker(mock.Mock(), delivery, busy=busy.busy, max_deferral_seconds=bound)


def test_the_mailer_waits_while_a_request_is_answered_and_goes_when_it_ends() -> None:
    in_flight = InFlight()
    ended = threading.Event()

    def answer_a_request() -> None:
        with in_flight.request():
            ended.wait(5)

    answering = threading.Thread(target=answer_a_request)
    answering.start()
    deferring = threading.Thread(target=worker(in_flight, bound=30.0)._defer_to_requests)
    deferring.start()
    deferring.join(0.2)
    assert deferring.is_alive()  # waiting for the request
    ended.set()
    answering.join()
    deferring.join(5)
    assert not deferring.is_alive()  # the request ended: the mailer goes


def test_under_a_steady_load_the_mailer_still_goes_after_its_bound() -> None:
    in_flight = InFlight()
    with in_flight.request():  # a request that never ends
        deferring = threading.Thread(target=worker(in_flight, bound=0.05)._defer_to_requests)
        deferring.start()
        deferring.join(5)
        assert not deferring.is_alive()
