from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.support import ORIGINAL_REVIEW
from watchnext.domain.review import BIDI_CONTROLS, EventType, Review


def failing_fields(body: dict[str, Any]) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        Review.model_validate(body)
    return {".".join(str(part) for part in error["loc"]) for error in caught.value.errors()}


def test_the_original_request_body_is_accepted_as_it_was() -> None:
    review = Review.model_validate(ORIGINAL_REVIEW)

    assert review.user_id == "37197598"
    assert review.item_id == "Lucy"
    assert review.event_rating == 5
    assert review.verified_purchase is True
    assert review.event_type is EventType.RATING
    assert review.email_address == "viewer@example.com"


def test_a_review_without_time_is_stamped_now_in_utc() -> None:
    before = datetime.now(UTC)
    review = Review.model_validate(ORIGINAL_REVIEW)
    assert before <= review.timestamp <= datetime.now(UTC)
    assert review.timestamp.tzinfo is not None


def test_event_type_defaults_to_rating() -> None:
    body = {k: v for k, v in ORIGINAL_REVIEW.items() if k != "event_type"}
    assert Review.model_validate(body).event_type is EventType.RATING


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2015-08-31T12:00:00Z", datetime(2015, 8, 31, 12, tzinfo=UTC)),
        ("2015-08-31T14:00:00+02:00", datetime(2015, 8, 31, 12, tzinfo=UTC)),
        ("2015-08-31T12:00:00", datetime(2015, 8, 31, 12, tzinfo=UTC)),
        (1441022400, datetime(2015, 8, 31, 12, tzinfo=UTC)),
        (1441022400.5, datetime(2015, 8, 31, 12, 0, 0, 500000, tzinfo=UTC)),
        ("1441022400", datetime(2015, 8, 31, 12, tzinfo=UTC)),  # digits are seconds too
    ],
)
def test_timestamp_is_iso_8601_or_epoch_seconds(value: object, expected: datetime) -> None:
    review = Review.model_validate({**ORIGINAL_REVIEW, "timestamp": value})
    assert review.timestamp == expected
    assert review.epoch_microseconds == round(expected.timestamp() * 1_000_000)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("user_id", ""),
        ("user_id", "u" * 257),
        ("item_id", ""),
        ("item_id", 12),
        ("event_rating", 0),
        ("event_rating", 6),
        ("event_rating", "five"),
        ("event_rating", 4.5),
        ("event_rating", 5.0),  # a JSON integer, not a float that equals one
        ("event_rating", "5"),
        ("event_rating", True),
        ("user_id", "   "),
        ("user_id", "viewer\x00"),
        ("user_id", "line\r\nBcc: someone"),
        ("user_id", "a/b"),
        ("item_id", "\u202etxt.exe"),
        ("item_id", "\t"),
        ("event_verified_purchase", "yes"),
        ("event_verified_purchase", "y"),
        ("event_type", "LIKE"),
        ("email_address", "not-an-address"),
        ("email_address", "two@@example.com"),
        ("timestamp", "yesterday"),
        ("timestamp", 1441022400000),  # milliseconds: out of range as seconds
        ("timestamp", "1441022400000"),  # as text too: never read as milliseconds
        ("timestamp", -1),
        ("timestamp", True),
    ],
)
def test_each_invalid_field_is_named(field: str, value: object) -> None:
    assert failing_fields({**ORIGINAL_REVIEW, field: value}) == {field}


@pytest.mark.parametrize(
    "field", ["user_id", "item_id", "event_rating", "event_verified_purchase", "email_address"]
)
def test_each_missing_required_field_is_named(field: str) -> None:
    body = {k: v for k, v in ORIGINAL_REVIEW.items() if k != field}
    assert failing_fields(body) == {field}


def test_a_timestamp_in_the_future_is_rejected() -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert failing_fields({**ORIGINAL_REVIEW, "timestamp": tomorrow}) == {"timestamp"}


@pytest.mark.parametrize("offset", ["+01:00", "+14:00"])
def test_a_timestamp_before_the_year_1_in_utc_is_refused_not_an_overflow(offset: str) -> None:
    early = f"0001-01-01T00:00:00{offset}"
    assert failing_fields({**ORIGINAL_REVIEW, "timestamp": early}) == {"timestamp"}


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("a@xn--exmple-cua.com", "a@xn--exmple-cua.com"),  # never shown back as a look-alike
        ("a@exämple.com", "a@xn--exmple-cua.com"),  # as SES must be given it
        ("Viewer@Example.COM", "Viewer@example.com"),
    ],
)
def test_an_address_is_kept_in_the_ascii_form_the_mailer_sends_to(given: str, kept: str) -> None:
    assert Review.model_validate({**ORIGINAL_REVIEW, "email_address": given}).email_address == kept


@pytest.mark.parametrize("address", ["élève@example.com", "a@[127.0.0.1]", "not-an-address"])
def test_an_address_the_mailer_cannot_deliver_is_refused(address: str) -> None:
    """SES and SMTP without SMTPUTF8 take 7-bit ASCII local parts only."""
    assert failing_fields({**ORIGINAL_REVIEW, "email_address": address}) == {"email_address"}


def test_an_id_with_the_replacement_character_is_refused() -> None:
    """U+FFFD means the text was not valid UTF-8 where it was written: never a title."""
    assert failing_fields({**ORIGINAL_REVIEW, "item_id": "Lucy\ufffd"}) == {"item_id"}


def test_unknown_fields_are_rejected() -> None:
    assert failing_fields({**ORIGINAL_REVIEW, "mood": "happy"}) == {"mood"}


def test_ids_of_256_characters_are_accepted() -> None:
    review = Review.model_validate({**ORIGINAL_REVIEW, "user_id": "u" * 256, "item_id": "i" * 256})
    assert len(review.user_id) == len(review.item_id) == 256


# Any printable text: no control, surrogate or bidi-control characters, not blank; user ids
# without "/" (the ids a review may carry since they reach subjects, pages and paths).
PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=BIDI_CONTROLS)
ITEM_IDS = st.text(PRINTABLE, min_size=1, max_size=256).filter(str.strip)
USER_IDS = ITEM_IDS.filter(lambda text: "/" not in text)


@given(
    user_id=USER_IDS,
    item_id=ITEM_IDS,
    rating=st.integers(min_value=1, max_value=5),
    verified=st.sampled_from(["Y", "N"]),
    epoch=st.integers(min_value=0, max_value=1_750_000_000),  # up to mid-2025
)
def test_any_valid_review_round_trips_through_json(
    user_id: str, item_id: str, rating: int, verified: str, epoch: int
) -> None:
    review = Review.model_validate(
        {
            **ORIGINAL_REVIEW,
            "user_id": user_id,
            "item_id": item_id,
            "event_rating": rating,
            "event_verified_purchase": verified,
            "timestamp": epoch,
        }
    )
    assert Review.model_validate_json(review.model_dump_json()) == review
    assert review.epoch_microseconds == epoch * 1_000_000


@given(rating=st.integers().filter(lambda r: not 1 <= r <= 5))
def test_any_rating_outside_one_to_five_is_rejected(rating: int) -> None:
    assert failing_fields({**ORIGINAL_REVIEW, "event_rating": rating}) == {"event_rating"}


@given(
    clean=ITEM_IDS.filter(lambda text: len(text) < 200),
    bad=st.sampled_from(["\x00", "\x1b", "\r", "\n", "\u202e", "\u2066", "\x7f"]),
)
def test_any_id_with_a_control_or_bidi_character_is_rejected(clean: str, bad: str) -> None:
    body = {**ORIGINAL_REVIEW, "item_id": clean + bad}
    assert failing_fields(body) == {"item_id"}
