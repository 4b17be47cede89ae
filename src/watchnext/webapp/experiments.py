"""The Experiments tab: the running (or latest) experiment's arms and verdict, as
`watchnext experiment status` shows them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from watchnext.service.experiments import Comparison, ExperimentStatus

StatusSource = Callable[[], ExperimentStatus | None]
"""The running experiment's status, else the latest one's; None before any."""

NO_EXPERIMENT = (
    "No experiment yet. Start one with two trained models, for example: watchnext experiment "
    "start als-vs-pop --arm pop=artifacts/popularity --arm als=artifacts/als --design "
    "interleaving"
)


def experiments_tab() -> Any:
    from dash import dash_table, dcc, html

    data_table: Any = dash_table.DataTable  # type: ignore[attr-defined]
    return dcc.Tab(
        label="Experiments",
        value="experiments",
        children=[
            html.Div(
                style={"margin": "16px 0"},
                children=[
                    html.Button("Refresh", id="experiments-refresh"),
                    html.H3(id="experiment-name"),
                    data_table(
                        id="experiment-arms",
                        columns=[
                            {"name": name, "id": key}
                            for name, key in (
                                ("arm", "arm"),
                                ("viewers", "viewers"),
                                ("emails", "emails"),
                                ("clicks", "clicks"),
                                ("click-through", "click_through"),
                            )
                        ],
                        style_cell={"textAlign": "left", "fontFamily": "sans-serif"},
                    ),
                    html.P(id="experiment-verdict", role="status"),
                ],
            )
        ],
    )


def heading(status: ExperimentStatus | None) -> str:
    if status is None:
        return "Experiments"
    experiment = status.experiment
    arms = " against ".join(arm.name for arm in experiment.arms)
    return f"{experiment.name}: {arms} ({experiment.design.value})"


def arm_rows(status: ExperimentStatus | None) -> list[dict[str, Any]]:
    if status is None:
        return []
    return [
        {
            "arm": arm.name,
            "viewers": arm.viewers,
            "emails": arm.emails,
            "clicks": arm.clicks,
            "click_through": f"{arm.click_through:.1%}",
        }
        for arm in status.arms
    ]


def verdict_text(status: ExperimentStatus | None) -> str:
    if status is None:
        return NO_EXPERIMENT
    verdict = status.verdict.value + (f": {status.winner}" if status.winner else "")
    tests = "; ".join(_comparison_text(status, c) for c in status.comparisons)
    return f"{tests} (mSPRT). Verdict: {verdict}."


def _comparison_text(status: ExperimentStatus, comparison: Comparison) -> str:
    if status.experiment.design.value == "interleaving":
        what = (
            f"{comparison.second} won {comparison.evidence.estimate:.1%} of the "
            f"{status.decided_lists} lists whose clicks chose an arm"
        )
    else:
        what = (
            f"click-through of {comparison.second} minus {comparison.first}: "
            f"{comparison.evidence.estimate:+.1%}"
        )
    low, high = comparison.interval
    interval = "none yet" if low == float("-inf") else f"{low:.3f} to {high:.3f}"
    return (
        f"{what}; always-valid {1 - comparison.alpha:.0%} interval {interval}, "
        f"p = {comparison.evidence.p_value:.3g}"
    )


def register_experiments(app: Any, source: StatusSource) -> None:
    from dash import Input, Output

    @app.callback(  # type: ignore[untyped-decorator]
        Output("experiment-name", "children"),
        Output("experiment-arms", "data"),
        Output("experiment-verdict", "children"),
        Input("experiments-refresh", "n_clicks"),
        Input("tabs", "value"),
    )
    def show_experiment(_: int | None, __: str) -> tuple[Any, ...]:
        status = source()
        return heading(status), arm_rows(status), verdict_text(status)
