"""The review a viewer posts, exactly as the original web app sent it, validated."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _printable_identifier(value: str) -> str:
    """Ids reach email subjects and pages: no control, bidi-override or lone surrogate
    characters, and not white space alone."""
    if not value.strip():
        raise ValueError("must not be white space only")
    for char in value:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs"):
            raise ValueError(f"must not contain control characters (U+{ord(char):04X})")
        if char in BIDI_CONTROLS:
            raise ValueError(f"must not contain bidirectional controls (U+{ord(char):04X})")
        if char == "\ufffd":
            raise ValueError(
                "must not contain U+FFFD, the replacement character: the text was not valid "
                "UTF-8 where it was written"
            )
    return value


def _addressable(value: str) -> str:
    if "/" in value:
        raise ValueError("must not contain '/': GET /users/{user_id} could not address it")
    return value


_REFUSED = r"\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff"


def _documented_as(pattern: str) -> WithJsonSchema:
    """The rules of the validators above, as the OpenAPI document states them (the
    validators, not this pattern, are what the API enforces)."""
    return WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 256, "pattern": pattern})


Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=256),
    AfterValidator(_printable_identifier),
    _documented_as(rf"^[^{_REFUSED}]*[^\s{_REFUSED}][^{_REFUSED}]*$"),
]
"""Personalize accepts user and item ids of 1 to 256 characters."""
UserId = Annotated[
    Identifier,
    AfterValidator(_addressable),
    _documented_as(rf"^[^/{_REFUSED}]*[^/\s{_REFUSED}][^/{_REFUSED}]*$"),
]
RecommendationId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40),
    AfterValidator(_printable_identifier),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 40}),
]
"""Personalize's recommendationId: at most 40 characters (PutEvents' Event)."""


def _deliverable(value: str) -> str:
    """The address as SES and SMTP without SMTPUTF8 can send to it: a 7-bit ASCII local part,
    and a Unicode domain in its Punycode form (SES API reference, `Destination`). Kept in
    that ASCII form, so an ``xn--`` domain is never shown back as a look-alike."""
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise ValueError(f"not an address email can be sent to: {error}") from None
    return str(checked.ascii_email)


DeliverableAddress = Annotated[
    str,
    StringConstraints(max_length=320),
    AfterValidator(_deliverable),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 320}),
]
"""An email address intake accepts: only what the mailer can deliver (`_deliverable`)."""

MAX_CLOCK_SKEW = timedelta(minutes=5)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_TEXT = re.compile(r"[0-9]{1,20}(\.[0-9]{1,9})?")
TIMESTAMP_SCHEMA = {
    "anyOf": [
        {"type": "string", "format": "date-time"},
        {"type": "string", "pattern": f"^{EPOCH_TEXT.pattern}$"},
        {"type": "number", "minimum": 0},
    ],
    "title": "Timestamp",
}
"""What `timestamp` accepts, as the OpenAPI document says it: the validator reads epoch
seconds too (a number, or digits), and the document said only date-time text."""


class EventType(StrEnum):
    """Interaction types WatchNext records; Personalize stores them as EVENT_TYPE."""

    RATING = "RATING"
    REVIEW = "REVIEW"
    WATCH = "WATCH"
    PURCHASE = "PURCHASE"


class EventSource(StrEnum):
    """Where an interaction came from: MetricAttribution reports per source."""

    API = "api"
    WEBAPP = "webapp"
    EMAIL = "email"


class Review(BaseModel):
    """A viewer's rating of one title, the body of ``POST /reviews``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_id: UserId
    item_id: Identifier
    event_rating: Annotated[int, Strict()] = Field(
        ge=1, le=5, description='Stars, 1 to 5, as a JSON integer (not 5.0, "5" or true).'
    )
    event_verified_purchase: Literal["Y", "N"]
    event_type: EventType = EventType.RATING
    email_address: DeliverableAddress
    recommendation_id: RecommendationId | None = Field(
        default=None,
        description="The recommendationId of the list the viewer rated this title from, when "
        "it was one of their picks: Personalize learns from what was shown and chosen.",
    )
    event_source: EventSource = Field(
        default=EventSource.API, description="Where the review was made: webapp, api or email."
    )
    timestamp: Annotated[datetime, WithJsonSchema(TIMESTAMP_SCHEMA)] = Field(
        default_factory=lambda: datetime.now(UTC),
        description="When the viewer rated: ISO-8601 (UTC if no offset) or epoch seconds.",
    )

    @field_validator("timestamp", mode="before")
    @classmethod
    def _epoch_seconds_or_iso(cls, value: Any) -> Any:
        # Pydantic reads large numbers as milliseconds; the API promises seconds, always.
        if isinstance(value, bool):
            raise ValueError("expected ISO-8601 text or epoch seconds, got a boolean")
        if isinstance(value, str) and EPOCH_TEXT.fullmatch(value.strip()):
            value = float(value)  # digits are seconds too, never milliseconds
        if isinstance(value, int | float):
            if value < 0:
                raise ValueError("epoch seconds must not be negative")
            try:
                return datetime.fromtimestamp(value, UTC)
            except (OverflowError, OSError, ValueError) as error:
                raise ValueError(f"epoch seconds out of range: {error}") from error
        return value

    @field_validator("timestamp")
    @classmethod
    def _aware_and_not_in_the_future(cls, value: datetime) -> datetime:
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        try:
            in_utc = aware.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+01:00 is in year 0 in UTC
            raise ValueError("timestamp is before the year 1 in UTC") from None
        if in_utc > datetime.now(UTC) + MAX_CLOCK_SKEW:
            raise ValueError("timestamp is in the future")
        return in_utc

    @property
    def epoch_microseconds(self) -> int:
        """The time to the microsecond: two reviews a millisecond apart are two events."""
        return (self.timestamp - EPOCH) // timedelta(microseconds=1)

    @property
    def verified_purchase(self) -> bool:
        return self.event_verified_purchase == "Y"
