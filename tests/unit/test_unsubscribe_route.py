"""The unsubscribe link on the review API: GET confirms, POST opts out, and opting back in."""

from __future__ import annotations

import re

from tests.support import ORIGINAL_REVIEW, body_of, get, header, post_review
from tests.support.fakes import (
    FakeCatalog,
    FakeEmailQueue,
    FakeEventRecorder,
    FakeRecommender,
    InMemoryEmailState,
)
from watchnext.adapters.http.lambda_context import LocalLambdaContext
from watchnext.adapters.http.proxy_events import proxy_event
from watchnext.adapters.http.review_api import ReviewApi
from watchnext.domain.email import Recipient
from watchnext.email.unsubscribe import sign, sign_legacy
from watchnext.service.review import ReviewService
from watchnext.service.subscriptions import Subscriptions

KEY = b"u" * 32
ADDRESS = "viewer@example.com"


def api_with(state: InMemoryEmailState | None, queue: FakeEmailQueue | None = None) -> ReviewApi:
    recorder = FakeEventRecorder()
    service = ReviewService(
        recorder,
        FakeRecommender(recorder=recorder),
        FakeCatalog(),
        queue or FakeEmailQueue(),
        opt_outs=state,
    )
    if state is None:
        return ReviewApi(service)
    return ReviewApi(service, subscriptions=Subscriptions(state, signing_key=lambda: KEY))


def post(api: ReviewApi, path: str, token: str) -> dict[str, object]:
    event = proxy_event(
        "POST", path, body="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"}, query={"token": token},
    )  # fmt: skip
    return api.handle(event, LocalLambdaContext())


def form_action(page: str) -> str:
    match = re.search(r"<form method=post action='([^']+)'>", page)
    assert match, page
    return match.group(1).replace("&amp;", "&")


def test_opening_the_link_asks_first_and_changes_nothing() -> None:
    """Link scanners and prefetchers GET every link in an email: a GET must not opt out."""
    state = InMemoryEmailState()
    response = get(api_with(state), "/unsubscribe", {"token": sign(ADDRESS, KEY)})

    assert response["statusCode"] == 200
    assert f"Stop WatchNext recommendation emails to {ADDRESS}?" in str(response["body"])
    assert form_action(str(response["body"])).startswith("unsubscribe?token=")
    assert state.opted_out == set()


def test_the_button_and_a_mail_clients_one_click_post_opt_the_address_out() -> None:
    state = InMemoryEmailState()
    response = post(api_with(state), "/unsubscribe", sign(ADDRESS, KEY))

    assert response["statusCode"] == 200
    assert "You are unsubscribed" in str(response["body"])
    assert state.is_opted_out(ADDRESS, "any-user-id")
    assert form_action(str(response["body"])).startswith("resubscribe?token=")


def test_the_page_after_unsubscribing_offers_to_subscribe_again() -> None:
    state = InMemoryEmailState()
    api = api_with(state)
    unsubscribed = post(api, "/unsubscribe", sign(ADDRESS, KEY))
    token = form_action(str(unsubscribed["body"])).split("token=", 1)[1]

    again = post(api, "/resubscribe", token)

    assert again["statusCode"] == 200
    assert "You are subscribed again" in str(again["body"])
    assert not state.is_opted_out(ADDRESS, "any-user-id")


def test_a_review_from_an_address_that_unsubscribed_queues_no_email_and_says_why() -> None:
    state, queue = InMemoryEmailState(), FakeEmailQueue()
    state.opt_out(Recipient(address=ORIGINAL_REVIEW["email_address"]))

    response = post_review(api_with(state, queue), ORIGINAL_REVIEW | {"user_id": "new-id"})

    assert response["statusCode"] == 200
    body = body_of(response)
    assert body["email_queued"] is False
    assert body["email_not_queued_reason"] == "opted_out"
    assert queue.sent == []


def test_a_link_from_before_opt_outs_by_address_still_opts_its_user_out() -> None:
    state = InMemoryEmailState()
    response = post(api_with(state), "/unsubscribe", sign_legacy("37197598", KEY))

    assert response["statusCode"] == 200
    assert state.is_opted_out("whoever@example.com", "37197598")


def test_a_forged_link_gets_400_and_changes_nothing() -> None:
    state = InMemoryEmailState()
    forged = sign(ADDRESS, b"not our key")
    for response in (
        get(api_with(state), "/unsubscribe", {"token": forged}),
        post(api_with(state), "/unsubscribe", forged),
        post(api_with(state), "/resubscribe", forged),
    ):
        assert response["statusCode"] == 400
        assert "forged" in str(response["body"])
    assert state.opted_out == set()


def test_the_pages_cannot_be_framed_or_leak_the_token() -> None:
    response = get(api_with(InMemoryEmailState()), "/unsubscribe", {"token": sign(ADDRESS, KEY)})

    assert "frame-ancestors 'none'" in (header(response, "Content-Security-Policy") or "")
    assert header(response, "Referrer-Policy") == "no-referrer"
    assert header(response, "Cache-Control") == "no-store"


def test_a_missing_token_gets_422_naming_it() -> None:
    response = get(api_with(InMemoryEmailState()), "/unsubscribe")
    assert response["statusCode"] == 422
    assert "token" in str(response["body"])


def test_without_email_state_configured_the_route_says_so() -> None:
    assert get(api_with(None), "/unsubscribe", {"token": "x.y"})["statusCode"] == 404
