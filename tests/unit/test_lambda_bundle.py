"""The Lambda handlers stay lean: nothing heavy is reachable from them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support import ROOT, template

HEAVY = (
    "numpy", "pandas", "polars", "duckdb", "implicit", "scipy", "matplotlib",
    "dash", "flask", "typer", "aws_xray_sdk",
    "cryptography",  # in the bundle, imported only when an unsubscribe link is made or read
)  # fmt: skip


def handler_modules() -> list[str]:
    return [
        spec["Properties"]["Handler"].rpartition(".")[0]
        for spec in template()["Resources"].values()
        if spec["Type"] == "AWS::Serverless::Function"
    ]


@pytest.mark.parametrize("module", handler_modules())
def test_importing_a_lambda_handler_loads_no_heavy_module(module: str) -> None:
    probe = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    modules = json.loads(result.stdout)
    loaded = {name.split(".")[0] for name in modules}
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)
    assert not [n for n in modules if n.startswith(("watchnext.datasets", "watchnext.recommender"))]


def test_the_lambda_requirements_list_only_the_lean_runtime() -> None:
    lines = (ROOT / "src" / "requirements.txt").read_text().splitlines()
    names = {
        line.split("==")[0].split("[")[0] for line in lines if line and not line.startswith("#")
    }
    assert names == {
        "boto3", "aws-lambda-powertools", "pydantic", "pydantic-settings", "email-validator",
        "crhelper", "cryptography",
    }  # fmt: skip


def test_every_function_handler_in_the_template_is_importable() -> None:
    for spec in template()["Resources"].values():
        if spec["Type"] != "AWS::Serverless::Function":
            continue
        module, _, attribute = spec["Properties"]["Handler"].rpartition(".")
        result = subprocess.run(
            [sys.executable, "-c", f"import {module} as m; assert callable(m.{attribute})"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stderr
