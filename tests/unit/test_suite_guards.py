"""The suite cannot go green without running what it claims: under CI nothing skips, the
browser tier needs its browser, and the demo's default ports are taken while it runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT, running_in_ci

DEMO_PORTS = (3000, 8080, 1025)


def run_pytest(
    args: list[str], ci: bool, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env.update({"PYTHONPATH": str(ROOT), **({"CI": "true"} if ci else {})})
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_under_ci_a_skipped_test_fails_the_run(tmp_path: Path) -> None:
    (tmp_path / "test_skips.py").write_text(
        "import pytest\n\ndef test_skipped() -> None:\n    pytest.skip('no browser')\n"
    )
    args = ["-p", "tests.conftest", "--rootdir", str(tmp_path), str(tmp_path / "test_skips.py")]

    assert run_pytest(args, ci=False).returncode == 0
    under_ci = run_pytest(args, ci=True)
    assert under_ci.returncode == pytest.ExitCode.TESTS_FAILED, under_ci.stdout
    assert "1 tests were skipped" in under_ci.stdout


def test_under_ci_a_missing_chromium_fails_the_browser_tier(tmp_path: Path) -> None:
    args = ["--collect-only", "tests/e2e/test_web_app.py"]
    no_chromium = str(tmp_path)  # an empty PATH: `which chromium` finds nothing

    assert run_pytest(args, ci=False, path=no_chromium).returncode == 0
    under_ci = run_pytest(args, ci=True, path=no_chromium)
    assert under_ci.returncode != 0
    assert "the browser tier must run" in under_ci.stdout


def test_under_ci_the_demo_ports_are_taken_while_the_suite_runs() -> None:
    """`.ci/run` holds them; every server the suite starts must pick its own port."""
    held = os.environ.get("WATCHNEXT_HELD_PORTS")
    if not running_in_ci() and held is None:
        pytest.skip("only .ci/run holds the demo's ports")
    assert held == ",".join(map(str, DEMO_PORTS)), "CI must run the suite through .ci/run"
    for port in DEMO_PORTS:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) == 0, f"nothing holds port {port}"
