"""How a viewer's history is weighed when serving (`Recency`), apart from any one model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from watchnext.recommender.errors import RecommenderError


@dataclass(frozen=True)
class Recency:
    """How a viewer's history is weighed when serving, as Personalize's real-time recipes
    weigh recent events: the i-th newest event counts ``decay ** i`` times its confidence,
    ``blend`` mixes in item-item similarity to the ``last`` newest liked titles, and each of
    the ``last`` newest dislikes takes ``dislike_penalty`` times its similarity (decayed the
    same way) off every title. Chosen on a validation replay (`watchnext train`, `watchnext
    evaluate --protocol replay`); decay 1, blend 0 and penalty 0 weigh the whole history
    equally, as training does."""

    decay: float = 1.0
    blend: float = 0.0
    last: int = 5
    dislike_penalty: float = 0.0

    def __post_init__(self) -> None:
        if not 0 < self.decay <= 1:
            raise RecommenderError(f"decay must be in (0, 1], not {self.decay}")
        if self.blend < 0 or self.last < 1 or self.dislike_penalty < 0:
            raise RecommenderError(
                "blend and dislike_penalty must be 0 or more, and last 1 or more"
            )

    @property
    def needs_similarity(self) -> bool:
        return self.blend > 0 or self.dislike_penalty > 0


RECENCY_PARAMS: dict[str, Callable[[Any], Any]] = {
    "decay": float,
    "blend": float,
    "last": int,
    "dislike_penalty": float,
}
