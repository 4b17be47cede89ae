"""The Dash app. `create_app` builds it; `watchnext demo` serves it with waitress."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from watchnext.adapters.local.outbox import Outbox
from watchnext.client.api import ReviewApiClient, review_body
from watchnext.domain.events import CLICK, InteractionEvent
from watchnext.domain.items_file import read_items
from watchnext.domain.sentiment import Feeling, Sentiment
from watchnext.webapp.engagement import ReportSource, engagement_tab, register_engagement
from watchnext.webapp.experiments import StatusSource, experiments_tab, register_experiments
from watchnext.webapp.inputs import (
    CallbackInputError,
    Count,
    OutboxRows,
    Page,
    PickRows,
    Positions,
    SelectedIds,
    Stars,
    Text,
    typed,
)


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
            Title(row.item_id, row.display_title, ", ".join(row.genres), str(row.year or ""))
            for row in read_items(stream)
        ]


PAST_RATINGS_MAX_BYTES = 64 << 20  # the demo's MovieLens is 2 MB; a large dump is skipped


VERDICTS = {Feeling.LIKE: "liked", Feeling.NEUTRAL: "neutral", Feeling.DISLIKE: "disliked"}
PastRatings = Callable[[str], list[dict[str, Any]]]
"""A viewer's past ratings, newest first: ``item_id``, ``rating``, ``verdict``, ``source``."""


def past_ratings_source(
    trained: dict[str, list[dict[str, Any]]],
    recorded: Callable[[str], Iterable[InteractionEvent]],
    sentiment: Sentiment,
) -> PastRatings:
    """A viewer's ratings as the model knows them: the training data's (``trained``, from
    `load_past_ratings`) and every event the store has recorded since, from any source (the
    web app, the API, the CLI, followed links), the latest per title first. Read on every
    call, so a reload or a rating made elsewhere shows at once."""

    def of(user_id: str) -> list[dict[str, Any]]:
        latest: dict[str, dict[str, Any]] = {}
        for row in reversed(trained.get(user_id, [])):  # oldest first
            latest.pop(row["item_id"], None)
            latest[row["item_id"]] = _past_row(row["item_id"], row["rating"], "history")
        for event in recorded(user_id):
            if event.event_type == CLICK:
                if event.item_id not in latest:  # a click never hides a rating of the title
                    latest[event.item_id] = _past_row(event.item_id, None, event.source)
                continue
            latest.pop(event.item_id, None)
            latest[event.item_id] = _past_row(event.item_id, event.event_value, event.source)
        return list(reversed(latest.values()))

    def _past_row(item_id: str, rating: float | None, source: str | None) -> dict[str, Any]:
        return {
            "item_id": item_id,
            "rating": "" if rating is None else f"{rating:g}",
            "verdict": "clicked" if rating is None else VERDICTS[sentiment.of(rating)],
            "source": source or "api",
        }

    return of


def load_past_ratings(dataset: Path) -> dict[str, list[dict[str, Any]]]:
    """Each viewer's latest rating of each title in the prepared dataset, newest first."""
    from watchnext.recommender.data import load_interactions

    path = dataset / "interactions.csv"
    if not path.exists() or path.stat().st_size > PAST_RATINGS_MAX_BYTES:
        return {}
    data = load_interactions(dataset)
    clicked = data.clicks if data.clicks is not None else [False] * len(data.users)
    by_user: dict[str, list[dict[str, Any]]] = {}
    for user, item, value, at, click in zip(
        data.users.tolist(),
        data.items.tolist(),
        data.values.tolist(),
        data.timestamps.tolist(),
        list(clicked),
        strict=True,
    ):
        rating = None if click else float(value)  # a click alone is no rating
        by_user.setdefault(str(data.user_ids[user]), []).append(
            {"item_id": str(data.item_ids[item]), "rating": rating, "at": int(at)}
        )
    for ratings in by_user.values():
        ratings.sort(key=lambda r: -r["at"])
    return by_user


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
            "item_id": r["item_id"],
            "title": r["title"],
            "why": _why(r),
            "score": round(r["score"], 4) if r.get("score") is not None else "",
            "recommendation_id": body.get("recommendation_id"),
        }
        for rank, r in enumerate(body.get("recommendations", []), start=1)
    ]


def _list_of(item_id: str, shown: list[dict[str, Any]]) -> str | None:
    """The list's ``recommendation_id`` when the rated title is one of the picks shown."""
    for row in shown:
        if row.get("item_id") == item_id and row.get("recommendation_id"):
            return str(row["recommendation_id"])
    return None


def _why(pick: dict[str, Any]) -> str:
    """The reason the recommender computed, as the email words it; empty when none."""
    if pick.get("because_title"):
        return f"because you liked {pick['because_title']}"
    return ", ".join(pick.get("reasons") or ())


def _marked_after(after: list[dict[str, Any]], before: list[dict[str, Any]]) -> list[Any]:
    """The after list with its new entries marked."""
    earlier = {row["item_id"] for row in before}
    return [row | {"new": "" if row["item_id"] in earlier else "new"} for row in after]


def _left(after: list[dict[str, Any]], before: list[dict[str, Any]]) -> str:
    still = {row["item_id"] for row in after}
    gone = [row["title"] for row in before if row["item_id"] not in still]
    return f"Left the list: {', '.join(gone)}." if gone else ""


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


def _title_pages(server: Any, catalog: list[Title]) -> None:
    """``/titles/<item_id>``: where a followed pick link from an email leads."""
    import html

    by_id = {title.item_id: title for title in catalog}

    @server.route("/titles/<path:item_id>")  # type: ignore[untyped-decorator]
    def title_page(item_id: str) -> tuple[str, int, dict[str, str]]:
        found = by_id.get(item_id)
        if found is None:
            body, status = f"<p>{html.escape(item_id)} is not in the catalog.</p>", 404
        else:
            details = " · ".join(part for part in (found.year, found.genres) if part)
            body, status = f"<h1>{html.escape(found.title)}</h1><p>{html.escape(details)}</p>", 200
        page = (
            "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>WatchNext</title>"
            f"<body style='font-family:sans-serif;margin:3em'>{body}"
            "<p><a href='/'>Rate it in WatchNext</a></p></body></html>"
        )
        return page, status, {"Content-Type": "text/html; charset=utf-8"}


def _refuse_crafted_inputs(server: Any) -> None:
    def refuse(error: CallbackInputError) -> tuple[str, int, dict[str, str]]:
        return str(error), 400, {"Content-Type": "text/plain; charset=utf-8"}

    server.register_error_handler(CallbackInputError, refuse)


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


INTRO = (
    "Pick a viewer (MovieLens viewers 1 to 943 come with a history), find a title, rate it, "
    "and compare the picks before and after: new picks are marked, each says why the model "
    "chose it, and the titles that dropped out are listed. The email the viewer gets is in "
    "the Outbox tab; what the emails' links earn, in the Engagement tab."
)
TABLE_STYLE = {
    "style_cell": {"textAlign": "left", "fontFamily": "sans-serif", "fontSize": "14px"},
    "style_header": {"fontWeight": "600"},
    # Whole cells, wrapped: a reason cut to "because y…" tells the viewer nothing.
    "style_data": {"whiteSpace": "normal", "height": "auto"},
}
PICK_COLUMNS = [
    {"name": "#", "id": "rank"},
    {"name": "title", "id": "title"},
    {"name": "", "id": "new"},
    {"name": "why", "id": "why"},
]


def _labelled(label: str, control: Any) -> Any:
    from dash import html

    return html.Div(
        style={"display": "flex", "flexDirection": "column", "gap": "4px"},
        children=[html.Label(label, htmlFor=control.id), control],
    )


def _viewer_bar() -> Any:
    from dash import dcc, html

    return html.Div(
        style={"display": "flex", "gap": "12px", "margin": "16px 0", "alignItems": "flex-end"},
        children=[
            _labelled("Viewer id", dcc.Input(id="user-id", value="196", debounce=True)),
            _labelled(
                "Email address",
                dcc.Input(
                    id="email",
                    value="viewer@example.com",
                    type="email",
                    style={"width": "260px"},
                ),
            ),
            html.Button("Show my recommendations", id="refresh"),
        ],
    )


def _catalog_panel(rows: list[dict[str, Any]]) -> Any:
    from dash import dash_table, dcc, html

    data_table: Any = dash_table.DataTable  # type: ignore[attr-defined]
    return html.Div(
        style={"flex": "3"},
        children=[
            _labelled(
                "Search the catalog (title or genre)",
                dcc.Input(id="search", debounce=False, style={"width": "100%"}),
            ),
            data_table(
                id="catalog",
                data=rows,
                page_size=12,
                row_selectable="single",
                sort_action="native",
                columns=[{"name": n.title(), "id": n} for n in ("title", "genres", "year")],
                **TABLE_STYLE,
            ),
            html.Div(
                style={"margin": "12px 0"},
                children=[
                    html.Label("Your rating", htmlFor="rating"),
                    dcc.Slider(
                        id="rating",
                        min=1,
                        max=5,
                        step=1,
                        value=5,
                        marks={i: str(i) for i in range(1, 6)},
                    ),
                    html.Button("Rate the selected title", id="rate", style={"marginTop": "8px"}),
                ],
            ),
            html.Div(id="status", role="status", style={"padding": "8px", "minHeight": "24px"}),
            html.H3("Your past ratings"),
            data_table(
                id="history",
                page_size=8,
                columns=[
                    {"name": name, "id": name} for name in ("title", "rating", "verdict", "source")
                ],
                **TABLE_STYLE,
            ),
        ],
    )


def _picks_panel() -> Any:
    from dash import dash_table, html

    data_table: Any = dash_table.DataTable  # type: ignore[attr-defined]
    return html.Div(
        style={"flex": "2"},
        children=[
            html.H3("Before your rating"),
            data_table(id="before", columns=PICK_COLUMNS, **TABLE_STYLE),
            html.H3("After your rating"),
            data_table(id="after", columns=PICK_COLUMNS, **TABLE_STYLE),
            html.P(id="left", style={"color": "#6b7280"}),
        ],
    )


def _outbox_tab() -> Any:
    from dash import dash_table, dcc, html

    data_table: Any = dash_table.DataTable  # type: ignore[attr-defined]
    return dcc.Tab(
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
                            {"name": n.title(), "id": n} for n in ("received", "to", "subject")
                        ],
                        **TABLE_STYLE,
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
    )


def create_app(
    client: ReviewApiClient,
    catalog: list[Title],
    outbox_dir: Path,
    *,
    allowed_hosts: frozenset[str] = LOCAL_HOSTS,
    past_ratings: PastRatings | None = None,
    engagement: ReportSource | None = None,
    experiments: StatusSource | None = None,
) -> Any:
    from dash import Dash, Input, Output, State, dcc, html, no_update

    app = Dash(__name__, title="WatchNext", suppress_callback_exceptions=True)
    outbox = Outbox(outbox_dir)
    rows = [{"id": t.item_id} | t.__dict__ for t in catalog]  # rows are selected by id
    titles = {t.item_id: t.title for t in catalog}
    past: PastRatings = past_ratings or (lambda _: [])
    app.layout = html.Div(
        style={"maxWidth": "1100px", "margin": "0 auto", "fontFamily": "sans-serif"},
        children=[
            html.H1("WatchNext"),
            html.P(INTRO, style={"color": "#374151"}),
            dcc.Store(id="rated-here", data=0),  # counts ratings made here: refreshes history
            dcc.Tabs(
                id="tabs",
                value="rate",
                children=[
                    dcc.Tab(
                        label="Rate titles",
                        value="rate",
                        children=[
                            _viewer_bar(),
                            html.Div(
                                style={"display": "flex", "gap": "24px"},
                                children=[_catalog_panel(rows), _picks_panel()],
                            ),
                        ],
                    ),
                    _outbox_tab(),
                    *([engagement_tab()] if engagement else []),
                    *([experiments_tab()] if experiments else []),
                ],
            ),
        ],
    )

    @app.callback(
        Output("catalog", "data"),
        Output("catalog", "selected_rows"),
        Output("catalog", "selected_row_ids"),
        Input("search", "value"),
        State("catalog", "selected_row_ids"),
    )
    @typed
    def filter_catalog(
        text: Text, selected: SelectedIds
    ) -> tuple[list[dict[str, Any]], list[int], list[str]]:
        # The table selects by position: keep the selected title selected wherever it moves,
        # or select nothing if the search hides it, so a rating never goes to another title.
        # The ids are set too: the table does not derive them when a callback moves rows.
        needle = (text or "").casefold()
        shown = [
            r for r in rows if needle in r["title"].casefold() or needle in r["genres"].casefold()
        ]
        positions = {r["id"]: i for i, r in enumerate(shown)}
        kept = [i for i in (selected or []) if i in positions]
        return shown, [positions[i] for i in kept], kept

    @app.callback(
        Output("before", "data"),
        Output("after", "data", allow_duplicate=True),
        Output("left", "children", allow_duplicate=True),
        Output("status", "children", allow_duplicate=True),
        Input("refresh", "n_clicks"),
        Input("user-id", "value"),
        prevent_initial_call="initial_duplicate",
    )
    @typed
    def show_recommendations(_: Count, user_id: Text) -> tuple[Any, ...]:
        # Another viewer: the previous viewer's "after" list and its changes go.
        if not user_id:
            return [], [], "", "Enter a viewer id."
        result = client.recommendations(user_id)
        if not result.ok:
            error = html.Span(result.message, className="error", style={"color": "#b91c1c"})
            return [], [], "", error
        return _recommendation_rows(result.body), [], "", ""

    @app.callback(
        Output("history", "data"),
        Input("user-id", "value"),
        Input("rated-here", "data"),
    )
    @typed
    def show_history(user_id: Text, _: Count) -> list[Any]:
        """From the server on every change of viewer and after every rating made here."""
        if not user_id:
            return []
        return [
            row | {"title": titles.get(row["item_id"], row["item_id"])} for row in past(user_id)
        ]

    @app.callback(
        Output("after", "data"),
        Output("left", "children"),
        Output("status", "children"),
        Output("before", "data", allow_duplicate=True),
        Output("rated-here", "data"),
        Input("rate", "n_clicks"),
        State("user-id", "value"),
        State("email", "value"),
        State("catalog", "selected_row_ids"),
        State("rating", "value"),
        State("before", "data"),
        State("after", "data"),
        State("rated-here", "data"),
        prevent_initial_call=True,
    )
    @typed
    def rate(
        _: Count,
        user_id: Text,
        email: Text,
        selected: SelectedIds,
        rating: Stars,
        before: PickRows,
        previous_after: PickRows,
        rated_here: Count,
    ) -> tuple[Any, ...]:
        if not selected:
            message = html.Span("Select a title to rate first.", style={"color": "#b91c1c"})
            return no_update, no_update, message, no_update, no_update
        item_id = selected[0]
        if item_id not in titles:  # the app posts only its own catalog's titles
            raise CallbackInputError(f"rate: input selected: {item_id[:40]!r} is not a title")
        # The previous "after" is what the viewer saw just before this rating.
        shown_before: list[dict[str, Any]] = [dict(row) for row in previous_after or before or []]
        result = client.review(
            review_body(
                user_id or "",
                item_id,
                rating,
                email or "",
                timestamp=datetime.now(UTC).isoformat(),
                event_source="webapp",
                recommendation_id=_list_of(item_id, shown_before),
            )
        )
        if not result.ok:
            error = html.Span(result.message, className="error", style={"color": "#b91c1c"})
            return no_update, no_update, error, no_update, no_update
        after = _recommendation_rows(result.body)
        message = html.Span(
            f"Rated {titles.get(item_id, item_id)} {rating}/5.{_email_note(result.body)}",
            className="success",
            style={"color": "#166534"},
        )
        return (
            _marked_after(after, shown_before),
            _left(after, shown_before),
            message,
            shown_before,
            (rated_here or 0) + 1,
        )

    @app.callback(
        Output("outbox", "data"),
        Output("outbox", "page_count"),
        Input("outbox-refresh", "n_clicks"),
        Input("tabs", "value"),
        Input("outbox", "page_current"),
    )
    @typed
    def list_outbox(_: Count, __: Text, page: Page) -> tuple[list[dict[str, Any]], int]:
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
    @typed
    def show_email(selected: Positions, data: OutboxRows) -> str:
        if not selected or not data:
            return "<p style='font-family:sans-serif;color:#666'>Select an email to read it.</p>"
        row = data[selected[0]] if selected[0] < len(data) else {}
        found = email_html(outbox, str(row.get("id", "")))
        if found is None:
            return "<p style='font-family:sans-serif;color:#666'>That email is not here.</p>"
        return found

    if engagement is not None:
        register_engagement(app, engagement)
    if experiments is not None:
        register_experiments(app, experiments)
    _title_pages(app.server, catalog)
    _refuse_crafted_inputs(app.server)
    policy = CONTENT_SECURITY_POLICY.format(hashes=" ".join(app.csp_hashes()))
    _guard(app.server, allowed_hosts, policy)
    return app
