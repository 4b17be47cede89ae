"""`watchnext demo`: the whole product on this machine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from watchnext.cli.errors import fail, user_errors
from watchnext.service.delivery import SEND_CLAIM_LEASE_SECONDS
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


def demo(
    data_dir: Annotated[
        Path, typer.Option(metavar="PATH", help="Datasets and the local stack's state.")
    ] = Path("data"),
    artifact: Annotated[
        Path, typer.Option(metavar="PATH", help="The trained model to serve.")
    ] = Path("artifacts/als"),
    dataset: Annotated[
        Path, typer.Option(metavar="PATH", help="The prepared dataset: titles, genres.")
    ] = Path("data/ml100k"),
    api_port: Annotated[
        int, typer.Option(metavar="N", help="The review API (like `sam local start-api`).")
    ] = DEFAULT_API_PORT,
    web_port: Annotated[int, typer.Option(metavar="N", help="The web app.")] = DEFAULT_WEB_PORT,
    web_host: Annotated[
        list[str] | None,
        typer.Option(
            metavar="HOST",
            help="Another host name the web app answers to (repeatable); by default only "
            "localhost, 127.0.0.1 and ::1, so other sites cannot reach it by DNS rebinding.",
        ),
    ] = None,
    smtp_port: Annotated[
        int, typer.Option(metavar="N", help="The local SMTP sink.")
    ] = DEFAULT_SMTP_PORT,
    smtp_host: Annotated[
        str, typer.Option(metavar="TEXT", help="Send through this SMTP server instead.")
    ] = "",
    api_key: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help="Default: generated once, kept in DATA_DIR/local."),
    ] = None,
    check: Annotated[
        bool, typer.Option(help="Run one scripted review end to end, then exit 0 or 1.")
    ] = False,
    send_claim_lease_seconds: Annotated[
        float,
        typer.Option(
            metavar="X",
            min=1.0,
            help="After a crash mid-send, how long until that email is sent again (the "
            "queue's lease is 1.5 times this).",
        ),
    ] = SEND_CLAIM_LEASE_SECONDS,
) -> None:
    """Run WatchNext on this machine: SMTP sink, review API, mailer and web app; Ctrl-C stops."""
    import signal
    import threading

    with user_errors(), _port_errors():
        from watchnext.bootstrap.local import LocalConfig
        from watchnext.entrypoints.local_stack import build_local_stack
        from watchnext.settings import Settings

        config = LocalConfig(
            templates_dir=Settings.from_env().templates_dir,
            data_dir=data_dir,
            artifact=artifact,
            api_port=api_port,
            smtp_port=smtp_port,
            smtp_host=smtp_host or "127.0.0.1",
            run_sink=not smtp_host,
            api_key=api_key,
            dataset=dataset,
            web_port=None if check else web_port,
            web_hosts=tuple(web_host or ()),
            send_claim_lease_seconds=send_claim_lease_seconds,
        )
        stack = build_local_stack(config)
    config = stack.config  # with the ports actually bound
    stack.start()
    replayed = stack.events.count()
    if config.web_port is not None:
        typer.echo(f"Web app: {config.web_url}")
    typer.echo(f"Review API: {config.api_url}  (OpenAPI: {config.api_url}/openapi.json)")
    typer.echo(f"API key: {stack.api_key}")
    typer.echo(
        f"SMTP: {config.smtp_host}:{config.smtp_port}"
        + ("  (sink: " + str(config.outbox_dir) + ")" if config.run_sink else "")
    )
    typer.echo(f"Events kept from earlier runs: {replayed:,}")
    if check:
        from watchnext.cli.demo_check import run_check

        try:
            ok = run_check(config, stack.api_key)
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
