"""`watchnext forget`: erase a viewer (and, or, an email address) on the local stack or on AWS."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from watchnext.cli.errors import fail, user_errors
from watchnext.cli.local_state import local_database
from watchnext.cli.options import DataDir, StackOption


def forget(
    user_id: Annotated[
        str | None, typer.Argument(metavar="USER_ID", help="The viewer to erase.")
    ] = None,
    email: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS", help="Also (or only) erase this address, opted out or not."
        ),
    ] = None,
    data_dir: DataDir = Path("data"),
    dataset: Annotated[
        Path, typer.Option(metavar="PATH", help="The training data to remove the viewer from.")
    ] = Path("data/ml100k"),
    aws: Annotated[
        bool, typer.Option("--aws", help="Erase on the deployed stack instead (as ErasureRole).")
    ] = False,
    stack: StackOption = "watchnext",
) -> None:
    """Erase USER_ID's events, email state, clicks and queued emails, and make the model
    forget them; with --email, an address's too. On AWS, also start Personalize's data
    deletion job."""
    if user_id is None and email is None:
        raise fail("name a USER_ID to erase, or pass --email ADDRESS")
    with user_errors():
        if aws:
            lines = _on_aws(stack, user_id, email)
        else:
            lines = _locally(data_dir, dataset, user_id, email)
    for line in lines:
        typer.echo(line)


def _locally(data_dir: Path, dataset: Path, user_id: str | None, email: str | None) -> list[str]:
    from watchnext.adapters.local.erasure import LocalErasure
    from watchnext.adapters.local.running import running_demo
    from watchnext.adapters.local.state_folder import StateFolder

    state = StateFolder.of(data_dir)
    running = running_demo(state.root)
    if running is not None:
        raise fail(
            f"the demo at {running.api_url} holds {state.root} and its model holds the viewer "
            "in memory: stop it (Ctrl-C), then run this again"
        )
    erased: Counter[str] = Counter()
    with local_database(data_dir, "no local stack data (run `watchnext demo` first)") as db:
        erasure = LocalErasure(db, state.outbox, dataset if dataset.exists() else None)
        if user_id is not None:
            erased += erasure.forget_user(user_id)
        if email is not None:
            erased += erasure.forget_address(email)
    lines = [f"{name}: {count}" for name, count in sorted(erased.items())]
    if erased["training rows"]:
        lines.append(
            f"Retrain (`watchnext train --data {dataset}`) so the item factors forget them too."
        )
    return [*lines, "The model serves them as a newcomer from its next start."]


def _on_aws(stack: str, user_id: str | None, email: str | None) -> list[str]:
    import boto3

    from watchnext.adapters.aws.erasure import AwsErasure, ErasureTargets

    try:
        [described] = boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        targets = ErasureTargets.from_outputs(outputs)
    except KeyError as missing:
        raise fail(f"stack {stack!r} has no output {missing}; deploy this version first") from None
    erasure = AwsErasure(
        boto3.client("dynamodb"), boto3.client("s3"), boto3.client("personalize"), targets
    )
    lines = []
    if user_id is not None:
        erased, job = erasure.forget_user(user_id)
        lines += [f"{name}: {count}" for name, count in sorted(erased.items())]
        lines.append(
            f"Personalize data deletion job: {job} (solutions drop them at their next training)"
        )
    if email is not None:
        lines += [f"{n}: {c}" for n, c in sorted(erasure.forget_address(email).items())]
    return lines
