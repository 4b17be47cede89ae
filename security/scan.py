"""`make security`: checkov on template.yaml (every finding fixed or suppressed with a reason
in checkov-suppressions.yaml) and pip-audit on the Lambda bundle and the dev environment.

pip-audit needs a vulnerability service (PyPI's JSON API or OSV). Where none is reachable it
cannot audit anything: this says so loudly and does not pretend the audit passed; a reachable
service with a known vulnerability fails the run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SUPPRESSIONS = ROOT / "security" / "checkov-suppressions.yaml"


def suppressions() -> dict[str, str]:
    loaded = yaml.safe_load(SUPPRESSIONS.read_text()) or {}
    missing = [check for check, reason in loaded.items() if not str(reason or "").strip()]
    if missing:
        sys.exit(f"security: suppressions without a reason: {missing}")
    return {str(check): str(reason) for check, reason in loaded.items()}


def checkov(binary: str) -> int:
    skipped = suppressions()
    run = subprocess.run(  # noqa: S603 - our own tools, arguments from this file
        [binary, "-f", str(ROOT / "template.yaml"), "--framework", "cloudformation",
         "--quiet", "--compact", "-o", "json", "--skip-check", ",".join(skipped)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    report = json.loads(run.stdout)
    report = report[0] if isinstance(report, list) else report
    failed = report["results"]["failed_checks"]
    summary = report["summary"]
    print(
        f"checkov: {summary['passed']} passed, {len(failed)} failed,"
        f" {len(skipped)} check ids suppressed with reasons ({SUPPRESSIONS.name})"
    )
    for finding in failed:
        print(f"  {finding['check_id']} {finding['resource']}: {finding['check_name']}")
    return 1 if failed else 0


def pip_audit(binary: str, *args: str) -> int:
    run = subprocess.run(  # noqa: S603 - our own tools, arguments from this file
        [binary, *args, "-f", "json", "--progress-spinner", "off"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        dependencies = json.loads(run.stdout)["dependencies"]
    except (json.JSONDecodeError, KeyError):
        print(f"pip-audit {' '.join(args)}: could not run: {run.stderr.strip()[-500:]}")
        return 1
    vulnerable = [d for d in dependencies if d.get("vulns")]
    audited = [d for d in dependencies if "skip_reason" not in d]
    label = " ".join(args) or "the environment"
    if vulnerable:
        for dependency in vulnerable:
            ids = ", ".join(v["id"] for v in dependency["vulns"])
            print(f"pip-audit {label}: {dependency['name']} {dependency['version']}: {ids}")
        return 1
    if not audited:
        print(
            f"pip-audit {label}: NOT AUDITED - no vulnerability service reachable from this"
            f" machine ({len(dependencies)} dependencies skipped); run `make security` where"
            " PyPI's JSON API or OSV answers"
        )
        return 0
    print(f"pip-audit {label}: {len(audited)} audited, no known vulnerabilities")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkov", default=".venv-scan/bin/checkov")
    parser.add_argument("--pip-audit", default=".venv/bin/pip-audit")
    args = parser.parse_args()
    failures = checkov(args.checkov)
    failures += pip_audit(args.pip_audit, "-r", str(ROOT / "src" / "requirements.txt"))
    failures += pip_audit(args.pip_audit, "--skip-editable")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
