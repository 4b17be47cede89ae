"""EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): a closed-form
item-item model, strong on MovieLens and cheap for catalogs of up to about 20,000 items (it
inverts an items-by-items matrix). A user's scores are their history times the weights, so
each history item's share of a pick's score is exact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix

from watchnext.recommender.errors import RecommenderError

MAX_ITEMS = 20_000


class Ease:
    def __init__(self, regularization: float = 200.0) -> None:
        self.regularization = regularization
        self.weights = np.zeros((0, 0), dtype=np.float32)

    def fit(self, matrix: csr_matrix, show_progress: bool = False) -> None:
        items = matrix.shape[1]
        if items > MAX_ITEMS:
            raise RecommenderError(
                f"EASE inverts an items-by-items matrix: {items:,} items is more than "
                f"{MAX_ITEMS:,}; use --model als for a catalog this size"
            )
        seen = (matrix > 0).astype(np.float64)
        gram = np.asarray((seen.T @ seen).todense())
        gram[np.diag_indices(items)] += self.regularization
        inverse = np.linalg.inv(gram)
        weights = -inverse / np.diag(inverse)
        weights[np.diag_indices(items)] = 0.0
        self.weights = weights.astype(np.float32)

    def save(self, path: str) -> None:
        np.savez(path, weights=self.weights, regularization=self.regularization)

    @classmethod
    def load(cls, path: str) -> Ease:
        arrays = np.load(Path(path))
        model = cls(float(arrays["regularization"]))
        model.weights = arrays["weights"]
        return model
