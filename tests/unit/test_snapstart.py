"""SnapStart: both functions publish versions restored from a snapshot, everything invokes
them through their alias, and the restore hooks make each restored environment unique."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.support import ROOT
from tests.support.stack import Stack

FUNCTIONS = ("ReviewFunction", "MailerFunction")


@pytest.fixture(scope="module")
def deployed() -> dict[str, Any]:
    """template.yaml after the SAM transform, as CloudFormation receives it."""
    return dict(Stack().template["Resources"])


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_function_publishes_snapstart_versions_behind_an_alias(
    deployed: dict[str, Any], function: str
) -> None:
    properties = deployed[function]["Properties"]
    assert properties["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert properties["Runtime"] >= "python3.12"  # SnapStart for Python starts at 3.12
    # What SnapStart does not support:
    assert "FileSystemConfigs" not in properties
    assert properties.get("EphemeralStorage", {}).get("Size", 512) <= 512
    assert not [spec for spec in deployed.values() if "ProvisionedConcurrencyConfig"
                in spec.get("Properties", {})]  # fmt: skip
    alias = deployed[f"{function}Aliaslive"]
    assert alias["Type"] == "AWS::Lambda::Alias"
    version = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
    assert deployed[version]["Type"] == "AWS::Lambda::Version"
    assert deployed[version]["Properties"]["FunctionName"] == {"Ref": function}


def test_the_api_invokes_the_review_function_only_through_its_alias(
    deployed: dict[str, Any],
) -> None:
    body = json.dumps(deployed["ReviewApi"]["Properties"]["Body"])
    assert "ReviewFunctionAliaslive" in body
    assert "ReviewFunction.Arn" not in body
    permissions = [
        spec["Properties"] for spec in deployed.values()
        if spec["Type"] == "AWS::Lambda::Permission"
        and spec["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]  # fmt: skip
    assert permissions
    assert {json.dumps(p["FunctionName"]) for p in permissions} == {
        json.dumps({"Ref": "ReviewFunctionAliaslive"})
    }


def test_the_queue_invokes_the_mailer_only_through_its_alias(deployed: dict[str, Any]) -> None:
    mappings = [
        spec["Properties"] for spec in deployed.values()
        if spec["Type"] == "AWS::Lambda::EventSourceMapping"
        and "EmailJobQueue" in json.dumps(spec["Properties"]["EventSourceArn"])
    ]  # fmt: skip
    assert [m["FunctionName"] for m in mappings] == [{"Ref": "MailerFunctionAliaslive"}]


RESTORE_PROBE = """
import json, random, sys
import snapshot_restore_py
import watchnext.entrypoints.{module}

hooks = snapshot_restore_py.get_after_restore()
snapshot = random.getstate()          # what the snapshot holds
first = [random.random() for _ in range(4)]

random.setstate(snapshot)             # a second environment restored from it, no hooks
unhooked = [random.random() for _ in range(4)]

random.setstate(snapshot)             # a third, with the runtime running our hooks
for hook, args, kwargs in hooks:
    hook(*args, **kwargs)
hooked = [random.random() for _ in range(4)]
print(json.dumps({{"hooks": [h.__name__ for h, _, _ in hooks], "same_without_hooks":
    first == unhooked, "same_with_hooks": first == hooked}}))
"""


@pytest.mark.parametrize("module", ["api", "mailer"])
def test_the_restore_hooks_run_and_reseed(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", RESTORE_PROBE.format(module=module)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["hooks"] == ["restore_uniqueness"]
    assert outcome["same_without_hooks"] is True  # the hazard is real
    assert outcome["same_with_hooks"] is False  # and the hook removes it
