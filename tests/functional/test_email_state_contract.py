"""One contract for every `EmailState`: the in-memory fake, SQLite (local) and DynamoDB
(moto, table built from template.yaml, called as the mailer's role). Claims are leased, so a
job whose mailer died mid-send is sent on redelivery, and a job that was sent is never sent
again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.deployment import deployed
from tests.support.fakes import InMemoryEmailState
from watchnext.adapters.aws.email_state import DynamoDbEmailState
from watchnext.adapters.local.sqlite import Database
from watchnext.adapters.local.stores import SqliteEmailState
from watchnext.service.ports import ClickLedger, EmailState

STORES = ["in-memory", "sqlite", "dynamodb"]
EXPIRED = -1.0  # a lease that ran out before it was taken: the sender died


@contextmanager
def email_state(kind: str, tmp_path: Path, role: str) -> Iterator[Any]:
    """One implementation; on DynamoDB (moto), called as ``role`` from template.yaml."""
    if kind == "in-memory":
        yield InMemoryEmailState()
    elif kind == "sqlite":
        db = Database(tmp_path / "state.db")
        yield SqliteEmailState(db)
        db.close()
    else:
        with deployed() as account:
            yield DynamoDbEmailState(account.client("dynamodb", role), "EmailStateTable")


@pytest.fixture(params=STORES)
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmailState]:
    with email_state(request.param, tmp_path, "MailerFunction") as store:
        yield store


def test_a_job_is_claimed_once_while_its_sender_is_alive(state: EmailState) -> None:
    assert state.claim("job-1", 60) is True
    assert state.claim("job-1", 60) is False


def test_a_sent_job_is_never_claimed_again(state: EmailState) -> None:
    assert state.claim("job-1", EXPIRED) is True
    state.mark_sent("job-1")
    time.sleep(0.01)

    assert state.claim("job-1", 60) is False


def test_a_claim_whose_sender_died_can_be_taken_over(state: EmailState) -> None:
    assert state.claim("job-1", EXPIRED) is True
    time.sleep(0.01)

    assert state.claim("job-1", 60) is True
    assert state.claim("job-1", 60) is False


def test_a_released_claim_can_be_claimed_again(state: EmailState) -> None:
    assert state.claim("job-1", 60) is True
    state.release("job-1")

    assert state.claim("job-1", 60) is True


def test_only_a_job_marked_sent_counts_as_sent(state: EmailState) -> None:
    assert state.was_sent("job-1") is False
    assert state.claim("job-1", 60) is True
    assert state.was_sent("job-1") is False  # being sent: not done
    state.mark_sent("job-1")
    assert state.was_sent("job-1") is True


@pytest.fixture(params=STORES)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ClickLedger]:
    """Every `ClickLedger`; on DynamoDB as the review function's role, which follows links."""
    with email_state(request.param, tmp_path, "ReviewFunction") as store:
        yield store


def test_a_link_counts_once_while_it_lasts(ledger: ClickLedger) -> None:
    until = time.time() + 600
    assert ledger.first_use("click-1", until) is True
    assert ledger.first_use("click-1", until) is False
    assert ledger.first_use("click-2", until) is True


def test_a_click_that_could_not_be_recorded_can_be_tried_again(ledger: ClickLedger) -> None:
    until = time.time() + 600
    assert ledger.first_use("click-1", until) is True
    ledger.forget_use("click-1")
    assert ledger.first_use("click-1", until) is True


def test_a_record_past_its_links_expiry_is_no_longer_held(ledger: ClickLedger) -> None:
    """Expired links are refused before the ledger is asked; an old record (DynamoDB's TTL
    deletes late) must not make the ledger grow or refuse forever."""
    assert ledger.first_use("click-1", time.time() - 1) is True
    assert ledger.first_use("click-1", time.time() + 600) is True
