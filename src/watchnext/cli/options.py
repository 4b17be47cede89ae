"""Options several commands share, spelled once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DataDir = Annotated[Path, typer.Option(metavar="PATH", help="The local stack's data folder.")]
StackOption = Annotated[
    str, typer.Option(metavar="STACK", help="The CloudFormation stack (samconfig.toml's).")
]
