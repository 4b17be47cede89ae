"""`LocalRecommender`: one of implicit's models (or popularity) that records events and
recommends like a Personalize campaign: a new event changes the very next recommendation,
rated items are excluded, unknown users get the popular items."""

from __future__ import annotations

import threading
import uuid
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from watchnext.domain.recommendation import RecommendationList, ScoredItem
from watchnext.ports import InteractionEvent
from watchnext.recommender.data import ConfidenceRule, Interactions
from watchnext.recommender.errors import RecommenderError
from watchnext.recommender.kinds import MODEL_KINDS, ModelKind

SEEN_BUT_UNLIKED = np.float32(1e-6)
DEFAULT_MAX_LIVE_USERS = 10_000

# BPR trains Hogwild-style: one thread keeps it deterministic for a seed.
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "popularity": {},
    "als": {"factors": 64, "regularization": 0.05, "iterations": 15},
    "bpr": {
        "factors": 64,
        "learning_rate": 0.01,
        "regularization": 0.01,
        "iterations": 100,
        "num_threads": 1,
    },
    "itemknn": {"similarity": "bm25", "K": 100, "K1": 1.2, "B": 0.75},
}


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        if value.lower() not in ("true", "false"):
            raise RecommenderError(f"expected true or false, got {value!r}")
        return value.lower() == "true"
    return bool(value)


CONFIDENCE_PARAMS: dict[str, Callable[[Any], Any]] = {
    "alpha": float,
    "min_rating": float,
    "binary": _flag,
}


def split_params(kind: ModelKind, given: dict[str, Any]) -> tuple[dict[str, Any], ConfidenceRule]:
    """The model's parameters (defaults filled in) and the confidence rule, from ``k=v`` pairs."""
    if kind not in DEFAULT_PARAMS:
        raise RecommenderError(f"unknown model {kind!r}; choose one of {', '.join(MODEL_KINDS)}")
    params = dict(DEFAULT_PARAMS[kind])
    rule_args: dict[str, Any] = {}
    for name, value in given.items():
        if name in CONFIDENCE_PARAMS:
            convert = CONFIDENCE_PARAMS[name]
            rule_args["min_value" if name == "min_rating" else name] = convert(value)
        elif name in params:
            params[name] = type(params[name])(value)
        else:
            known = sorted([*params, *CONFIDENCE_PARAMS])
            raise RecommenderError(f"{kind} has no parameter {name!r}; known: {', '.join(known)}")
    return params, ConfidenceRule(**rule_args)


def _implicit_model(kind: ModelKind, params: dict[str, Any], random_state: int) -> Any:
    if kind == "als":
        from implicit.cpu.als import AlternatingLeastSquares

        return AlternatingLeastSquares(alpha=1.0, random_state=random_state, **params)
    if kind == "bpr":
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        return BayesianPersonalizedRanking(random_state=random_state, **params)
    if kind == "itemknn":
        from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

        if params["similarity"] == "cosine":
            return CosineRecommender(K=int(params["K"]))
        if params["similarity"] == "bm25":
            return BM25Recommender(K=int(params["K"]), K1=params["K1"], B=params["B"])
        raise RecommenderError(
            f"itemknn similarity must be bm25 or cosine, not {params['similarity']!r}"
        )
    return None


@dataclass
class LocalRecommender:
    """Implements `watchnext.ports.Recommender` and `watchnext.ports.EventRecorder`."""

    kind: ModelKind
    params: dict[str, Any]
    rule: ConfidenceRule
    user_ids: list[str]
    item_ids: list[str]
    train: csr_matrix
    model: Any = None
    random_state: int = 42
    titles: dict[str, str] = field(default_factory=dict)
    max_live_users: int = DEFAULT_MAX_LIVE_USERS
    """How many users' live rows stay in memory; the least recently used go first, and only
    when ``history`` can rebuild them."""
    history: Callable[[str], Iterable[InteractionEvent]] | None = None
    """A user's recorded events, oldest first (the event store): rebuilds an evicted row."""

    def __post_init__(self) -> None:
        counts = np.bincount(self.train.indices, minlength=self.train.shape[1])
        self._popularity = counts.astype(np.float32) / max(1, self.train.shape[0])
        self.popular = np.lexsort((np.arange(len(counts)), -counts))  # most interacted first
        self._user_index = {user: i for i, user in enumerate(self.user_ids)}
        self._item_index = {item: i for i, item in enumerate(self.item_ids)}
        self._live_rows: OrderedDict[str, dict[int, float]] = OrderedDict()
        self._lock = threading.RLock()

    @classmethod
    def fit(
        cls,
        data: Interactions,
        kind: ModelKind,
        params: dict[str, Any] | None = None,
        rule: ConfidenceRule | None = None,
        *,
        random_state: int = 42,
        show_progress: bool = False,
        train_mask: np.ndarray | None = None,
    ) -> LocalRecommender:
        rule = rule or ConfidenceRule()
        full_params, _ = split_params(kind, params or {})
        matrix = data.matrix(rule, train_mask)
        model = _implicit_model(kind, full_params, random_state)
        if model is not None:
            with warnings.catch_warnings():
                # implicit's own BM25 weighting hands its k-NN a COO matrix and warns about it.
                warnings.filterwarnings("ignore", message="Method expects CSR input")
                model.fit(matrix, show_progress=show_progress)
        return cls(
            kind=kind,
            params=full_params,
            rule=rule,
            user_ids=[str(u) for u in data.user_ids],
            item_ids=[str(i) for i in data.item_ids],
            train=matrix,
            model=model,
            random_state=random_state,
            titles=dict(data.titles),
        )

    # -- the interfaces ---------------------------------------------------------------

    def record(self, event: InteractionEvent) -> None:
        """Take the event into the user's live row; the next `recommend` reflects it. An
        item the model has never seen is left to the next training (the store keeps it)."""
        with self._lock:
            if event.item_id not in self._item_index:
                return
            row = self._live_row(event.user_id) or self._trained_row(event.user_id)
            self._apply(row, event)
            self._keep_live(event.user_id, row)

    def recommend(self, user_id: str, n: int) -> RecommendationList:
        with self._lock:
            live = self._live_row(user_id)
            user = self._user_index.get(user_id)
            if live is None and user is not None:
                items, scores = self._rank_trained_user(user, n)
            else:
                items, scores = self.rank_history(live or {}, n)
        return RecommendationList(
            items=tuple(
                ScoredItem(self.item_ids[i], round(float(s), 6))
                for i, s in zip(items, scores, strict=True)
            ),
            recommendation_id=f"local-{uuid.uuid4()}",
        )

    @property
    def live_users(self) -> int:
        return len(self._live_rows)

    def _live_row(self, user_id: str) -> dict[int, float] | None:
        """The user's row with their recorded events: cached, or rebuilt from ``history``
        after an eviction. None when they have recorded nothing."""
        row = self._live_rows.get(user_id)
        if row is not None:
            self._live_rows.move_to_end(user_id)
            return row
        if self.history is None:
            return None
        events = [e for e in self.history(user_id) if e.item_id in self._item_index]
        if not events:
            return None
        row = self._trained_row(user_id)
        for event in events:
            self._apply(row, event)
        self._keep_live(user_id, row)
        return row

    def _apply(self, row: dict[int, float], event: InteractionEvent) -> None:
        item = self._item_index[event.item_id]
        row[item] = max(self.rule.weight(event.event_value), float(SEEN_BUT_UNLIKED))

    def _keep_live(self, user_id: str, row: dict[int, float]) -> None:
        self._live_rows[user_id] = row
        self._live_rows.move_to_end(user_id)
        while self.history is not None and len(self._live_rows) > self.max_live_users:
            self._live_rows.popitem(last=False)

    # -- ranking ----------------------------------------------------------------------

    def rank_history(self, history: dict[int, float], n: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``n`` item indexes and scores for a user known only by ``history``
        (item index → confidence), excluding those items. Empty history: popularity."""
        if not history:
            top = self.popular[:n]
            return top, self._popularity_scores(top)
        items = np.fromiter(history, dtype=np.int32, count=len(history))
        weights = np.fromiter(history.values(), dtype=np.float32, count=len(history))
        order = np.argsort(items)
        row = csr_matrix(
            (weights[order], items[order], np.array([0, len(items)])), shape=(1, len(self.item_ids))
        )
        if self.kind == "popularity":
            return self._popularity_excluding(items, n)
        if self.kind == "bpr":
            return self._bpr_fold_in(items, n)
        recalculate = self.kind == "als"
        ids, scores = self.model.recommend(
            0, row, N=n, filter_already_liked_items=True, recalculate_user=recalculate
        )
        return self._complete(ids, scores, items, n)

    def _rank_trained_user(self, user: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        row = self.train[user]
        if self.kind == "popularity" or row.nnz == 0:
            return self._popularity_excluding(row.indices, n)
        ids, scores = self.model.recommend(user, row, N=n, filter_already_liked_items=True)
        return self._complete(ids, scores, row.indices, n)

    def _complete(
        self, ids: np.ndarray, scores: np.ndarray, seen: np.ndarray, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Drop seen items and top up with popular ones: implicit pads a short candidate
        list with the user's own (filtered) items at score 0."""
        ids, scores = np.asarray(ids), np.asarray(scores, dtype=np.float32)
        keep = ~np.isin(ids, seen) & np.isfinite(scores)
        ids, scores = ids[keep], scores[keep]
        if len(ids) < n:
            extra, _ = self._popularity_excluding(np.concatenate([seen, ids]), n - len(ids))
            ids = np.concatenate([ids, extra])
            scores = np.concatenate([scores, np.zeros(len(extra), dtype=np.float32)])
        return ids, scores

    def _trained_row(self, user_id: str) -> dict[int, float]:
        user = self._user_index.get(user_id)
        if user is None:
            return {}
        row = self.train[user]
        return dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))

    def _popularity_scores(self, items: np.ndarray) -> np.ndarray:
        scores: np.ndarray = self._popularity[items]
        return scores

    def _popularity_excluding(self, seen: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        candidates = self.popular[: n + len(seen)]
        top = candidates[~np.isin(candidates, seen)][:n]
        return top, self._popularity_scores(top)

    def _bpr_fold_in(self, items: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        # implicit's BPR cannot recalculate a user: fold in as the mean of the rated items'
        # factors (the last column is the item bias, matched by a user factor of 1).
        factors = np.asarray(self.model.item_factors)
        user = factors[items, :-1].mean(axis=0)
        scores = factors[:, :-1] @ user + factors[:, -1]
        scores[items] = -np.inf
        n = min(n, len(scores) - len(items))
        top = np.argpartition(-scores, n - 1)[:n] if n > 0 else np.array([], dtype=np.int64)
        top = top[np.argsort(-scores[top], kind="stable")]
        return top, scores[top]

    def history_of(self, user_id: str) -> list[str]:
        """The item ids the user has interacted with, strongest first."""
        with self._lock:
            row = self._live_row(user_id) or self._trained_row(user_id)
        return [self.item_ids[i] for i, _ in sorted(row.items(), key=lambda kv: (-kv[1], kv[0]))]

    def describe(self) -> dict[str, Any]:
        return {"model": self.kind, "params": self.params, "confidence": asdict(self.rule)}
