"""Choosing the solution version to deploy, and the CloudWatch metric data of a training run.

A Lambda step of the training state machine: JSONPath cannot look up a metric whose name is
in the config, nor take an arg-max over a list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from watchnext.pipeline.errors import PipelineError

METRIC_DATA_LIMIT = 1000  # PutMetricData accepts at most this many values per call


@dataclass(frozen=True, slots=True)
class TrainedSolution:
    name: str
    solution_arn: str
    solution_version_arn: str
    metrics: Mapping[str, float]

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> TrainedSolution:
        return cls(
            name=str(state["name"]),
            solution_arn=str(state["solutionArn"]),
            solution_version_arn=str(state["solutionVersionArn"]),
            metrics={
                str(key): float(value)
                for key, value in (state.get("metrics") or {}).items()
                if isinstance(value, int | float)
            },
        )


def best_solution(solutions: Sequence[TrainedSolution], metric: str) -> TrainedSolution:
    """The solution with the highest ``metric``; ties go to the earlier one in the config.

    A solution without the metric (or with NaN) cannot win; if none has it, that is an error
    naming the metric and what each solution reported.
    """
    scored = [s for s in solutions if math.isfinite(s.metrics.get(metric, math.nan))]
    if not scored:
        reported = {s.name: sorted(s.metrics) for s in solutions}
        raise PipelineError(f"no solution reported {metric!r}; reported: {reported}")
    return max(scored, key=lambda s: s.metrics[metric])


def metric_data(solutions: Sequence[TrainedSolution]) -> list[dict[str, Any]]:
    """PutMetricData entries: every offline metric, one dimension per solution name."""
    data = [
        {
            "MetricName": metric,
            "Dimensions": [{"Name": "Solution", "Value": solution.name}],
            "Value": value,
            "Unit": "None",
        }
        for solution in solutions
        for metric, value in sorted(solution.metrics.items())
        if math.isfinite(value)
    ]
    return data[:METRIC_DATA_LIMIT]


def select(states: Sequence[Mapping[str, Any]], metric: str) -> dict[str, Any]:
    """The step's answer: ``best`` (name, ARNs, score) and ``metricData``."""
    solutions = [TrainedSolution.from_state(state) for state in states]
    best = best_solution(solutions, metric)
    return {
        "best": {
            "name": best.name,
            "solutionArn": best.solution_arn,
            "solutionVersionArn": best.solution_version_arn,
            "metric": metric,
            "score": best.metrics[metric],
        },
        "metricData": metric_data(solutions),
    }
