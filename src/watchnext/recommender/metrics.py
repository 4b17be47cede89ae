"""Amazon Personalize's offline metrics, computed the way its documentation defines them
(https://docs.aws.amazon.com/personalize/latest/dg/working-with-training-metrics.html)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

METRIC_NAMES = (
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
)
DEPTH = 25


def precision_at(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    """Relevant items among the top ``k``, divided by ``k``."""
    return sum(1 for item in ranked[:k] if item in relevant) / k


def reciprocal_rank_at(ranked: Sequence[int], relevant: set[int], k: int = DEPTH) -> float:
    """1 / the rank of the first relevant item in the top ``k``, or 0."""
    for position, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            return 1.0 / position
    return 0.0


def ndcg_at(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    """DCG of the top ``k`` (a relevant item at rank r adds 1 / log2(1 + r)) over the ideal DCG."""
    dcg = sum(
        1.0 / math.log2(1 + position)
        for position, item in enumerate(ranked[:k], start=1)
        if item in relevant
    )
    ideal = sum(1.0 / math.log2(1 + position) for position in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0


def coverage(recommended: Iterable[Sequence[int]], catalog_size: int) -> float:
    """Distinct items recommended across all queries over the items in the training data."""
    distinct = {item for ranked in recommended for item in ranked}
    return len(distinct) / catalog_size if catalog_size else 0.0


LIKED_AT = 4.0
"""The yardstick of a liked title in every evaluation: rated 4 or 5 of 5. Fixed, and the same
for every model whatever its own sentiment rule, so that no rule is scored by itself."""
EVERY_HELD_OUT = "normalized_discounted_cumulative_gain_at_10_every_held_out"
"""NDCG@10 counting every held-out title, liked or not, as the protocol did before."""


def personalize_metrics(
    rankings: Sequence[tuple[Sequence[int], set[int]]], catalog_size: int
) -> dict[str, float]:
    """Every Personalize metric over (top-25 ranking, held-out items) pairs, one per test user."""
    users = len(rankings) or 1

    def mean(values: Iterable[float]) -> float:
        return sum(values) / users

    result = {
        "coverage": coverage((ranked for ranked, _ in rankings), catalog_size),
        "mean_reciprocal_rank_at_25": mean(reciprocal_rank_at(r, rel) for r, rel in rankings),
    }
    for k in (5, 10, 25):
        result[f"normalized_discounted_cumulative_gain_at_{k}"] = mean(
            ndcg_at(r, rel, k) for r, rel in rankings
        )
    for k in (5, 10, 25):
        result[f"precision_at_{k}"] = mean(precision_at(r, rel, k) for r, rel in rankings)
    return {name: result[name] for name in METRIC_NAMES}
