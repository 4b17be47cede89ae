"""The local recommender at the original dataset's scale: training time, and the latency of
`record` + `recommend` (ALS with user recalculation) against popularity in the same run."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.stats import summary_ms
from watchnext.domain.events import InteractionEvent
from watchnext.recommender.data import load_interactions
from watchnext.recommender.models import LocalRecommender

P99_TARGET_MS = 5.0


def _latency(model: LocalRecommender, rng: np.random.Generator, operations: int) -> dict[str, Any]:
    users, items = model.user_ids, model.item_ids
    samples = []
    for n in range(operations + 200):
        # half existing users, half brand-new ones, each rating a random title
        user = users[int(rng.integers(len(users)))] if n % 2 else f"bench-new-{n}"
        event = InteractionEvent(
            event_id=str(n), user_id=user, item_id=items[int(rng.integers(len(items)))],
            event_type="RATING", event_value=float(rng.integers(1, 6)),
            timestamp=datetime.now(UTC), properties={},
        )  # fmt: skip
        started = time.perf_counter()
        model.record(event)
        ranked = model.recommend(user, 10)
        elapsed = time.perf_counter() - started
        assert len(ranked.items) == 10
        if n >= 200:
            samples.append(elapsed)
    return summary_ms(samples)


def run(dataset: Path, operations: int = 3000) -> dict[str, Any]:
    started = time.perf_counter()
    data = load_interactions(dataset)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    als = LocalRecommender.fit(data, "als", random_state=42)
    train_s = time.perf_counter() - started
    popularity = LocalRecommender.fit(data, "popularity")
    rng = np.random.default_rng(0)
    baseline = _latency(popularity, rng, operations)
    measured = _latency(als, rng, operations)
    users, items = data.shape
    return {
        "dataset": {"users": users, "items": items, "interactions": len(data.users)},
        "load_s": round(load_s, 2),
        "als_train_s": round(train_s, 2),
        "als_params": als.params,
        "record_recommend_popularity": baseline,
        "record_recommend_als": measured,
        "als_p99_vs_popularity_p99": round(measured["p99_ms"] / baseline["p99_ms"], 2),
        "target_p99_ms": P99_TARGET_MS,
        "meets_target": measured["p99_ms"] <= P99_TARGET_MS,
    }
