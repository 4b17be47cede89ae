"""What a recommender returns, before and after titles are attached."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from pydantic import BaseModel, ConfigDict, Field

POPULAR_NOW = "popular right now"
"""The reason of a pick that comes from popularity alone: the viewer has no liked title yet."""
POPULAR_WITH_SIMILAR = "popular with viewers like you"
"""The reason of a pick no liked title of the viewer's explains (the model's general taste)."""


@dataclass(frozen=True, slots=True)
class ScoredItem:
    item_id: str
    score: float | None = None
    because: str | None = None
    """The item of the viewer's history that contributes most to this pick's score, when
    the recommender computed one."""
    reasons: tuple[str, ...] = ()
    """The recommender's own reasons (Personalize's ``reason`` list), when it gives any."""
    arm: str | None = None
    """The experiment arm that contributed this pick (`watchnext.domain.experiment`)."""


@dataclass(frozen=True, slots=True)
class RecommendationList:
    """A ranked list, best first, with the recommender's id for the list (Personalize's
    ``recommendationId``) where it has one."""

    items: tuple[ScoredItem, ...]
    recommendation_id: str | None = None
    model_id: str | None = None
    """Which model ranked the list, where the recommender says (a local artifact's id)."""
    experiment: str | None = None
    """The experiment the list was made for; its picks then say their ``arm``."""

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


def reason_key(pick: Recommendation) -> tuple[str, ...]:
    """What a pick's reason is: the liked title that explains it, or the recommender's own
    reasons (possibly none)."""
    return (pick.because_item_id,) if pick.because_item_id else pick.reasons


def grouped_by_reason(picks: tuple[Recommendation, ...]) -> tuple[Recommendation, ...]:
    """The picks with those of one reason together: groups in the order of their best pick,
    ranks kept within a group. The email shows them so ("Because you liked …: …")."""
    groups: dict[tuple[str, ...], list[Recommendation]] = {}
    for pick in picks:
        groups.setdefault(reason_key(pick), []).append(pick)
    return tuple(pick for group in groups.values() for pick in group)


def demoted(
    ranked: RecommendationList,
    disliked: CatalogItem | None,
    genres_of: Mapping[str, CatalogItem],
    n: int,
    penalty: float,
) -> RecommendationList:
    """The top ``n`` of ``ranked`` once each pick is pushed down by ``penalty`` times its
    genre overlap with the disliked title (Jaccard), its rank as the score (a recommender's
    own scores are not on one scale across calls). For a recommender that cannot be told
    of a dislike itself: Personalize (docs/deploy.md, "What a dislike does on AWS")."""
    wanted = disliked.genres if disliked else ()
    if not wanted or penalty <= 0:
        return replace(ranked, items=ranked.items[:n])
    count = len(ranked.items)

    def pushed(position: int, item: ScoredItem) -> float:
        entry = genres_of.get(item.item_id)
        overlap = _jaccard(set(wanted), set(entry.genres)) if entry else 0.0
        return (count - position) / count - penalty * overlap

    order = sorted(enumerate(ranked.items), key=lambda pair: -pushed(*pair))
    return replace(ranked, items=tuple(item for _, item in order[:n]))


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0
