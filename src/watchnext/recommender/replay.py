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

import itertools
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from watchnext.domain.events import CLICK, InteractionEvent
from watchnext.recommender.algorithms import algorithm_class
from watchnext.recommender.data import Interactions
from watchnext.recommender.metrics import LIKED_AT
from watchnext.recommender.models import LocalRecommender, ModelKind
from watchnext.recommender.recency import Recency

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
    liked_at: float = LIKED_AT
    """The yardstick: a replayed event counts as a hit or a miss only when its rating is at
    least this (a title the viewer liked). The same for every model, whatever rule it uses."""


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


def latest_window(data: Interactions, plan: ReplayPlan) -> Window:
    """The newest ``plan.validation_share`` of events, replayed over a model of the rest:
    where `watchnext train` chooses its serving settings, before training on everything."""
    rng = np.random.default_rng(plan.seed)
    order = np.lexsort((rng.random(len(data.users)), data.timestamps))
    n = len(order)
    return _window(data, order, n - max(1, round(plan.validation_share * n)), n, plan)


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
    """The metrics over liked next titles, and HR@10 over every next title (as counted
    before dislikes were told apart) for comparison."""

    totals: dict[str, dict[str, float]] = field(
        default_factory=lambda: {group: dict.fromkeys(METRICS, 0.0) for group in GROUPS}
    )
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GROUPS, 0))
    every_next: dict[str, list[int]] = field(
        default_factory=lambda: {group: [0, 0] for group in GROUPS}
    )

    def add(self, group: str, ranked: list[str], target: str, *, liked: bool) -> None:
        rank = ranked.index(target) + 1 if target in ranked[:K] else 0
        for name in ("all", group):
            self.every_next[name][0] += 1 if rank else 0
            self.every_next[name][1] += 1
            if not liked:
                continue
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
            | {
                "events": self.counts[group],
                "hit_rate_at_10_every_next": round(hits / events, 6) if events else 0.0,
                "every_next_events": events,
            }
            for group in GROUPS
            for hits, events in [self.every_next[group]]
        }


def replay(
    model: LocalRecommender,
    data: Interactions,
    window: Window,
    *,
    live: bool = True,
    liked_at: float = LIKED_AT,
) -> dict[str, dict[str, float]]:
    """Replay the window's events through ``model``; ``live=False`` records nothing (the
    same model without real-time updates). Every event is recorded; only those rated
    ``liked_at`` or more are scored."""
    scores = Scores()
    for position in window.replayed.tolist():
        user = int(data.users[position])
        user_id, item_id = str(data.user_ids[user]), str(data.item_ids[data.items[position]])
        ranked = model.recommend(user_id, K).item_ids
        group = "returning" if user in window.returning else "new"
        scores.add(group, ranked, item_id, liked=_liked(data, position, liked_at))
        if live:
            model.record(event_at(data, position, user_id, item_id))
    return scores.means()


def _liked(data: Interactions, position: int, liked_at: float) -> bool:
    clicked = data.clicks is not None and bool(data.clicks[position])
    return clicked or float(data.values[position]) >= liked_at


def event_at(data: Interactions, position: int, user_id: str, item_id: str) -> InteractionEvent:
    """Interaction ``position`` of ``data`` as the API would record it."""
    clicked = data.clicks is not None and bool(data.clicks[position])
    return InteractionEvent(
        event_id=str(position),
        user_id=user_id,
        item_id=item_id,
        event_type=CLICK if clicked else "RATING",
        event_value=float(data.values[position]),
        timestamp=datetime.fromtimestamp(int(data.timestamps[position]), UTC),
        properties={},
    )


@dataclass(frozen=True)
class Variant:
    """One line of the replay table: a model, and whether it takes events live."""

    label: str
    kind: ModelKind
    params: dict[str, Any]
    live: bool = True


def fit(data: Interactions, variant: Variant, window: Window, seed: int) -> LocalRecommender:
    return LocalRecommender.fit(
        data, variant.kind, variant.params, random_state=seed, train_mask=window.train_mask
    )


RECENCY_GRID: dict[str, list[float]] = {
    "decay": [1.0, 0.9, 0.8, 0.7, 0.6],
    "blend": [0.0, 0.5, 1.0, 2.0, 4.0],
}
SENTIMENT_GRID: dict[str, list[float]] = {
    "like_at": [3.0, 4.0],
    "neutral_band": [0.0, 1.0],  # stars below like_at that are neutral: dislike_below below it
    "dislike_penalty": [0.25, 0.5, 1.0, 2.0],  # never 0: a dislike always pushes away
}
SERVING = ("decay", "blend", "last", "like_at", "dislike_below", "dislike_penalty")
"""The settings `choose_serving` picks; `watchnext train` stores them in the artifact."""
EVERY_RATING_A_LIKE = {"like_at": 0.0, "dislike_below": 0.0, "dislike_penalty": 0.0}
"""How ratings were read before dislikes were told apart: the baseline row of the table."""


def serving_trials() -> int:
    """How many validation replays `choose_serving` runs (for progress bars)."""
    return math.prod(map(len, RECENCY_GRID.values())) + math.prod(map(len, SENTIMENT_GRID.values()))


MIN_RISE_AFTER_A_LIKE = 2.0
MIN_REASONS_AFTER_A_LIKE = 3
"""The product's promise, as floors on the settings: one 5/5 of a popular title brings at
least `MIN_RISE_AFTER_A_LIKE` of its 20 nearest neighbours into the top 10 on average, one
1/5 brings fewer than before, and just after a 5/5 the picks of a viewer with 20 liked
titles give at least `MIN_REASONS_AFTER_A_LIKE` distinct reasons (the mean over 100 such
viewers: steadier than the median of small counts; `watchnext.recommender.probes`, on the
validation model)."""


def choose_serving(
    data: Interactions,
    kind: ModelKind,
    params: dict[str, Any],
    validation: Window,
    plan: ReplayPlan,
    on_trial: Callable[[], None] = lambda: None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The serving settings chosen on the validation replay (`_best`), one stage at a time:
    recency (decay, blend) with the model's sentiment rule, then the rule (like_at, a
    neutral band or none) and the dislike penalty with that recency. The model is trained
    once per rule; only serving weights change between the trials of one training. A setting
    given in ``params`` is held at its value. Returns the settings and every trial."""

    def grid(name: str, values: list[float]) -> list[float]:
        return [float(params[name])] if name in params else values

    trials: list[dict[str, Any]] = []
    model = _fit_with_similarity(data, kind, params, validation, plan.seed)
    rule = {"like_at": model.rule.like_at, "dislike_below": model.rule.dislike_below}
    for decay, blend in itertools.product(
        grid("decay", RECENCY_GRID["decay"]), grid("blend", RECENCY_GRID["blend"])
    ):
        trial = replace(model.recency, decay=decay, blend=blend)
        trials.append({"stage": "recency", **rule, **_trial(model, trial, data, validation, plan)})
        on_trial()
    recency = _best(trials)
    for like_at, band in itertools.product(
        grid("like_at", SENTIMENT_GRID["like_at"]),
        grid("dislike_below", SENTIMENT_GRID["neutral_band"]),
    ):
        below = band if "dislike_below" in params else like_at - band
        if below > like_at:
            continue
        rule = {"like_at": like_at, "dislike_below": below}
        model = _fit_with_similarity(data, kind, params | recency | rule, validation, plan.seed)
        for penalty in grid("dislike_penalty", SENTIMENT_GRID["dislike_penalty"]):
            trial = replace(model.recency, dislike_penalty=penalty)
            trials.append(
                {"stage": "sentiment", **rule, **_trial(model, trial, data, validation, plan)}
            )
            on_trial()
    return _best([t for t in trials if t["stage"] == "sentiment"]), trials


def _trial(
    model: LocalRecommender, recency: Recency, data: Interactions, window: Window, plan: ReplayPlan
) -> dict[str, Any]:
    """One setting's replay on the window and what one like and one dislike do to it."""
    from watchnext.recommender.probes import ProbePlan, distinct_reasons, rating_shift

    def fresh() -> LocalRecommender:
        return _fresh(model, recency)

    probe = ProbePlan(viewers=100, seed=plan.seed)
    like, dislike = rating_shift(fresh, 5.0, probe), rating_shift(fresh, 1.0, probe)
    reasons = distinct_reasons(fresh, probe)
    result = replay(fresh(), data, window, liked_at=plan.liked_at)
    return {
        **asdict(recency),
        **result["all"],
        "rise_after_a_like": like["rise"],
        "rise_after_a_like_se": like["rise_standard_error"],
        "rise_after_a_dislike": dislike["rise"],
        "rise_after_a_dislike_se": dislike["rise_standard_error"],
        # None where no viewer has that many liked titles: the floor does not apply
        "reasons_after_a_like": reasons["mean_distinct_reasons_after_a_like"]
        if reasons["viewers"]
        else None,
    }


def choose_for_training(
    data: Interactions,
    kind: ModelKind,
    params: dict[str, Any],
    plan: ReplayPlan = ReplayPlan(),
    on_trial: Callable[[], None] = lambda: None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The serving settings `watchnext train` stores with the model, chosen on the replay of
    the data's own newest events (`latest_window`), as Personalize tunes on its own split;
    settings given in ``params`` are kept as given. Returns them and a record of the choice."""
    window = latest_window(data, plan)
    learns = algorithm_class(kind).learns
    if not learns or not len(window.replayed):
        reason = f"{kind} serves no history" if not learns else "no events"
        return {}, {"chosen_on": "nothing", "why": reason}
    started = time.perf_counter()
    chosen, trials = choose_serving(data, kind, params, window, plan, on_trial)
    best = next(t for t in trials if t["stage"] == "sentiment" and _matches(t, chosen))
    record = {
        "chosen_on": "the replay of the newest events",
        "validation_share": plan.validation_share,
        "viewers": plan.viewers,
        "events_per_viewer": plan.events_per_viewer,
        "replayed_events": len(window.replayed),
        "liked_at": plan.liked_at,
        "trials": trials,
        "chosen": chosen,
        "chosen_trial": best,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return {name: value for name, value in chosen.items() if name not in params}, record


def _matches(trial: dict[str, Any], chosen: dict[str, Any]) -> bool:
    return all(trial[name] == value for name, value in chosen.items())


def keeps_the_promise(trial: dict[str, Any]) -> bool:
    """Each floor held by a standard error's margin (the probes are means over viewers): a
    setting that keeps it only by luck on the validation model is not trusted with it."""
    like = trial["rise_after_a_like"] - trial["rise_after_a_like_se"]
    dislike = trial["rise_after_a_dislike"] + trial["rise_after_a_dislike_se"]
    reasons = trial["reasons_after_a_like"]
    return bool(
        like >= MIN_RISE_AFTER_A_LIKE
        and (reasons is None or reasons >= MIN_REASONS_AFTER_A_LIKE)
        and (trial["stage"] == "recency" or dislike < 0)
    )


def _best(trials: list[dict[str, Any]]) -> dict[str, Any]:
    """The one-standard-error rule (Hastie, Tibshirani and Friedman, *The Elements of
    Statistical Learning*, 2nd ed., section 7.10): of the trials that keep the promise (all of
    them if none does), those whose HR@10 is within one standard error of the best are ties,
    and the simplest of them wins: the one that departs least from the trained model's own
    scores (the highest decay, then the smallest blend, then the smallest dislike penalty).
    Replay differences smaller than their noise do not decide, and the promise, not the
    tie-break, makes the picks move."""
    kept = [t for t in trials if keeps_the_promise(t)] or trials
    top = max(kept, key=lambda t: t["hit_rate_at_10"])
    rate, events = top["hit_rate_at_10"], max(1, top["events"])
    near = [t for t in kept if t["hit_rate_at_10"] >= rate - math.sqrt(rate * (1 - rate) / events)]
    best = max(
        near,
        key=lambda t: (t["decay"], -t["blend"], -t["dislike_penalty"], t["hit_rate_at_10"]),
    )
    return {name: best[name] for name in SERVING}


def _fit_with_similarity(
    data: Interactions, kind: ModelKind, params: dict[str, Any], window: Window, seed: int
) -> LocalRecommender:
    return LocalRecommender.fit(
        data, kind, params, random_state=seed, train_mask=window.train_mask, with_similarity=True
    )


def _fresh(model: LocalRecommender, recency: Recency) -> LocalRecommender:
    """The same trained model with no live rows, serving with ``recency``."""
    return LocalRecommender(
        algorithm=model.algorithm,
        rule=model.rule,
        user_ids=model.user_ids,
        item_ids=model.item_ids,
        train=model.train,
        random_state=model.random_state,
        titles=model.titles,
        recency=recency,
        times=model.times,
        similarity=model.similarity,
        click_weight=model.click_weight,
    )


def run_replay(
    data: Interactions,
    kinds: list[ModelKind],
    plan: ReplayPlan,
    *,
    params: dict[str, Any] | None = None,
    on_step: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Each learned model of ``kinds`` with its serving settings chosen on the validation
    window, against popularity, the same model without updates ("static"), with every event
    weighed equally ("full history") and reading every rating as a like (as before dislikes
    were told apart), all on the test window of one run; and what one 1/5 and one 5/5
    rating do to the live model's picks (`watchnext.recommender.probes`)."""
    params = dict(params or {})
    validation, test = windows(data, plan)
    rows: dict[str, Any] = {}
    chosen: dict[str, Any] = {}
    trials: dict[str, Any] = {}
    probes: dict[str, Any] = {}
    _add_row(rows, data, Variant("popularity", "popularity", {}), test, plan)
    on_step()
    for kind in [k for k in kinds if algorithm_class(k).learns]:
        chosen[kind], trials[kind] = choose_serving(data, kind, params, validation, plan, on_step)
        live = params | chosen[kind]
        for variant in (
            Variant(f"{kind} static", kind, live, live=False),
            Variant(f"{kind} full history", kind, live | {"decay": 1.0, "blend": 0.0}),
            Variant(f"{kind} every rating a like", kind, live | EVERY_RATING_A_LIKE),
            Variant(f"{kind} live", kind, live),
        ):
            model = _add_row(rows, data, variant, test, plan)
            on_step()
        probes[kind] = _probes(model)
    return {
        "protocol": "replay",
        "plan": plan.__dict__,
        "replayed_events": len(test.replayed),
        "validation_events": len(validation.replayed),
        "chosen": chosen,
        "validation_trials": trials,
        "models": rows,
        "ratios": {kind: _ratios(rows, kind) for kind in chosen},
        "probes": probes,
    }


def _add_row(
    rows: dict[str, Any], data: Interactions, variant: Variant, test: Window, plan: ReplayPlan
) -> LocalRecommender:
    model = fit(data, variant, test, plan.seed)
    untouched = _fresh(model, model.recency)
    rows[variant.label] = {
        "model": variant.kind,
        "params": variant.params,
        "live": variant.live,
        "metrics": replay(model, data, test, live=variant.live, liked_at=plan.liked_at),
    }
    return untouched


def _probes(model: LocalRecommender) -> dict[str, Any]:
    from watchnext.recommender.probes import distinct_reasons, rating_shift

    def fresh() -> LocalRecommender:
        return _fresh(model, model.recency)

    return {
        "after_a_dislike": rating_shift(fresh, 1.0),
        "after_a_like": rating_shift(fresh, 5.0),
        "reasons": distinct_reasons(fresh),
    }


def _ratios(rows: dict[str, Any], kind: str) -> dict[str, float]:
    """The live model's HR@10 on liked next titles over each baseline of the same run."""

    def hit_rate(label: str, group: str) -> float:
        return float(rows[label]["metrics"][group]["hit_rate_at_10"])

    def ratio(label: str, baseline: str, group: str) -> float:
        base = hit_rate(baseline, group)
        return round(hit_rate(label, group) / base, 3) if base else 0.0

    live = f"{kind} live"
    return {
        "live_vs_popularity_all": ratio(live, "popularity", "all"),
        "live_vs_static_all": ratio(live, f"{kind} static", "all"),
        "live_vs_full_history_all": ratio(live, f"{kind} full history", "all"),
        "live_vs_full_history_returning": ratio(live, f"{kind} full history", "returning"),
        "live_vs_every_rating_a_like_all": ratio(live, f"{kind} every rating a like", "all"),
    }


def write_replay(out: Path, results: dict[str, Any], dataset: str) -> Path:
    """replay.json, REPLAY.md and replay.png into ``out``; returns the Markdown."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "replay.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    report = out / "REPLAY.md"
    report.write_text("\n".join(replay_markdown(results, dataset)))
    _chart(out / "replay.png", results["models"])
    return report


def replay_markdown(results: dict[str, Any], dataset: str) -> list[str]:
    """The report's lines: the protocol, the table, each model's ratios and probes."""
    plan = results["plan"]
    lines = [
        f"# Replay evaluation: {dataset}",
        "",
        f"Events cut at a global time; the last {plan['test_share']:.0%} are replayed for the "
        f"{plan['viewers']} most active viewers after the cut (up to "
        f"{plan['events_per_viewer']} events each, {results['replayed_events']} events), each "
        "through `recommend` then `record`. A hit: the title rated next is among the 10 picks "
        f"shown just before, counted only when the viewer rated it {plan['liked_at']:g} or more "
        "(no model is rewarded for predicting what the viewer will dislike); HR@10 over every "
        f"next title, as counted before, stands beside it. Ties in time broken with seed "
        f"{plan['seed']}. Serving settings chosen on the validation replay just before the "
        f"test window ({results['validation_events']} events):",
        "",
    ]
    for kind, chosen in results["chosen"].items():
        lines.append(f"- {kind}: " + ", ".join(f"{k} {v}" for k, v in chosen.items()))
    lines += [
        "",
        "| model | group | liked next | HR@10 | NDCG@10 | MRR@10 | HR@10, every next |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, row in results["models"].items():
        for group in GROUPS:
            m = row["metrics"][group]
            lines.append(
                f"| {label} | {group} | {m['events']} | {m['hit_rate_at_10']:.3f} | "
                f"{m['ndcg_at_10']:.3f} | {m['mrr_at_10']:.3f} | "
                f"{m['hit_rate_at_10_every_next']:.3f} |"
            )
    for kind, ratios in results["ratios"].items():
        lines += ["", f"{kind}, HR@10 on liked next titles, all events:"]
        lines += [f"- {name.replace('_', ' ')}: {value}x" for name, value in ratios.items()]
        lines += _probe_lines(results["probes"][kind])
    lines += ["", "![replay](replay.png)", ""]
    return lines


def _probe_lines(probes: dict[str, Any]) -> list[str]:
    from watchnext.recommender.probes import shift_table

    lines = ["", *shift_table([probes["after_a_dislike"], probes["after_a_like"]])]
    reasons = probes["reasons"]
    lines += [
        "",
        f"Distinct reasons across 10 picks, viewers with {reasons['min_liked']}+ liked titles "
        f"({reasons['viewers']}): median {reasons['median_distinct_reasons']} as they stand, "
        f"{reasons['median_distinct_reasons_after_a_like']} just after a 5/5.",
    ]
    return lines


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
