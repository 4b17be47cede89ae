"""The dataset commands as a user runs them: messages, exit codes, no tracebacks."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.support.datasets import many_reviews, write_amazon_tsv, write_recbole_wheel
from watchnext.cli import app

runner = CliRunner()


def test_fetch_then_prepare_movielens_from_a_wheel(tmp_path: Path) -> None:
    wheel = write_recbole_wheel(tmp_path / "recbole.whl")

    fetched = runner.invoke(
        app,
        [
            "data",
            "fetch",
            "movielens-100k",
            "--data-dir",
            str(tmp_path / "data"),
            "--wheel",
            str(wheel),
        ],
    )
    assert fetched.exit_code == 0, fetched.output
    folder = fetched.stdout.strip()

    prepared = runner.invoke(
        app, ["prepare", folder, "--source", "movielens", "--out", str(tmp_path / "ml")]
    )
    assert prepared.exit_code == 0, prepared.output
    assert "1,200 interactions, 40 users, 30 items" in prepared.stdout
    assert (tmp_path / "ml" / "report" / "REPORT.md").exists()
    assert (tmp_path / "ml" / "report" / "long_tail.png").stat().st_size > 1000
    report = (tmp_path / "ml" / "report" / "REPORT.md").read_text()
    for section in report.split("\n## ")[1:]:
        title, _, body = section.partition("\n\n")
        if "![" in body:  # a plot: a sentence with this dataset's figures comes first
            commentary = body.split("\n")[0]
            assert commentary.endswith("."), title
            assert any(c.isdigit() for c in commentary), title


def test_prepare_with_the_original_preset_and_an_override(tmp_path: Path) -> None:
    source = write_amazon_tsv(tmp_path / "in.tsv.gz", many_reviews())
    result = runner.invoke(
        app,
        ["prepare", str(source), "--source", "amazon-tsv", "--preset", "original",
         "--min-year", "2014", "--out", str(tmp_path / "out"), "--no-report"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '"min_year": 2014' in (tmp_path / "out" / "manifest.json").read_text()


def test_a_dataset_that_breaks_personalize_rules_exits_1_naming_the_rule(tmp_path: Path) -> None:
    source = write_amazon_tsv(tmp_path / "in.tsv.gz", many_reviews(users=5, per_user=5))
    result = runner.invoke(
        app,
        [
            "prepare",
            str(source),
            "--source",
            "amazon-tsv",
            "--out",
            str(tmp_path / "o"),
            "--no-report",
        ],
    )
    assert result.exit_code == 1
    assert "at least 1,000 interactions: found 25" in result.stderr
    revalidated = runner.invoke(app, ["data", "validate", str(tmp_path / "o")])
    assert revalidated.exit_code == 1
    assert "at least 25 users with 2 or more interactions: found 5" in revalidated.stderr


def test_bad_arguments_get_a_message_not_a_traceback(tmp_path: Path) -> None:
    for args, expected in (
        (["prepare", "x.tsv", "--source", "amazon-tsv", "--out", str(tmp_path)], "no such file"),
        (["prepare", "x", "--source", "parquet", "--out", str(tmp_path)], "unknown source"),
        (
            ["prepare", "x", "--source", "movielens", "--out", str(tmp_path)],
            "one input: the folder",
        ),
        (
            [
                "prepare",
                "x",
                "--source",
                "amazon-tsv",
                "--item-key",
                "asin",
                "--out",
                str(tmp_path),
            ],
            "--item-key",
        ),
        (
            ["prepare", "x", "--source", "amazon-tsv", "--preset", "new", "--out", str(tmp_path)],
            "unknown preset",
        ),
        (["data", "fetch", "imdb"], "unknown dataset"),
        (["upload", str(tmp_path), "s3://b/p"], "no manifest.json"),
        (["upload", str(tmp_path), "bucket/p"], "no manifest.json"),
        (["data", "validate", str(tmp_path)], "no interactions.csv"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output


def test_synth_writes_the_requested_layout(tmp_path: Path) -> None:
    out = tmp_path / "s.tsv.gz"
    result = runner.invoke(
        app, ["data", "synth", "amazon-tsv", "--rows", "2000", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 10_000
