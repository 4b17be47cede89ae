"""What the review use case answers: the bodies of ``POST /reviews`` and
``GET /users/{user_id}/recommendations``."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from watchnext.domain.recommendation import Recommendation


class EmailNotQueued(StrEnum):
    OPTED_OUT = "opted_out"
    NO_RECOMMENDATIONS = "no_recommendations"


class ReviewAccepted(BaseModel):
    """Response of ``POST /reviews``."""

    model_config = ConfigDict(frozen=True)

    user_id: str
    recommendation_id: str | None
    recommendations: tuple[Recommendation, ...]
    item_known: bool = Field(
        default=True,
        description="False when the rated title is not in the catalog: it is recorded and "
        "kept for the next training, but these picks cannot reflect it yet.",
    )
    email_queued: bool
    email_not_queued_reason: EmailNotQueued | None = Field(
        default=None,
        description="Why no email was queued: the address unsubscribed, or nothing to recommend.",
    )


class UserRecommendations(BaseModel):
    """Response of ``GET /users/{user_id}/recommendations``."""

    model_config = ConfigDict(frozen=True, defer_build=True)  # off the review path

    user_id: str
    recommendation_id: str | None
    recommendations: tuple[Recommendation, ...]
