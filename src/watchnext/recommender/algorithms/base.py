"""`Algorithm`: what a local model kind provides. `LocalRecommender` keeps the live rows,
recency, sentiment and popularity, and hands the model's part of a score to one of these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from scipy.sparse import csr_matrix

from watchnext.recommender.recency import Recency

MODEL_FILE = "model.npz"
FinalScores = Callable[[np.ndarray, np.ndarray, float], np.ndarray]
"""(items, raw scores, the largest raw score) → the scores the ranking uses."""


@dataclass
class History:
    """One viewer's history as a model scores it: item indexes, oldest first, and each one's
    weight (how much it was liked, times its recency). ``cache`` keeps what a model computes
    once per viewer for both `Algorithm.scores` and `Algorithm.shares`."""

    items: np.ndarray
    weights: np.ndarray
    cache: dict[str, Any] = field(default_factory=dict)


class Algorithm:
    kind: ClassVar[str]
    default_params: ClassVar[dict[str, Any]] = {}
    default_recency: ClassVar[Recency] = Recency()
    tuning_grid: ClassVar[dict[str, list[Any]]] = {}
    """What `watchnext evaluate --tune` searches (like Personalize HPO); empty: nothing."""
    learns: ClassVar[bool] = True
    """False for a model that serves no history (popularity): every viewer gets the same."""

    def __init__(self, params: dict[str, Any], model: Any = None) -> None:
        self.params = params
        self.model = model

    @classmethod
    def fit(
        cls, matrix: csr_matrix, params: dict[str, Any], *, random_state: int, show_progress: bool
    ) -> Self:
        """Train on ``matrix`` (users by items, confidences of 0 or more)."""
        raise NotImplementedError

    def scores(self, history: History) -> np.ndarray:
        """The model's raw score of every catalog item for this history."""
        raise NotImplementedError

    def shares(self, history: History, picks: np.ndarray) -> np.ndarray:
        """Each history item's part (rows) of the model's score of each pick (columns)."""
        raise NotImplementedError

    def candidate_scores(
        self, history: History, n: int, pinned: np.ndarray, bonus: FinalScores
    ) -> tuple[np.ndarray, np.ndarray]:
        """(item indexes sorted, raw scores) of every item that could reach the top ``n``;
        ``pinned`` items must be among them, ``bonus(items, raw, largest)`` gives final
        scores. Every item, unless a model can bound its scores (`als.Als`)."""
        raw = self.scores(history)
        return np.arange(len(raw)), raw

    def save(self, folder: Path) -> None:
        if self.model is not None:
            self.model.save(str(folder / MODEL_FILE))

    @classmethod
    def load(cls, folder: Path, params: dict[str, Any]) -> Self:
        return cls(params, cls.model_loader(params).load(str(folder / MODEL_FILE)))

    @classmethod
    def model_loader(cls, params: dict[str, Any]) -> Any:
        """The class whose ``load`` reads this kind's model file."""
        raise NotImplementedError
