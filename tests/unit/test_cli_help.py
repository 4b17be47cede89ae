"""The CLI's help reads as a user needs it: every option says what it does, and no Python
type (``<bool>``, ``<list[str]>``) stands in for a name."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from watchnext.cli import app

PLACEHOLDER = re.compile(r"<[a-z_\[\], |]+>")


def commands() -> list[tuple[str, Any]]:
    """Every command and group, by its words after `watchnext` (Typer vendors its Click)."""
    found: list[tuple[str, Any]] = []

    def walk(prefix: str, command: Any) -> None:
        found.append((prefix, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(f"{prefix} {name}".strip(), sub)

    walk("", typer.main.get_command(app))
    return found


@pytest.mark.parametrize(("path", "command"), commands(), ids=[p or "root" for p, _ in commands()])
def test_every_option_has_help_and_no_type_placeholder(path: str, command: Any) -> None:
    undocumented = [param.name for param in command.params if not getattr(param, "help", None)]
    assert undocumented == [], f"`watchnext {path}`: no help for {undocumented}"
    shown = CliRunner().invoke(app, [*path.split(), "--help"], terminal_width=100)
    assert shown.exit_code == 0, shown.output
    assert PLACEHOLDER.findall(shown.output) == [], shown.output
