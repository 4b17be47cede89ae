"""Every CLI failure a new user met is one line: what went wrong, and the flag or file to
change. Each case here was found by trying the commands as a new user would."""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support import ROOT
from watchnext.cli import app
from watchnext.datasets.amazon_tsv import COLUMNS

runner = CliRunner()


def one_line_error(stderr: str) -> str:
    """The error, one line and the last (progress lines may come before it), no traceback."""
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr, stderr
    assert [line for line in lines if line.startswith("error: ")] == lines[-1:], stderr
    return lines[-1]


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, one_line_error(result.stderr)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        with gzip.open(path, "wt") as out:
            out.write(text)
    else:
        path.write_text(text)
    return path


RATINGS_CSV = "userId,movieId,rating,timestamp\n1,2,4.0,964982703\n"

# (input file and its text (None: do not create it), --source, exit code, what the line says)
PREPARE_CASES = {
    "a CSV given as amazon-tsv": (
        "reviews.csv", "user,item,rating\n1,2,5\n", "amazon-tsv", 2,
        ["not an Amazon review TSV (its first line has no tab", "--source amazon-2023"],
    ),
    "a TSV with other columns": (
        "reviews.tsv", "user\titem\trating\n1\t2\t5\n", "amazon-tsv", 2,
        ["its first line has 3 tab-separated columns"],
    ),
    "a MovieLens folder without movies.csv": (
        "ml-latest-small/ratings.csv", RATINGS_CSV, "movielens", 2,
        ["movies.csv missing", "needs movies.csv beside it"],
    ),
    "a missing MovieLens folder": ("nowhere", None, "movielens", 2, ["nowhere: no such folder"]),
    "an amazon-2023 file with no valid line": (
        "reviews.jsonl", '{"title": "no user, no item"}\nnot json\n', "amazon-2023", 1,
        ["no valid review line", "--source amazon-2023 reads"],
    ),
    "an Amazon dump with a header and no review": (
        "empty.tsv.gz", "\t".join(COLUMNS) + "\n", "amazon-tsv", 1, ["no valid review line"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", PREPARE_CASES)
def test_an_input_of_the_wrong_shape_is_one_line_naming_what_to_change(
    case: str, tmp_path: Path
) -> None:
    name, text, source, expected_code, expected = PREPARE_CASES[case]
    given = write(tmp_path / name, text) if text is not None else tmp_path / name
    if given.name == "ratings.csv":
        given = given.parent  # movielens reads the folder
    code, message = run("prepare", str(given), "--source", source, "--out", str(tmp_path / "out"))
    assert code == expected_code
    for part in expected:
        assert part in message
    assert "SELECT" not in message
    assert not (tmp_path / "out" / "report").exists()


def test_a_parameter_of_the_wrong_type_is_named(tmp_path: Path, trained: Path) -> None:
    dataset = trained.parent / "data"
    code, message = run("train", "--data", str(dataset), "--param", "factors=abc", "--out",
                        str(tmp_path / "m"))  # fmt: skip
    assert code == 2
    assert message == "error: parameter 'factors' must be a whole number, got 'abc'"


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


@pytest.mark.parametrize("server", ["api", "web", "smtp"])
def test_a_taken_demo_port_is_one_line_naming_the_flag(
    server: str, taken_port: int, tmp_path: Path, trained: Path
) -> None:
    ports = {"api": "0", "web": "0", "smtp": "0", server: str(taken_port)}
    result = subprocess.run(
        [sys.executable, "-m", "watchnext", "demo", "--data-dir", str(tmp_path), "--artifact",
         str(trained), "--dataset", str(trained.parent / "data"), "--api-port", ports["api"],
         "--web-port", ports["web"], "--smtp-port", ports["smtp"]],
        cwd=ROOT, env=os.environ, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    message = one_line_error(result.stderr)
    assert f"port {taken_port} is not free for the {server} server" in message
    assert f"--{server}-port N" in message
    assert f"make demo {server.upper()}_PORT=N" in message
    assert result.stdout == ""  # nothing started, nothing printed as running


def test_make_demo_takes_other_ports_and_demo_check_picks_free_ones() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "--always-make", "demo", "demo-check", "API_PORT=3001", "WEB_PORT=8081",
         "SMTP_PORT=1026"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert "--api-port 3001 --web-port 8081 --smtp-port 1026" in dry_run
    assert "--check" in dry_run
    assert "--api-port 0 --smtp-port 0" in dry_run


def test_engagement_commands_without_a_stack_say_what_to_start(tmp_path: Path) -> None:
    code, line = run("report", "engagement", "--data-dir", str(tmp_path))
    assert code == 2
    assert "no local stack data" in line
    assert "make demo" in line
    code, line = run("simulate", "--viewers", "3", "--data-dir", str(tmp_path))
    assert code == 2
    assert "no demo is running" in line
    assert "make demo" in line


def test_simulate_against_nothing_listening_is_one_line(tmp_path: Path) -> None:
    """Issue 24: with nothing listening, simulate printed a 64-line traceback."""
    write(tmp_path / "local" / "api-key", "k")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]

    code, line = run(
        "simulate", "--viewers", "1", "--data-dir", str(tmp_path),
        "--api-url", f"http://127.0.0.1:{free}",
    )  # fmt: skip

    assert code == 2
    assert "cannot reach http://127.0.0.1" in line
    assert "is the demo running?" in line


def test_the_engagement_report_prints_json_and_draws_a_plot(tmp_path: Path) -> None:
    from tests.support.fakes import email_job
    from watchnext.adapters.local.sqlite import Database
    from watchnext.adapters.local.stores import SqliteEngagementLog

    db = Database(tmp_path / "local" / "watchnext.db")
    log = SqliteEngagementLog(db)
    log.sent(email_job("job-1"), at=100.0)
    log.sent(email_job("job-2"), at=100.0)
    log.clicked("u-1", "job-1", 1, "item-0", at=130.0)
    db.close()

    result = runner.invoke(
        app,
        ["report", "engagement", "--data-dir", str(tmp_path), "--json",
         "--plot", str(tmp_path / "engagement.png")],
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["emails_sent"], report["clicks"]) == (2, 1)
    assert [(p["position"], p["clicked"], p["shown"]) for p in report["by_position"]] == [
        (1, 1, 2), (2, 0, 2),
    ]  # fmt: skip
    assert report["delays_seconds"] == [30.0]
    assert (tmp_path / "engagement.png").stat().st_size > 0
