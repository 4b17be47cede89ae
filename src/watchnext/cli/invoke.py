"""`watchnext invoke`: the review API's Lambda handler in-process, the no-Docker
`sam local invoke`."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from watchnext.cli.errors import fail, user_errors

if TYPE_CHECKING:
    from watchnext.settings import Settings


def load_event(path: Path) -> dict[str, Any]:
    """An API Gateway proxy event from a JSON file, or a clear error."""
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise fail(f"{path}: no such file (sample events are in events/)") from None
    except json.JSONDecodeError as error:
        raise fail(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(event, dict) or "httpMethod" not in event:
        raise fail(f"{path}: not an API Gateway proxy event (it has no httpMethod)")
    return event


def invoke(
    event_file: Annotated[
        Path,
        typer.Argument(
            metavar="EVENT_FILE", help="An API Gateway proxy event, e.g. events/review.json"
        ),
    ],
    local: Annotated[
        bool | None,
        typer.Option(
            "--local/--aws",
            help="The local stack's adapters (model, SQLite), or AWS's.",
            show_default="WATCHNEXT_BACKEND, else --aws",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH", help="With --local: the local state.", show_default="WATCHNEXT_DATA_DIR"
        ),
    ] = None,
    artifact: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH", help="With --local: the model.", show_default="WATCHNEXT_ARTIFACT"
        ),
    ] = None,
) -> None:
    """Run the review API's Lambda handler in-process on EVENT_FILE and print its response.

    The no-Docker equivalent of `sam local invoke`. Both backends are configured from the same
    WATCHNEXT_* variables the deployed function gets (see README): by default the AWS adapters;
    with --local (or WATCHNEXT_BACKEND=local), the local stack's (the email is queued for
    `watchnext demo`).
    The response alone goes to stdout, logs to stderr; the exit status is 1 on a 5xx.
    """
    event = load_event(event_file)
    with user_errors(), _logs_to_stderr():  # stdout: the response alone, as `sam local invoke`
        from watchnext.settings import Settings

        given = {"data_dir": data_dir, "artifact": artifact}
        settings = Settings.from_env(**{k: v for k, v in given.items() if v is not None})
        if local is None:
            local = settings.backend == "local"
        response = _invoke_local(event, settings) if local else _invoke_aws(event)
    typer.echo(json.dumps(_readable(response), indent=2, ensure_ascii=False))
    if int(response.get("statusCode", 500)) >= 500:
        raise typer.Exit(1)


@contextmanager
def _logs_to_stderr() -> Iterator[None]:
    """The Powertools logger writes to stdout (as Lambda wants); here stdout is the response's."""
    import logging

    from watchnext.observability import logger

    handlers = [
        handler
        for handler in logging.getLogger(logger.name).handlers
        if isinstance(handler, logging.StreamHandler)
    ]
    previous = [handler.setStream(sys.stderr) for handler in handlers]
    try:
        yield
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            if stream is not None:
                handler.setStream(stream)


def _invoke_local(event: dict[str, Any], settings: Settings) -> dict[str, Any]:
    from watchnext.adapters.http.lambda_context import LocalLambdaContext
    from watchnext.bootstrap.local import local_components

    components = local_components(settings)
    try:
        return components.api.handle(event, LocalLambdaContext())
    finally:
        components.db.close()


def _invoke_aws(event: dict[str, Any]) -> dict[str, Any]:
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "1")
    import boto3

    session = boto3.session.Session()
    if session.region_name is None:
        raise fail("no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or pass --local")
    if session.get_credentials() is None:
        raise fail(
            "no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "or pass --local"
        )
    from watchnext.adapters.http.lambda_context import LocalLambdaContext
    from watchnext.entrypoints.api import handler

    response: dict[str, Any] = handler(event, LocalLambdaContext())
    return response


def _readable(response: dict[str, Any]) -> dict[str, Any]:
    body = response.get("body")
    if isinstance(body, str):
        try:
            return {**response, "body": json.loads(body)}
        except json.JSONDecodeError:
            pass
    return response
