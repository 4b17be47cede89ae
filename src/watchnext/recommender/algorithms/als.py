"""Alternating least squares (implicit's), with a viewer's factors solved from their weighted
history at serving time, and large catalogs scored only as far as the top can reach."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import scipy.linalg
from scipy.sparse import csr_matrix

from watchnext.recommender.algorithms.base import Algorithm, FinalScores, History
from watchnext.recommender.recency import Recency

PRUNE_ABOVE_ITEMS = 20_000
"""ALS scores catalogs larger than this in blocks of falling factor norm, and stops once no
unscored title could reach the top (exact: a title's score is at most its factor's norm
times the user's)."""
BLOCK = 2048
MAX_SCANNED_BLOCKS = 6
"""The one approximation: when the top titles are not settled within this many blocks (the
12,288 titles of largest norm), the user's scores are flat everywhere (a user of one rare
title scores about 1e-7 against a best of 1e-4), and the ranking stops there rather than
ordering the long tail's noise. Exact for every other user; a test checks both."""


class Als(Algorithm):
    kind = "als"
    default_params: ClassVar[dict[str, Any]] = {
        "factors": 64,
        "regularization": 0.05,
        "iterations": 15,
    }
    # Chosen on the validation replay of MovieLens 100K (docs/evaluation-ml100k/REPLAY.md);
    # `watchnext train` chooses again on its own data unless told not to.
    default_recency = Recency(decay=0.9, blend=4.0, last=5, dislike_penalty=0.25)
    tuning_grid: ClassVar[dict[str, list[Any]]] = {
        "factors": [32, 64, 128],
        "regularization": [0.01, 0.1],
    }

    def __init__(self, params: dict[str, Any], model: Any = None) -> None:
        super().__init__(params, model)
        self._gram: np.ndarray | None = None
        self._norm_index: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @classmethod
    def fit(
        cls, matrix: csr_matrix, params: dict[str, Any], *, random_state: int, show_progress: bool
    ) -> Self:
        from implicit.cpu.als import AlternatingLeastSquares

        model = AlternatingLeastSquares(alpha=1.0, random_state=random_state, **params)
        model.fit(matrix, show_progress=show_progress)
        return cls(params, model)

    @classmethod
    def model_loader(cls, params: dict[str, Any]) -> Any:
        from implicit.cpu.als import AlternatingLeastSquares

        return AlternatingLeastSquares

    def scores(self, history: History) -> np.ndarray:
        return np.asarray(np.asarray(self.model.item_factors) @ self._user(history), np.float32)

    def shares(self, history: History, picks: np.ndarray) -> np.ndarray:
        factors = np.asarray(self.model.item_factors)
        self._user(history)
        # implicit's explain: the score of i is the sum over liked j of y_i W y_j c_j
        weighted = scipy.linalg.cho_solve(history.cache["cholesky"], factors[picks].T)
        return np.asarray((factors[history.items] @ weighted) * history.weights[:, None])

    def candidate_scores(
        self, history: History, n: int, pinned: np.ndarray, bonus: FinalScores
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every item for a catalog up to `PRUNE_ABOVE_ITEMS`; above it, the raw scores of
        every item that could be in the top ``n``, block by block in falling factor norm.
        Each block costs the same however many came before: the stop test uses a small pool
        of the best items so far, whose n-th final score bounds the true one from below."""
        if len(self.model.item_factors) <= PRUNE_ABOVE_ITEMS:
            return super().candidate_scores(history, n, pinned, bonus)
        user = self._user(history)
        order, factors, norms = self.norm_index()
        reach = float(np.linalg.norm(user))
        pinned_raw = np.asarray(self.model.item_factors)[pinned] @ user
        scored_raw: list[np.ndarray] = []  # block by block, in norm order
        pool_items, pool_raw = pinned.astype(np.int64), pinned_raw
        largest = float(pinned_raw.max()) if len(pinned_raw) else -np.inf
        for start in range(0, len(order), BLOCK):
            if start >= MAX_SCANNED_BLOCKS * BLOCK:
                break  # scores flat everywhere: rank the strongest titles, not the noise
            items, raw = order[start : start + BLOCK], factors[start : start + BLOCK] @ user
            scored_raw.append(raw)
            fresh = raw.copy()
            fresh[np.isin(items, history.items)] = -np.inf
            best = np.argpartition(-fresh, min(2 * n, len(fresh) - 1))[: 2 * n]
            best = best[np.isfinite(fresh[best])]
            if len(best):
                largest = max(largest, float(fresh[best].max()))
                pool_items = np.concatenate([pool_items, items[best]])
                pool_raw = np.concatenate([pool_raw, fresh[best]])
            following = start + BLOCK
            if following >= len(order) or largest <= 0 or len(pool_raw) < n:
                continue
            bound = float(norms[following]) * reach  # no unscored title can score above this
            final = bonus(pool_items, pool_raw, largest)
            if bound < largest and bound / largest < np.partition(final, -n)[-n]:
                break
        scanned = order[: sum(len(raw) for raw in scored_raw)]
        items = np.concatenate([pinned.astype(np.int64), scanned])
        raw = np.concatenate([pinned_raw, *scored_raw])
        items, first = np.unique(items, return_index=True)
        return items, raw[first].astype(np.float32)

    def norm_index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Item indexes by falling factor norm, their factors in that order, and the norms:
        built once, for bounded scoring."""
        if self._norm_index is None:
            factors = np.asarray(self.model.item_factors, dtype=np.float32)
            norms = np.linalg.norm(factors, axis=1)
            order = np.argsort(-norms, kind="stable")
            self._norm_index = (order, np.ascontiguousarray(factors[order]), norms[order])
        return self._norm_index

    def _gram_matrix(self) -> np.ndarray:
        """YᵀY of the item factors, computed once (implicit recomputes it on every call)."""
        if self._gram is None:
            factors = np.asarray(self.model.item_factors, dtype=np.float64)
            self._gram = factors.T @ factors
        return self._gram

    def _user(self, history: History) -> np.ndarray:
        """The user's factors from the weighted history: implicit's user_linear_equation for
        one row, (YtCuY + λI) x = YtCu p, solved by Cholesky (kept for the shares)."""
        if "user" in history.cache:
            user: np.ndarray = history.cache["user"]
            return user
        factors = np.asarray(self.model.item_factors)
        liked = factors[history.items]
        system = (
            self._gram_matrix()
            + self.model.regularization * np.eye(factors.shape[1])
            + liked.T @ ((history.weights - 1)[:, None] * liked)
        )
        cholesky = scipy.linalg.cho_factor(system)
        solved = scipy.linalg.cho_solve(cholesky, liked.T @ history.weights)
        # float32 on both sides: a float64 user would copy the whole factor matrix
        user = np.asarray(solved, dtype=factors.dtype)
        history.cache.update(user=user, cholesky=cholesky)
        return user
