"""The replay protocol: does a review change the very next recommendations for the better?

Events are ordered by time (ties broken by a seeded shuffle) and cut at a global time: the
model trains on the events before the cut. Then, for a sample of the viewers active after
the cut, each of their later events is replayed in time order through the same `recommend`
and `record` that the API uses: the 10 picks shown just before an event are compared with
the title the viewer rated next (HitRate@10, NDCG@10, MRR@10), then the event is recorded.
Viewers with events before the cut ("returning") and without ("new") are reported apart.

Parameters are chosen on a validation replay that ends where the test replay begins, so the
test events are never used to choose them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from watchnext.domain.events import InteractionEvent
from watchnext.recommender.data import ConfidenceRule, Interactions
from watchnext.recommender.kinds import ModelKind
from watchnext.recommender.models import LocalRecommender, Recency

K = 10
GROUPS = ("all", "returning", "new")
METRICS = ("hit_rate_at_10", "ndcg_at_10", "mrr_at_10")


@dataclass(frozen=True)
class ReplayPlan:
    test_share: float = 0.1
    """The share of events after the test cut."""
    validation_share: float = 0.1
    """The share of events between the validation cut and the test cut."""
    viewers: int = 80
    """How many viewers to replay: the most active after the cut."""
    events_per_viewer: int = 15
    seed: int = 42


@dataclass(frozen=True)
class Window:
    """A cut: train on ``train_mask``, replay ``replayed`` (interaction indexes, in order)."""

    train_mask: np.ndarray
    replayed: np.ndarray
    returning: frozenset[int]
    """Users (indexes) who have events before the cut."""


def windows(data: Interactions, plan: ReplayPlan) -> tuple[Window, Window]:
    """The validation window and the test window of ``data``."""
    rng = np.random.default_rng(plan.seed)
    order = np.lexsort((rng.random(len(data.users)), data.timestamps))
    n = len(order)
    test_cut = n - max(1, round(plan.test_share * n))
    validation_cut = test_cut - max(1, round(plan.validation_share * n))
    return (
        _window(data, order, validation_cut, test_cut, plan),
        _window(data, order, test_cut, n, plan),
    )


def _window(
    data: Interactions, order: np.ndarray, start: int, end: int, plan: ReplayPlan
) -> Window:
    train_mask = np.zeros(len(order), dtype=bool)
    train_mask[order[:start]] = True
    later = order[start:end]
    counts = np.bincount(data.users[later], minlength=len(data.user_ids))
    ranked = np.lexsort((np.arange(len(counts)), -counts))
    sampled = set(ranked[: plan.viewers][counts[ranked[: plan.viewers]] > 0].tolist())
    taken: dict[int, int] = {}
    replayed = []
    for position in later.tolist():
        user = int(data.users[position])
        if user in sampled and taken.get(user, 0) < plan.events_per_viewer:
            taken[user] = taken.get(user, 0) + 1
            replayed.append(position)
    returning = frozenset(np.unique(data.users[order[:start]]).tolist()) & frozenset(sampled)
    return Window(train_mask, np.asarray(replayed, dtype=np.int64), returning)


@dataclass
class Scores:
    totals: dict[str, dict[str, float]] = field(
        default_factory=lambda: {group: dict.fromkeys(METRICS, 0.0) for group in GROUPS}
    )
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GROUPS, 0))

    def add(self, group: str, ranked: list[str], target: str) -> None:
        rank = ranked.index(target) + 1 if target in ranked[:K] else 0
        for name in ("all", group):
            self.counts[name] += 1
            self.totals[name]["hit_rate_at_10"] += 1.0 if rank else 0.0
            self.totals[name]["ndcg_at_10"] += 1.0 / math.log2(1 + rank) if rank else 0.0
            self.totals[name]["mrr_at_10"] += 1.0 / rank if rank else 0.0

    def means(self) -> dict[str, dict[str, float]]:
        return {
            group: {
                name: round(total / self.counts[group], 6) if self.counts[group] else 0.0
                for name, total in self.totals[group].items()
            }
            | {"events": self.counts[group]}
            for group in GROUPS
        }


def replay(
    model: LocalRecommender, data: Interactions, window: Window, *, live: bool = True
) -> dict[str, dict[str, float]]:
    """Replay the window's events through ``model``; ``live=False`` records nothing (the
    same model without real-time updates)."""
    scores = Scores()
    for position in window.replayed.tolist():
        user = int(data.users[position])
        user_id, item_id = str(data.user_ids[user]), str(data.item_ids[data.items[position]])
        ranked = model.recommend(user_id, K).item_ids
        scores.add("returning" if user in window.returning else "new", ranked, item_id)
        if live:
            model.record(_event(data, position, user_id, item_id))
    return scores.means()


def _event(data: Interactions, position: int, user_id: str, item_id: str) -> InteractionEvent:
    return InteractionEvent(
        event_id=str(position), user_id=user_id, item_id=item_id, event_type="RATING",
        event_value=float(data.values[position]),
        timestamp=datetime.fromtimestamp(int(data.timestamps[position]), UTC), properties={},
    )  # fmt: skip


@dataclass(frozen=True)
class Variant:
    """One line of the replay table: a model, and whether it takes events live."""

    label: str
    kind: ModelKind
    params: dict[str, Any]
    live: bool = True


def fit(
    data: Interactions, variant: Variant, window: Window, rule: ConfidenceRule, seed: int
) -> LocalRecommender:
    return LocalRecommender.fit(
        data, variant.kind, variant.params, rule, random_state=seed, train_mask=window.train_mask
    )


RECENCY_GRID = {"decay": [1.0, 0.9, 0.8, 0.7, 0.6], "blend": [0.0, 0.5, 1.0, 2.0, 4.0]}


def choose_recency(
    data: Interactions,
    kind: ModelKind,
    params: dict[str, Any],
    validation: Window,
    rule: ConfidenceRule,
    seed: int,
    on_trial: Callable[[], None] = lambda: None,
) -> tuple[Recency, list[dict[str, Any]]]:
    """The decay and blend with the best HitRate@10 over all events of the validation
    replay; the model is trained once and only the serving weights change."""
    model = fit(data, Variant(kind, kind, params), validation, rule, seed)
    from watchnext.recommender.models import item_similarity

    model.similarity = item_similarity(model.train)
    trials = []
    for decay in RECENCY_GRID["decay"]:
        for blend in RECENCY_GRID["blend"]:
            trial = replace(model.recency, decay=decay, blend=blend)
            fresh = _fresh(model, trial)
            result = replay(fresh, data, validation)
            trials.append({"decay": decay, "blend": blend, **result["all"]})
            on_trial()
    best = max(trials, key=lambda t: (t["hit_rate_at_10"], t["ndcg_at_10"]))
    return replace(model.recency, decay=best["decay"], blend=best["blend"]), trials


def _fresh(model: LocalRecommender, recency: Recency) -> LocalRecommender:
    """The same trained model with no live rows, serving with ``recency``."""
    return LocalRecommender(
        kind=model.kind, params=model.params, rule=model.rule, user_ids=model.user_ids,
        item_ids=model.item_ids, train=model.train, model=model.model,
        random_state=model.random_state, titles=model.titles, recency=recency,
        times=model.times, similarity=model.similarity,
    )  # fmt: skip


def run_replay(
    data: Interactions,
    kind: ModelKind,
    plan: ReplayPlan,
    *,
    params: dict[str, Any] | None = None,
    rule: ConfidenceRule | None = None,
    on_step: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """``kind`` with recency chosen on the validation window, against popularity, the same
    model without updates ("static") and with every event weighed equally ("full history"),
    all on the test window of one run."""
    rule = rule or ConfidenceRule()
    params = dict(params or {})
    validation, test = windows(data, plan)
    chosen, trials = choose_recency(data, kind, params, validation, rule, plan.seed, on_step)
    live = params | {"decay": chosen.decay, "blend": chosen.blend, "last": chosen.last}
    variants = [
        Variant("popularity", "popularity", {}),
        Variant(f"{kind} static", kind, live, live=False),
        Variant(f"{kind} full history", kind, params | {"decay": 1.0, "blend": 0.0}),
        Variant(f"{kind} live", kind, live),
    ]
    rows = {}
    for variant in variants:
        model = fit(data, variant, test, rule, plan.seed)
        rows[variant.label] = {
            "model": variant.kind,
            "params": variant.params,
            "live": variant.live,
            "metrics": replay(model, data, test, live=variant.live),
        }
        on_step()
    return {
        "protocol": "replay",
        "plan": plan.__dict__,
        "replayed_events": len(test.replayed),
        "validation_events": len(validation.replayed),
        "chosen_recency": {"decay": chosen.decay, "blend": chosen.blend, "last": chosen.last},
        "validation_trials": trials,
        "models": rows,
        "ratios": _ratios(rows, kind),
    }


def _ratios(rows: dict[str, Any], kind: ModelKind) -> dict[str, float]:
    """The live model's HR@10 over today's (full history) and over popularity."""

    def hit_rate(label: str, group: str) -> float:
        return float(rows[label]["metrics"][group]["hit_rate_at_10"])

    def ratio(label: str, baseline: str, group: str) -> float:
        base = hit_rate(baseline, group)
        return round(hit_rate(label, group) / base, 3) if base else 0.0

    live, full = f"{kind} live", f"{kind} full history"
    return {
        "live_vs_full_history_returning": ratio(live, full, "returning"),
        "live_vs_full_history_all": ratio(live, full, "all"),
        "live_vs_popularity_all": ratio(live, "popularity", "all"),
    }


def write_replay(out: Path, results: dict[str, Any], dataset: str) -> Path:
    """replay.json, REPLAY.md and replay.png into ``out``; returns the Markdown."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "replay.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    plan, chosen = results["plan"], results["chosen_recency"]
    lines = [
        f"# Replay evaluation: {dataset}",
        "",
        f"Events cut at a global time; the last {plan['test_share']:.0%} are replayed for the "
        f"{plan['viewers']} most active viewers after the cut (up to "
        f"{plan['events_per_viewer']} events each, {results['replayed_events']} events), each "
        "through `recommend` then `record`. A hit: the title rated next is among the 10 picks "
        f"shown just before. Ties in time broken with seed {plan['seed']}. Recency chosen on "
        f"the validation replay just before the test window ({results['validation_events']} "
        f"events): decay {chosen['decay']}, blend {chosen['blend']}, last {chosen['last']}.",
        "",
        "| model | group | events | HR@10 | NDCG@10 | MRR@10 |",
        "|---|---|---|---|---|---|",
    ]
    for label, row in results["models"].items():
        for group in GROUPS:
            m = row["metrics"][group]
            lines.append(
                f"| {label} | {group} | {m['events']} | {m['hit_rate_at_10']:.3f} | "
                f"{m['ndcg_at_10']:.3f} | {m['mrr_at_10']:.3f} |"
            )
    ratios = results["ratios"]
    lines += [
        "",
        f"- live over full history, returning viewers: {ratios['live_vs_full_history_returning']}x",
        f"- live over full history, all events: {ratios['live_vs_full_history_all']}x",
        f"- live over popularity, all events: {ratios['live_vs_popularity_all']}x",
        "",
        "![replay](replay.png)",
        "",
    ]
    report = out / "REPLAY.md"
    report.write_text("\n".join(lines))
    _chart(out / "replay.png", results["models"])
    return report


def _chart(path: Path, rows: dict[str, Any]) -> None:
    from watchnext.recommender.report import bar_chart

    labels = list(rows)
    bar_chart(
        path,
        labels,
        {g: [rows[label]["metrics"][g]["hit_rate_at_10"] for label in labels] for g in GROUPS},
        ylabel="next-item HitRate@10",
        title="Replay: the picks shown just before each rating",
    )
