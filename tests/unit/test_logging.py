"""Email addresses never reach a log line, whatever is logged."""

from __future__ import annotations

from tests.support import ORIGINAL_REVIEW, post_review
from tests.support.fakes import FakeCatalog, FakeEmailQueue, FakeEventRecorder, FakeRecommender
from tests.support.logs import LogCapture
from watchnext.adapters.http.review_api import ReviewApi
from watchnext.observability import EMAIL_PATTERN, logger
from watchnext.service.review import ReviewService


def test_an_address_logged_by_accident_is_redacted(captured_logs: LogCapture) -> None:
    logger.info({"event": {"body": '{"email_address": "viewer@example.com"}'}})
    try:
        raise ValueError("could not send to first.last+tag@mail.example.co.uk")
    except ValueError:
        logger.exception("send failed")

    assert "viewer@example.com" not in captured_logs.text
    assert "first.last" not in captured_logs.text
    assert captured_logs.text.count("<email redacted>") >= 2


def test_the_review_path_logs_no_email_address(captured_logs: LogCapture) -> None:
    recorder = FakeEventRecorder()
    recommender = FakeRecommender(recorder=recorder)
    api = ReviewApi(ReviewService(recorder, recommender, FakeCatalog(), FakeEmailQueue()))

    post_review(api, ORIGINAL_REVIEW)
    post_review(api, {**ORIGINAL_REVIEW, "email_address": "broken@@example.com"})
    recommender.unavailable = "campaign not ACTIVE"
    post_review(api, ORIGINAL_REVIEW)

    assert len(captured_logs.lines) >= 3
    assert not EMAIL_PATTERN.search(captured_logs.text), captured_logs.text
