"""An interaction as a recommender records it, and how a review becomes one."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from watchnext.domain.review import Review


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


def event_id_for(review: Review) -> str:
    """A stable id per (user, item, time): Personalize ignores repeats of an eventId in
    training, and the mailer uses it to send one email per review."""
    key = f"{review.user_id}\x1f{review.item_id}\x1f{review.epoch_seconds}"
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
    )
