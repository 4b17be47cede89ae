"""GET and POST /unsubscribe on the review API."""

from __future__ import annotations

from tests.fakes import (
    FakeCatalog,
    FakeEmailQueue,
    FakeEventRecorder,
    FakeRecommender,
    InMemoryEmailState,
)
from tests.support import get
from watchnext.email.unsubscribe import sign, verify
from watchnext.entrypoints.api import ReviewApi
from watchnext.entrypoints.lambda_context import LocalLambdaContext
from watchnext.entrypoints.proxy_events import proxy_event
from watchnext.service import ReviewService

KEY = b"u" * 32


def api_with(state: InMemoryEmailState | None) -> ReviewApi:
    recorder = FakeEventRecorder()
    service = ReviewService(
        recorder, FakeRecommender(recorder=recorder), FakeCatalog(), FakeEmailQueue()
    )
    if state is None:
        return ReviewApi(service)

    def unsubscriber(token: str) -> str:
        user = verify(token, KEY)
        state.opt_out(user)
        return user

    return ReviewApi(service, unsubscriber=unsubscriber)


def test_a_valid_link_opts_the_viewer_out_and_says_so() -> None:
    state = InMemoryEmailState()
    response = get(api_with(state), "/unsubscribe", {"token": sign("37197598", KEY)})

    assert response["statusCode"] == 200
    assert "You are unsubscribed" in response["body"]
    assert state.opted_out == {"37197598"}


def test_one_click_post_from_a_mail_client_works_too() -> None:
    state = InMemoryEmailState()
    event = proxy_event(
        "POST", "/unsubscribe", body="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        query={"token": sign("u9", KEY)},
    )  # fmt: skip
    response = api_with(state).handle(event, LocalLambdaContext())
    assert response["statusCode"] == 200
    assert state.opted_out == {"u9"}


def test_a_forged_link_gets_400_and_changes_nothing() -> None:
    state = InMemoryEmailState()
    forged = sign("37197598", b"not our key")
    response = get(api_with(state), "/unsubscribe", {"token": forged})
    assert response["statusCode"] == 400
    assert "signature does not match" in response["body"]
    assert state.opted_out == set()


def test_a_missing_token_gets_422_naming_it() -> None:
    response = get(api_with(InMemoryEmailState()), "/unsubscribe")
    assert response["statusCode"] == 422
    assert "token" in response["body"]


def test_without_email_state_configured_the_route_says_so() -> None:
    assert get(api_with(None), "/unsubscribe", {"token": "x.y"})["statusCode"] == 404
