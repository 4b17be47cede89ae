"""`watchnext train` and `watchnext evaluate` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.support.models import write_clusters
from watchnext.cli import app

runner = CliRunner()


def test_train_saves_an_artifact_that_loads_for_the_same_data(tmp_path: Path) -> None:
    data = write_clusters(tmp_path / "data")
    result = runner.invoke(
        app,
        ["train", "--data", str(data), "--model", "als", "--param", "factors=4",
         "--param", "iterations=5", "--out", str(tmp_path / "model")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "als on 80 users, 30 items (640 interactions)" in result.stdout
    meta = json.loads((tmp_path / "model" / "meta.json").read_text())
    assert meta["params"]["factors"] == 4


def test_evaluate_writes_json_markdown_and_a_chart_with_personalize_beside(tmp_path: Path) -> None:
    data = write_clusters(tmp_path / "data")
    solution = tmp_path / "solution-metrics.json"
    solution.write_text(
        json.dumps(
            {
                "solutionVersionArn": (
                    "arn:aws:personalize:us-east-1:1:solution/watchnext-prod-upv2/abc"
                ),
                "metrics": {"coverage": 0.5, "normalized_discounted_cumulative_gain_at_10": 0.25},
            }
        )
    )

    result = runner.invoke(
        app,
        ["evaluate", "--data", str(data), "--out", str(tmp_path / "eval"), "--splits", "2",
         "--models", "popularity,itemknn", "--personalize-metrics", str(solution)],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    report = (tmp_path / "eval" / "EVALUATION.md").read_text()
    assert "`normalized_discounted_cumulative_gain_at_10`" in report
    assert "| Personalize watchnext-prod-upv2 |" in report
    assert "| itemknn | similarity=bm25" in report
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert len(metrics["models"]["itemknn"]["metrics"]["precision_at_10"]["splits"]) == 2
    assert (tmp_path / "eval" / "metrics.png").stat().st_size > 1000


def test_recommender_commands_explain_bad_input(tmp_path: Path) -> None:
    data = write_clusters(tmp_path / "data")
    for args, expected in (
        (["train", "--data", str(tmp_path), "--model", "als"], "no interactions.csv"),
        (["train", "--data", str(data), "--model", "svd"], "unknown model 'svd'"),
        (["train", "--data", str(data), "--param", "factors"], "name=value"),
        (["train", "--data", str(data), "--param", "nope=1"], "has no parameter 'nope'"),
        (
            ["evaluate", "--data", str(data), "--out", str(tmp_path), "--models", "als,svd"],
            "unknown model",
        ),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.stderr, (args, result.stderr)


def test_email_preview_renders_the_template_for_a_user(tmp_path: Path) -> None:
    data = write_clusters(tmp_path / "data")
    runner.invoke(
        app, ["train", "--data", str(data), "--model", "popularity", "--out", str(tmp_path / "m")]
    )

    result = runner.invoke(
        app,
        ["email", "preview", "--user", "a1", "--artifact", str(tmp_path / "m"), "--n", "3",
         "--out", str(tmp_path / "preview" / "email.html")],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    html = (tmp_path / "preview" / "email.html").read_text()
    assert html.count('class="item"') == 3
    assert "Title B" in html  # a1 rated A titles; popularity fills in the rest
    text = (tmp_path / "preview" / "email.txt").read_text()
    assert text.startswith("Subject: 3 picks for you after you rated Title A")
    missing = runner.invoke(
        app,
        [
            "email",
            "preview",
            "--user",
            "nobody",
            "--artifact",
            str(tmp_path / "m"),
            "--out",
            str(tmp_path / "x.html"),
        ],
    )
    assert missing.exit_code == 2
    assert "has rated nothing" in missing.stderr


def test_the_replay_protocol_compares_live_updates_with_static_and_popularity(
    tmp_path: Path,
) -> None:
    """Every model named is replayed, each beside its own baselines, with its serving
    settings, the probes of one like and one dislike, and the ratios of the same run."""
    data = write_clusters(tmp_path / "data")

    result = CliRunner().invoke(
        app,
        ["evaluate", "--data", str(data), "--out", str(tmp_path / "replay"), "--protocol",
         "replay", "--models", "popularity,als,ease", "--viewers", "10", "--test-share", "0.2"],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "replay" / "replay.json").read_text())
    variants = ("static", "full history", "every rating a like", "live")
    expected = {"popularity"} | {f"{kind} {v}" for kind in ("als", "ease") for v in variants}
    assert set(results["models"]) == expected
    assert set(results["chosen"]) == set(results["ratios"]) == set(results["probes"]) == {
        "als", "ease",
    }  # fmt: skip
    for row in results["models"].values():
        every = row["metrics"]["all"]
        assert every["every_next_events"] == results["replayed_events"] > 0
        assert every["events"] == every["every_next_events"]  # every rating here is a 5
    assert (tmp_path / "replay" / "replay.png").stat().st_size > 0
    report = (tmp_path / "replay" / "REPLAY.md").read_text()
    assert "| als live | all |" in report
    assert "| ease live | all |" in report


def test_a_replay_scores_only_next_titles_the_viewer_liked(tmp_path: Path) -> None:
    """A title rated 1 next is recorded but never scored: no model is rewarded for
    predicting what the viewer will dislike. HR@10 over every next title stays beside it."""
    from watchnext.recommender.data import load_interactions
    from watchnext.recommender.models import LocalRecommender
    from watchnext.recommender.replay import ReplayPlan, replay, windows

    folder = write_clusters(tmp_path / "data")
    lines = (folder / "interactions.csv").read_text().splitlines()
    disliked = [line.rsplit(",", 1)[0] + ",1" if n % 3 == 0 else line
                for n, line in enumerate(lines[1:])]  # fmt: skip
    (folder / "interactions.csv").write_text("\n".join([lines[0], *disliked]) + "\n")
    data = load_interactions(folder)
    _, test = windows(data, ReplayPlan(viewers=20, test_share=0.3))
    model = LocalRecommender.fit(data, "als", {"factors": 4}, train_mask=test.train_mask)

    result = replay(model, data, test)["all"]

    liked = int((data.values[test.replayed] >= 4).sum())
    assert 0 < result["events"] == liked < result["every_next_events"] == len(test.replayed)


def test_the_validation_window_ends_where_the_test_window_begins(tmp_path: Path) -> None:
    from watchnext.recommender.data import load_interactions
    from watchnext.recommender.replay import ReplayPlan, windows

    data = load_interactions(write_clusters(tmp_path / "data"))
    validation, test = windows(data, ReplayPlan(viewers=80, events_per_viewer=100))

    assert validation.train_mask.sum() < test.train_mask.sum()
    assert not test.train_mask[test.replayed].any()  # never trained on what it replays
    assert test.train_mask[validation.replayed].all()  # validation events are test training
    newest_validation = data.timestamps[validation.replayed].max()
    assert newest_validation <= data.timestamps[test.replayed].min()


def test_settings_are_chosen_by_the_promise_then_the_simplest_within_one_standard_error() -> None:
    """A setting that breaks the promise never wins, however well it replays; among the rest,
    replays within one standard error of the best are ties, and the simplest wins (the
    highest decay, then the smallest blend and penalty)."""
    from watchnext.recommender.replay import _best

    def trial(decay: float, blend: float, hit_rate: float, **probes: float) -> dict[str, object]:
        return {
            "stage": "sentiment", "decay": decay, "blend": blend, "last": 5, "like_at": 3.0,
            "dislike_below": 3.0, "dislike_penalty": 0.5, "hit_rate_at_10": hit_rate,
            "events": 600, "rise_after_a_like": 4.0, "rise_after_a_like_se": 0.3,
            "rise_after_a_dislike": -0.5, "rise_after_a_dislike_se": 0.1,
            "reasons_after_a_like": 3.5, **probes,
        }  # fmt: skip

    trials = [
        trial(0.6, 4.0, 0.40, rise_after_a_dislike=0.2),  # the best replay, but a dislike pulls
        trial(0.7, 2.0, 0.31),  # the best that keeps the promise
        trial(0.9, 1.0, 0.30),  # within one standard error (0.019) of it, and simpler
        trial(1.0, 0.0, 0.25),  # simplest, but worse than the noise allows
        trial(1.0, 0.5, 0.31, reasons_after_a_like=2.0),  # one reason for every pick
        trial(1.0, 1.0, 0.31, rise_after_a_like=2.2),  # a like moves too little, within its SE
    ]

    chosen = _best(trials)

    assert (chosen["decay"], chosen["blend"]) == (0.9, 1.0)


def test_training_chooses_serving_settings_holding_the_given_ones(tmp_path: Path) -> None:
    """`watchnext train` replays the data's newest events to choose what it was not given;
    what it was given (decay here) is held in every trial, and the artifact records the
    choice and the trials that made it."""
    data = write_clusters(tmp_path / "data")

    result = CliRunner().invoke(
        app,
        ["train", "--data", str(data), "--model", "als", "--param", "factors=4",
         "--param", "decay=0.7", "--out", str(tmp_path / "als")],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "als" / "meta.json").read_text())
    serving = meta["serving"]
    assert serving["chosen_on"] == "the replay of the newest events"
    assert {t["decay"] for t in serving["trials"]} == {0.7}
    assert meta["recency"]["decay"] == 0.7
    assert meta["recency"]["dislike_penalty"] == serving["chosen"]["dislike_penalty"] > 0
    assert meta["confidence"]["like_at"] == serving["chosen"]["like_at"]
