"""Each Personalize metric against cases computed by hand."""

from __future__ import annotations

import math

import pytest

from watchnext.recommender.metrics import (
    METRIC_NAMES,
    coverage,
    ndcg_at,
    personalize_metrics,
    precision_at,
    reciprocal_rank_at,
)


def test_precision_counts_hits_in_the_top_k_over_k() -> None:
    assert precision_at([1, 2, 3, 4, 5], {2, 5, 9}, 5) == pytest.approx(2 / 5)
    assert precision_at([1, 2], {1, 2}, 5) == pytest.approx(2 / 5)  # short lists still divide by k
    assert precision_at([7, 8, 9], {1}, 3) == 0.0


def test_reciprocal_rank_is_one_over_the_first_hit() -> None:
    assert reciprocal_rank_at([4, 5, 6], {6, 5}) == pytest.approx(1 / 2)
    assert reciprocal_rank_at([4, 5, 6], {4}) == 1.0
    assert reciprocal_rank_at(list(range(100)), {30}) == 0.0  # beyond rank 25
    assert reciprocal_rank_at(list(range(100)), {24}) == pytest.approx(1 / 25)


def test_ndcg_discounts_by_log2_of_rank_plus_one_over_the_ideal() -> None:
    # hits at ranks 2 and 3 of 3; two relevant items, so the ideal has hits at ranks 1 and 2
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at([9, 1, 2], {1, 2}, 3) == pytest.approx(dcg / ideal)
    assert ndcg_at([1, 2, 9], {1, 2}, 3) == pytest.approx(1.0)
    assert ndcg_at([9, 8, 7], {1}, 3) == 0.0
    # more relevant items than k: the ideal is capped at k hits
    assert ndcg_at([1, 2], {1, 2, 3, 4}, 2) == pytest.approx(1.0)


def test_coverage_is_distinct_recommended_items_over_the_catalog() -> None:
    assert coverage([[1, 2, 3], [3, 4]], 10) == pytest.approx(0.4)
    assert coverage([], 10) == 0.0


def test_personalize_metrics_average_over_users_and_use_personalize_names() -> None:
    rankings = [([1, 2, 3, 4, 5], {1}), ([6, 7, 8, 9, 10], {8, 99})]
    metrics = personalize_metrics(rankings, catalog_size=20)

    assert tuple(metrics) == METRIC_NAMES
    assert metrics["coverage"] == pytest.approx(10 / 20)
    assert metrics["mean_reciprocal_rank_at_25"] == pytest.approx((1 + 1 / 3) / 2)
    assert metrics["precision_at_5"] == pytest.approx((1 / 5 + 1 / 5) / 2)
    ndcg_second = (1 / math.log2(4)) / (1 / math.log2(2) + 1 / math.log2(3))
    assert metrics["normalized_discounted_cumulative_gain_at_5"] == pytest.approx(
        (1 + ndcg_second) / 2
    )
