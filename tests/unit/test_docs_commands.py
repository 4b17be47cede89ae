"""Every command in the docs' shell blocks exists and takes the flags written there.

Checked without running anything: `watchnext` against its own click commands, `sam` against
the installed SAM CLI's, `aws` against botocore's service models (the AWS CLI's operations and
parameters are generated from them), `make` against the Makefile's targets, anything else by
being on PATH. A bare `watchnext` fails: it lives in `.venv/bin`.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer
from botocore import xform_name
from botocore.session import get_session

from tests.support import ROOT
from watchnext.cli import app

DOCS = [
    ROOT / "README.md",
    ROOT / "data_pipeline" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
]
SHELL_BLOCK = re.compile(r"```(?:bash|sh|shell)\n(.*?)```", re.DOTALL)
SHELL_BUILTINS = {"cd", "export", "echo", "while", "do", "done", "true", "break", "[", "output"}
AWS_GLOBAL_FLAGS = {"--query", "--output", "--region", "--profile", "--no-cli-pager", "--max-items"}
AWS_CLI_SERVICES = {"s3api": "s3"}
AWS_HIGH_LEVEL = {("s3", "rb"): {"--force"}, ("s3", "ls"): {"--recursive"}}


def commands(text: str) -> Iterator[list[str]]:
    """Each simple command in the shell blocks, $(...) substitutions included."""
    for block in SHELL_BLOCK.findall(text):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split("  #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            function = re.fullmatch(r"\w+\(\)\s*\{(.*)\}", line)  # name() { body; }
            line = function.group(1) if function else line
            for inner in re.findall(r"\$\(([^()]*(?:\([^()]*\)[^()]*)*)\)", line):
                yield from _split(inner)
            yield from _split(re.sub(r"\$\([^()]*(?:\([^()]*\)[^()]*)*\)", "X", line))


def _split(line: str) -> Iterator[list[str]]:
    """Simple commands of a line, split on shell operators outside quotes."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    words: list[str] = []
    for token in [*lexer, ";"]:
        if token in {";", "&&", "||", "|", "&"}:
            while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
                words = words[1:]  # VAR=value prefixes
            if words:
                yield words
            words = []
        else:
            words.append(token)


def _flags(words: list[str]) -> set[str]:
    return {word.split("=", 1)[0] for word in words if word.startswith("--")}


def check_watchnext(words: list[str]) -> None:
    # Typer ships its own copy of click: commands are told apart by having subcommands.
    command: Any = typer.main.get_command(app)
    rest = words[1:]
    while hasattr(command, "commands") and rest and rest[0] in command.commands:
        command, rest = command.commands[rest[0]], rest[1:]
    assert not hasattr(command, "commands"), f"{' '.join(words)}: no such command"
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    unknown = _flags(rest) - known
    assert not unknown, f"{' '.join(words)}: unknown options {sorted(unknown)}"


@cache
def sam_help(subcommand: str) -> str:
    sam = ROOT / ".venv-sam" / "bin" / "sam"
    assert sam.exists(), "the SAM CLI is not installed: run `make install-sam`"
    shown = subprocess.run(
        [str(sam), subcommand, "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert shown.returncode == 0, f"sam {subcommand}: no such command"
    return shown.stdout


def check_sam(words: list[str]) -> None:
    help_text = sam_help(words[1])
    for flag in _flags(words[2:]):
        assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", help_text), (
            f"sam {words[1]} has no {flag}"
        )


def check_aws(words: list[str]) -> None:
    service = AWS_CLI_SERVICES.get(words[1], words[1])
    if (service, words[2]) in AWS_HIGH_LEVEL:
        assert _flags(words[3:]) <= AWS_HIGH_LEVEL[service, words[2]] | AWS_GLOBAL_FLAGS
        return
    model = get_session().get_service_model(service)
    operations = {xform_name(name, "-"): name for name in model.operation_names}
    assert words[2] in operations, f"aws {words[1]} has no {words[2]}"
    shape = model.operation_model(operations[words[2]]).input_shape
    members = {f"--{xform_name(name, '-')}" for name in (shape.members if shape else {})}
    members |= {f"--no-{flag[2:]}" for flag in members}  # boolean flags have a --no- form
    unknown = _flags(words[3:]) - members - AWS_GLOBAL_FLAGS
    assert not unknown, f"aws {words[1]} {words[2]}: unknown options {sorted(unknown)}"


def check_make(words: list[str]) -> None:
    targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))
    for target in words[1:]:
        if "=" not in target:
            assert target in targets, f"make has no target {target}"


def check(words: list[str]) -> None:
    program = words[0]
    assert program != "watchnext", f"`{' '.join(words)}`: the CLI is .venv/bin/watchnext"
    if program.endswith("bin/watchnext"):
        check_watchnext(words)
    elif program.endswith("bin/sam"):
        check_sam(words)
    elif program == "aws":
        check_aws(words)
    elif program == "make":
        check_make(words)
    elif program not in SHELL_BUILTINS:
        assert shutil.which(program) or (ROOT / program).exists(), f"{program}: not found"


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_documented_command_exists_with_its_flags(doc: Path) -> None:
    found = list(commands(doc.read_text()))
    for words in found:
        check(words)


def test_the_checker_refuses_a_bare_watchnext_and_an_unknown_flag() -> None:
    with pytest.raises(AssertionError, match=r"the CLI is \.venv/bin/watchnext"):
        check(["watchnext", "upload"])
    with pytest.raises(AssertionError, match="unknown options"):
        check([".venv/bin/watchnext", "pipeline", "start", "--stak", "x"])
    with pytest.raises(AssertionError, match="unknown options"):
        check(["aws", "s3api", "delete-objects", "--bucket", "b", "--force"])
