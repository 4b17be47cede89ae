"""The experiment's split, team-draft interleaving and its credit, and the sequential test's
arithmetic (checked against the formula written out in Johari et al.'s own terms)."""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from scipy import stats

from watchnext.domain.events import CLICK, InteractionEvent
from watchnext.domain.experiment import (
    Arm,
    Design,
    Experiment,
    ExperimentError,
    attribution_source,
    credit,
    team_draft,
)
from watchnext.domain.review import EventSource
from watchnext.domain.sequential import (
    MIN_VIEWERS_PER_ARM,
    Verdict,
    ViewerSums,
    share_of_wins,
    two_rates,
)

STARTED = datetime(2026, 12, 1, tzinfo=UTC)


def experiment(*shares: float, name: str = "als-vs-pop", design: Design = Design.AB) -> Experiment:
    arms = tuple(Arm(f"arm{i}", f"/models/{i}", share) for i, share in enumerate(shares))
    return Experiment(name, arms, design, STARTED)


def test_a_viewer_always_lands_in_the_same_arm() -> None:
    split = experiment(1, 1)
    assert all(split.arm_for(f"v{n}") == split.arm_for(f"v{n}") for n in range(200))
    # a copy of the experiment (as another process reads it back) splits the same way
    again = experiment(1, 1)
    assert [split.arm_for(f"v{n}") for n in range(200)] == [
        again.arm_for(f"v{n}") for n in range(200)
    ]


@pytest.mark.parametrize("shares", [(1, 1), (1, 1, 1), (9, 1), (0.2, 0.3, 0.5)])
def test_the_split_follows_the_shares_within_its_interval(shares: tuple[float, ...]) -> None:
    split = experiment(*shares)
    viewers = 20_000
    counts = Counter(split.arm_for(f"viewer-{n}").name for n in range(viewers))
    expected = [viewers * s / sum(shares) for s in shares]
    observed = [counts[f"arm{i}"] for i in range(len(shares))]

    assert stats.chisquare(observed, expected).pvalue > 0.001


def test_experiments_split_independently_of_each_other() -> None:
    first, second = experiment(1, 1, name="first"), experiment(1, 1, name="second")
    pairs = Counter(
        (first.arm_for(f"v{n}").name, second.arm_for(f"v{n}").name) for n in range(20_000)
    )
    table = [[pairs[("arm0", "arm0")], pairs[("arm0", "arm1")]],
             [pairs[("arm1", "arm0")], pairs[("arm1", "arm1")]]]  # fmt: skip

    assert stats.chi2_contingency(table).pvalue > 0.001


@pytest.mark.parametrize(
    ("arms", "design", "message"),
    [
        ((Arm("a", "x"),), Design.AB, "at least two arms"),
        ((Arm("a", "x"), Arm("a", "y")), Design.AB, "must differ"),
        ((Arm("a", "x"), Arm("b", "y", 0)), Design.AB, "share must be above 0"),
        ((Arm("a", "x"), Arm("b", "y"), Arm("c", "z")), Design.INTERLEAVING, "exactly two"),
        ((Arm("a b", "x"), Arm("b", "y")), Design.AB, "arm name 'a b'"),
    ],
)
def test_an_experiment_that_cannot_run_says_what_to_change(
    arms: tuple[Arm, ...], design: Design, message: str
) -> None:
    with pytest.raises(ExperimentError, match=message):
        Experiment("exp", arms, design, STARTED)


def test_team_draft_takes_turns_and_never_repeats_a_title() -> None:
    first, second = list("abcdefgh"), list("bdacfhge")
    for seed in range(50):
        mixed = team_draft(first, second, 6, random.Random(seed))

        assert len(mixed.items) == len(set(mixed.items)) == 6
        counts = Counter(mixed.teams)
        assert abs(counts[0] - counts[1]) <= 1
        for team, ranking in ((0, first), (1, second)):
            drafted = [item for item, t in zip(mixed.items, mixed.teams, strict=True) if t == team]
            # each arm's picks keep its own order
            assert drafted == sorted(drafted, key=ranking.index)


def test_team_draft_follows_the_first_arms_ranking_when_both_agree() -> None:
    same = list("abcdefghij")
    assert team_draft(same, same, 10, random.Random(1)).items == tuple(same)


def test_when_one_ranking_runs_out_the_other_fills_the_list() -> None:
    mixed = team_draft(["a"], list("bcdef"), 4, random.Random(3))
    assert sorted(mixed.items) == sorted(["a", "b", "c", "d"])
    assert mixed.teams.count(0) == 1


def test_a_click_is_credited_to_the_arm_that_drafted_the_pick() -> None:
    teams = (0, 1, 1, 0, 0, 1)
    assert credit(teams, [1]) == 1
    assert credit(teams, [0, 3]) == 0
    assert credit(teams, [0, 1]) is None  # one each: a tie
    assert credit(teams, []) is None


def test_under_random_clicks_neither_arm_is_credited_more_often() -> None:
    rng = random.Random(7)
    wins: Counter[int | None] = Counter()
    for _ in range(4000):
        mixed = team_draft(list("abcdefghij"), list("jihgfedcba"), 10, rng)
        clicked = [p for p in range(10) if rng.random() < 0.3 * 0.8**p]
        wins[credit(mixed.teams, clicked)] += 1

    decided = wins[0] + wins[1]
    assert stats.binomtest(wins[1], decided, 0.5).pvalue > 0.001


def johari_lambda(mean: float, null: float, sigma2: float, n: int, tau2: float) -> float:
    """The normal-mixture mSPRT statistic as the paper writes it, in σ² and n."""
    return math.sqrt(sigma2 / (sigma2 + n * tau2)) * math.exp(
        n**2 * tau2 * (mean - null) ** 2 / (2 * sigma2 * (sigma2 + n * tau2))
    )


def lists(wins: int, decided: int, viewers: int = 100) -> ViewerSums:
    """``decided`` lists spread evenly over ``viewers``, ``wins`` of them won by the second arm
    (as evenly): no viewer leans more than the rest."""
    sums = ViewerSums()
    for v in range(viewers):
        mine = decided // viewers + (v < decided % viewers)
        won = wins // viewers + (v < wins % viewers)
        sums.add(mine, won)
    return sums


def test_the_share_test_is_the_papers_statistic_with_bernoulli_variance() -> None:
    """With no viewer leaning, V is 1/(4n): the paper's statistic with σ² = 1/4."""
    evidence = share_of_wins(lists(wins=130, decided=200), mixture_sd=0.1)
    assert evidence.variance == pytest.approx(0.25 / 200)
    assert evidence.likelihood_ratio == pytest.approx(
        johari_lambda(130 / 200, 0.5, 0.25, 200, 0.01), rel=1e-12
    )


def test_lists_of_viewers_who_lean_count_for_less_than_independent_lists() -> None:
    """Half the viewers' lists all go one way, half the other: the share is 1/2 either way,
    but one viewer's lists are one piece of evidence, and the variance says so."""
    leaning = ViewerSums()
    for v in range(100):
        leaning.add(4, 4 if v % 2 else 0)
    assert share_of_wins(leaning).variance > 3 * share_of_wins(lists(200, 400)).variance


def test_the_interval_ends_exactly_where_the_test_starts_to_reject() -> None:
    evidence = share_of_wins(lists(wins=120, decided=200))
    low, high = evidence.interval(0.05)
    for edge in (low, high):
        at_edge = type(evidence)(evidence.estimate, edge, evidence.variance, evidence.mixture_sd)
        assert at_edge.likelihood_ratio == pytest.approx(1 / 0.05, rel=1e-9)
    assert low < 0.6 < high


def test_the_verdicts() -> None:
    assert share_of_wins(lists(150, 200)).verdict(0.05, 0.05) is Verdict.WINNER
    assert share_of_wins(lists(60, 100)).verdict(0.05, 0.05) is Verdict.NOT_YET
    assert share_of_wins(lists(50_000, 100_000)).verdict(0.05, 0.05) is Verdict.NO_DIFFERENCE
    # nothing to judge yet: no evidence either way
    assert share_of_wins(lists(20, 20, viewers=20)).verdict(0.05, 0.05) is Verdict.NOT_YET
    assert two_rates(ViewerSums(), ViewerSums()).p_value == 1.0


def test_viewer_sums_kept_up_to_date_equal_sums_made_from_scratch() -> None:
    rng = random.Random(5)
    running, counts = ViewerSums(), [[0, 0] for _ in range(80)]
    for _ in range(600):
        viewer = rng.randrange(80)
        was = tuple(counts[viewer]) if counts[viewer][0] else None
        counts[viewer][0] += 1
        counts[viewer][1] += rng.random() < 0.2
        running.add(counts[viewer][0], counts[viewer][1], was=was)  # type: ignore[arg-type]

    fresh = ViewerSums()
    for emails, clicked in counts:
        if emails:
            fresh.add(emails, clicked)
    assert running.viewers == fresh.viewers
    assert running.rate == pytest.approx(fresh.rate)
    assert running.variance == pytest.approx(fresh.variance)


def test_the_click_through_variance_is_the_delta_methods() -> None:
    emails = np.array([3, 1, 7, 2, 5, 4, 1, 6] * 10, dtype=float)
    clicked = np.array([1, 0, 2, 0, 1, 3, 1, 0] * 10, dtype=float)
    sums = ViewerSums()
    for e, c in zip(emails, clicked, strict=True):
        sums.add(float(e), float(c))
    # Var(C/E) ~ (var_c - 2 r cov_ce + r^2 var_e) / (n mean_e^2), population moments (Deng et al.)
    n, r = len(emails), clicked.sum() / emails.sum()
    cov = np.cov(emails, clicked, bias=True)
    expected = (cov[1, 1] - 2 * r * cov[0, 1] + r * r * cov[0, 0]) / (n * emails.mean() ** 2)
    assert sums.variance == pytest.approx(expected)


def test_ab_judges_nothing_before_enough_viewers_in_each_arm() -> None:
    few, many = ViewerSums(), ViewerSums()
    for n in range(MIN_VIEWERS_PER_ARM - 1):
        few.add(1, n % 2)
    for n in range(400):
        many.add(1, int(n % 10 == 0))
    assert two_rates(many, few).likelihood_ratio == 1.0
    few.add(1, 1)
    assert two_rates(many, few).verdict(0.05, 0.02) is Verdict.WINNER


def test_status_counts_each_arms_viewers_emails_and_clicks_from_what_was_sent() -> None:
    from watchnext.service.experiments import ExperimentEmail, experiment_status

    ab = experiment(1, 1)
    emails = [
        ExperimentEmail("j1", "v1", ("arm0",) * 3),
        ExperimentEmail("j2", "v1", ("arm0",) * 3),
        ExperimentEmail("j3", "v2", ("arm1",) * 3),
    ]
    found = experiment_status(ab, emails, {"j1": frozenset({1, 3}), "j3": frozenset({2})})

    first, second = found.arms
    assert (first.viewers, first.emails, first.clicks, first.clicked_emails) == (1, 2, 2, 1)
    assert (second.viewers, second.emails, second.clicks, second.clicked_emails) == (1, 1, 1, 1)
    assert first.click_through == 0.5
    assert found.verdict is Verdict.NOT_YET  # two viewers judge nothing


def test_interleaving_status_credits_each_list_to_the_arm_whose_picks_were_clicked() -> None:
    from watchnext.service.experiments import ExperimentEmail, experiment_status

    mixed = experiment(1, 1, design=Design.INTERLEAVING)
    emails = [
        ExperimentEmail("j1", "v1", ("arm0", "arm1", "arm1", "arm0")),
        ExperimentEmail("j2", "v2", ("arm1", "arm0", "arm0", "arm1")),
        ExperimentEmail("j3", "v3", ("arm0", "arm1", "arm0", "arm1")),
        ExperimentEmail("j4", "v4", ("arm0", "arm1", "arm0", "arm1")),
    ]
    clicked = {
        "j1": frozenset({2, 3}),  # both arm1: arm1 wins
        "j2": frozenset({1}),  # arm1 wins
        "j3": frozenset({1, 2}),  # one each: a tie, not decided
        "j4": frozenset({3}),  # arm0 wins
    }
    found = experiment_status(mixed, emails, clicked)

    assert found.decided_lists == 3
    (only,) = found.comparisons
    assert only.evidence.estimate == pytest.approx(2 / 3)  # the second arm's share
    assert [arm.clicks for arm in found.arms] == [2, 4]


def three_arm_status(rates: tuple[float, float, float], viewers: int = 300) -> Any:
    """An A/B of three arms, ``viewers`` per arm, each viewer one email clicked at the arm's
    rate (spread evenly over the viewers, so the figures are exact)."""
    from watchnext.service.experiments import ExperimentEmail, experiment_status

    emails, clicked = [], {}
    for arm, rate in enumerate(rates):
        for n in range(viewers):
            job = f"j{arm}-{n}"
            emails.append(ExperimentEmail(job, f"v{arm}-{n}", (f"arm{arm}",) * 3))
            if n % 10 < rate * 10:
                clicked[job] = frozenset({1})
    return experiment_status(experiment(1, 1, 1), emails, clicked)


def test_an_ab_of_three_arms_names_the_arm_that_beats_both_others() -> None:
    found = three_arm_status((0.1, 0.2, 0.4))

    assert [(c.first, c.second) for c in found.comparisons] == [
        ("arm0", "arm1"), ("arm0", "arm2"), ("arm1", "arm2"),
    ]  # fmt: skip
    assert [c.alpha for c in found.comparisons] == [pytest.approx(0.05 / 3)] * 3  # Bonferroni
    assert (found.verdict, found.winner) == (Verdict.WINNER, "arm2")


def test_an_ab_of_three_arms_names_no_winner_while_two_lead_together() -> None:
    found = three_arm_status((0.1, 0.4, 0.4))

    assert [c.better for c in found.comparisons] == ["arm1", "arm2", None]
    assert (found.verdict, found.winner) == (Verdict.NOT_YET, None)


def test_an_interleaved_pick_keeps_the_explanation_of_the_arm_that_drafted_it() -> None:
    from watchnext.domain.experiment import interleaved
    from watchnext.domain.recommendation import RecommendationList, ScoredItem

    mixed = experiment(1, 1, design=Design.INTERLEAVING)
    popular = RecommendationList((ScoredItem("jedi", reasons=("popular",)), ScoredItem("fargo")))
    liked = RecommendationList((ScoredItem("jedi", because="star-wars"), ScoredItem("alien")))
    for _ in range(20):
        ranked = interleaved(mixed, [popular, liked], 2)
        for item in ranked.items:
            if item.item_id == "jedi":
                assert (item.arm, item.because) in {("arm0", None), ("arm1", "star-wars")}
        assert ranked.experiment == mixed.name
        assert ranked.recommendation_id is None


def event(
    drafted_by: str | None = None, source: EventSource = EventSource.EMAIL
) -> InteractionEvent:
    return InteractionEvent(
        "e-1", "viewer-1", "Lucy", CLICK, 1.0, STARTED, {}, source=source, drafted_by=drafted_by
    )


def test_each_event_counts_for_its_arm_in_metric_attribution() -> None:
    ab, mixed = experiment(1, 1), experiment(1, 1, design=Design.INTERLEAVING)
    viewers_arm = ab.arm_for("viewer-1").name

    assert attribution_source(event(), None) == "email"
    assert attribution_source(event(), ab) == f"email/als-vs-pop/{viewers_arm}"
    # interleaving: a click counts for the arm that drafted its pick, anything else for none
    assert attribution_source(event("arm1"), mixed) == "email/als-vs-pop/arm1"
    assert attribution_source(event(source=EventSource.API), mixed) == "api"
