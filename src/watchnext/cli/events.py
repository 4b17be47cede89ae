"""`watchnext events compact`: the local stack's recorded events."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from watchnext.cli.errors import Command, user_errors
from watchnext.cli.local_state import local_database

app = typer.Typer(help="The local stack's recorded events.", no_args_is_help=True)


@app.command("compact", cls=Command)
def events_compact(
    older_than_days: Annotated[
        int,
        typer.Option(metavar="N", min=1, help="Move events recorded more than this many days ago."),
    ],
    data_dir: Annotated[
        Path, typer.Option(metavar="PATH", help="The local stack's data folder.")
    ] = Path("data"),
    dataset: Annotated[
        Path,
        typer.Option(
            metavar="PATH", help="The prepared dataset to add them to (its interactions.csv)."
        ),
    ] = Path("data/ml100k"),
) -> None:
    """Move old events into the training data; they leave the local store once a model
    trained on it is served (retrain with `watchnext train`). Stop `watchnext demo` first."""
    import time

    with user_errors():
        from watchnext.adapters.local.stores import SqliteEventStore

        with local_database(data_dir, "no local events (run `watchnext demo` first)") as db:
            done = SqliteEventStore(db).compact(dataset, time.time() - older_than_days * 86_400)
    typer.echo(
        f"{done.events:,} events older than {older_than_days} days compacted into "
        f"{dataset / 'interactions.csv'} ({done.appended:,} new rows). Retrain "
        f"(`watchnext train --data {dataset}`) and restart: the store then forgets them."
    )
