"""Dataset commands: `data fetch|synth|validate|report`, and `prepare` and `upload`."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from watchnext.cli.errors import Command, fail, say, user_errors

app = typer.Typer(help="Fetch, synthesise, validate and describe datasets.", no_args_is_help=True)


@app.command("fetch", cls=Command)
def data_fetch(
    dataset: Annotated[str, typer.Argument(metavar="NAME", help="Only movielens-100k for now.")],
    data_dir: Annotated[
        Path, typer.Option(metavar="PATH", help="Where datasets are cached.")
    ] = Path("data"),
    wheel: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH", help="A recbole-1.2.1 wheel to take the files from (offline)."
        ),
    ] = None,
    offline: Annotated[bool, typer.Option(help="Use the cache or --wheel only.")] = False,
) -> None:
    """Fetch a public dataset into the local data folder (GroupLens, else PyPI's RecBole wheel)."""
    if dataset != "movielens-100k":
        raise fail(f"unknown dataset {dataset!r}; available: movielens-100k")
    with user_errors():
        from watchnext.datasets.fetch import fetch_movielens_100k

        folder = fetch_movielens_100k(data_dir, wheel=wheel, use_network=not offline, log=say)
    typer.echo(folder)


@app.command("synth", cls=Command)
def data_synth(
    layout: Annotated[str, typer.Argument(metavar="LAYOUT", help="Only amazon-tsv for now.")],
    rows: Annotated[
        int, typer.Option(metavar="N", min=10, help="About how many review lines.")
    ] = 100_000,
    seed: Annotated[int, typer.Option(metavar="N", help="Same seed, same file.")] = 7,
    out: Annotated[Path, typer.Option(metavar="PATH", help="Output file; .gz compresses.")] = Path(
        "data/synthetic/amazon_reviews_synthetic.tsv.gz"
    ),
) -> None:
    """Write a realistic synthetic review dump in the legacy Amazon TSV layout."""
    if layout != "amazon-tsv":
        raise fail(f"unknown layout {layout!r}; available: amazon-tsv")
    with user_errors():
        from watchnext.datasets.synth import SynthSpec, write_amazon_tsv

        with typer.progressbar(length=rows + 1, label="writing", file=sys.stderr) as bar:
            lines = write_amazon_tsv(out, SynthSpec(rows=rows, seed=seed), progress=bar.update)
    typer.echo(f"{out}: {lines:,} lines")


@app.command("validate", cls=Command)
def data_validate(
    dataset: Annotated[Path, typer.Argument(metavar="DATASET", help="A prepared dataset folder.")],
) -> None:
    """Check a dataset folder against Personalize's import rules; exit 1 when it fails."""
    with user_errors():
        from watchnext.datasets.schemas_io import load_schemas
        from watchnext.datasets.validate import validate_dataset

        result = validate_dataset(dataset, load_schemas(dataset))
    _report_validation(result.failures)


def _report_validation(failures: Sequence[object]) -> None:
    if failures:
        for failure in failures:
            typer.secho(str(failure), err=True, fg=typer.colors.RED)
        raise typer.Exit(1)
    typer.secho("valid: meets Personalize's import rules", err=True, fg=typer.colors.GREEN)


@app.command("report", cls=Command)
def data_report(
    dataset: Annotated[Path, typer.Argument(metavar="DATASET", help="A prepared dataset folder.")],
    out: Annotated[
        Path | None, typer.Option(metavar="PATH", help="Default: DATASET/report.")
    ] = None,
) -> None:
    """Write an EDA report (Markdown and PNG plots) of a prepared dataset."""
    with user_errors():
        from watchnext.datasets.report import write_report

        typer.echo(write_report(dataset, out or dataset / "report"))


def prepare(
    inputs: Annotated[
        list[str],
        typer.Argument(metavar="INPUT", help="Input files or s3:// URIs (MovieLens: its folder)."),
    ],
    source: Annotated[
        str, typer.Option(metavar="SOURCE", help="amazon-tsv, amazon-2023 or movielens.")
    ],
    out: Annotated[Path, typer.Option(metavar="PATH", help="The dataset folder to write.")],
    preset: Annotated[
        str | None, typer.Option(metavar="PRESET", help="original: the 2020 notebook's choices.")
    ] = None,
    min_year: Annotated[
        int | None, typer.Option(metavar="N", help="Drop interactions before this year.")
    ] = None,
    min_user_interactions: Annotated[
        int | None, typer.Option(metavar="N", min=1, help="Keep viewers with at least N ratings.")
    ] = None,
    min_item_interactions: Annotated[
        int | None, typer.Option(metavar="N", min=1, help="Keep titles with at least N ratings.")
    ] = None,
    min_rating: Annotated[
        float | None, typer.Option(metavar="X", help="Keep ratings at or above this.")
    ] = None,
    item_key: Annotated[str | None, typer.Option(metavar="id|title", help="id or title.")] = None,
    collapse: Annotated[
        bool | None, typer.Option("--collapse/--no-collapse", help="One row per (user, item).")
    ] = None,
    memory_limit: Annotated[
        str, typer.Option(metavar="SIZE", help="DuckDB memory limit; it spills past it.")
    ] = "1GB",
    report: Annotated[bool, typer.Option(help="Also write the EDA report.")] = True,
    threads: Annotated[
        int | None,
        typer.Option(metavar="N", min=1, help="DuckDB's worker threads; default: every core."),
    ] = None,
) -> None:
    """Turn a review dump or MovieLens into a Personalize dataset folder, validated."""
    if item_key not in (None, "id", "title"):
        raise fail(f"--item-key must be id or title, not {item_key!r}")
    with user_errors():
        from watchnext.datasets.prepare import nothing_read, resolve_filters, validation_of
        from watchnext.datasets.prepare import prepare as run_prepare
        from watchnext.datasets.storage import resolve_inputs

        filters = resolve_filters(
            preset,
            min_year=min_year,
            min_user_interactions=min_user_interactions,
            min_item_interactions=min_item_interactions,
            min_rating=min_rating,
            item_key=item_key,
            collapse=collapse,
        )
        manifest = run_prepare(
            source,  # type: ignore[arg-type]
            resolve_inputs(inputs),
            out,
            filters,
            preset=preset,
            memory_limit=memory_limit,
            threads=threads,
            progress=say,
        )
        empty = nothing_read(manifest)
        if empty is not None:
            raise fail(empty, code=1)
        counts = manifest.counts
        typer.echo(
            f"{out}: {counts['interactions']:,} interactions, {counts['users']:,} users, "
            f"{counts['items']:,} items "
            f"({counts['malformed_rows_skipped']:,} malformed rows skipped)"
        )
        if report:
            from watchnext.datasets.report import write_report

            typer.echo(write_report(out, out / "report"))
    _report_validation(validation_of(manifest).failures)


def upload(
    dataset: Annotated[Path, typer.Argument(metavar="DATASET", help="A prepared dataset folder.")],
    destination: Annotated[str, typer.Argument(metavar="S3_URI", help="s3://bucket/prefix")],
    force: Annotated[bool, typer.Option(help="Upload even if validation failed.")] = False,
) -> None:
    """Upload a prepared dataset into the S3 layout the training pipeline reads."""
    with user_errors():
        from watchnext.datasets.storage import upload_dataset

        uploaded = upload_dataset(dataset, destination, force=force, log=say)
    for uri in uploaded.values():
        typer.echo(uri)
