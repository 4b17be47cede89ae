"""The Engagement tab: what the emails earn, from the local stack's engagement log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from watchnext.domain.engagement import DEFAULT_CONFIDENCE, EngagementReport

ReportSource = Callable[[float], EngagementReport]
"""The confidence level → the report (the engagement log's `report`)."""


def engagement_tab() -> Any:
    from dash import dash_table, dcc, html

    data_table: Any = dash_table.DataTable  # type: ignore[attr-defined]
    return dcc.Tab(
        label="Engagement",
        value="engagement",
        children=[
            html.Div(
                style={"margin": "16px 0"},
                children=[
                    html.Button("Refresh", id="engagement-refresh"),
                    html.P(id="engagement-summary", role="status"),
                    html.Div(
                        style={"display": "flex", "gap": "16px"},
                        children=[
                            dcc.Graph(id="ctr-by-position", style={"flex": "1"}),
                            dcc.Graph(id="click-delays", style={"flex": "1"}),
                        ],
                    ),
                    html.H3("By model"),
                    data_table(
                        id="ctr-by-model",
                        columns=[
                            {"name": name, "id": key}
                            for name, key in (
                                ("model", "model_id"),
                                ("links shown", "shown"),
                                ("clicks", "clicked"),
                                ("click-through", "rate"),
                                ("interval", "interval"),
                            )
                        ],
                        style_cell={"textAlign": "left", "fontFamily": "sans-serif"},
                    ),
                ],
            )
        ],
    )


def summary(report: EngagementReport) -> str:
    if report.emails_sent == 0:
        return "No email sent yet: rate a title, or run `watchnext simulate --viewers 200`."
    delay = report.median_delay_seconds
    when = f"; half the clicks came within {_duration(delay)} of sending" if delay else ""
    return (
        f"{report.emails_sent} emails sent, {report.clicks} clicks: "
        f"{report.overall.value:.1%} of the links shown were followed{when}. Intervals are "
        f"{report.confidence:.0%} Wilson score intervals."
    )


def position_figure(report: EngagementReport) -> Any:
    import plotly.graph_objects as go

    positions = [position for position, _ in report.by_position]
    rates = [r.value for _, r in report.by_position]
    below, above = report.position_error_bars()
    figure = go.Figure(
        go.Bar(
            x=positions,
            y=rates,
            error_y={"type": "data", "array": above, "arrayminus": below},
            marker_color="#1f3a5f",
        )
    )
    figure.update_layout(
        title="Click-through rate by position in the email",
        xaxis={"title": "position", "dtick": 1},
        yaxis={"title": "clicks per email", "tickformat": ".0%", "rangemode": "tozero"},
        margin={"t": 48, "l": 56, "r": 16, "b": 48},
    )
    return figure


def delay_figure(report: EngagementReport) -> Any:
    import plotly.graph_objects as go

    figure = go.Figure(go.Histogram(x=list(report.delays_seconds), marker_color="#6b7280"))
    figure.update_layout(
        title="Time from sending to the click",
        xaxis={"title": "seconds after the email was sent"},
        yaxis={"title": "clicks"},
        margin={"t": 48, "l": 56, "r": 16, "b": 48},
    )
    return figure


def model_rows(report: EngagementReport) -> list[dict[str, Any]]:
    return [
        {
            "model_id": model,
            "shown": r.shown,
            "clicked": r.clicked,
            "rate": f"{r.value:.1%}",
            "interval": f"{r.low:.1%} to {r.high:.1%}",
        }
        for model, r in report.by_model
    ]


def register_engagement(app: Any, source: ReportSource) -> None:
    from dash import Input, Output

    @app.callback(  # type: ignore[untyped-decorator]
        Output("engagement-summary", "children"),
        Output("ctr-by-position", "figure"),
        Output("click-delays", "figure"),
        Output("ctr-by-model", "data"),
        Input("engagement-refresh", "n_clicks"),
        Input("tabs", "value"),
    )
    def show_engagement(_: int | None, __: str) -> tuple[Any, ...]:
        report = source(DEFAULT_CONFIDENCE)
        return summary(report), position_figure(report), delay_figure(report), model_rows(report)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
