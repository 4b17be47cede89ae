"""`watchnext evaluate`: Personalize's offline protocol, run on local models.

The protocol, as Amazon Personalize documents it for its recipes
(https://docs.aws.amazon.com/personalize/latest/dg/working-with-training-metrics.html):
90% of users, with all their interactions, train the model; for each of the other 10%, the
oldest 90% of their interactions are the input and the most recent 10% (at least one) are
compared with the top 25 recommendations. Test users need two interactions or more; ties in
time are broken by a seeded shuffle. Each model is evaluated over several random user splits
and reported as mean and standard deviation, because one small test set varies a lot.
"""

from __future__ import annotations

import itertools
import json
import math
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from watchnext.recommender.algorithms import algorithm_class
from watchnext.recommender.data import ConfidenceRule, Interactions
from watchnext.recommender.metrics import (
    DEPTH,
    EVERY_HELD_OUT,
    LIKED_AT,
    METRIC_NAMES,
    personalize_metrics,
)
from watchnext.recommender.models import LocalRecommender, ModelKind, split_params

TUNING_METRIC = "normalized_discounted_cumulative_gain_at_10"
VALIDATION_SEED_OFFSET = 10_000  # tuning never sees the evaluation splits


@dataclass
class Split:
    train_mask: np.ndarray
    inputs: list[np.ndarray]  # per test user: interaction indexes given as input
    held_out: list[set[int]]  # per test user: item indexes to find
    liked_out: list[set[int]]  # per test user: those of them rated LIKED_AT or more


def tuning_users(data: Interactions, seed: int, share: float = 0.1) -> np.ndarray:
    """Users set aside for tuning: never test users of the evaluation splits."""
    counts = np.bincount(data.users, minlength=len(data.user_ids))
    eligible = np.flatnonzero(counts >= 2)
    n = min(len(eligible), max(1, round(share * len(data.user_ids))))
    rng = np.random.default_rng(seed + VALIDATION_SEED_OFFSET)
    return np.sort(rng.choice(eligible, size=n, replace=False))


def personalize_split(
    data: Interactions,
    seed: int,
    test_share: float = 0.1,
    holdout_share: float = 0.1,
    *,
    candidates: np.ndarray | None = None,
) -> Split:
    """A random user split; test users are drawn from ``candidates`` when given."""
    rng = np.random.default_rng(seed)
    n_users = len(data.user_ids)
    counts = np.bincount(data.users, minlength=n_users)
    eligible = np.flatnonzero(counts >= 2)
    if candidates is not None:
        eligible = np.intersect1d(eligible, candidates)
    n_test = min(len(eligible), max(1, round(test_share * n_users)))
    test_users = np.sort(rng.choice(eligible, size=n_test, replace=False))
    is_test = np.zeros(n_users, dtype=bool)
    is_test[test_users] = True
    order = np.lexsort((rng.random(len(data.users)), data.timestamps, data.users))
    test_positions = order[is_test[data.users[order]]]
    boundaries = np.flatnonzero(np.diff(data.users[test_positions])) + 1
    inputs, held_out, liked_out = [], [], []
    for positions in np.split(test_positions, boundaries):
        if len(positions) == 0:
            continue
        keep = max(1, math.ceil(holdout_share * len(positions)))
        inputs.append(positions[:-keep])
        held = positions[-keep:]
        held_out.append(set(data.items[held].tolist()))
        liked_out.append(set(data.items[held[data.values[held] >= LIKED_AT]].tolist()))
    return Split(~is_test[data.users], inputs, held_out, liked_out)


def evaluate_split(model: LocalRecommender, data: Interactions, split: Split) -> dict[str, float]:
    """Personalize's metrics over the test users' held-out titles they liked (users who liked
    none of theirs are left out: no model is rewarded for predicting a dislike), and NDCG@10
    over every held-out title, as counted before, beside them."""
    rule = model.rule
    rankings, liked = [], []
    for positions, relevant, relevant_liked in zip(
        split.inputs, split.held_out, split.liked_out, strict=True
    ):
        history = {
            int(item): rule.weight(float(value))
            for item, value in zip(data.items[positions], data.values[positions], strict=True)
        }
        ranked, _, _ = model.rank_history(history, DEPTH)
        rankings.append((ranked.tolist(), relevant))
        if relevant_liked:
            liked.append((ranked.tolist(), relevant_liked))
    catalog = int(np.unique(data.items[split.train_mask]).size)
    every = personalize_metrics(rankings, catalog)
    return personalize_metrics(liked, catalog) | {
        EVERY_HELD_OUT: every["normalized_discounted_cumulative_gain_at_10"]
    }


@dataclass(frozen=True)
class Candidate:
    kind: ModelKind
    params: dict[str, Any]

    @property
    def label(self) -> str:
        return self.kind


def summarise(per_split: list[dict[str, float]]) -> dict[str, dict[str, Any]]:
    return {
        name: {
            "mean": statistics.fmean(s[name] for s in per_split),
            "std": statistics.stdev(s[name] for s in per_split) if len(per_split) > 1 else 0.0,
            "min": min(s[name] for s in per_split),
            "max": max(s[name] for s in per_split),
            "splits": [round(s[name], 6) for s in per_split],
        }
        for name in (*METRIC_NAMES, EVERY_HELD_OUT)
    }


def evaluate_candidate(
    data: Interactions,
    candidate: Candidate,
    seeds: Iterable[int],
    rule: ConfidenceRule,
    on_split: Callable[[], None] = lambda: None,
    *,
    test_candidates: np.ndarray | None = None,
) -> list[dict[str, float]]:
    results = []
    for seed in seeds:
        split = personalize_split(data, seed, candidates=test_candidates)
        model = LocalRecommender.fit(
            data,
            candidate.kind,
            candidate.params,
            rule,
            random_state=seed,
            train_mask=split.train_mask,
        )
        results.append(evaluate_split(model, data, split))
        on_split()
    return results


def tune(
    data: Interactions,
    kind: ModelKind,
    rule: ConfidenceRule,
    seeds: list[int],
    on_split: Callable[[], None],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Grid search on validation splits whose test users are the tuning users, never an
    evaluation split's: best params."""
    grid = algorithm_class(kind).tuning_grid
    reserved = tuning_users(data, seeds[0])
    trials: list[tuple[float, dict[str, Any]]] = []
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values, strict=True))
        per_split = evaluate_candidate(
            data,
            Candidate(kind, params),
            [s + VALIDATION_SEED_OFFSET for s in seeds],
            rule,
            on_split,
            test_candidates=reserved,
        )
        trials.append((statistics.fmean(s[TUNING_METRIC] for s in per_split), params))
    best = max(trials, key=lambda trial: trial[0])[1] if trials else {}
    return best, [{"params": p, TUNING_METRIC: round(score, 6)} for score, p in trials]


def personalize_row(path: Path) -> dict[str, Any]:
    """A `GetSolutionMetrics` response saved as JSON, as one more row of the table."""
    answer = json.loads(path.read_text())
    metrics = answer.get("metrics", answer)
    arn = str(answer.get("solutionVersionArn", path.stem))
    return {
        "label": f"Personalize {arn.rsplit('/', 2)[-2] if '/' in arn else arn}",
        "metrics": {
            name: {"mean": float(metrics[name])} for name in METRIC_NAMES if name in metrics
        },
    }


PROTOCOL = (
    "90% of users train; for the other 10%, the oldest 90% of each user's interactions are "
    "the input and the most recent 10% are held out; top 25 recommendations compared with "
    f"the held-out titles the user rated {LIKED_AT:g} or more (NDCG@10 over every held-out "
    "title, as counted before, beside them); "
    "tuning is judged on a separate 10% of users that are never evaluation test users"
)


def run_evaluation(
    folder: Path,
    out: Path,
    *,
    kinds: Iterable[ModelKind],
    splits: int = 5,
    seed: int = 42,
    rule: ConfidenceRule | None = None,
    do_tune: bool = False,
    personalize_metrics_file: Path | None = None,
    show_progress: bool = True,
) -> Path:
    """Evaluate every model of ``kinds`` on ``folder`` and write the report into ``out``."""
    from tqdm import tqdm

    from watchnext.recommender.data import load_interactions
    from watchnext.recommender.report import write_evaluation

    rule = rule or ConfidenceRule()
    data = load_interactions(folder)
    kinds = list(kinds)
    seeds = [seed + i for i in range(splits)]
    steps = len(kinds) * splits
    if do_tune:
        steps += (
            sum(
                math.prod(len(v) for v in algorithm_class(k).tuning_grid.values())
                for k in kinds
                if algorithm_class(k).tuning_grid
            )
            * splits
        )
    results: dict[str, Any] = {
        "dataset": folder.name,
        "protocol": PROTOCOL,
        "splits": splits,
        "seeds": seeds,
        "confidence": rule.__dict__,
        "models": {},
        "tuning": {},
    }
    # Evaluation test users never include the users tuning is judged on.
    evaluated = np.setdiff1d(np.arange(len(data.user_ids)), tuning_users(data, seeds[0]))
    with tqdm(total=steps, desc="evaluating", disable=not show_progress, unit="fit") as bar:
        for kind in kinds:
            params: dict[str, Any] = {}
            if do_tune and algorithm_class(kind).tuning_grid:
                params, trials = tune(data, kind, rule, seeds, bar.update)
                results["tuning"][kind] = {"best": params, "trials": trials}
            per_split = evaluate_candidate(
                data, Candidate(kind, params), seeds, rule, bar.update, test_candidates=evaluated
            )
            effective, _, _ = split_params(kind, params)
            results["models"][kind] = {"params": effective, "metrics": summarise(per_split)}
    if personalize_metrics_file is not None:
        row = personalize_row(personalize_metrics_file)
        results["models"][row["label"]] = {"params": {}, "metrics": row["metrics"]}
    return write_evaluation(out, results)
