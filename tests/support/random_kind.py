"""A test-only model kind: a fixed random score per title, whatever the history. It is the
proof that a kind is one module and one line (`register`): every contract test of
test_local_recommender.py runs on it too."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from scipy.sparse import csr_matrix

from watchnext.recommender.algorithms.base import Algorithm, History


class _Scores:
    def __init__(self, values: np.ndarray) -> None:
        self.values = values

    def save(self, path: str) -> None:
        np.savez(path, values=self.values)

    @classmethod
    def load(cls, path: str) -> _Scores:
        return cls(np.load(Path(path))["values"])


class RandomScores(Algorithm):
    kind = "random"
    default_params: ClassVar[dict[str, Any]] = {}

    @classmethod
    def fit(
        cls, matrix: csr_matrix, params: dict[str, Any], *, random_state: int, show_progress: bool
    ) -> Self:
        rng = np.random.default_rng(random_state)
        return cls(params, _Scores(rng.random(matrix.shape[1]).astype(np.float32)))

    @classmethod
    def model_loader(cls, params: dict[str, Any]) -> Any:
        return _Scores

    def scores(self, history: History) -> np.ndarray:
        values: np.ndarray = self.model.values
        return values

    def shares(self, history: History, picks: np.ndarray) -> np.ndarray:
        """The score belongs to no history title: split it evenly, so the shares add up."""
        each = self.model.values[picks] / max(1, len(history.items))
        return np.repeat(each[None, :], len(history.items), axis=0).astype(np.float32)
