"""Item-item nearest neighbours (implicit's, BM25- or cosine-weighted): a score is the
weighted sum of the history items' neighbour rows."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar, Self

import numpy as np
from scipy.sparse import csr_matrix

from watchnext.recommender.algorithms.base import Algorithm, History
from watchnext.recommender.errors import RecommenderError
from watchnext.recommender.recency import Recency


class ItemKnn(Algorithm):
    kind = "itemknn"
    default_params: ClassVar[dict[str, Any]] = {
        "similarity": "bm25",
        "K": 100,
        "K1": 1.2,
        "B": 0.75,
    }
    default_recency = Recency(decay=0.8, dislike_penalty=0.25)  # not tuned
    tuning_grid: ClassVar[dict[str, list[Any]]] = {
        "similarity": ["bm25", "cosine"],
        "K": [50, 200],
    }

    @classmethod
    def fit(
        cls, matrix: csr_matrix, params: dict[str, Any], *, random_state: int, show_progress: bool
    ) -> Self:
        model = cls.model_loader(params)(**cls._arguments(params))
        with warnings.catch_warnings():
            # implicit's own BM25 weighting hands its k-NN a COO matrix and warns about it.
            warnings.filterwarnings("ignore", message="Method expects CSR input")
            model.fit(matrix, show_progress=show_progress)
        return cls(params, model)

    @classmethod
    def model_loader(cls, params: dict[str, Any]) -> Any:
        from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

        if params["similarity"] == "cosine":
            return CosineRecommender
        if params["similarity"] == "bm25":
            return BM25Recommender
        raise RecommenderError(
            f"itemknn similarity must be bm25 or cosine, not {params['similarity']!r}"
        )

    @staticmethod
    def _arguments(params: dict[str, Any]) -> dict[str, Any]:
        if params["similarity"] == "cosine":
            return {"K": int(params["K"])}
        return {"K": int(params["K"]), "K1": params["K1"], "B": params["B"]}

    def scores(self, history: History) -> np.ndarray:
        neighbours = self.model.similarity[history.items].toarray()
        return np.asarray(history.weights @ neighbours, dtype=np.float32)

    def shares(self, history: History, picks: np.ndarray) -> np.ndarray:
        neighbours = self.model.similarity[history.items][:, picks].toarray()
        return np.asarray(history.weights[:, None] * neighbours)
