"""The embedded default's adapters: SQLite stores, the SMTP sink, the local gateway."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import ORIGINAL_REVIEW
from tests.support.fakes import email_job
from tests.support.local import config_for, running_stack, state_of
from watchnext.adapters.local.outbox import outbox
from watchnext.adapters.local.sqlite import Database
from watchnext.adapters.local.stores import SqliteEmailQueue, SqliteEventStore
from watchnext.bootstrap.local import local_components
from watchnext.domain.events import interaction_from
from watchnext.domain.review import Review
from watchnext.entrypoints.local_stack import LocalStack


@pytest.fixture
def stack(tmp_path: Path, trained: Path) -> Iterator[LocalStack]:
    with running_stack(config_for(tmp_path, trained)) as running:
        yield running


def call(
    stack: LocalStack, path: str, body: dict[str, object] | None = None, key: str | None = "k"
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **({"x-api-key": key} if key else {})}
    request = urllib.request.Request(
        stack.settings.api_url + path, data=json.dumps(body).encode() if body else None,
        headers=headers, method="POST" if body else "GET",
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_gateway_enforces_the_api_key_like_api_gateway(stack: LocalStack) -> None:
    assert call(stack, "/users/a1/recommendations", key=None)[0] == 403
    assert call(stack, "/users/a1/recommendations", key="wrong")[0] == 403
    status, body = call(stack, "/users/a1/recommendations?n=3")
    assert status == 200
    assert len(body["recommendations"]) == 3


def test_a_review_over_http_changes_the_recommendations_and_emails_the_viewer(
    stack: LocalStack,
) -> None:
    import time

    _, before = call(stack, "/users/newcomer/recommendations?n=5")
    review = {
        **ORIGINAL_REVIEW,
        "user_id": "newcomer",
        "item_id": "B3",
        "timestamp": "2026-11-01T10:00:00Z",
    }
    status, accepted = call(stack, "/reviews", review)

    assert status == 200
    after = [r["item_id"] for r in accepted["recommendations"]]
    assert after != [r["item_id"] for r in before["recommendations"]]
    assert "B3" not in after
    deadline = time.monotonic() + 10
    while not outbox(stack.state.outbox) and time.monotonic() < deadline:
        time.sleep(0.1)
    (mail,) = outbox(stack.state.outbox)
    assert mail.to == "viewer@example.com"
    text, html = mail.parts()
    assert "You rated Title B3 5/5" in text
    assert "Title B" in html


def test_a_restart_keeps_every_accepted_review(tmp_path: Path, trained: Path) -> None:
    config = config_for(tmp_path, trained)
    first = local_components(config)
    for i in range(3):
        review = Review.model_validate(
            {**ORIGINAL_REVIEW, "user_id": f"u{i}", "item_id": "A1", "timestamp": 1_700_000_000 + i}
        )
        first.events.record(interaction_from(review))
    first.db.close()

    second = local_components(config)  # a new process would do the same
    try:
        assert second.events.count() == 3
        assert "A1" not in second.api.service.recommender.recommend("u0", 10).item_ids
    finally:
        second.db.close()


def test_a_repeated_event_and_a_repeated_job_are_stored_once(tmp_path: Path) -> None:
    db = Database(tmp_path / "w.db")
    events, queue = SqliteEventStore(db), SqliteEmailQueue(db)
    event = interaction_from(Review.model_validate({**ORIGINAL_REVIEW, "timestamp": 1_700_000_000}))
    events.record(event)
    events.record(event)
    queue.enqueue(email_job())
    queue.enqueue(email_job())
    assert (events.count(), queue.pending()) == (1, 1)


def test_a_leased_job_comes_back_if_never_acknowledged(tmp_path: Path) -> None:
    now = [1000.0]
    queue = SqliteEmailQueue(Database(tmp_path / "w.db"), clock=lambda: now[0])
    queue.enqueue(email_job())

    assert len(queue.lease(lease_seconds=60)) == 1
    assert queue.lease() == []  # leased: invisible
    now[0] += 61  # the worker died without ack
    (again,) = queue.lease()
    assert again.attempts == 2
    queue.ack(again.job.job_id)
    now[0] += 1000
    assert queue.lease() == []


def test_a_bounded_load_loses_no_review_and_no_email(stack: LocalStack) -> None:
    import time

    from watchnext.client.loadtest import run_load

    result = run_load(
        stack.settings.api_url, "k", [f"A{i}" for i in range(15)], requests=300, clients=8
    )

    assert result.errors == 0, result.as_dict()
    assert stack.events.count() == 300
    deadline = time.monotonic() + 30
    while len(outbox(stack.state.outbox)) < 300 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(outbox(stack.state.outbox)) == 300
    assert stack.queue.pending() == 0


def test_invoke_local_runs_the_sample_event_on_the_local_adapters(
    tmp_path: Path, trained: Path
) -> None:
    from typer.testing import CliRunner

    from tests.support import EVENTS
    from watchnext.cli import app

    result = CliRunner().invoke(
        app,
        ["invoke", str(EVENTS / "recommendations.json"), "--local",
         "--data-dir", str(tmp_path), "--artifact", str(trained)],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    response = json.loads(result.stdout[result.stdout.index("{") :])
    assert response["statusCode"] == 200
    assert len(response["body"]["recommendations"]) == 5


def wait_for_mail(stack: LocalStack, count: int, seconds: float = 15) -> list[Any]:
    import time

    deadline = time.monotonic() + seconds
    while len(outbox(stack.state.outbox)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return outbox(stack.state.outbox)


def submit_form(page_url: str, page: str) -> tuple[str, str]:
    """POST the page's one form as a browser would; returns (the form's URL, the answer)."""
    import html as html_text
    import re
    from urllib.parse import urljoin

    match = re.search(r"<form method=post action='([^']+)'>", page)
    assert match, page
    url = urljoin(page_url, html_text.unescape(match.group(1)))
    with urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST")) as answer:
        return url, answer.read().decode()


def test_the_emails_link_opts_the_address_out_whatever_the_user_id_and_back_in(
    stack: LocalStack,
) -> None:
    import email
    import email.policy

    review = {**ORIGINAL_REVIEW, "user_id": "u1", "item_id": "A1", "timestamp": 1_700_000_000}
    assert call(stack, "/reviews", review)[1]["email_queued"] is True
    (mail,) = wait_for_mail(stack, 1)
    message = email.message_from_bytes(mail.path.read_bytes(), policy=email.policy.default)
    link = str(message["List-Unsubscribe"]).strip("<>")

    with urllib.request.urlopen(link) as opened:  # what a link scanner does: changes nothing
        page = opened.read().decode()
    assert call(stack, "/reviews", review | {"timestamp": 1_700_000_001})[1]["email_queued"]

    form_url, unsubscribed = submit_form(link, page)
    assert "You are unsubscribed" in unsubscribed
    as_another_id = review | {"user_id": "u2", "timestamp": 1_700_000_002}
    status, refused = call(stack, "/reviews", as_another_id)
    assert (status, refused["email_queued"], refused["email_not_queued_reason"]) == (
        200, False, "opted_out",
    )  # fmt: skip
    other_address = as_another_id | {"email_address": "someone.else@example.com"}
    assert call(stack, "/reviews", other_address | {"timestamp": 1_700_000_003})[1]["email_queued"]

    _, resubscribed = submit_form(form_url, unsubscribed)
    assert "You are subscribed again" in resubscribed
    assert call(stack, "/reviews", review | {"timestamp": 1_700_000_004})[1]["email_queued"]
    assert len(wait_for_mail(stack, 4)) == 4  # the first, the scanned one, someone else, again


def test_a_second_stack_on_the_same_state_folder_is_refused_until_the_first_stops(
    tmp_path: Path, trained: Path
) -> None:
    """Issue 24: two demos shared data/local (one database, outbox and key), and one's mailer
    sent the other's emails with the wrong links."""
    from watchnext.adapters.local.running import StateFolderInUseError, running_demo
    from watchnext.entrypoints.local_stack import build_local_stack

    config = config_for(tmp_path, trained)
    with running_stack(config) as first:
        found = running_demo(state_of(config).root)
        with pytest.raises(StateFolderInUseError, match=first.settings.api_url):
            build_local_stack(config)

    assert found is not None
    assert found.api_url == first.settings.api_url
    assert running_demo(state_of(config).root) is None
    with running_stack(config) as again:
        assert running_demo(state_of(config).root) is not None
        assert again.settings.api_port != 0


def test_a_hostile_corpus_gets_no_server_error_and_no_traceback(stack: LocalStack) -> None:
    """Issue 24's done-when: at least 300 hostile requests across the API, raw HTTP and the
    web app's callbacks; none answers 5xx or shows a traceback."""
    from tests.support.hostile import run

    tally = run(stack.settings.api_url, stack.settings.web_url, "k")

    assert tally.requests >= 300
    assert (tally.server_errors, tally.tracebacks) == ([], [])
