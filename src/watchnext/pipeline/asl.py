"""Reading the state machine definitions in ``data_pipeline/`` and drawing them.

The definitions are YAML with ``${Name}`` placeholders that template.yaml fills in through
DefinitionSubstitutions; `load_definition` does the same substitution for tests and tools.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from watchnext.pipeline.errors import PipelineError

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")
DEFINITIONS = Path(__file__).resolve().parents[3] / "data_pipeline"
"""Where the definitions live in a source checkout (they are not part of the wheel)."""


def definition_file(machine: str) -> Path:
    path = DEFINITIONS / f"{machine}.asl.yaml"
    if not path.exists():
        known = sorted(p.name.removesuffix(".asl.yaml") for p in DEFINITIONS.glob("*.asl.yaml"))
        raise PipelineError(f"no definition {path}; known: {known or 'none (not a checkout?)'}")
    return path


def placeholders(path: Path) -> set[str]:
    """The ``${Name}`` placeholders a definition file uses."""
    return set(PLACEHOLDER.findall(path.read_text()))


def load_definition(path: Path, substitutions: Mapping[str, str]) -> dict[str, Any]:
    """The definition as a dict, every placeholder replaced; a missing one is an error."""
    text = path.read_text()
    missing = set(PLACEHOLDER.findall(text)) - set(substitutions)
    if missing:
        raise PipelineError(f"{path.name} needs substitutions for {sorted(missing)}")
    text = PLACEHOLDER.sub(lambda match: substitutions[match.group(1)], text)
    definition = yaml.safe_load(text)
    if not isinstance(definition, dict) or "States" not in definition:
        raise PipelineError(f"{path} is not a state machine definition")
    return definition


def iter_states(definition: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every state, nested ones (Map and Parallel) included, as (name, state)."""
    for name, state in definition["States"].items():
        yield name, state
        for inner in _inner_machines(state):
            yield from iter_states(inner)


def _inner_machines(state: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    if state["Type"] == "Map":
        return [state.get("ItemProcessor") or state["Iterator"]]
    if state["Type"] == "Parallel":
        return list(state["Branches"])
    return []


def _transitions(state: Mapping[str, Any]) -> Iterator[tuple[str, str, bool]]:
    """(target, label, is a Catch) of every way out of a state."""
    for choice in state.get("Choices", []):
        yield choice["Next"], "", False
    if "Default" in state:
        yield state["Default"], "otherwise", False
    if "Next" in state:
        yield state["Next"], "", False
    for catch in state.get("Catch", []):
        errors = ", ".join(error.split(".")[-1] for error in catch["ErrorEquals"])
        yield catch["Next"], errors, True


def _node(prefix: str, name: str, state: Mapping[str, Any]) -> str:
    node_id = f"{prefix}{name}"
    kind = state["Type"]
    if kind == "Choice":
        return f"{node_id}{{{name}}}"
    if kind in ("Fail", "Succeed"):
        return f"{node_id}([{name}])"
    if kind == "Wait":
        return f"{node_id}[/{name}/]"
    return f"{node_id}[{name}]"


def _draw(machine: Mapping[str, Any], prefix: str, lines: list[str], indent: str) -> None:
    for name, state in machine["States"].items():
        inner = _inner_machines(state)
        if inner:
            lines.append(f"{indent}subgraph {prefix}{name} [{name}: {state['Type']}]")
            for index, branch in enumerate(inner):
                _draw(branch, f"{prefix}{name}_{index}_", lines, indent + "  ")
            lines.append(f"{indent}end")
        else:
            lines.append(f"{indent}{_node(prefix, name, state)}")
    for name, state in machine["States"].items():
        for target, label, caught in _transitions(state):
            arrow = f"-. {label} .->" if caught else (f"-- {label} -->" if label else "-->")
            lines.append(f"{indent}{prefix}{name} {arrow} {prefix}{target}")


def mermaid(definition: Mapping[str, Any]) -> str:
    """A Mermaid flowchart of the states: Choices as diamonds, Catch edges dashed."""
    lines = ["flowchart TD"]
    _draw(definition, "", lines, "  ")
    return "\n".join(lines) + "\n"
