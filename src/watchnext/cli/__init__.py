"""The ``watchnext`` command line: one module per command group, each a thin shell over the
package's functions, all sharing one error-to-message mapping (`errors.user_errors`)."""

from __future__ import annotations

from typing import Annotated

import typer

from watchnext import __version__
from watchnext.cli import (
    data,
    demo,
    emails,
    engagement,
    events,
    experiment,
    forget,
    invoke,
    models,
    pipeline,
)
from watchnext.cli.errors import Command

app = typer.Typer(
    name="watchnext",
    help="WatchNext: real-time recommendations by email, on AWS or on one laptop.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain Click help: no <type> placeholders
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"watchnext {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    pass


app.command(cls=Command)(invoke.invoke)
app.add_typer(data.app, name="data")
app.command(cls=Command)(data.prepare)
app.command(cls=Command)(data.upload)
app.command(cls=Command)(models.train)
app.command(cls=Command)(models.evaluate)
app.add_typer(events.app, name="events")
app.add_typer(emails.app, name="email")
app.add_typer(emails.app, name="emails", hidden=True)  # the spelling issue 24 used
app.command(cls=Command)(demo.demo)
app.add_typer(pipeline.app, name="pipeline")
app.add_typer(experiment.app, name="experiment")
app.add_typer(engagement.report_app, name="report")
app.command(cls=Command)(engagement.simulate)
app.command(cls=Command)(forget.forget)


def main() -> None:
    app()
