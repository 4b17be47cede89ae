"""The ``watchnext`` command line. Each command is a thin shell over the package's functions."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from watchnext import __version__

app = typer.Typer(
    name="watchnext",
    help="WatchNext: real-time recommendations by email, on AWS or on one laptop.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


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


def load_event(path: Path) -> dict[str, Any]:
    """An API Gateway proxy event from a JSON file, or a clear error."""
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(f"{path}: no such file (sample events are in events/)") from None
    except json.JSONDecodeError as error:
        raise _fail(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(event, dict) or "httpMethod" not in event:
        raise _fail(f"{path}: not an API Gateway proxy event (it has no httpMethod)")
    return event


@app.command()
def invoke(
    event_file: Annotated[
        Path, typer.Argument(help="An API Gateway proxy event, e.g. events/review.json")
    ],
) -> None:
    """Run the review API's Lambda handler in-process on EVENT_FILE and print its response.

    The no-Docker equivalent of `sam local invoke`. It uses the AWS adapters, configured from
    the same environment variables the deployed function gets (WATCHNEXT_*; see README).
    """
    event = load_event(event_file)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "1")
    from watchnext.entrypoints.api import handler
    from watchnext.entrypoints.lambda_context import LocalLambdaContext
    from watchnext.settings import SettingsError

    try:
        response = handler(event, LocalLambdaContext())
    except SettingsError as error:
        raise _fail(str(error)) from None
    typer.echo(json.dumps(_readable(response), indent=2, ensure_ascii=False))


def _readable(response: dict[str, Any]) -> dict[str, Any]:
    body = response.get("body")
    if isinstance(body, str):
        try:
            return {**response, "body": json.loads(body)}
        except json.JSONDecodeError:
            pass
    return response


def main() -> None:
    app()
