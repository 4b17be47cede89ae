"""Popularity: every viewer gets the most interacted titles they have not seen (the
recommender's own popularity, less what their dislikes push down); no history is scored."""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from scipy.sparse import csr_matrix

from watchnext.recommender.algorithms.base import Algorithm, History


class Popularity(Algorithm):
    kind = "popularity"
    learns = False

    @classmethod
    def fit(
        cls, matrix: csr_matrix, params: dict[str, Any], *, random_state: int, show_progress: bool
    ) -> Self:
        return cls(params)

    @classmethod
    def load(cls, folder: Any, params: dict[str, Any]) -> Self:
        return cls(params)

    def scores(self, history: History) -> np.ndarray:
        raise AssertionError("popularity scores no history: LocalRecommender ranks by counts")

    def shares(self, history: History, picks: np.ndarray) -> np.ndarray:
        return np.zeros((len(history.items), len(picks)), dtype=np.float32)
