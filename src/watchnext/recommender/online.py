"""Simulated online experiments with a ground truth, for the many-repeat studies.

Viewers' clicks follow their own later ratings: the pick at position p is clicked with
probability ``ClickModel.rate(p)`` times whether the viewer rates that title 4 or more after
the email (MovieLens events after the replay's cut). A model that predicts the viewer's
future better then truly earns more clicks.

`emails_of` replays each arm once over the same viewers and events (the protocol of
`watchnext.recommender.replay`): after each of a viewer's events the arm's picks are taken,
without titles the viewer has rated, as the campaign's filter does. The experiments then
only draw: viewers arrive (sampled from the replayed ones), are split by the product's own
`Experiment.arm_for` (A/B) or shown `team_draft` lists (interleaving), click by the model,
and the sequential test (`watchnext.domain.sequential`) is looked at after every email.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from watchnext.domain.engagement import ClickModel
from watchnext.domain.experiment import (
    DEFAULT_ALPHA,
    DEFAULT_MIN_EFFECT,
    Arm,
    Design,
    Experiment,
    credit,
    team_draft,
)
from watchnext.domain.sequential import Evidence, Verdict, ViewerSums, share_of_wins, two_rates
from watchnext.recommender.data import Interactions
from watchnext.recommender.models import LocalRecommender
from watchnext.recommender.replay import Window, event_at

K = 10
LIKED_AT = 4.0


@dataclass(frozen=True)
class ArmEmails:
    """One arm's emails to the replayed viewers: ``picks[e]`` are item indexes (best first)
    of email ``e``; emails are in the same order for every arm of one `Replayed`."""

    label: str
    picks: list[tuple[int, ...]]


@dataclass(frozen=True)
class Replayed:
    """The emails each arm would send, and the ground truth for each email."""

    viewer_emails: list[range]
    """For each replayed viewer, the indexes of their emails."""
    future_likes: list[frozenset[int]]
    """For each email, the titles its viewer rates 4 or more after the cut and has not rated
    yet (every later event counts, not only the replayed ones)."""
    arms: dict[str, ArmEmails]


def emails_of(
    models: dict[str, tuple[LocalRecommender, bool]], data: Interactions, window: Window
) -> Replayed:
    """Each arm's picks after each replayed event; ``models``: label → (model, live). A live
    model records each event before its picks; a static one records nothing."""
    by_viewer: dict[int, list[int]] = {}
    for position in window.replayed.tolist():
        by_viewer.setdefault(int(data.users[position]), []).append(position)
    viewer_emails: list[range] = []
    future_likes: list[frozenset[int]] = []
    picks: dict[str, list[tuple[int, ...]]] = {label: [] for label in models}
    trained = window.train_mask
    item_index = {str(item): i for i, item in enumerate(data.item_ids)}
    for user, positions in by_viewer.items():
        user_id = str(data.user_ids[user])
        mine = data.users == user
        rated = set(data.items[trained & mine].tolist())
        liked_after_the_cut = set(data.items[~trained & mine & (data.values >= LIKED_AT)].tolist())
        start = len(future_likes)
        for position in positions:
            item = int(data.items[position])
            rated.add(item)
            future_likes.append(frozenset(liked_after_the_cut - rated))
            for label, (model, live) in models.items():
                if live:
                    model.record(event_at(data, position, user_id, str(data.item_ids[item])))
                picks[label].append(_picks(model, user_id, rated, item_index))
        viewer_emails.append(range(start, len(future_likes)))
    return Replayed(
        viewer_emails,
        future_likes,
        {label: ArmEmails(label, rows) for label, rows in picks.items()},
    )


def _picks(
    model: LocalRecommender, user_id: str, rated: set[int], index: dict[str, int]
) -> tuple[int, ...]:
    ranked = model.recommend(user_id, K + len(rated)).item_ids
    return tuple(i for i in (index[item] for item in ranked) if i not in rated)[:K]


MIRRORED = ("one way", "the other way")
"""The arms of `mirrored`."""


def mirrored(replayed: Replayed, first: str, second: str) -> Replayed:
    """A null whose viewers disagree: every replayed viewer twice, once shown ``first`` as the
    arm "one way" and ``second`` as "the other way", once the reverse. Over the viewers neither
    arm is better, yet each viewer prefers one: the null an A/A (one model twice) cannot pose.
    A variance taken over lists instead of viewers fails it."""
    viewer_emails: list[range] = []
    future_likes: list[frozenset[int]] = []
    picks: tuple[list[tuple[int, ...]], list[tuple[int, ...]]] = ([], [])
    for emails in replayed.viewer_emails:
        for shown in ((first, second), (second, first)):
            start = len(future_likes)
            for email in emails:
                future_likes.append(replayed.future_likes[email])
                for side, label in enumerate(shown):
                    picks[side].append(replayed.arms[label].picks[email])
            viewer_emails.append(range(start, len(future_likes)))
    arms = {label: ArmEmails(label, rows) for label, rows in zip(MIRRORED, picks, strict=True)}
    return Replayed(viewer_emails, future_likes, arms)


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    winner: str | None
    viewers: int
    emails: int


Look = tuple[Evidence | None, int, int]
"""After one email: the evidence (None when the email changed none), the viewers so far and
the emails so far."""


def run_experiment(
    replayed: Replayed,
    arms: tuple[str, str],
    design: Design,
    clicks: ClickModel,
    seed: int,
    *,
    alpha: float = DEFAULT_ALPHA,
    min_effect: float = DEFAULT_MIN_EFFECT,
    max_viewers: int = 20_000,
    stop_at_winner: bool = True,
) -> Outcome:
    """One experiment between two arms' emails (the same label twice: an A/A), the test
    judged after every email: the first verdict (or, with ``stop_at_winner`` off, the first
    winner), else "not yet" after ``max_viewers``.

    - A/B: viewers split by `Experiment.arm_for` with a salt of its own; the outcome per email
      is whether any pick was clicked; the test is on click-through per arm with viewer-level
      (delta method) variance.
    - Interleaving: every email a team-draft mix of the two arms' picks; each click credited
      to the arm that drafted it; the test on the share of decided lists the second arm wins.
    """
    if design is Design.AB:
        experiment = _experiment(arms, design, seed, alpha, min_effect)
        looks = _ab_looks(replayed, arms, experiment, clicks, seed, max_viewers)
    else:
        looks = _interleaving_looks(replayed, arms, clicks, seed, max_viewers)
    emails = 0
    for evidence, viewers, emails in looks:
        if evidence is None:
            continue
        verdict = evidence.verdict(alpha, min_effect)
        if verdict is not Verdict.NOT_YET and (stop_at_winner or verdict is Verdict.WINNER):
            return _outcome(verdict, evidence, arms, viewers, emails)
    return Outcome(Verdict.NOT_YET, None, max_viewers, emails)


def _ab_looks(
    replayed: Replayed,
    arms: tuple[str, str],
    experiment: Experiment,
    clicks: ClickModel,
    seed: int,
    max_viewers: int,
) -> Iterator[Look]:
    rng = np.random.default_rng(seed)
    rates = np.array([clicks.rate(p) for p in range(1, K + 1)])
    sums = (ViewerSums(), ViewerSums())
    emails = 0
    for arrival, viewer in _arrivals(replayed, rng, max_viewers):
        side = 0 if experiment.arm_for(f"viewer-{arrival}").name == "a" else 1
        emails_of_arm = replayed.arms[arms[side]].picks
        sent = clicked = 0
        for email in replayed.viewer_emails[viewer]:
            chance = _click_chance(emails_of_arm[email], replayed.future_likes[email], rates)
            was = (sent, clicked) if sent else None
            sent, clicked = sent + 1, clicked + int(rng.random() < chance)
            sums[side].add(sent, clicked, was=was)
            emails += 1
            yield two_rates(*sums), arrival + 1, emails


def _interleaving_looks(
    replayed: Replayed, arms: tuple[str, str], clicks: ClickModel, seed: int, max_viewers: int
) -> Iterator[Look]:
    rng = np.random.default_rng(seed)
    coin = random.Random(seed)  # noqa: S311 - a simulation's coin, not a secret
    rates = [clicks.rate(p) for p in range(1, K + 1)]
    first, second = (replayed.arms[label].picks for label in arms)
    lists = ViewerSums()
    emails = 0
    for arrival, viewer in _arrivals(replayed, rng, max_viewers):
        decided = wins = 0
        for email in replayed.viewer_emails[viewer]:
            mixed = team_draft(first[email], second[email], K, coin)
            liked = replayed.future_likes[email]
            draws = rng.random(len(mixed.items))
            clicked = [
                p for p, item in enumerate(mixed.items) if item in liked and draws[p] < rates[p]
            ]
            emails += 1
            winner = credit(mixed.teams, clicked)
            if winner is None:
                yield None, arrival + 1, emails
                continue
            was = (decided, wins) if decided else None
            decided, wins = decided + 1, wins + winner
            lists.add(decided, wins, was=was)
            yield share_of_wins(lists), arrival + 1, emails


def _experiment(
    arms: tuple[str, str], design: Design, seed: int, alpha: float, min_effect: float
) -> Experiment:
    return Experiment(
        f"sim-{seed}",
        (Arm("a", arms[0]), Arm("b", arms[1])),
        design,
        datetime(2026, 1, 1, tzinfo=UTC),
        alpha=alpha,
        min_effect=min_effect,
    )


def _arrivals(
    replayed: Replayed, rng: np.random.Generator, limit: int
) -> Iterator[tuple[int, int]]:
    """(arrival number, replayed viewer) pairs: viewers drawn from the replayed ones with
    replacement, so an experiment may run longer than the dataset has viewers."""
    for arrival in range(limit):
        yield arrival, int(rng.integers(len(replayed.viewer_emails)))


def _outcome(
    verdict: Verdict, evidence: Evidence, arms: tuple[str, str], viewers: int, emails: int
) -> Outcome:
    winner = None
    if verdict is Verdict.WINNER:
        winner = arms[1] if evidence.estimate > evidence.null else arms[0]
    return Outcome(verdict, winner, viewers, emails)


def study(
    replayed: Replayed,
    arms: tuple[str, str],
    design: Design,
    runs: int,
    clicks: ClickModel,
    *,
    seed: int = 0,
    alpha: float = DEFAULT_ALPHA,
    max_viewers: int = 20_000,
    stop_at_winner: bool = True,
) -> dict[str, Any]:
    """``runs`` experiments of one design between two arms: how often each verdict came,
    which arm won how often, and the viewers and emails it took (median over decided runs)."""
    outcomes = [
        run_experiment(
            replayed,
            arms,
            design,
            clicks,
            seed + n,
            alpha=alpha,
            max_viewers=max_viewers,
            stop_at_winner=stop_at_winner,
        )
        for n in range(runs)
    ]
    decided = [o for o in outcomes if o.verdict is not Verdict.NOT_YET]
    return {
        "design": design.value,
        "arms": list(arms),
        "runs": runs,
        "alpha": alpha,
        "max_viewers": max_viewers,
        "verdicts": {v.value: sum(o.verdict is v for o in outcomes) for v in Verdict},
        "winners": {label: sum(o.winner == label for o in outcomes) for label in set(arms)},
        "median_viewers_to_decide": float(np.median([o.viewers for o in decided]))
        if decided
        else None,
        "median_emails_to_decide": float(np.median([o.emails for o in decided]))
        if decided
        else None,
    }


@dataclass(frozen=True)
class StudyPlan:
    viewers: int = 300
    """Replayed viewers (the most active after the cut); experiments sample from them."""
    events_per_viewer: int = 10
    aa_runs: int = 200
    runs: int = 100
    aa_max_viewers: int = 2_000
    max_viewers: int = 20_000
    alpha: float = DEFAULT_ALPHA
    seed: int = 42


def run_studies(
    data: Interactions, params: dict[str, Any], plan: StudyPlan, clicks: ClickModel
) -> dict[str, Any]:
    """A/A for both designs (ALS live in both arms, watched to ``aa_max_viewers`` unless a
    winner is called), the same for viewers who disagree (`mirrored` ALS live and
    popularity), then ALS live against popularity and against ALS static, for both designs,
    each run stopped at its first verdict."""
    from watchnext.recommender.replay import ReplayPlan, windows

    _, test = windows(
        data,
        ReplayPlan(viewers=plan.viewers, events_per_viewer=plan.events_per_viewer, seed=plan.seed),
    )

    def fit(kind: str) -> LocalRecommender:
        return LocalRecommender.fit(
            data,
            kind,
            params if kind == "als" else {},
            random_state=plan.seed,
            train_mask=test.train_mask,
        )

    replayed = emails_of(
        {
            "als live": (fit("als"), True),
            "als static": (fit("als"), False),
            "popularity": (fit("popularity"), False),
        },
        data,
        test,
    )

    def each_design(
        world: Replayed, arms: tuple[str, str], runs: int, max_viewers: int, stop: bool = True
    ) -> dict[str, Any]:
        return {
            design.value: study(
                world,
                arms,
                design,
                runs,
                clicks,
                seed=plan.seed,
                alpha=plan.alpha,
                max_viewers=max_viewers,
                stop_at_winner=stop,
            )
            for design in Design
        }

    nulls = {
        "a_a": (replayed, ("als live", "als live")),
        "viewers_disagree": (mirrored(replayed, "als live", "popularity"), MIRRORED),
    }
    null_studies = {
        name: each_design(world, arms, plan.aa_runs, plan.aa_max_viewers, stop=False)
        for name, (world, arms) in nulls.items()
    }
    pairs = {
        "als live vs popularity": ("popularity", "als live"),
        "als live vs als static": ("als static", "als live"),
    }
    true_difference = {
        name: each_design(replayed, arms, plan.runs, plan.max_viewers)
        for name, arms in pairs.items()
    }
    return {
        "plan": plan.__dict__,
        "click_model": {"top": clicks.top, "decay": clicks.decay},
        "replayed_viewers": len(replayed.viewer_emails),
        "replayed_emails": len(replayed.future_likes),
        "click_through_by_arm": {
            label: _click_through(replayed, label, clicks) for label in replayed.arms
        },
        **null_studies,
        "true_difference": true_difference,
    }


def _click_through(replayed: Replayed, label: str, clicks: ClickModel) -> float:
    """The expected share of the arm's emails with a click: the ground truth it is judged on."""
    rates = np.array([clicks.rate(p) for p in range(1, K + 1)])
    chances = [
        _click_chance(picks, liked, rates)
        for picks, liked in zip(replayed.arms[label].picks, replayed.future_likes, strict=True)
    ]
    return round(float(np.mean(chances)), 4)


def _click_chance(picks: tuple[int, ...], liked: frozenset[int], rates: np.ndarray) -> float:
    """The chance an email of ``picks`` gets at least one click from a viewer who likes
    ``liked``, each pick followed independently at its position's rate."""
    relevant = np.array([item in liked for item in picks], dtype=float)
    return float(1 - np.prod(1 - rates[: len(picks)] * relevant))
