"""What a recommender returns, before and after titles are attached."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True, slots=True)
class ScoredItem:
    item_id: str
    score: float | None = None
    because: str | None = None
    """The item of the viewer's history that contributes most to this pick's score, when
    the recommender computed one."""
    reasons: tuple[str, ...] = ()
    """The recommender's own reasons (Personalize's ``reason`` list), when it gives any."""


@dataclass(frozen=True, slots=True)
class RecommendationList:
    """A ranked list, best first, with the recommender's id for the list (Personalize's
    ``recommendationId``) where it has one."""

    items: tuple[ScoredItem, ...]
    recommendation_id: str | None = None
    model_id: str | None = None
    """Which model ranked the list, where the recommender says (a local artifact's id)."""

    @property
    def item_ids(self) -> list[str]:
        return [item.item_id for item in self.items]


@dataclass(frozen=True, slots=True)
class CatalogItem:
    item_id: str
    title: str
    genres: tuple[str, ...] = field(default_factory=tuple)


class Recommendation(BaseModel):
    """One recommended title as the API and the email show it."""

    model_config = ConfigDict(frozen=True)

    item_id: str
    title: str
    score: float | None = None
    because_item_id: str | None = Field(
        default=None,
        description="The title of the viewer's history that contributes most to this pick's "
        "score, as the model computed it; absent when the recommender computed none.",
    )
    because_title: str | None = None
    reasons: tuple[str, ...] = Field(
        default=(),
        description="The recommender's own reasons (Amazon Personalize User-Personalization-v2: "
        "promoted item, exploration, popular item), as it gave them.",
    )
