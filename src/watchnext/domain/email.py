"""The email job the review API hands to the mailer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr

from watchnext.domain.recommendation import Recommendation


class RatedItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_id: str
    title: str
    rating: int


class EmailJob(BaseModel):
    """Everything the mailer needs to send one recommendations email; no lookups needed."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    user_id: str
    email_address: EmailStr
    rated: RatedItem
    recommendations: tuple[Recommendation, ...]
    recommendation_id: str | None
    reviewed_at: datetime
