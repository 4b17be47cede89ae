"""Bayesian personalized ranking (implicit's); a viewer is the weighted mean of their items'
factors."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
from scipy.sparse import csr_matrix

from watchnext.recommender.algorithms.base import Algorithm, History
from watchnext.recommender.recency import Recency


class Bpr(Algorithm):
    kind = "bpr"
    # BPR trains Hogwild-style: one thread keeps it deterministic for a seed.
    default_params: ClassVar[dict[str, Any]] = {
        "factors": 64,
        "learning_rate": 0.01,
        "regularization": 0.01,
        "iterations": 100,
        "num_threads": 1,
    }
    default_recency = Recency(decay=0.8, dislike_penalty=0.25)  # not tuned
    tuning_grid: ClassVar[dict[str, list[Any]]] = {
        "factors": [32, 64],
        "learning_rate": [0.01, 0.05],
    }

    @classmethod
    def fit(
        cls, matrix: csr_matrix, params: dict[str, Any], *, random_state: int, show_progress: bool
    ) -> Self:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        model = BayesianPersonalizedRanking(random_state=random_state, **params)
        model.fit(matrix, show_progress=show_progress)
        return cls(params, model)

    @classmethod
    def model_loader(cls, params: dict[str, Any]) -> Any:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        return BayesianPersonalizedRanking

    def scores(self, history: History) -> np.ndarray:
        factors = np.asarray(self.model.item_factors)
        user = np.average(factors[history.items, :-1], axis=0, weights=history.weights)
        return np.asarray(factors[:, :-1] @ user + factors[:, -1], dtype=np.float32)

    def shares(self, history: History, picks: np.ndarray) -> np.ndarray:
        factors = np.asarray(self.model.item_factors)
        share = history.weights / history.weights.sum()
        return np.asarray(share[:, None] * (factors[history.items, :-1] @ factors[picks, :-1].T))
