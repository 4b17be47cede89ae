"""Closing the loop on the local stack, over HTTP: an email's pick links record one click
each, with what the email showed; the engagement report recovers known click rates."""

from __future__ import annotations

import dataclasses
import http.client
import json
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.support import ORIGINAL_REVIEW
from tests.support.local import config_for, running_stack
from watchnext.adapters.local.outbox import outbox
from watchnext.client.simulate import PICK_LINK, simulate
from watchnext.domain.engagement import ClickModel
from watchnext.domain.events import CLICK, InteractionEvent
from watchnext.domain.review import EventSource
from watchnext.email.click_links import ClickClaims, click_url, sign_click, verify_click
from watchnext.entrypoints.local_stack import LocalStack


@pytest.fixture
def stack(tmp_path: Path, trained: Path) -> Iterator[LocalStack]:
    config = config_for(tmp_path, trained).model_copy(update={"dataset": trained.parent / "data"})
    with running_stack(config) as running:
        yield running


def follow(url: str) -> tuple[int, str, str]:
    """GET a link without following its redirect: (status, Location, body)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        connection.request("GET", parts.path)
        response = connection.getresponse()
        return response.status, response.getheader("Location") or "", response.read().decode()
    finally:
        connection.close()


def review_and_read_email(stack: LocalStack, user_id: str) -> tuple[dict[str, object], str]:
    request = urllib.request.Request(
        stack.settings.api_url + "/reviews",
        data=json.dumps({**ORIGINAL_REVIEW, "user_id": user_id, "item_id": "A3"}).encode(),
        headers={"Content-Type": "application/json", "x-api-key": "k"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        accepted = json.loads(response.read())
    deadline = time.monotonic() + 10
    while not outbox(stack.state.outbox) and time.monotonic() < deadline:
        time.sleep(0.05)
    (mail,) = outbox(stack.state.outbox)
    return accepted, mail.parts()[0]


def clicks(stack: LocalStack) -> list[InteractionEvent]:
    return [event for event in stack.events.events() if event.event_type == CLICK]


def signing_key(stack: LocalStack) -> bytes:
    return (stack.state.root / "unsubscribe.key").read_text().strip().encode()


def test_following_an_emails_link_records_one_click_with_what_the_email_showed(
    stack: LocalStack,
) -> None:
    accepted, text = review_and_read_email(stack, "clicker")
    links = PICK_LINK.findall(text)
    shown = [pick["item_id"] for pick in accepted["recommendations"]]  # type: ignore[attr-defined]
    assert len(links) == len(shown) > 2

    status, location, _ = follow(links[2])

    assert status == 302
    assert location == f"{stack.settings.web_url}/titles/{shown[2]}"
    (click,) = clicks(stack)
    assert (click.user_id, click.item_id) == ("clicker", shown[2])
    assert click.recommendation_id == accepted["recommendation_id"]
    assert click.impression == tuple(shown)
    assert click.source is EventSource.EMAIL
    with urllib.request.urlopen(location, timeout=10) as page:
        assert f"Title {shown[2]}" in page.read().decode()
    report = stack.engagement.report(0.95)
    assert (report.emails_sent, report.clicks) == (1, 1)
    assert [rate.clicked for _, rate in report.by_position][:4] == [0, 0, 1, 0]


def test_a_replayed_tampered_or_expired_link_gets_a_page_and_records_nothing(
    stack: LocalStack,
) -> None:
    _, text = review_and_read_email(stack, "clicker")
    link = PICK_LINK.findall(text)[0]
    assert follow(link)[0] == 302

    status, _, page = follow(link)
    assert status == 409
    assert "followed this link before" in page

    payload, signature = unquote(link.rpartition("/r/")[2]).split(".")
    forged_payload = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    status, _, page = follow(link.rpartition("/r/")[0] + f"/r/{forged_payload}.{signature}")
    assert status == 400
    assert "does not work" in page

    genuine = verify_click(unquote(link.rpartition("/r/")[2]), signing_key(stack))
    stale = dataclasses.replace(genuine, position=2, expires_at=int(time.time()) - 1)
    status, _, page = follow(
        click_url(stack.settings.api_url, sign_click(stale, signing_key(stack)))
    )
    assert status == 410
    assert "expired" in page

    assert len(clicks(stack)) == 1
    assert stack.engagement.report(0.95).clicks == 1


def test_an_unsubscribe_token_is_not_a_pick_link(stack: LocalStack) -> None:
    _, text = review_and_read_email(stack, "clicker")
    token = re.search(r"unsubscribe\?token=(\S+)", text)
    assert token is not None
    assert follow(click_url(stack.settings.api_url, unquote(token.group(1))))[0] == 400
    assert clicks(stack) == []


def test_a_link_for_another_key_is_refused(stack: LocalStack) -> None:
    claims = ClickClaims(
        user_id="clicker", job_id="j", item_id="A1", position=1, expires_at=int(time.time()) + 60
    )
    assert follow(click_url(stack.settings.api_url, sign_click(claims, b"not-the-key")))[0] == 400
    assert clicks(stack) == []


VIEWERS = 250
KNOWN = ClickModel(top=0.5, decay=0.75)


def test_the_engagement_report_recovers_a_known_click_model(stack: LocalStack) -> None:
    """Viewers click each position with a known probability; the report's intervals (stated
    at 99.9% each, so that all ten hold together with about 99% probability) cover every
    true rate, and they are narrow enough to tell the model from one with half its rates
    (eight of the ten exclude it with this seed)."""
    started = time.time()
    result = simulate(
        stack.settings.api_url, "k", stack.state.outbox,
        viewers=VIEWERS, model=KNOWN, seed=7, timeout=120,
    )  # fmt: skip
    report = stack.engagement.report(0.999, since=started)

    assert result.emails == report.emails_sent == VIEWERS
    assert set(result.answers) == {302}
    assert report.clicks == sum(result.followed.values())
    assert [r.clicked for _, r in report.by_position] == [
        result.followed[p] for p, _ in report.by_position
    ]
    assert all(rate.covers(KNOWN.rate(p)) for p, rate in report.by_position), report.by_position
    halved = ClickModel(top=KNOWN.top / 2, decay=KNOWN.decay)
    assert sum(not rate.covers(halved.rate(p)) for p, rate in report.by_position) >= 6
