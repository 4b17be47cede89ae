"""Every CLI failure a new user met is one line: what went wrong, and the flag or file to
change. Each case here was found by trying the commands as a new user would."""

from __future__ import annotations

import gzip
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


def test_a_csv_given_as_amazon_tsv_names_the_source_to_use(tmp_path: Path) -> None:
    (tmp_path / "reviews.csv").write_text("user,item,rating\n1,2,5\n")
    code, message = run("prepare", str(tmp_path / "reviews.csv"), "--source", "amazon-tsv",
                        "--out", str(tmp_path / "out"))  # fmt: skip
    assert code == 2
    assert "not an Amazon review TSV (its first line has no tab" in message
    assert "--source amazon-2023" in message


def test_a_tsv_with_other_columns_says_how_many(tmp_path: Path) -> None:
    (tmp_path / "reviews.tsv").write_text("user\titem\trating\n1\t2\t5\n")
    code, message = run("prepare", str(tmp_path / "reviews.tsv"), "--source", "amazon-tsv",
                        "--out", str(tmp_path / "out"))  # fmt: skip
    assert code == 2
    assert "its first line has 3 tab-separated columns" in message


def test_a_movielens_folder_without_movies_csv_names_the_missing_file(tmp_path: Path) -> None:
    folder = tmp_path / "ml-latest-small"
    folder.mkdir()
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,2,4.0,964982703\n")
    code, message = run("prepare", str(folder), "--source", "movielens", "--out",
                        str(tmp_path / "out"))  # fmt: skip
    assert code == 2
    assert "movies.csv missing" in message
    assert "SELECT" not in message


def test_a_missing_movielens_folder_says_it_is_missing(tmp_path: Path) -> None:
    code, message = run("prepare", str(tmp_path / "nowhere"), "--source", "movielens", "--out",
                        str(tmp_path / "out"))  # fmt: skip
    assert code == 2
    assert "nowhere: no such folder" in message


def test_an_amazon_2023_file_with_no_valid_line_says_so_and_writes_no_report(
    tmp_path: Path,
) -> None:
    (tmp_path / "reviews.jsonl").write_text('{"title": "no user, no item"}\nnot json\n')
    code, message = run("prepare", str(tmp_path / "reviews.jsonl"), "--source", "amazon-2023",
                        "--out", str(tmp_path / "out"))  # fmt: skip
    assert code == 1
    assert "no valid review line" in message
    assert "--source" in message
    assert not (tmp_path / "out" / "report").exists()


def test_an_empty_gzip_dump_is_the_same_message(tmp_path: Path) -> None:
    with gzip.open(tmp_path / "empty.tsv.gz", "wt") as out:
        out.write("\t".join(COLUMNS) + "\n")
    code, message = run("prepare", str(tmp_path / "empty.tsv.gz"), "--source", "amazon-tsv",
                        "--out", str(tmp_path / "out"))  # fmt: skip
    assert code == 1
    assert "no valid review line" in message


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
