"""The Dash app. `create_app` builds it; `watchnext demo` serves it with waitress."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from watchnext.adapters.local.outbox import Outbox
from watchnext.webapp.client import ReviewApiClient


@dataclass(frozen=True)
class Title:
    item_id: str
    title: str
    genres: str
    year: str


def load_catalog(dataset: Path) -> list[Title]:
    """Titles and genres from a prepared dataset's items.csv."""
    path = dataset / "items.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as stream:
        return [
            Title(
                row["ITEM_ID"],
                row["TITLE"] or row["ITEM_ID"],
                (row.get("GENRES") or "").replace("|", ", "),
                row.get("YEAR") or "",
            )
            for row in csv.DictReader(stream)
        ]


def _email_note(accepted: dict[str, Any]) -> str:
    if accepted.get("email_queued"):
        return " An email with these picks is on its way."
    if accepted.get("email_not_queued_reason") == "opted_out":
        return (
            " No email: this address unsubscribed. The unsubscribe link in any WatchNext email"
            " leads to a button to subscribe again."
        )
    return ""


def _recommendation_rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "rank": rank,
            "title": r["title"],
            "score": round(r["score"], 4) if r.get("score") is not None else "",
        }
        for rank, r in enumerate(body.get("recommendations", []), start=1)
    ]


EMAIL_ID = re.compile(r"[0-9]{1,24}")
"""An email's id: its file's name in the outbox (the nanosecond it arrived)."""
OUTBOX_PAGE_SIZE = 10
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
CONTENT_SECURITY_POLICY = (
    # Dash serves its scripts and styles from this origin; its one inline script is allowed by
    # hash (Dash.csp_hashes); emails render in a sandboxed srcdoc frame that runs nothing.
    "default-src 'self'; script-src 'self' 'unsafe-eval' {hashes}; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-src 'self'; "
    "frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def email_html(outbox: Outbox, email_id: str) -> str | None:
    """The HTML of the email ``email_id``; None when the outbox's index has none. Only a
    regular file directly inside the outbox is read, whatever the browser sent."""
    if not EMAIL_ID.fullmatch(email_id):
        return None
    stored = outbox.find(email_id)
    if stored is None:
        return None
    path = stored.path
    if path.is_symlink() or not path.is_file() or path.resolve().parent != outbox.folder.resolve():
        return None
    return stored.parts()[1]


def _guard(server: Any, allowed_hosts: frozenset[str], policy: str) -> None:
    """Security headers on every response; a Host header that is not ours is refused (DNS
    rebinding would otherwise let a web page read the local stack)."""
    from flask import abort, request

    @server.before_request  # type: ignore[untyped-decorator]
    def known_host() -> None:
        if urlsplit(f"//{request.host}").hostname not in allowed_hosts:
            abort(421)

    @server.after_request  # type: ignore[untyped-decorator]
    def headers(response: Any) -> Any:
        response.headers.update(SECURITY_HEADERS)
        response.headers["Content-Security-Policy"] = policy
        return response


def create_app(
    client: ReviewApiClient,
    catalog: list[Title],
    outbox_dir: Path,
    *,
    allowed_hosts: frozenset[str] = LOCAL_HOSTS,
) -> Any:
    from dash import Dash, Input, Output, State, dash_table, dcc, html, no_update

    data_table: Any = dash_table.DataTable  # type: ignore[attr-defined]

    app = Dash(__name__, title="WatchNext", suppress_callback_exceptions=True)
    outbox = Outbox(outbox_dir)
    table_style = {
        "style_cell": {"textAlign": "left", "fontFamily": "sans-serif", "fontSize": "14px"},
        "style_header": {"fontWeight": "600"},
    }
    rows = [t.__dict__ for t in catalog]
    app.layout = html.Div(
        style={"maxWidth": "1100px", "margin": "0 auto", "fontFamily": "sans-serif"},
        children=[
            html.H1("WatchNext"),
            dcc.Tabs(
                id="tabs",
                value="rate",
                children=[
                    dcc.Tab(
                        label="Rate titles",
                        value="rate",
                        children=[
                            html.Div(
                                style={"display": "flex", "gap": "12px", "margin": "16px 0"},
                                children=[
                                    dcc.Input(
                                        id="user-id",
                                        placeholder="viewer id",
                                        value="196",
                                        debounce=True,
                                    ),
                                    dcc.Input(
                                        id="email",
                                        placeholder="email address",
                                        value="viewer@example.com",
                                        type="email",
                                        style={"width": "260px"},
                                    ),
                                    html.Button("Show my recommendations", id="refresh"),
                                ],
                            ),
                            html.Div(
                                style={"display": "flex", "gap": "24px"},
                                children=[
                                    html.Div(
                                        style={"flex": "3"},
                                        children=[
                                            dcc.Input(
                                                id="search",
                                                placeholder="search titles…",
                                                debounce=False,
                                                style={"width": "100%", "marginBottom": "8px"},
                                            ),
                                            data_table(
                                                id="catalog",
                                                data=rows,
                                                page_size=12,
                                                row_selectable="single",
                                                columns=[
                                                    {"name": n.title(), "id": n}
                                                    for n in ("title", "genres", "year")
                                                ],
                                                **table_style,
                                            ),
                                            html.Div(
                                                style={"margin": "12px 0"},
                                                children=[
                                                    html.Label("Your rating"),
                                                    dcc.Slider(
                                                        id="rating",
                                                        min=1,
                                                        max=5,
                                                        step=1,
                                                        value=5,
                                                        marks={i: str(i) for i in range(1, 6)},
                                                    ),
                                                    html.Button(
                                                        "Rate the selected title",
                                                        id="rate",
                                                        style={"marginTop": "8px"},
                                                    ),
                                                ],
                                            ),
                                            html.Div(
                                                id="status",
                                                role="status",
                                                style={"padding": "8px", "minHeight": "24px"},
                                            ),
                                        ],
                                    ),
                                    html.Div(
                                        style={"flex": "2"},
                                        children=[
                                            html.H3("Before your rating"),
                                            data_table(
                                                id="before",
                                                columns=[
                                                    {"name": n, "id": n}
                                                    for n in ("rank", "title", "score")
                                                ],
                                                **table_style,
                                            ),
                                            html.H3("After your rating"),
                                            data_table(
                                                id="after",
                                                columns=[
                                                    {"name": n, "id": n}
                                                    for n in ("rank", "title", "score")
                                                ],
                                                **table_style,
                                            ),
                                        ],
                                    ),
                                ],
                            ),
                        ],
                    ),
                    dcc.Tab(
                        label="Outbox",
                        value="outbox",
                        children=[
                            html.Div(
                                style={"margin": "16px 0"},
                                children=[
                                    html.Button("Refresh", id="outbox-refresh"),
                                    data_table(
                                        id="outbox",
                                        row_selectable="single",
                                        page_action="custom",  # a page at a time, from the index
                                        page_current=0,
                                        page_size=OUTBOX_PAGE_SIZE,
                                        columns=[
                                            {"name": n.title(), "id": n}
                                            for n in ("received", "to", "subject")
                                        ],
                                        **table_style,
                                    ),
                                    html.Iframe(
                                        id="email-view",
                                        sandbox="",  # no scripts, no forms, no same origin
                                        style={
                                            "width": "100%",
                                            "height": "700px",
                                            "border": "1px solid #ddd",
                                            "marginTop": "12px",
                                        },
                                    ),
                                ],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    )

    @app.callback(Output("catalog", "data"), Input("search", "value"))
    def filter_catalog(text: str | None) -> list[dict[str, Any]]:
        if not text:
            return rows
        needle = text.casefold()
        return [
            r for r in rows if needle in r["title"].casefold() or needle in r["genres"].casefold()
        ]

    @app.callback(
        Output("before", "data"),
        Output("status", "children", allow_duplicate=True),
        Input("refresh", "n_clicks"),
        Input("user-id", "value"),
        prevent_initial_call="initial_duplicate",
    )
    def show_recommendations(_: int | None, user_id: str | None) -> tuple[Any, Any]:
        if not user_id:
            return [], "Enter a viewer id."
        result = client.recommendations(user_id)
        if not result.ok:
            return [], html.Span(result.message, className="error", style={"color": "#b91c1c"})
        return _recommendation_rows(result.body), ""

    @app.callback(
        Output("after", "data"),
        Output("status", "children"),
        Output("before", "data", allow_duplicate=True),
        Input("rate", "n_clicks"),
        State("user-id", "value"),
        State("email", "value"),
        State("catalog", "derived_virtual_data"),
        State("catalog", "selected_rows"),
        State("rating", "value"),
        State("after", "data"),
        prevent_initial_call=True,
    )
    def rate(
        _: int,
        user_id: str,
        email: str,
        visible: list[dict[str, Any]] | None,
        selected: list[int] | None,
        rating: int,
        previous_after: list[dict[str, Any]] | None,
    ) -> tuple[Any, Any, Any]:
        if not selected or not visible or selected[0] >= len(visible):
            return (
                no_update,
                html.Span("Select a title to rate first.", style={"color": "#b91c1c"}),
                no_update,
            )
        title = visible[selected[0]]
        result = client.review(
            {
                "user_id": user_id or "",
                "item_id": title["item_id"],
                "event_rating": rating,
                "event_verified_purchase": "Y",
                "event_type": "RATING",
                "email_address": email or "",
                "timestamp": datetime.now(UTC).isoformat(),
            }
        )
        if not result.ok:
            return (
                no_update,
                html.Span(result.message, className="error", style={"color": "#b91c1c"}),
                no_update,
            )
        message = html.Span(
            f"Rated {title['title']} {rating}/5.{_email_note(result.body)}",
            className="success",
            style={"color": "#166534"},
        )
        return (
            _recommendation_rows(result.body),
            message,
            previous_after if previous_after else no_update,
        )

    @app.callback(
        Output("outbox", "data"),
        Output("outbox", "page_count"),
        Input("outbox-refresh", "n_clicks"),
        Input("tabs", "value"),
        Input("outbox", "page_current"),
    )
    def list_outbox(_: int | None, __: str, page: int | None) -> tuple[list[dict[str, Any]], int]:
        offset = max(page or 0, 0) * OUTBOX_PAGE_SIZE
        rows = [
            {
                "received": datetime.fromtimestamp(m.received_at, UTC).strftime(
                    "%Y-%m-%d %H:%M:%S"
                ),
                "to": m.to,
                "subject": m.subject,
                "id": m.email_id,
            }
            for m in outbox.page(offset, OUTBOX_PAGE_SIZE)
        ]
        return rows, max(1, -(-outbox.count() // OUTBOX_PAGE_SIZE))

    @app.callback(
        Output("email-view", "srcDoc"), Input("outbox", "selected_rows"), State("outbox", "data")
    )
    def show_email(selected: list[int] | None, data: list[dict[str, Any]] | None) -> str:
        if not selected or not data:
            return "<p style='font-family:sans-serif;color:#666'>Select an email to read it.</p>"
        found = email_html(outbox, str(data[selected[0]].get("id", "")))
        if found is None:
            return "<p style='font-family:sans-serif;color:#666'>That email is not here.</p>"
        return found

    policy = CONTENT_SECURITY_POLICY.format(hashes=" ".join(app.csp_hashes()))
    _guard(app.server, allowed_hosts, policy)
    return app
