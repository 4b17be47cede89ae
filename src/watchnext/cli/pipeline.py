"""`watchnext pipeline start|teardown|diagram`: the AWS training pipeline (Step Functions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from watchnext.cli.errors import Command, fail, say, user_errors
from watchnext.cli.options import StackOption

app = typer.Typer(
    help="The AWS training pipeline (Step Functions): start it, tear down, draw it.",
    no_args_is_help=True,
)
ArnOption = Annotated[
    str | None,
    typer.Option(
        metavar="ARN", help="The state machine ARN, instead of reading the stack's outputs."
    ),
]
WaitOption = Annotated[bool, typer.Option(help="Follow the execution until it ends.")]


def _run_machine(
    machine: str, execution_input: dict[str, Any], stack: str, arn: str | None, follow: bool
) -> None:
    import boto3

    from watchnext.pipeline import control

    sfn = boto3.client("stepfunctions")
    arn = arn or control.state_machine_arn(boto3.client("cloudformation"), stack, machine)
    execution = control.start(sfn, arn, execution_input)
    typer.echo(execution)
    if not follow:
        return
    result = control.wait(sfn, execution, on_poll=lambda status: say(f"{machine}: {status}"))
    if result.status != "SUCCEEDED":
        raise fail(f"{result.status}: {result.error}: {result.cause}", code=1)
    typer.echo(json.dumps(result.output, indent=2))


@app.command("start", cls=Command)
def pipeline_start(
    config: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH", help="A config JSON file (data_pipeline/config.example.json)."
        ),
    ] = None,
    stack: StackOption = "watchnext",
    state_machine_arn: ArnOption = None,
    wait: WaitOption = False,
) -> None:
    """Check a config, then start a training run with it (defaults without --config)."""
    with user_errors():
        from watchnext.pipeline.config import PipelineConfig, load_config

        checked = load_config(config) if config else PipelineConfig()
        _run_machine("training", checked.as_input(), stack, state_machine_arn, wait)


@app.command("teardown", cls=Command)
def pipeline_teardown(
    stack: StackOption = "watchnext",
    state_machine_arn: ArnOption = None,
    wait: WaitOption = True,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False,
) -> None:
    """Delete the campaign, filters, tracker, solutions, datasets and dataset group."""
    if not yes:
        typer.confirm(f"Delete the Personalize resources of stack {stack!r}?", abort=True)
    with user_errors():
        _run_machine("teardown", {}, stack, state_machine_arn, wait)


@app.command("diagram", cls=Command)
def pipeline_diagram(
    machine: Annotated[
        str, typer.Argument(metavar="MACHINE", help="training or teardown")
    ] = "training",
    phases_only: Annotated[
        bool, typer.Option("--overview", help="Only the phases and the moves between them.")
    ] = False,
) -> None:
    """Print a Mermaid diagram of a state machine, drawn from its definition."""
    with user_errors():
        from watchnext.pipeline import asl

        path = asl.definition_file(machine)
        names = {name: name for name in asl.placeholders(path)} | {"PipelineTimeoutSeconds": "0"}
        definition, grouping = asl.load_definition(path, names), asl.phases(path)
        drawn = (
            asl.overview(definition, grouping) if phases_only else asl.mermaid(definition, grouping)
        )
        typer.echo(drawn, nl=False)
