"""Simulated experiments with a ground truth: viewers click the titles they go on to like.
An A/A calls a false winner no more often than alpha, though it is looked at after every
email; a model that predicts the future better wins, in both designs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from scipy.stats import binomtest
from typer.testing import CliRunner

from tests.support.models import write_clusters
from watchnext.cli import app
from watchnext.domain.engagement import ClickModel
from watchnext.domain.experiment import Design
from watchnext.recommender.data import load_interactions
from watchnext.recommender.models import LocalRecommender
from watchnext.recommender.online import MIRRORED, Replayed, emails_of, mirrored, study
from watchnext.recommender.replay import ReplayPlan, windows

CLICKS = ClickModel(top=0.35, decay=0.8)


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    data = load_interactions(write_clusters(tmp_path_factory.mktemp("data")))
    _, test = windows(data, ReplayPlan(viewers=80, events_per_viewer=8, test_share=0.3))

    def fit(kind: str) -> LocalRecommender:
        params = {"factors": 4, "iterations": 10} if kind == "als" else {}
        return LocalRecommender.fit(data, kind, params, train_mask=test.train_mask)

    return emails_of(
        {"als live": (fit("als"), True), "popularity": (fit("popularity"), False)}, data, test
    )


def a_a(replayed: Replayed) -> tuple[Replayed, tuple[str, str]]:
    """The same model in both arms."""
    return replayed, ("als live", "als live")


def viewers_who_disagree(replayed: Replayed) -> tuple[Replayed, tuple[str, str]]:
    """Each viewer prefers one arm, and the viewers balance out: a variance over lists, not
    viewers, fails this null (interleaving called 36% false winners so on MovieLens)."""
    return mirrored(replayed, "als live", "popularity"), MIRRORED


@pytest.mark.parametrize("null", [a_a, viewers_who_disagree])
@pytest.mark.parametrize("design", list(Design))
def test_a_null_watched_after_every_email_calls_a_false_winner_at_most_alpha_of_the_time(
    replayed: Replayed, design: Design, null: Callable[[Replayed], tuple[Replayed, tuple[str, str]]]
) -> None:
    world, arms = null(replayed)
    found = study(world, arms, design, runs=200, clicks=CLICKS, max_viewers=300,
                  stop_at_winner=False)  # fmt: skip

    false_winners = found["verdicts"]["winner"]
    # not significantly above alpha (an email-level variance made 27% in the A/A: this fails
    # then; a list-level one fails where viewers disagree)
    assert binomtest(false_winners, 200, 0.05, alternative="greater").pvalue > 0.01, found


@pytest.mark.parametrize("design", list(Design))
def test_the_model_that_predicts_the_viewers_future_wins(
    replayed: Replayed, design: Design
) -> None:
    result = study(replayed, ("popularity", "als live"), design, runs=20, clicks=CLICKS)

    assert result["winners"]["als live"] >= 19, result
    assert result["median_viewers_to_decide"] is not None


def test_the_simulate_command_writes_every_study(tmp_path: Path, trained: Path) -> None:
    data = write_clusters(tmp_path / "data")
    out = tmp_path / "experiments.json"

    result = CliRunner().invoke(
        app,
        ["experiment", "simulate", "--data", str(data), "--artifact", str(trained), "--out",
         str(out), "--aa-runs", "5", "--runs", "3", "--viewers", "40"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    results = json.loads(out.read_text())
    assert set(results["a_a"]) == {"ab", "interleaving"}
    assert set(results["viewers_disagree"]) == {"ab", "interleaving"}
    assert set(results["true_difference"]) == {
        "als live vs popularity",
        "als live vs als static",
    }
    assert "A/A ab:" in result.output
    assert "viewers who disagree interleaving:" in result.output
    assert "als live vs als static, interleaving: right winner" in result.output
