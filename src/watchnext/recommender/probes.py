"""Probes of what a single review does to the very next picks, read as a viewer would.

* `rating_shift`: a viewer rates a popular title they have not seen; how many of that
  title's nearest neighbours are in the top 10 before and after, and how many picks then
  name the rated title as their reason. After a 1/5 the count should not rise; after a 5/5
  it should.
* `distinct_reasons`: for viewers with many liked titles, how many different reasons their
  10 picks give. One reason for every pick tells the viewer nothing.

The neighbours come from item-item cosine similarity on the training data, which no model
here is asked to reproduce, so every model is judged by the same yardstick.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from watchnext.domain.events import InteractionEvent
from watchnext.recommender.data import SEEN
from watchnext.recommender.models import LocalRecommender, item_similarity

K = 10
NEIGHBOURS = 20


@dataclass(frozen=True)
class ProbePlan:
    viewers: int = 40
    """How many viewers rate a title, for each rating probed."""
    popular_pool: int = 50
    """The rated title is drawn from this many most popular titles the viewer has not seen."""
    min_liked: int = 20
    """`distinct_reasons` looks at viewers with at least this many liked titles…"""
    heavy_viewers: int = 100
    """…this many of them (counts of a few reasons each are jumpy: a median needs many)."""
    seed: int = 7


def _rating(user_id: str, item_id: str, value: float) -> InteractionEvent:
    return InteractionEvent(
        event_id=f"probe-{user_id}-{item_id}",
        user_id=user_id,
        item_id=item_id,
        event_type="RATING",
        event_value=value,
        timestamp=datetime(2030, 1, 1, tzinfo=UTC),
        properties={},
    )


def neighbours(model: LocalRecommender) -> Callable[[int], set[str]]:
    """Each title's 20 nearest neighbours (cosine on the training data): the yardstick."""
    similarity = item_similarity(model.train, NEIGHBOURS)

    def of(item: int) -> set[str]:
        start, end = similarity.indptr[item], similarity.indptr[item + 1]
        return {model.item_ids[i] for i in similarity.indices[start:end]}

    return of


def popular_unseen(
    model: LocalRecommender, user_id: str, rng: np.random.Generator, pool: int
) -> int:
    """One of the ``pool`` most popular titles the viewer has not seen, drawn at random."""
    seen = set(model.history_of(user_id))
    candidates = [
        i for i in model.popular[: pool + len(seen)].tolist() if model.item_ids[i] not in seen
    ][:pool]
    return int(rng.choice(candidates))


def rating_shift(
    fresh: Callable[[], LocalRecommender], value: float, plan: ProbePlan = ProbePlan()
) -> dict[str, Any]:
    """Each of ``plan.viewers`` trained viewers rates a popular unseen title ``value``; the
    mean count of its neighbours in the top 10 before and after, and how many picks give the
    rated title as their reason. ``fresh`` builds the same trained model with no live rows."""
    model = fresh()
    neighbours_of = neighbours(model)
    rng = np.random.default_rng(plan.seed)
    users = rng.permutation(len(model.user_ids))[: plan.viewers]
    before, after, named, picks = [], [], 0, 0
    for user in users.tolist():
        user_id = model.user_ids[user]
        title = popular_unseen(model, user_id, rng, plan.popular_pool)
        near = neighbours_of(title)
        before.append(len(near & set(model.recommend(user_id, K).item_ids)))
        model.record(_rating(user_id, model.item_ids[title], value))
        shown = model.recommend(user_id, K)
        after.append(len(near & set(shown.item_ids)))
        named += sum(item.because == model.item_ids[title] for item in shown.items)
        picks += len(shown.items)
    rises = [a - b for a, b in zip(after, before, strict=True)]
    return {
        "rating": value,
        "viewers": len(before),
        "neighbours_in_top10_before": round(statistics.fmean(before), 3),
        "neighbours_in_top10_after": round(statistics.fmean(after), 3),
        "rise": round(statistics.fmean(rises), 3),
        "rise_standard_error": round(statistics.stdev(rises) / len(rises) ** 0.5, 3)
        if len(rises) > 1
        else 0.0,
        "picks": picks,
        "picks_naming_the_rated_title": named,
    }


def distinct_reasons(
    fresh: Callable[[], LocalRecommender], plan: ProbePlan = ProbePlan()
) -> dict[str, Any]:
    """How many distinct reasons 10 picks give, for viewers with at least ``plan.min_liked``
    titles liked in training (the model's own rule): as they stand, and just after they
    rate a popular unseen title 5/5 (the moment an email is sent). Medians and means."""
    model = fresh()
    eligible = np.flatnonzero(liked_counts(model) >= plan.min_liked)
    rng = np.random.default_rng(plan.seed)
    standing, after_like = [], []
    for user in rng.permutation(eligible)[: plan.heavy_viewers].tolist():
        user_id = model.user_ids[user]
        standing.append(_reasons(model, user_id))
        title = popular_unseen(model, user_id, rng, plan.popular_pool)
        model.record(_rating(user_id, model.item_ids[title], 5.0))
        after_like.append(_reasons(model, user_id))
    return {
        "viewers": len(standing),
        "min_liked": plan.min_liked,
        "median_distinct_reasons": statistics.median(standing) if standing else 0,
        "median_distinct_reasons_after_a_like": statistics.median(after_like) if after_like else 0,
        "mean_distinct_reasons_after_a_like": round(statistics.fmean(after_like), 3)
        if after_like
        else 0.0,
    }


def _reasons(model: LocalRecommender, user_id: str) -> int:
    shown = model.recommend(user_id, K)
    return len({item.because for item in shown.items if item.because is not None})


def liked_counts(model: LocalRecommender) -> np.ndarray:
    """How many titles each viewer (by index) liked in the training data."""
    return np.diff((model.train > SEEN).tocsr().indptr)


def shift_table(shifts: list[dict[str, Any]]) -> list[str]:
    """`rating_shift` results as a Markdown table, one row each."""
    lines = [
        "| one rating of a popular unseen title | viewers | its 20 neighbours in the top 10, "
        "before | after | picks naming it as their reason |",
        "|---|---|---|---|---|",
    ]
    for p in shifts:
        lines.append(
            f"| {p['rating']:g}/5 | {p['viewers']} | {p['neighbours_in_top10_before']} | "
            f"{p['neighbours_in_top10_after']} | {p['picks_naming_the_rated_title']} of "
            f"{p['picks']} |"
        )
    return lines
