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


PHASE_HEADER = re.compile(r"^  # ---- (.+?) ----$")
TOP_LEVEL_STATE = re.compile(r"^  ([A-Za-z0-9]+):$")
OPERATORS = {
    "Equals": "=",
    "GreaterThan": ">",
    "GreaterThanEquals": "≥",
    "LessThan": "<",
    "LessThanEquals": "≤",
}


def phases(path: Path) -> dict[str, str]:
    """Top-level state → the phase its ``# ---- Phase: … ----`` header names in the file."""
    found: dict[str, str] = {}
    phase = None
    for line in path.read_text().splitlines():
        if header := PHASE_HEADER.match(line):
            phase = header.group(1).split(":")[0].strip().replace('"', "'")
        elif (state := TOP_LEVEL_STATE.match(line)) and phase:
            found[state.group(1)] = phase
    return found


def _rule_label(rule: Mapping[str, Any]) -> str:
    """A Choice rule in a few words: ``Status = ACTIVE``, ``polls > maxPolls``."""
    for joiner in ("And", "Or"):
        if joiner in rule:
            parts = [_rule_label(inner) for inner in rule[joiner]]
            return "(" + f" {joiner.lower()} ".join(parts) + ")"
    if "Not" in rule:
        return f"not {_rule_label(rule['Not'])}"
    variable = str(rule.get("Variable", "")).rsplit(".", 1)[-1]
    for key, value in rule.items():
        if key in ("Variable", "Next"):
            continue
        if key == "IsPresent":
            return f"{variable} {'present' if value else 'absent'}"
        operator = next((s for name, s in OPERATORS.items() if key.endswith(name)), None)
        if key.endswith("EqualsPath") or key.endswith("Path"):
            value = str(value).rsplit(".", 1)[-1]
        if operator is None:
            return f"{variable} {key} {value}"
        return f"{variable} {operator} {value}"
    return variable


def _transitions(state: Mapping[str, Any]) -> Iterator[tuple[str, str, bool]]:
    """(target, label, is a Catch) of every way out of a state."""
    for choice in state.get("Choices", []):
        yield choice["Next"], _rule_label(choice), False
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


def _draw_state(
    name: str, state: Mapping[str, Any], prefix: str, lines: list[str], indent: str
) -> None:
    inner = _inner_machines(state)
    if not inner:
        lines.append(f"{indent}{_node(prefix, name, state)}")
        return
    lines.append(f"{indent}subgraph {prefix}{name} [{name}: {state['Type']}]")
    for index, branch in enumerate(inner):
        _draw(branch, f"{prefix}{name}_{index}_", lines, indent + "  ")
    lines.append(f"{indent}end")


def _arrow(label: str, caught: bool) -> str:
    arrow = "-.->" if caught else "-->"
    return f'{arrow}|"{label}"|' if label else arrow


def _draw(
    machine: Mapping[str, Any],
    prefix: str,
    lines: list[str],
    indent: str,
    grouping: Mapping[str, str] | None = None,
) -> None:
    states = machine["States"]
    groups: dict[str | None, list[str]] = {}
    for name in states:
        groups.setdefault((grouping or {}).get(name), []).append(name)
    for index, (phase, names) in enumerate(groups.items()):
        inner_indent = indent if phase is None else indent + "  "
        if phase is not None:
            lines.append(f'{indent}subgraph phase{index} ["{phase}"]')
        for name in names:
            _draw_state(name, states[name], prefix, lines, inner_indent)
        if phase is not None:
            lines.append(f"{indent}end")
    for name, state in states.items():
        for target, label, caught in _transitions(state):
            lines.append(f"{indent}{prefix}{name} {_arrow(label, caught)} {prefix}{target}")


def mermaid(definition: Mapping[str, Any], grouping: Mapping[str, str] | None = None) -> str:
    """A Mermaid flowchart of the states: top-level states grouped by phase when ``grouping``
    names them, Choices as diamonds with their rules on the edges, Catch edges dashed."""
    lines = ["flowchart TD"]
    _draw(definition, "", lines, "  ", grouping)
    return "\n".join(lines) + "\n"


def overview(definition: Mapping[str, Any], grouping: Mapping[str, str]) -> str:
    """The phases alone and how a run moves between them: a diagram that fits a page."""
    order = list(dict.fromkeys(grouping.values()))
    node = {phase: f"p{index}" for index, phase in enumerate(order)}
    lines = ["flowchart TD", *(f'  {node[phase]}["{phase}"]' for phase in order)]
    edges: dict[tuple[str, str], set[str]] = {}
    for name, state in definition["States"].items():
        for target, label, caught in _transitions(state):
            source, destination = grouping.get(name), grouping.get(target)
            if source and destination and source != destination:
                edges.setdefault((source, destination), set()).add("error" if caught else label)
    for (source, destination), labels in edges.items():
        text = ", ".join(sorted(label for label in labels if label))
        lines.append(f"  {node[source]} {_arrow(text, labels == {'error'})} {node[destination]}")
    return "\n".join(lines) + "\n"
