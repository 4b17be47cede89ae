"""The state machine definitions against the template, the service models and the docs."""

from __future__ import annotations

import fnmatch
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from botocore.session import get_session

from tests.support import resource
from tests.support.stack import Stack
from watchnext.datasets.schemas import interactions_schema, items_schema, users_schema
from watchnext.pipeline.asl import (
    iter_states,
    load_definition,
    mermaid,
    overview,
    phases,
    placeholders,
)

ROOT = Path(__file__).resolve().parents[2]
MACHINES = {"TrainingStateMachine": "training", "TeardownStateMachine": "teardown"}


def definition(name: str) -> dict[str, Any]:
    path = ROOT / "data_pipeline" / f"{name}.asl.yaml"
    return load_definition(
        path, {key: f"X{key}" for key in placeholders(path)} | {"PipelineTimeoutSeconds": "60"}
    )


def sdk_tasks(name: str) -> list[tuple[str, str, str]]:
    """(state, service, action) of every aws-sdk task."""
    found = []
    for state_name, state in iter_states(definition(name)):
        resource_arn = str(state.get("Resource", ""))
        if resource_arn.startswith("arn:aws:states:::aws-sdk:"):
            service, action = resource_arn.removeprefix("arn:aws:states:::aws-sdk:").split(":")
            found.append((state_name, service, action))
    return found


def allowed_actions(logical_id: str) -> set[str]:
    actions: set[str] = set()
    for policy in resource(logical_id)["Properties"]["Policies"]:
        for statement in policy.get("Statement", []):
            listed = statement["Action"]
            actions.update([listed] if isinstance(listed, str) else listed)
    return actions


@pytest.mark.parametrize("logical_id", MACHINES)
def test_the_template_substitutes_exactly_the_placeholders_the_definition_uses(
    logical_id: str,
) -> None:
    properties = resource(logical_id)["Properties"]
    path = ROOT / properties["DefinitionUri"]
    assert set(properties["DefinitionSubstitutions"]) == placeholders(path)


@pytest.mark.parametrize(("logical_id", "name"), MACHINES.items())
def test_the_role_allows_every_sdk_call_and_no_wildcard_action(logical_id: str, name: str) -> None:
    allowed = allowed_actions(logical_id)
    needed = {
        f"{service}:{action[0].upper()}{action[1:]}" for _, service, action in sdk_tasks(name)
    }
    assert needed - allowed == set()
    assert not [action for action in allowed if "*" in action]


@pytest.mark.parametrize("name", MACHINES.values())
def test_every_sdk_action_exists_in_its_service_model(name: str) -> None:
    session = get_session()
    for state, service, action in sdk_tasks(name):
        model = session.get_service_model(service)
        assert f"{action[0].upper()}{action[1:]}" in model.operation_names, state


def test_personalize_resources_are_scoped_to_this_stage() -> None:
    for logical_id in MACHINES:
        for policy in resource(logical_id)["Properties"]["Policies"]:
            for statement in policy["Statement"]:
                actions = statement["Action"]
                if any(a.startswith("personalize:") for a in actions) and not all(
                    a.startswith("personalize:List") for a in actions
                ):
                    for arn in statement["Resource"]:
                        text = arn["Fn::Sub"]
                        assert "watchnext-${Stage}" in text or text.endswith(
                            (":event-tracker/*", ":recipe/*")
                        ), text


def test_the_readme_diagrams_are_generated_from_the_definitions() -> None:
    readme = (ROOT / "data_pipeline" / "README.md").read_text()
    for name in MACHINES.values():
        path = ROOT / "data_pipeline" / f"{name}.asl.yaml"
        grouping = phases(path)
        drawn = [mermaid(definition(name), grouping)]
        if grouping:
            drawn.append(overview(definition(name), grouping))
        for diagram in drawn:
            assert f"```mermaid\n{diagram}```" in readme, (
                f"regenerate with `watchnext pipeline diagram {name}` (and --overview)"
            )


def test_every_training_state_belongs_to_a_phase_and_choice_edges_say_why() -> None:
    path = ROOT / "data_pipeline" / "training.asl.yaml"
    top_level = set(definition("training")["States"])
    assert set(phases(path)) == top_level
    drawn = mermaid(definition("training"), phases(path))
    assert '-->|"Status = ACTIVE"|' in drawn


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("interactions", interactions_schema(has_verified=True)),
        ("items", items_schema()),
        ("users", users_schema()),
    ],
)
def test_the_reference_schemas_are_what_prepare_writes(name: str, schema: dict[str, Any]) -> None:
    path = ROOT / "data_pipeline" / "schemas" / f"{name}.schema.json"
    assert json.loads(path.read_text()) == schema


def _review_function_may_call(arn: str, stage: str) -> bool:
    [statement] = [
        s
        for policy in resource("ReviewFunction")["Properties"]["Policies"]
        for s in policy.get("Statement", [])
        if s.get("Sid") == "AskTheStagesCampaign"
    ]
    patterns = [
        item["Fn::Sub"]
        .replace("${AWS::Partition}", "aws")
        .replace("${AWS::Region}", "us-east-1")
        .replace("${AWS::AccountId}", "123456789012")
        .replace("${Stage}", stage)
        for item in statement["Resource"]
    ]
    return any(fnmatch.fnmatchcase(arn, pattern) for pattern in patterns)


def test_the_review_function_may_call_the_campaign_and_filter_the_pipeline_publishes() -> None:
    path = ROOT / "data_pipeline" / "training.asl.yaml"
    arn_prefix = "arn:aws:personalize:us-east-1:123456789012"
    names = {key: key for key in placeholders(path)} | {
        "ResourcePrefix": "watchnext-prod",
        "PersonalizeArnPrefix": arn_prefix,
        "PipelineTimeoutSeconds": "60",
    }
    states = dict(iter_states(load_definition(path, names)))
    campaign = f"{arn_prefix}:campaign/{states['CreateCampaign']['Parameters']['Name']}"
    filter_arn = f"{arn_prefix}:filter/{states['CreateFilter']['Parameters']['Name']}"

    assert states["UpdateCampaign"]["Parameters"]["CampaignArn"] == campaign
    assert _review_function_may_call(campaign, "prod")
    assert _review_function_may_call(filter_arn, "prod")
    assert not _review_function_may_call(campaign.replace("-prod-", "-dev-"), "prod")


ASL_VALIDATOR = ROOT / "tools" / "asl-validator" / "node_modules" / ".bin" / "asl-validator"


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_asl_validator_accepts_each_definition_as_deployed(machine: str, tmp_path: Path) -> None:
    """asl-validator (npm) on the definition with template.yaml's DefinitionSubstitutions
    resolved for a stack; `make lint` installs it (npm ci in tools/asl-validator)."""
    assert ASL_VALIDATOR.exists(), "asl-validator is not installed: run `make install-linters`"
    resolved = Stack().properties(machine)["DefinitionSubstitutions"]
    substitutions = {name: str(value) for name, value in resolved.items()}
    path = tmp_path / f"{MACHINES[machine]}.json"
    path.write_text(json.dumps(definition_of(MACHINES[machine], substitutions)))

    checked = subprocess.run(
        [str(ASL_VALIDATOR), "--json-path", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr


def definition_of(name: str, substitutions: dict[str, str]) -> dict[str, Any]:
    return load_definition(ROOT / "data_pipeline" / f"{name}.asl.yaml", substitutions)
