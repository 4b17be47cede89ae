"""What a recommender returns, before and after titles are attached."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True, slots=True)
class ScoredItem:
    item_id: str
    score: float | None = None


@dataclass(frozen=True, slots=True)
class RecommendationList:
    """A ranked list, best first, with the recommender's id for the list (Personalize's
    ``recommendationId``) where it has one."""

    items: tuple[ScoredItem, ...]
    recommendation_id: str | None = None

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
