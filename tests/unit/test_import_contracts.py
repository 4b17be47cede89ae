"""The import contracts in pyproject.toml hold, and they are live: a violation breaks them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(src: Path, project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(project / "pyproject.toml")],
        cwd=project,
        env={"PYTHONPATH": f"{src}:{project}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "src" / "watchnext", tmp_path / "src" / "watchnext")
    for package in ("tests", "benchmarks"):  # the contracts cover them too
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold_for_the_code_as_it_is(project_copy: Path) -> None:
    result = lint_imports(project_copy / "src", project_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "violation", "broken"),
    [
        # the domain reaching up to a Lambda handler
        ("domain/review.py", "import watchnext.entrypoints.api", "domain → email → service"),
        # an adapter building its own wiring
        (
            "adapters/local/stores.py",
            "import watchnext.bootstrap.local",
            "domain → email → service",
        ),
        # the use case on the AWS SDK
        ("service/review.py", "import boto3", "import no AWS SDK"),
        # the review API's Lambda bundle pulling in the ML stack
        ("adapters/http/review_api.py", "import numpy", "no pipeline or ML dependency"),
        # the recommender depending on the service layer that uses it
        ("recommender/data.py", "import watchnext.service.review", "no layer above the domain"),
        # two sibling modules importing each other
        ("domain/recommendation.py", "import watchnext.domain.email", "no import cycles"),
        # a benchmark borrowing the tests' fakes
        ("../../benchmarks/handler.py", "import tests.support.fakes", "only tests import tests"),
    ],
)
def test_a_violation_breaks_its_contract(
    project_copy: Path, module: str, violation: str, broken: str
) -> None:
    target = project_copy / "src" / "watchnext" / module
    target.write_text(target.read_text() + f"\n{violation}  # deliberate\n")
    result = lint_imports(project_copy / "src", project_copy)
    assert result.returncode == 1, result.stdout
    broken_lines = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(broken in line for line in broken_lines), result.stdout


def test_no_module_imports_a_test_module() -> None:
    """Shared test code lives in tests/support; a test module is never a library."""
    import grimp

    graph = grimp.build_graph("tests", "benchmarks", "watchnext", cache_dir=None)
    test_modules = {
        module for module in graph.modules if module.rpartition(".")[2].startswith("test_")
    }
    importers = {
        (importer, imported)
        for imported in test_modules
        for importer in graph.find_modules_that_directly_import(imported)
    }
    assert importers == set()
