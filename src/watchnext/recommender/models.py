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

from watchnext.domain.events import CLICK, DEFAULT_CLICK_WEIGHT, TOP_RATING, InteractionEvent
from watchnext.domain.recommendation import (
    POPULAR_NOW,
    POPULAR_WITH_SIMILAR,
    RecommendationList,
    ScoredItem,
)
from watchnext.recommender.algorithms import algorithm_class
from watchnext.recommender.algorithms.base import Algorithm, History
from watchnext.recommender.data import SEEN, ConfidenceRule, Interactions
from watchnext.recommender.errors import RecommenderError
from watchnext.recommender.recency import RECENCY_PARAMS, Recency

ModelKind = str
"""A name of `watchnext.recommender.algorithms.REGISTRY`."""

DEFAULT_MAX_LIVE_USERS = 10_000


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        if value.lower() not in ("true", "false"):
            raise RecommenderError(f"expected true or false, got {value!r}")
        return value.lower() == "true"
    return bool(value)


CONFIDENCE_PARAMS: dict[str, Callable[[Any], Any]] = {
    "alpha": float,
    "like_at": float,
    "dislike_below": float,
    "binary": _flag,
}


def split_params(
    kind: ModelKind, given: dict[str, Any]
) -> tuple[dict[str, Any], ConfidenceRule, Recency]:
    """The model's parameters (defaults filled in), the confidence rule and the recency
    weighting, from ``k=v`` pairs."""
    algorithm = algorithm_class(kind)
    params = dict(algorithm.default_params)
    rule_args: dict[str, Any] = {}
    recency = asdict(algorithm.default_recency)
    for name, value in given.items():
        if name in CONFIDENCE_PARAMS:
            convert = CONFIDENCE_PARAMS[name]
            rule_args[name] = _converted(name, value, convert)
        elif name in RECENCY_PARAMS:
            recency[name] = _converted(name, value, RECENCY_PARAMS[name])
        elif name in params:
            params[name] = _converted(name, value, type(params[name]))
        else:
            known = sorted([*params, *CONFIDENCE_PARAMS, *RECENCY_PARAMS])
            raise RecommenderError(f"{kind} has no parameter {name!r}; known: {', '.join(known)}")
    if "like_at" in rule_args and "dislike_below" not in rule_args:
        rule_args["dislike_below"] = rule_args["like_at"]  # no neutral band unless asked
    return params, ConfidenceRule(**rule_args), Recency(**recency)


def _converted(name: str, value: Any, convert: Callable[[Any], Any]) -> Any:
    try:
        return convert(value)
    except (TypeError, ValueError):
        wanted = getattr(convert, "__name__", "another value")
        raise RecommenderError(
            f"parameter {name!r} must be {_NOUNS.get(wanted, wanted)}, got {value!r}"
        ) from None


_NOUNS = {"int": "a whole number", "float": "a number", "bool": "true or false"}


@dataclass
class LocalRecommender:
    """Implements `watchnext.service.ports.Recommender` and `watchnext.service.ports.EventRecorder`.

    A viewer's history is kept in the order it happened (training data by time, then every
    recorded event), so that serving can weigh recent events more (`Recency`). Each pick
    carries the history title that contributes most to its score, as the model computed it.
    """

    algorithm: Algorithm
    rule: ConfidenceRule
    user_ids: list[str]
    item_ids: list[str]
    train: csr_matrix
    random_state: int = 42
    titles: dict[str, str] = field(default_factory=dict)
    recency: Recency = field(default_factory=Recency)
    times: csr_matrix | None = None
    """When each training interaction happened (the same sparsity as ``train``)."""
    similarity: csr_matrix | None = None
    """Item-item cosine similarity, top neighbours only, for ``recency.blend``."""
    max_live_users: int = DEFAULT_MAX_LIVE_USERS
    """How many users' live rows stay in memory; the least recently used go first, and only
    when ``history`` can rebuild them."""
    history: Callable[[str], Iterable[InteractionEvent]] | None = None
    """A user's recorded events, oldest first (the event store): rebuilds an evicted row."""
    model_id: str | None = None
    """The artifact's id (`watchnext.recommender.artifact.artifact_id`), on every list."""
    click_weight: float = DEFAULT_CLICK_WEIGHT
    """A live CLICK's weight relative to a top rating (training reads it as data does)."""

    def __post_init__(self) -> None:
        counts = np.bincount(self.train.indices, minlength=self.train.shape[1])
        self._popularity = counts.astype(np.float32) / max(1, self.train.shape[0])
        self.popular = np.lexsort((np.arange(len(counts)), -counts))  # most interacted first
        self._user_index = {user: i for i, user in enumerate(self.user_ids)}
        self._item_index = {item: i for i, item in enumerate(self.item_ids)}
        self._live_rows: OrderedDict[str, dict[int, float]] = OrderedDict()
        self._lock = threading.RLock()

    @property
    def kind(self) -> ModelKind:
        return self.algorithm.kind

    @property
    def params(self) -> dict[str, Any]:
        return self.algorithm.params

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
        with_similarity: bool = False,
    ) -> LocalRecommender:
        """``with_similarity``: keep the item-item similarity even when the recency does not
        use it (a replay tries recency settings that do on the same fit)."""
        full_params, given_rule, recency = split_params(kind, params or {})
        rule = rule or given_rule
        matrix = data.matrix(rule, train_mask)
        algorithm = algorithm_class(kind).fit(
            abs(matrix), full_params, random_state=random_state, show_progress=show_progress
        )  # dislikes are -SEEN: a model trains on how much a title was seen
        return cls(
            algorithm=algorithm,
            rule=rule,
            user_ids=[str(u) for u in data.user_ids],
            item_ids=[str(i) for i in data.item_ids],
            train=matrix,
            random_state=random_state,
            titles=dict(data.titles),
            recency=recency,
            times=data.time_matrix(matrix, train_mask),
            similarity=(
                item_similarity(matrix) if with_similarity or recency.needs_similarity else None
            ),
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
            history = self._live_row(user_id) or self._trained_row(user_id)
            items, scores, because = self.rank_history(history, n, explain=True)
        fallback = (POPULAR_WITH_SIMILAR,) if _likes_any(history) else (POPULAR_NOW,)
        return RecommendationList(
            items=tuple(
                ScoredItem(
                    self.item_ids[i],
                    round(float(s), 6),
                    because=None if b is None else self.item_ids[b],
                    reasons=() if b is not None else fallback,
                )
                for i, s, b in zip(items, scores, because, strict=True)
            ),
            recommendation_id=f"local-{uuid.uuid4().hex}",  # 38 characters: Personalize takes 40
            model_id=self.model_id,
        )

    def contributions(self, user_id: str, item_id: str) -> dict[str, float]:
        """Each history title's share of ``item_id``'s score for the user: the shares add up
        to the score `recommend` gives it (a dislike's share is negative). Empty when the
        score is popularity's, which belongs to no history title."""
        with self._lock:
            history = self._live_row(user_id) or self._trained_row(user_id)
            scorer = _Scorer(self, history)
            if scorer.popular_only:
                return {}
            shares = scorer.shares(np.array([self._item_index[item_id]]))[:, 0]
        return {self.item_ids[i]: float(v) for i, v in zip(scorer.items, shares, strict=True)}

    def forget(self, user_id: str) -> None:
        """Serve ``user_id`` as a newcomer: their live row and their training row go. Their
        data leaves the item factors and popularity at the next training."""
        with self._lock:
            self._live_rows.pop(user_id, None)
            self._user_index.pop(user_id, None)

    @property
    def live_users(self) -> int:
        return len(self._live_rows)

    # -- ranking ----------------------------------------------------------------------

    def rank_history(
        self, history: dict[int, float], n: int, *, explain: bool = False
    ) -> tuple[np.ndarray, np.ndarray, list[int | None]]:
        """Top ``n`` item indexes and scores for a user known by ``history`` (item index →
        signed confidence, oldest first), excluding those items; with ``explain``, for each
        pick the liked history item most responsible for it (`_Scorer.reasons`). No liked
        history: the most popular items, less what the viewer's dislikes push down."""
        scorer = _Scorer(self, history, n)
        top, scores = scorer.top(n)
        because: list[int | None] = [None] * len(top)
        if explain:
            because = scorer.reasons(top)
        return top, scores, because

    def _popularity_scores(self, items: np.ndarray) -> np.ndarray:
        scores: np.ndarray = self._popularity[items]
        return scores

    # -- live rows --------------------------------------------------------------------

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
        """The event becomes the newest entry of the row (a re-rating moves the title)."""
        item = self._item_index[event.item_id]
        earlier = row.pop(item, None)
        if event.event_type != CLICK:
            row[item] = self.rule.weight(event.event_value)  # a dislike is -SEEN
        elif earlier is not None:
            row[item] = earlier  # a click never outweighs what the viewer said of the title
        else:
            row[item] = max(self.click_weight * self.rule.weight(TOP_RATING), float(SEEN))

    def _keep_live(self, user_id: str, row: dict[int, float]) -> None:
        self._live_rows[user_id] = row
        self._live_rows.move_to_end(user_id)
        while self.history is not None and len(self._live_rows) > self.max_live_users:
            self._live_rows.popitem(last=False)

    def _trained_row(self, user_id: str) -> dict[int, float]:
        """The user's training interactions, oldest first."""
        user = self._user_index.get(user_id)
        if user is None:
            return {}
        start, end = self.train.indptr[user], self.train.indptr[user + 1]
        items = self.train.indices[start:end]
        confidences = self.train.data[start:end]
        if self.times is not None:
            order = np.lexsort((items, self.times.data[start:end]))
            items, confidences = items[order], confidences[order]
        return dict(zip(items.tolist(), confidences.tolist(), strict=True))

    def history_of(self, user_id: str) -> list[str]:
        """The item ids the user has interacted with, newest first."""
        with self._lock:
            row = self._live_row(user_id) or self._trained_row(user_id)
        return [self.item_ids[i] for i in reversed(row)]

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.kind,
            "params": self.params,
            "confidence": asdict(self.rule),
            "recency": asdict(self.recency),
        }


def item_similarity(matrix: csr_matrix, neighbours: int = 100) -> csr_matrix:
    """Cosine similarity between items over users, each item's top ``neighbours`` only."""
    from implicit.nearest_neighbours import CosineRecommender

    knn = CosineRecommender(K=neighbours)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Method expects CSR input")
        knn.fit(abs(matrix), show_progress=False)
    similarity: csr_matrix = knn.similarity.tocsr().astype(np.float32)
    similarity.setdiag(0)
    similarity.eliminate_zeros()
    return similarity


class _Scorer:
    """One user's scores, from the model and the recency blend, less what their dislikes
    push down, over the candidate titles (the whole catalog, what the ALS norm bound leaves,
    or the popular head), and each history item's share of a pick's score: the same numbers
    rank and explain."""

    def __init__(self, owner: LocalRecommender, history: dict[int, float], n: int = 10) -> None:
        self.owner = owner
        self.items = np.fromiter(history, dtype=np.int32, count=len(history))
        confidences = np.fromiter(history.values(), dtype=np.float32, count=len(history))
        recency = owner.recency
        ages = np.arange(len(self.items) - 1, -1, -1, dtype=np.float32)  # newest: age 0
        self.fading = np.float32(recency.decay) ** ages
        self.liked = confidences > SEEN
        self.liking = np.maximum(confidences, 0)
        self.weights = self.liking * self.fading
        self.popular_only = not owner.algorithm.learns or not self.liked.any()
        self.history = History(self.items, self.weights)
        self._neighbours: list[tuple[int, np.ndarray, np.ndarray]] = []
        newest_dislikes = np.flatnonzero(confidences < 0)[-recency.last :]
        self._pushed = self._similar_to(newest_dislikes)
        pushed_items, pushed_values = self._summed(self._pushed, self.fading)
        pushed_values *= np.float32(recency.dislike_penalty)
        if self.popular_only:
            blend_items, blend_values = _EMPTY
            reach = n + len(self.items) + sum(len(indices) for _, indices, _ in self._pushed)
            candidates = np.sort(owner.popular[:reach])
            raw = owner._popularity_scores(candidates)
        else:
            blend_items, blend_values = self._blend(recency)

            def final(items: np.ndarray, raw: np.ndarray, largest: float) -> np.ndarray:
                added = _added(items, blend_items, blend_values)
                pushed = _added(items, pushed_items, pushed_values)
                result: np.ndarray = raw / largest + added - pushed
                return result

            candidates, raw = owner.algorithm.candidate_scores(self.history, n, blend_items, final)
        unseen = ~np.isin(candidates, self.items)
        self.candidates, raw = candidates[unseen], raw[unseen]
        self.model_scale = _scale(raw)
        self.values = raw / self.model_scale
        if len(blend_items):
            where = np.searchsorted(self.candidates, blend_items)
            self.values[where] += blend_values
        if len(pushed_items):
            self.values -= _added(self.candidates, pushed_items, pushed_values)

    def _similar_to(self, rows: np.ndarray) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """For each history row, its title's neighbours and their similarity (CSR slices)."""
        similarity = self.owner.similarity
        if similarity is None or not len(rows):
            return []
        indptr = similarity.indptr
        return [
            (
                row,
                similarity.indices[indptr[item] : indptr[item + 1]],
                similarity.data[indptr[item] : indptr[item + 1]],
            )
            for row, item in zip(rows.tolist(), self.items[rows].tolist(), strict=True)
        ]

    @staticmethod
    def _summed(
        neighbours: list[tuple[int, np.ndarray, np.ndarray]], weights: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The rows' similarities times their ``weights``, summed per title: (sorted unique
        titles, sums)."""
        if not neighbours:
            return _EMPTY
        columns = np.concatenate([indices for _, indices, _ in neighbours])
        values = np.concatenate([weights[row] * data for row, _, data in neighbours])
        items, position = np.unique(columns, return_inverse=True)
        return items, np.bincount(position, weights=values).astype(np.float32)

    def _blend(self, recency: Recency) -> tuple[np.ndarray, np.ndarray]:
        """Item-item similarity to the last few liked titles, scaled and weighted: (unseen
        items, what it adds to their scores). Read straight from the CSR arrays."""
        if recency.blend <= 0:
            return _EMPTY
        self._neighbours = self._similar_to(np.flatnonzero(self.liked)[-recency.last :])
        if not self._neighbours:
            return _EMPTY
        items, summed = self._summed(self._neighbours, self.weights)
        unseen = ~np.isin(items, self.items)
        self.blend_scale = _scale(summed[unseen])
        return items[unseen], recency.blend * summed[unseen] / self.blend_scale

    def top(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        n = min(n, len(self.values))
        if n <= 0:
            return np.array([], dtype=np.int64), np.array([], dtype=np.float32)
        part = np.argpartition(-self.values, n - 1)[:n]
        part = part[np.lexsort((self.candidates[part], -self.values[part]))]
        return self.candidates[part], self.values[part]

    def shares(self, picks: np.ndarray) -> np.ndarray:
        """Each history item's share (rows) of each pick's score (columns): the model's part,
        the blend's, and a dislike's push (negative); a column adds up to the pick's score."""
        shares: np.ndarray
        if self.popular_only:  # popularity's score belongs to no history item
            shares = np.zeros((len(self.items), len(picks)), dtype=np.float32)
        else:
            shares = self.owner.algorithm.shares(self.history, picks) / self.model_scale
        recency = self.owner.recency
        if self._neighbours:
            blend = recency.blend / self.blend_scale
            _add_similarity(shares, picks, self._neighbours, blend * self.weights)
        if recency.dislike_penalty > 0:
            _add_similarity(shares, picks, self._pushed, -recency.dislike_penalty * self.fading)
        return shares

    def reasons(self, picks: np.ndarray) -> list[int | None]:
        """For each pick, the liked history item most responsible for it, through the
        similarity part: the liked title most similar to the pick (item-item cosine, times
        how much it was liked), the newer of two equal ones, so that recency decides only a
        tie. A pick no liked title is a neighbour of falls back to the largest share of the
        model's score with its recency weight taken out. None when no liked item has a
        positive part (the pick is popularity's). A dislike or a neutral rating is never a
        reason."""
        if self.popular_only or len(picks) == 0:
            return [None] * len(picks)
        attribution = self._liked_similarity(picks)
        unexplained = ~(attribution > 0).any(axis=0)
        if unexplained.any():  # the model's share, its recency weight taken out
            fading = self.fading[:, None]
            by_share = np.divide(
                self.shares(picks[unexplained]),
                fading,
                out=np.zeros((len(self.items), int(unexplained.sum())), dtype=np.float32),
                where=fading > 0,
            )
            attribution[:, unexplained] = by_share
        attribution[~self.liked] = -np.inf
        newest_first = attribution[::-1]
        best = len(self.items) - 1 - newest_first.argmax(axis=0)
        return [
            int(self.items[row]) if attribution[row, column] > 0 else None
            for column, row in enumerate(best.tolist())
        ]

    def _liked_similarity(self, picks: np.ndarray) -> np.ndarray:
        """Each history item's similarity to each pick times its confidence (rows: history;
        zero for items not liked, and everywhere when the model keeps no similarity)."""
        similarity = self.owner.similarity
        result = np.zeros((len(self.items), len(picks)), dtype=np.float32)
        if similarity is None or not len(picks):
            return result
        # Straight from the CSR arrays: each liked row's neighbours, kept where they are picks.
        rows = np.flatnonzero(self.liked)
        starts = similarity.indptr[self.items[rows]]
        lengths = similarity.indptr[self.items[rows] + 1] - starts
        firsts = np.cumsum(lengths) - lengths
        at = np.repeat(starts - firsts, lengths) + np.arange(int(lengths.sum()))
        owners, columns = np.repeat(rows, lengths), similarity.indices[at]
        order = np.argsort(picks)
        where = np.minimum(np.searchsorted(picks[order], columns), len(picks) - 1)
        hit = picks[order][where] == columns
        result[owners[hit], order[where[hit]]] = similarity.data[at][hit] * self.liking[owners[hit]]
        return result


_EMPTY = np.array([], dtype=np.int32), np.array([], dtype=np.float32)


def _add_similarity(
    shares: np.ndarray,
    picks: np.ndarray,
    neighbours: list[tuple[int, np.ndarray, np.ndarray]],
    weights: np.ndarray,
) -> None:
    """Add each row's similarity to the picks, times the row's weight, to its shares."""
    for row, indices, data in neighbours:
        similar = dict(zip(indices.tolist(), data.tolist(), strict=True))
        column = np.array([similar.get(p, 0.0) for p in picks.tolist()], np.float32)
        shares[row] += weights[row] * column


def _likes_any(history: dict[int, float]) -> bool:
    return any(value > SEEN for value in history.values())


def _added(items: np.ndarray, to: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each of ``items``, the value ``to`` (sorted, unique) gives it, else 0."""
    if not len(to):
        return np.zeros(len(items), dtype=np.float32)
    position = np.minimum(np.searchsorted(to, items), len(to) - 1)
    return np.where(to[position] == items, values[position], 0.0).astype(np.float32)


def _scale(scores: np.ndarray) -> float:
    """The largest score (1 when none is positive): puts the model and the blend on one
    scale. Seen items are -inf, or left out, by then."""
    largest = float(scores.max()) if len(scores) else 0.0
    return largest if largest > 0 else 1.0
