"""The pipeline's config resolution and its choice of the solution to deploy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest

from watchnext.pipeline.config import PipelineConfig, SelectionMetric, resolve_config
from watchnext.pipeline.errors import PipelineError
from watchnext.pipeline.selection import select
from watchnext.recommender.metrics import METRIC_NAMES

ROOT = Path(__file__).resolve().parents[2]
NDCG = "normalized_discounted_cumulative_gain_at_10"


def trained(name: str, **metrics: float) -> dict[str, object]:
    return {
        "name": name,
        "solutionArn": f"arn:solution/{name}",
        "solutionVersionArn": f"arn:solution/{name}/1",
        "metrics": metrics,
    }


def test_the_highest_metric_wins_and_ties_go_to_the_first_configured() -> None:
    solutions = [
        trained("a", **{NDCG: 0.2}),
        trained("b", **{NDCG: 0.3}),
        trained("c", **{NDCG: 0.3}),
    ]

    assert select(solutions, NDCG)["best"]["name"] == "b"


def test_a_solution_without_the_metric_cannot_win() -> None:
    solutions = [trained("a", coverage=0.9), trained("b", **{NDCG: 0.01, "coverage": 0.1})]

    assert select(solutions, NDCG)["best"]["name"] == "b"


def test_no_solution_with_the_metric_is_an_error_naming_it() -> None:
    with pytest.raises(PipelineError, match="no solution reported 'precision_at_5'"):
        select([trained("a", coverage=0.5)], "precision_at_5")


def test_metric_data_has_one_dimension_per_solution() -> None:
    data = select([trained("a", **{NDCG: 0.2, "coverage": 0.5})], NDCG)["metricData"]

    assert {(d["MetricName"], d["Dimensions"][0]["Value"], d["Value"]) for d in data} == {
        (NDCG, "a", 0.2),
        ("coverage", "a", 0.5),
    }


def no_file(bucket: str, key: str) -> str | None:
    return None


def test_an_execution_input_is_the_config_with_defaults_filled_in() -> None:
    config = resolve_config({"trainingMode": "UPDATE"}, no_file, "b", "training/config.json")

    assert config.training_mode == "UPDATE"
    assert config.perform_auto_training is False
    assert [s.name for s in config.solutions] == ["user-personalization-v2", "popularity-count"]


def test_a_schedule_overrides_the_uploaded_config_or_the_defaults() -> None:
    stored = {("b", "training/config.json"): json.dumps({"minProvisionedTPS": 2})}
    schedule = {"schedule": {"trainingMode": "UPDATE"}}

    with_file = resolve_config(
        schedule, lambda b, k: stored.get((b, k)), "b", "training/config.json"
    )
    without = resolve_config(schedule, no_file, "b", "training/config.json")

    assert (with_file.training_mode, with_file.min_provisioned_tps) == ("UPDATE", 2)
    assert (without.training_mode, without.min_provisioned_tps) == ("UPDATE", 1)


def test_unknown_fields_and_bad_names_are_rejected_by_name() -> None:
    with pytest.raises(PipelineError, match="recipe: Extra inputs are not permitted"):
        resolve_config({"recipe": "hrnn"}, no_file, "b", "k")
    bad = {"solutions": [{"name": "Has Spaces", "recipeArn": "arn:aws:personalize:::recipe/x"}]}
    with pytest.raises(PipelineError, match=r"solutions\.0\.name"):
        resolve_config(bad, no_file, "b", "k")


def test_the_example_config_is_the_defaults_spelled_out() -> None:
    example = json.loads((ROOT / "data_pipeline" / "config.example.json").read_text())

    assert example == PipelineConfig().as_input()


def test_the_selectable_metrics_are_personalize_s_offline_metrics() -> None:
    assert get_args(SelectionMetric) == METRIC_NAMES
