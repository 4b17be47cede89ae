"""One rating over HTTP, black box, on the local stack `make demo` runs: what a 1/5 and a 5/5
of a popular unseen title do to the very next picks, and how many reasons a heavy viewer's
picks give after a 5/5. Only the API's answers are read; the yardstick (each title's 20
nearest neighbours, cosine on the training data) and the viewers come from the dataset."""

from __future__ import annotations

import json
import statistics
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

from watchnext.entrypoints.local_stack import build_local_stack
from watchnext.recommender import artifact as artifacts
from watchnext.recommender.probes import liked_counts, neighbours, popular_unseen, shift_table
from watchnext.settings import Settings

KEY = "bench"
VIEWERS = 40
MIN_LIKED = 20
HEAVY_VIEWERS = 100


def _call(url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "x-api-key": KEY},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as answer:
        result: dict[str, Any] = json.loads(answer.read())
        return result


def run(artifact: Path, viewers: int = VIEWERS, seed: int = 11) -> dict[str, Any]:
    model = artifacts.load(artifact)
    near = neighbours(model)
    rng = np.random.default_rng(seed)
    users = [model.user_ids[u] for u in rng.permutation(len(model.user_ids))]
    plan = {
        "after_a_dislike": (1, users[:viewers]),
        "after_a_like": (5, users[viewers : 2 * viewers]),
    }
    titles = {
        user: popular_unseen(model, user, rng, 50) for _, group in plan.values() for user in group
    }
    likers = liked_counts(model) >= MIN_LIKED
    enough = {user for user, heavy in zip(model.user_ids, likers.tolist(), strict=True) if heavy}
    heavy = [u for u in users[2 * viewers :] if u in enough]
    heavy = heavy[:HEAVY_VIEWERS]
    heavy_titles = {user: popular_unseen(model, user, rng, 50) for user in heavy}
    with tempfile.TemporaryDirectory(prefix="watchnext-sentiment-") as scratch:
        config = Settings(
            data_dir=Path(scratch), artifact=artifact, api_port=0, smtp_port=0, web_port=None,
            api_key=KEY,
        )  # fmt: skip
        stack = build_local_stack(config)
        stack.start()
        try:
            api = stack.settings.api_url
            results = {
                label: _shift(api, rating, group, titles, near, model.item_ids)
                for label, (rating, group) in plan.items()
            }
            counts = []
            for user in heavy:
                answer = _review(api, user, model.item_ids[heavy_titles[user]], 5)
                counts.append(len({p["because_item_id"] for p in answer if p["because_item_id"]}))
        finally:
            stack.stop()
    results["reasons_after_a_like"] = {
        "viewers": len(counts),
        "min_liked": MIN_LIKED,
        "median_distinct_reasons": statistics.median(counts) if counts else 0,
    }
    return results


def _review(api: str, user: str, item: str, rating: int) -> list[dict[str, Any]]:
    body = {
        "user_id": user, "item_id": item, "event_rating": rating, "event_verified_purchase": "Y",
        "event_type": "RATING", "email_address": "viewer@example.com",
    }  # fmt: skip
    picks: list[dict[str, Any]] = _call(f"{api}/reviews", body)["recommendations"]
    return picks


def _shift(
    api: str,
    rating: int,
    users: list[str],
    titles: dict[str, int],
    near: Any,
    item_ids: list[str],
) -> dict[str, Any]:
    before, after, named, shown = [], [], 0, 0
    for user in users:
        title = item_ids[titles[user]]
        close = near(titles[user])
        was = _call(f"{api}/users/{user}/recommendations")["recommendations"]
        now = _review(api, user, title, rating)
        before.append(len(close & {p["item_id"] for p in was}))
        after.append(len(close & {p["item_id"] for p in now}))
        named += sum(p["because_item_id"] == title for p in now)
        shown += len(now)
    return {
        "rating": rating,
        "viewers": len(users),
        "neighbours_in_top10_before": round(statistics.fmean(before), 3),
        "neighbours_in_top10_after": round(statistics.fmean(after), 3),
        "picks": shown,
        "picks_naming_the_rated_title": named,
    }


def markdown(results: dict[str, Any]) -> list[str]:
    lines = [
        "## One rating over HTTP (the demo's model, black box)",
        "",
        *shift_table([results["after_a_dislike"], results["after_a_like"]]),
    ]
    reasons = results["reasons_after_a_like"]
    lines += [
        "",
        f"Just after a 5/5, viewers with {reasons['min_liked']}+ liked titles"
        f" ({reasons['viewers']}): a median of {reasons['median_distinct_reasons']} distinct"
        " reasons across their 10 picks.",
        "",
    ]
    return lines


if __name__ == "__main__":
    print(json.dumps(run(Path("artifacts/als")), indent=2))
