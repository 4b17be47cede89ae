"""`watchnext demo`: the whole product on this machine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from watchnext.cli.errors import fail, user_errors
from watchnext.domain.email import SEND_CLAIM_LEASE_SECONDS
from watchnext.settings import DEFAULT_API_PORT, DEFAULT_SMTP_PORT, DEFAULT_WEB_PORT

PORT_OPTIONS = {
    "api": ("--api-port", "API_PORT"),
    "web": ("--web-port", "WEB_PORT"),
    "smtp": ("--smtp-port", "SMTP_PORT"),
}


@contextmanager
def _port_errors() -> Iterator[None]:
    from watchnext.adapters.local.listeners import PortInUseError

    try:
        yield
    except PortInUseError as error:
        flag, variable = PORT_OPTIONS[error.server]
        raise fail(
            f"port {error.port} is not free for the {error.server} server ({error.reason}): "
            f"pass {flag} N, or `make demo {variable}=N`; 0 picks a free port"
        ) from None


def _from_env(variable: str, default: object) -> str:
    return f"{default}, or {variable}"


def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="Datasets and the local stack's state.",
            show_default=_from_env("WATCHNEXT_DATA_DIR", "data"),
        ),
    ] = None,
    artifact: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="The trained model to serve.",
            show_default=_from_env("WATCHNEXT_ARTIFACT", "artifacts/als"),
        ),
    ] = None,
    dataset: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="The prepared dataset: titles, genres.",
            show_default=_from_env("WATCHNEXT_DATASET", "data/ml100k"),
        ),
    ] = None,
    api_port: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="The review API (like `sam local start-api`).",
            show_default=_from_env("WATCHNEXT_API_PORT", DEFAULT_API_PORT),
        ),
    ] = None,
    web_port: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="The web app.",
            show_default=_from_env("WATCHNEXT_WEB_PORT", DEFAULT_WEB_PORT),
        ),
    ] = None,
    web_host: Annotated[
        list[str] | None,
        typer.Option(
            metavar="HOST",
            help="Another host name the web app answers to (repeatable; WATCHNEXT_WEB_HOSTS, "
            "comma-separated); by default only localhost, 127.0.0.1 and ::1, so other sites "
            "cannot reach it by DNS rebinding.",
        ),
    ] = None,
    smtp_port: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="The local SMTP sink.",
            show_default=_from_env("WATCHNEXT_SMTP_PORT", DEFAULT_SMTP_PORT),
        ),
    ] = None,
    smtp_host: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT",
            help="Send through this SMTP server instead of the sink (WATCHNEXT_SMTP_HOST "
            "with WATCHNEXT_RUN_SINK=false).",
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            metavar="TEXT",
            help="Default: WATCHNEXT_API_KEY, else generated once and kept in DATA_DIR/local.",
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option(help="Run one scripted review end to end, then exit 0 or 1.")
    ] = False,
    send_claim_lease_seconds: Annotated[
        float | None,
        typer.Option(
            metavar="X",
            min=1.0,
            help="After a crash mid-send, how long until that email is sent again (the "
            "queue's lease is 1.5 times this).",
            show_default=_from_env("WATCHNEXT_SEND_CLAIM_LEASE_SECONDS", SEND_CLAIM_LEASE_SECONDS),
        ),
    ] = None,
) -> None:
    """Run WatchNext on this machine: SMTP sink, review API, mailer and web app; Ctrl-C stops."""
    import signal
    import threading

    with user_errors(), _port_errors():
        from watchnext.entrypoints.local_stack import build_local_stack
        from watchnext.settings import Settings

        given = {
            "data_dir": data_dir,
            "artifact": artifact,
            "dataset": dataset,
            "api_port": api_port,
            "web_port": web_port,
            "web_hosts": tuple(web_host) if web_host else None,
            "smtp_port": smtp_port,
            "smtp_host": smtp_host,
            "run_sink": False if smtp_host else None,
            "api_key": api_key,
            "send_claim_lease_seconds": send_claim_lease_seconds,
        }
        settings = Settings.from_env(
            **{name: value for name, value in given.items() if value is not None}
        )
        if check:
            settings = settings.model_copy(update={"web_port": None})
        stack = build_local_stack(settings)
    settings = stack.settings  # with the ports actually bound
    stack.start()
    replayed = stack.events.count()
    if settings.web_port is not None:
        typer.echo(f"Web app: {settings.web_url}")
    typer.echo(f"Review API: {settings.api_url}  (OpenAPI: {settings.api_url}/openapi.json)")
    typer.echo(f"API key: {stack.api_key}")
    typer.echo(
        f"SMTP: {settings.smtp_host}:{settings.smtp_port}"
        + ("  (sink: " + str(stack.state.outbox) + ")" if settings.run_sink else "")
    )
    typer.echo(f"Events kept from earlier runs: {replayed:,}")
    if check:
        from watchnext.cli.demo_check import run_check

        try:
            ok = run_check(settings, stack.state.outbox, stack.api_key)
        finally:
            stack.stop()
        raise typer.Exit(0 if ok else 1)
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    typer.echo("Running; Ctrl-C stops.")
    stopped.wait()
    typer.echo("Stopping…")
    stack.stop()
