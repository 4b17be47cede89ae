"""The review use case with in-memory fakes: what is recorded, asked, looked up and queued."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support import ORIGINAL_REVIEW
from tests.support.fakes import FakeCatalog, FakeEmailQueue, FakeEventRecorder, FakeRecommender
from watchnext.domain.events import event_id_for
from watchnext.domain.review import Review
from watchnext.service.review import ReviewService

REVIEW = Review.model_validate({**ORIGINAL_REVIEW, "timestamp": "2015-08-31T12:00:00Z"})


def make_service(
    ranking: list[str] | None = None,
) -> tuple[ReviewService, FakeEventRecorder, FakeEmailQueue]:
    recorder = FakeEventRecorder()
    queue = FakeEmailQueue()
    service = ReviewService(
        recorder=recorder,
        recommender=FakeRecommender(
            ranking=ranking if ranking is not None else ["Her", "Up"], recorder=recorder
        ),
        catalog=FakeCatalog({"Lucy": "Lucy (2014)", "Her": "Her (2013)"}),
        email_queue=queue,
    )
    return service, recorder, queue


def test_the_review_is_recorded_as_an_interaction_at_its_own_time() -> None:
    service, recorder, _ = make_service()

    service.submit_review(REVIEW)

    (event,) = recorder.recorded
    assert (event.user_id, event.item_id, event.event_type) == ("37197598", "Lucy", "RATING")
    assert event.event_value == 5.0
    assert event.timestamp == datetime(2015, 8, 31, 12, tzinfo=UTC)
    assert event.properties == {"eventVerifiedPurchase": "Y"}
    assert event.event_id == event_id_for(REVIEW)


def test_the_event_id_is_stable_for_the_same_user_item_and_time() -> None:
    again = Review.model_validate({**ORIGINAL_REVIEW, "timestamp": 1441022400, "event_rating": 3})
    other_time = Review.model_validate({**ORIGINAL_REVIEW, "timestamp": 1441022401})
    assert event_id_for(REVIEW) == event_id_for(again)
    assert event_id_for(REVIEW) != event_id_for(other_time)


def test_the_email_job_carries_everything_the_mailer_needs() -> None:
    service, _, queue = make_service()

    service.submit_review(REVIEW)

    (job,) = queue.sent
    assert job.job_id == event_id_for(REVIEW)
    assert job.email_address == "viewer@example.com"
    assert (job.rated.item_id, job.rated.title, job.rated.rating) == ("Lucy", "Lucy (2014)", 5)
    assert [(r.item_id, r.title) for r in job.recommendations] == [
        ("Her", "Her (2013)"),
        ("Up", "Up"),
    ]
    assert job.recommendation_id == "rec-1"
    assert job.reviewed_at == REVIEW.timestamp


def test_no_recommendations_means_no_email() -> None:
    service, recorder, queue = make_service(ranking=[])

    accepted = service.submit_review(REVIEW)

    assert accepted.email_queued is False
    assert accepted.recommendations == ()
    assert queue.sent == []
    assert len(recorder.recorded) == 1


def test_items_missing_from_the_catalog_use_their_id_as_title() -> None:
    service, _, _ = make_service(ranking=["B00UNKNOWN"])
    accepted = service.submit_review(REVIEW)
    assert [(r.item_id, r.title) for r in accepted.recommendations] == [
        ("B00UNKNOWN", "B00UNKNOWN")
    ]
