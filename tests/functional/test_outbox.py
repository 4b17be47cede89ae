"""The local mailbox: one copy per Message-ID, pages from its index, and crash recovery."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.support.fakes import email_job
from watchnext.adapters.local.outbox import Outbox
from watchnext.adapters.local.smtp import SmtpMailer
from watchnext.client.api import ReviewApiClient
from watchnext.domain.email import EmailLinks
from watchnext.email.render import HandlebarsRenderer
from watchnext.email.templates import load_template
from watchnext.webapp.app import OUTBOX_PAGE_SIZE, create_app

MAILER = SmtpMailer(HandlebarsRenderer(load_template()), sender="WatchNext <picks@example.org>")


def message_for(job_id: str) -> bytes:
    return MAILER.message(
        email_job(job_id), EmailLinks("http://127.0.0.1:1/unsubscribe?token=t")
    ).as_bytes()


def test_a_message_sent_again_is_kept_once_and_counted_as_a_resend(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)

    assert outbox.store(message_for("job-1")) is True
    assert outbox.store(message_for("job-1")) is False  # the mailer died before marking it

    [stored] = outbox.page()
    assert (stored.job_id, stored.resends) == ("job-1", 1)
    assert len(list(tmp_path.glob("*.eml"))) == 1


def test_messages_stored_from_many_threads_at_once_are_each_kept_in_a_file_of_their_own(
    tmp_path: Path,
) -> None:
    outbox = Outbox(tmp_path)
    messages = [message_for(f"job-{n}") for n in range(160)]

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(outbox.store, messages))
    outbox.close()

    assert outbox.count() == 160
    assert len(list(tmp_path.glob("*.eml"))) == 160
    assert outbox.store(message_for("job-0")) is False  # after close: opened again
    assert sorted(m.job_id for m in outbox.page()) == sorted(f"job-{n}" for n in range(160))


def test_each_job_has_its_own_message_id_on_the_senders_domain() -> None:
    first = MAILER.message(email_job("job-1"), EmailLinks("u"))["Message-ID"]
    assert (
        first
        == MAILER.message(email_job("job-1"), EmailLinks("u"))["Message-ID"]
        == "<job-1@example.org>"
    )
    assert MAILER.message(email_job("job-2"), EmailLinks("u"))["Message-ID"] != first


def test_pages_come_newest_first_from_the_index(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    for n in range(25):
        outbox.store(message_for(f"job-{n}"))

    assert outbox.count() == 25
    assert [m.job_id for m in outbox.page(0, 3)] == ["job-24", "job-23", "job-22"]
    assert [m.job_id for m in outbox.page(20, 10)] == [f"job-{n}" for n in range(4, -1, -1)]


def test_recovery_indexes_what_a_crash_left_and_drops_half_written_files(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    outbox.store(message_for("job-1"))
    # A crash after the rename, before the row: a complete file the index does not list...
    (tmp_path / "1800000000000000000.eml").write_bytes(message_for("job-2"))
    # ...a stray second copy of a message that is indexed, and a file never renamed.
    (tmp_path / "1800000000000000001.eml").write_bytes(message_for("job-1"))
    (tmp_path / ".1800000000000000002.eml.partial").write_bytes(b"From: half")

    outbox.recover()

    assert sorted(m.job_id for m in outbox.page()) == ["job-1", "job-2"]
    assert len(list(tmp_path.glob("*.eml"))) == 2
    assert not list(tmp_path.glob(".*.partial"))


def test_the_web_apps_outbox_shows_one_page_at_a_time(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    for n in range(OUTBOX_PAGE_SIZE + 3):
        outbox.store(message_for(f"job-{n}"))
    web = create_app(ReviewApiClient("http://127.0.0.1:9", "k"), [], tmp_path).server
    payload = {
        "output": "..outbox.data...outbox.page_count..",
        "outputs": [
            {"id": "outbox", "property": "data"},
            {"id": "outbox", "property": "page_count"},
        ],
        "inputs": [
            {"id": "outbox-refresh", "property": "n_clicks", "value": None},
            {"id": "tabs", "property": "value", "value": "outbox"},
            {"id": "outbox", "property": "page_current", "value": 1},
        ],
        "changedPropIds": ["outbox.page_current"],
        "state": [],
    }

    answer = web.test_client().post(
        "/_dash-update-component", json=payload, base_url="http://127.0.0.1"
    )

    assert answer.status_code == 200, answer.data
    table = json.loads(answer.data)["response"]["outbox"]
    assert table["page_count"] == 2
    assert len(table["data"]) == 3
