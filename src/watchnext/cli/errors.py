"""Failures a user can fix, as one line that says what to change (exit 2), never a traceback.

Every command runs inside `user_errors`: WatchNext's own errors already name the flag or file
to change, and the few foreign ones a user meets (a missing extra, a file DuckDB cannot read,
AWS without a region or credentials) are translated here, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand

from watchnext.errors import WatchNextError

INSTALL_HINT = "pip install 'watchnext[local]' (or make install)"


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def say(message: str) -> None:
    """Progress for the user, on stderr, so stdout stays the command's result."""
    typer.secho(message, err=True, fg=typer.colors.BLUE)


@contextmanager
def user_errors() -> Iterator[None]:
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except WatchNextError as error:
        raise fail(str(error)) from None
    except ModuleNotFoundError as error:
        raise fail(f"{error.name} is not installed: {INSTALL_HINT}") from None
    except Exception as error:
        message = _foreign(error)
        if message is None:
            raise  # a bug: keep the traceback
        raise fail(message) from None


def _foreign(error: Exception) -> str | None:
    module = type(error).__module__
    if module.startswith(("duckdb", "_duckdb")):
        lines = str(error).strip().splitlines()
        return f"could not read the input: {lines[0] if lines else type(error).__name__}"
    if module.startswith("botocore"):
        name = type(error).__name__
        if name == "NoRegionError":
            return "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION)"
        if name == "NoCredentialsError":
            return "no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        return f"AWS: {error}"
    return None


class Command(TyperCommand):
    """Typer's command, with each argument shown by its name alone in the help: Typer adds
    the Python type (``<list[str]>``, ``<path>``), which tells a user nothing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument):
                param.display_type_rich = _no_type  # type: ignore[method-assign]


def _no_type(ctx: Any) -> None:
    return None
