"""An interaction as a recommender records it, and how a review becomes one."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from watchnext.domain.review import EventSource, Review

CLICK = "CLICK"
"""A viewer followed a pick's link in an email (`watchnext.service.clicks`)."""
CLICK_VALUE = 1.0
"""A click's EVENT_VALUE: the interactions schema's EVENT_VALUE is a non-null float, and a
click has no rating; recommenders weigh clicks by type (``click_weight``), not by value."""
DEFAULT_CLICK_WEIGHT = 0.3
"""A click's weight relative to a top rating (Personalize's eventsConfig weight, 0 to 1): a
click says "interested", a 5-star rating says "liked"."""
TOP_RATING = 5.0
MAX_IMPRESSION = 25
"""PutEvents takes at most 25 item ids as an event's ``impression``."""


@dataclass(frozen=True, slots=True)
class InteractionEvent:
    """One interaction as a recommender records it (Personalize's event, our SQLite row)."""

    event_id: str
    user_id: str
    item_id: str
    event_type: str
    event_value: float
    timestamp: datetime
    properties: Mapping[str, str]
    recommendation_id: str | None = None
    """The list the viewer acted from (Personalize derives what was shown from it)."""
    impression: tuple[str, ...] = ()
    """What the viewer was shown with the item, at most `MAX_IMPRESSION` ids."""
    source: EventSource | None = None
    """Where the event came from (Personalize's ``eventAttributionSource``)."""
    drafted_by: str | None = None
    """A click on an experiment's email: the arm that put the followed pick in the list (in an
    interleaved list it is not the viewer's arm)."""


def event_id_for(review: Review) -> str:
    """A stable id per (user, item, time to the microsecond): Personalize ignores repeats of
    an eventId in training, and the mailer uses it to send one email per review."""
    key = f"{review.user_id}\x1f{review.item_id}\x1f{review.epoch_microseconds}"
    return hashlib.sha256(key.encode()).hexdigest()


def interaction_from(review: Review) -> InteractionEvent:
    return InteractionEvent(
        event_id=event_id_for(review),
        user_id=review.user_id,
        item_id=review.item_id,
        event_type=review.event_type.value,
        event_value=float(review.event_rating),
        timestamp=review.timestamp,
        properties={"eventVerifiedPurchase": review.event_verified_purchase},
        recommendation_id=review.recommendation_id,
        source=review.event_source,
    )
