"""What a rating says about the viewer's taste: one rule for the local model, training, the
AWS path and the email."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

DEFAULT_LIKE_AT = 3.0
"""A rating at or above this is a like."""
DEFAULT_DISLIKE_BELOW = 2.0
"""A rating below this is a dislike; from here up to `DEFAULT_LIKE_AT` it is neutral (a 2
of 5). Both chosen for ALS on the validation replay of MovieLens 100K
(`watchnext evaluate --protocol replay`: a like from 3 or from 4, each with and without a
neutral star below it; the test replay was never used; docs/evaluation-ml100k/REPLAY.md).
`watchnext train` chooses them again on each dataset; on AWS they are the LikeThreshold and
DislikeThreshold parameters."""

DISLIKE = "DISLIKE"
"""The event type a rating below the dislike threshold is sent to Personalize as: no solution
weighs it in training (docs/deploy.md, "What a dislike does on AWS")."""


class Feeling(StrEnum):
    LIKE = "like"
    NEUTRAL = "neutral"
    DISLIKE = "dislike"


@dataclass(frozen=True)
class Sentiment:
    """A rating at or above ``like_at`` is a like, below ``dislike_below`` a dislike, and in
    between (a neutral band, empty when the two are equal) it says only "seen"."""

    like_at: float = DEFAULT_LIKE_AT
    dislike_below: float = DEFAULT_DISLIKE_BELOW

    def __post_init__(self) -> None:
        if self.dislike_below > self.like_at:
            raise ValueError(
                f"dislike_below ({self.dislike_below}) must not be above like_at ({self.like_at})"
            )

    def of(self, rating: float) -> Feeling:
        if rating >= self.like_at:
            return Feeling.LIKE
        if rating < self.dislike_below:
            return Feeling.DISLIKE
        return Feeling.NEUTRAL
