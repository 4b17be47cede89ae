"""EASE (`watchnext.recommender.ease`): a viewer's scores are their history times the
item-item weights, so each history item's share of a pick's score is exact."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
from scipy.sparse import csr_matrix

from watchnext.recommender.algorithms.base import Algorithm, History
from watchnext.recommender.ease import Ease
from watchnext.recommender.recency import Recency


class EaseAlgorithm(Algorithm):
    kind = "ease"
    default_params: ClassVar[dict[str, Any]] = {"regularization": 200.0}
    # Chosen on the validation replay of MovieLens 100K (docs/evaluation-ml100k/REPLAY.md).
    default_recency = Recency(decay=1.0, blend=4.0, last=5, dislike_penalty=0.25)
    tuning_grid: ClassVar[dict[str, list[Any]]] = {"regularization": [100.0, 200.0, 500.0]}

    @classmethod
    def fit(
        cls, matrix: csr_matrix, params: dict[str, Any], *, random_state: int, show_progress: bool
    ) -> Self:
        model = Ease(regularization=float(params["regularization"]))
        model.fit(matrix, show_progress=show_progress)
        return cls(params, model)

    @classmethod
    def model_loader(cls, params: dict[str, Any]) -> Any:
        return Ease

    def scores(self, history: History) -> np.ndarray:
        return np.asarray(history.weights @ self.model.weights[history.items], dtype=np.float32)

    def shares(self, history: History, picks: np.ndarray) -> np.ndarray:
        weights = self.model.weights[np.ix_(history.items, picks)]
        return np.asarray(history.weights[:, None] * weights)
