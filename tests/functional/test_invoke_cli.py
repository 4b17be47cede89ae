"""`watchnext invoke` as a shell uses it: the response alone on stdout (so it pipes into
`python -m json.tool`), logs on stderr, a one-line error for a missing region or missing
credentials, and a failing exit status on a 5xx."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import EVENTS, ROOT

AWS_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                 "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL")  # fmt: skip


def invoke(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in AWS_VARIABLES}
    clean.update(
        AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true", **env,
    )  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "watchnext", "invoke", *args],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def refusing_endpoint() -> Iterator[str]:
    """An address where every connection is refused: AWS is unreachable."""
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{bound_not_listening.getsockname()[1]}"


def test_local_invoke_prints_only_the_response_on_stdout(tmp_path: Path, trained: Path) -> None:
    result = invoke(
        [str(EVENTS / "review.json"), "--local", "--data-dir", str(tmp_path), "--artifact",
         str(trained)]
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["statusCode"] == 200  # what `| python -m json.tool` needs
    assert '"message":"Review accepted"' in result.stderr


def test_aws_invoke_prints_only_the_response_and_fails_on_a_5xx(refusing_endpoint: str) -> None:
    result = invoke(
        [str(EVENTS / "review.json")],
        AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing", AWS_ENDPOINT_URL=refusing_endpoint,
        WATCHNEXT_EMAIL_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/q",
    )  # fmt: skip

    assert json.loads(result.stdout)["statusCode"] == 503
    assert result.returncode == 1
    assert '"level":"WARNING"' in result.stderr


def test_aws_invoke_without_a_region_says_so_in_one_line() -> None:
    result = invoke([str(EVENTS / "review.json")], AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or pass --local"
    ]


def test_aws_invoke_without_credentials_says_so_not_503() -> None:
    result = invoke([str(EVENTS / "review.json")], AWS_DEFAULT_REGION="us-east-1")

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no AWS credentials: set AWS_PROFILE" in result.stderr
