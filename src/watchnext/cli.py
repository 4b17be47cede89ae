"""The ``watchnext`` command line. Each command is a thin shell over the package's functions."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from watchnext import __version__
from watchnext.email.delivery import SEND_CLAIM_LEASE_SECONDS

if TYPE_CHECKING:
    from watchnext.recommender.kinds import ModelKind

app = typer.Typer(
    name="watchnext",
    help="WatchNext: real-time recommendations by email, on AWS or on one laptop.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"watchnext {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    pass


def load_event(path: Path) -> dict[str, Any]:
    """An API Gateway proxy event from a JSON file, or a clear error."""
    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(f"{path}: no such file (sample events are in events/)") from None
    except json.JSONDecodeError as error:
        raise _fail(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(event, dict) or "httpMethod" not in event:
        raise _fail(f"{path}: not an API Gateway proxy event (it has no httpMethod)")
    return event


@app.command()
def invoke(
    event_file: Annotated[
        Path, typer.Argument(help="An API Gateway proxy event, e.g. events/review.json")
    ],
    local: Annotated[
        bool, typer.Option(help="Use the local stack's adapters (model, SQLite) instead of AWS.")
    ] = False,
    data_dir: Annotated[Path, typer.Option(help="With --local: the local state.")] = Path("data"),
    artifact: Annotated[Path, typer.Option(help="With --local: the model.")] = Path(
        "artifacts/als"
    ),
) -> None:
    """Run the review API's Lambda handler in-process on EVENT_FILE and print its response.

    The no-Docker equivalent of `sam local invoke`. By default it uses the AWS adapters,
    configured from the same environment variables the deployed function gets (WATCHNEXT_*;
    see README); with --local, the local stack's (the email is queued for `watchnext demo`).
    """
    event = load_event(event_file)
    if local:
        from watchnext.entrypoints.lambda_context import LocalLambdaContext

        with _recommender_errors():
            from watchnext.local_stack import LocalConfig, build_local_stack

            stack = build_local_stack(
                LocalConfig(data_dir=data_dir, artifact=artifact, run_sink=False)
            )
        try:
            response = stack.api.handle(event, LocalLambdaContext())
        finally:
            stack.db.close()
        typer.echo(json.dumps(_readable(response), indent=2, ensure_ascii=False))
        return
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "1")
    from watchnext.entrypoints.api import handler
    from watchnext.entrypoints.lambda_context import LocalLambdaContext
    from watchnext.settings import SettingsError

    try:
        response = handler(event, LocalLambdaContext())
    except SettingsError as error:
        raise _fail(str(error)) from None
    typer.echo(json.dumps(_readable(response), indent=2, ensure_ascii=False))


def _readable(response: dict[str, Any]) -> dict[str, Any]:
    body = response.get("body")
    if isinstance(body, str):
        try:
            return {**response, "body": json.loads(body)}
        except json.JSONDecodeError:
            pass
    return response


data_app = typer.Typer(
    help="Fetch, synthesise, validate and describe datasets.", no_args_is_help=True
)
app.add_typer(data_app, name="data")


@contextmanager
def _dataset_errors() -> Iterator[None]:
    """The pipeline's errors as one-line messages (exit 2), never a traceback."""
    try:
        yield
    except ModuleNotFoundError as error:
        raise _fail(
            f"{error.name} is not installed: pip install 'watchnext[pipeline]' (or make install)"
        ) from None
    except Exception as error:
        from watchnext.datasets.errors import DatasetError

        if isinstance(error, DatasetError):
            raise _fail(str(error)) from None
        if type(error).__module__.startswith(("duckdb", "_duckdb")):
            raise _fail(f"could not read the input: {error}") from None
        raise


def _say(message: str) -> None:
    typer.secho(message, err=True, fg=typer.colors.BLUE)


@data_app.command("fetch")
def data_fetch(
    dataset: Annotated[str, typer.Argument(help="Only movielens-100k for now.")],
    data_dir: Annotated[Path, typer.Option(help="Where datasets are cached.")] = Path("data"),
    wheel: Annotated[
        Path | None, typer.Option(help="A recbole-1.2.1 wheel to take the files from (offline).")
    ] = None,
    offline: Annotated[bool, typer.Option(help="Use the cache or --wheel only.")] = False,
) -> None:
    """Fetch a public dataset into the local data folder (GroupLens, else PyPI's RecBole wheel)."""
    if dataset != "movielens-100k":
        raise _fail(f"unknown dataset {dataset!r}; available: movielens-100k")
    with _dataset_errors():
        from watchnext.datasets.fetch import fetch_movielens_100k

        folder = fetch_movielens_100k(data_dir, wheel=wheel, use_network=not offline, log=_say)
    typer.echo(folder)


@data_app.command("synth")
def data_synth(
    layout: Annotated[str, typer.Argument(help="Only amazon-tsv for now.")],
    rows: Annotated[int, typer.Option(min=10, help="About how many review lines.")] = 100_000,
    seed: Annotated[int, typer.Option(help="Same seed, same file.")] = 7,
    out: Annotated[Path, typer.Option(help="Output file; .gz compresses.")] = Path(
        "data/synthetic/amazon_reviews_synthetic.tsv.gz"
    ),
) -> None:
    """Write a realistic synthetic review dump in the legacy Amazon TSV layout."""
    if layout != "amazon-tsv":
        raise _fail(f"unknown layout {layout!r}; available: amazon-tsv")
    with _dataset_errors():
        from watchnext.datasets.synth import SynthSpec, write_amazon_tsv

        with typer.progressbar(length=rows + 1, label="writing", file=sys.stderr) as bar:
            lines = write_amazon_tsv(out, SynthSpec(rows=rows, seed=seed), progress=bar.update)
    typer.echo(f"{out}: {lines:,} lines")


@data_app.command("validate")
def data_validate(
    dataset: Annotated[Path, typer.Argument(help="A prepared dataset folder.")],
) -> None:
    """Check a dataset folder against Personalize's import rules; exit 1 when it fails."""
    with _dataset_errors():
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


@data_app.command("report")
def data_report(
    dataset: Annotated[Path, typer.Argument(help="A prepared dataset folder.")],
    out: Annotated[Path | None, typer.Option(help="Default: DATASET/report.")] = None,
) -> None:
    """Write an EDA report (Markdown and PNG plots) of a prepared dataset."""
    with _dataset_errors():
        from watchnext.datasets.report import write_report

        typer.echo(write_report(dataset, out or dataset / "report"))


@app.command()
def prepare(
    inputs: Annotated[
        list[str], typer.Argument(help="Input files or s3:// URIs (MovieLens: its folder).")
    ],
    source: Annotated[str, typer.Option(help="amazon-tsv, amazon-2023 or movielens.")],
    out: Annotated[Path, typer.Option(help="The dataset folder to write.")],
    preset: Annotated[
        str | None, typer.Option(help="original: the 2020 notebook's choices.")
    ] = None,
    min_year: Annotated[
        int | None, typer.Option(help="Drop interactions before this year.")
    ] = None,
    min_user_interactions: Annotated[int | None, typer.Option(min=1)] = None,
    min_item_interactions: Annotated[int | None, typer.Option(min=1)] = None,
    min_rating: Annotated[float | None, typer.Option(help="Keep ratings at or above this.")] = None,
    item_key: Annotated[str | None, typer.Option(help="id or title.")] = None,
    collapse: Annotated[
        bool | None, typer.Option("--collapse/--no-collapse", help="One row per (user, item).")
    ] = None,
    memory_limit: Annotated[
        str, typer.Option(help="DuckDB memory limit; it spills past it.")
    ] = "1GB",
    report: Annotated[bool, typer.Option(help="Also write the EDA report.")] = True,
) -> None:
    """Turn a review dump or MovieLens into a Personalize dataset folder, validated."""
    if item_key not in (None, "id", "title"):
        raise _fail(f"--item-key must be id or title, not {item_key!r}")
    with _dataset_errors():
        from watchnext.datasets.prepare import prepare as run_prepare
        from watchnext.datasets.prepare import resolve_filters, validation_of
        from watchnext.datasets.storage import resolve_inputs

        filters = resolve_filters(
            preset, min_year=min_year, min_user_interactions=min_user_interactions,
            min_item_interactions=min_item_interactions, min_rating=min_rating,
            item_key=item_key, collapse=collapse,
        )  # fmt: skip
        manifest = run_prepare(
            source,  # type: ignore[arg-type]
            resolve_inputs(inputs),
            out,
            filters,
            preset=preset,
            memory_limit=memory_limit,
            progress=_say,
        )
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


@app.command()
def upload(
    dataset: Annotated[Path, typer.Argument(help="A prepared dataset folder.")],
    destination: Annotated[str, typer.Argument(help="s3://bucket/prefix")],
    force: Annotated[bool, typer.Option(help="Upload even if validation failed.")] = False,
) -> None:
    """Upload a prepared dataset into the S3 layout the training pipeline reads."""
    with _dataset_errors():
        from watchnext.datasets.storage import upload_dataset

        uploaded = upload_dataset(dataset, destination, force=force, log=_say)
    for uri in uploaded.values():
        typer.echo(uri)


def _params(pairs: list[str]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise _fail(f"--param takes name=value, got {pair!r}")
        parsed[name] = value.lower() == "true" if value.lower() in ("true", "false") else value
    return parsed


@contextmanager
def _recommender_errors() -> Iterator[None]:
    try:
        with _dataset_errors():
            yield
    except ValueError as error:
        raise _fail(str(error)) from None
    except Exception as error:
        from watchnext.recommender.errors import RecommenderError

        if isinstance(error, RecommenderError):
            raise _fail(str(error)) from None
        raise


def _model_kind(name: str) -> ModelKind:
    from watchnext.recommender.kinds import MODEL_KINDS

    for kind in MODEL_KINDS:
        if name == kind:
            return kind
    raise _fail(f"unknown model {name!r}; choose from {', '.join(MODEL_KINDS)}")


@app.command()
def train(
    data: Annotated[Path, typer.Option(help="A prepared dataset folder.")],
    model: Annotated[str, typer.Option(help="als, ease, bpr, itemknn or popularity.")] = "als",
    param: Annotated[
        list[str] | None,
        typer.Option(
            help="name=value, repeatable: model parameters, or alpha, min_rating, binary."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Artifact folder; default artifacts/MODEL.")
    ] = None,
    seed: Annotated[int, typer.Option(help="random_state for the model.")] = 42,
) -> None:
    """Train a local model on a prepared dataset and save a versioned artifact."""
    kind = _model_kind(model)
    with _recommender_errors():
        from watchnext.recommender import artifact
        from watchnext.recommender.data import load_interactions
        from watchnext.recommender.models import LocalRecommender, split_params

        given = _params(param or [])
        split_params(kind, given)  # a wrong name fails before the data is read
        interactions = load_interactions(data)
        trained = LocalRecommender.fit(
            interactions, kind, given, random_state=seed, show_progress=sys.stderr.isatty()
        )
        target = out or Path("artifacts") / kind
        folder = artifact.save(trained, target, data_checksum=interactions.checksum)
    users, items = interactions.shape
    typer.echo(
        f"{folder}: {model} on {users:,} users, {items:,} items "
        f"({trained.train.nnz:,} interactions)"
    )


@app.command()
def evaluate(
    data: Annotated[Path, typer.Option(help="A prepared dataset folder.")],
    out: Annotated[Path, typer.Option(help="Where to write the report.")],
    models: Annotated[
        str, typer.Option(help="Comma-separated models.")
    ] = "popularity,als,ease,bpr,itemknn",
    splits: Annotated[int, typer.Option(min=1, help="Random user splits to average over.")] = 5,
    seed: Annotated[int, typer.Option(help="First split's seed.")] = 42,
    tune: Annotated[
        bool, typer.Option(help="Grid-search each model first (like Personalize HPO).")
    ] = False,
    personalize_metrics: Annotated[
        Path | None, typer.Option(help="A saved GetSolutionMetrics response to show beside ours.")
    ] = None,
    protocol: Annotated[
        str, typer.Option(help="random-users (Personalize's offline metrics) or replay.")
    ] = "random-users",
    test_share: Annotated[
        float, typer.Option(min=0.01, max=0.5, help="replay: the share of events after the cut.")
    ] = 0.1,
    viewers: Annotated[
        int, typer.Option(min=1, help="replay: how many of the most active viewers to replay.")
    ] = 80,
) -> None:
    """Evaluate local models: Personalize's offline protocol (random users), or a replay of
    later events in time order through record and recommend (--protocol replay)."""
    kinds = [_model_kind(k.strip()) for k in models.split(",") if k.strip()]
    with _recommender_errors():
        if protocol == "replay":
            from watchnext.recommender.data import load_interactions
            from watchnext.recommender.replay import ReplayPlan, run_replay, write_replay

            plan = ReplayPlan(test_share=test_share, viewers=viewers, seed=seed)
            learned: list[ModelKind] = [k for k in kinds if k != "popularity"] or ["als"]
            results = run_replay(load_interactions(data), learned[0], plan)
            typer.echo(write_replay(out, results, data.name))
            return
        if protocol != "random-users":
            raise _fail(f"--protocol is random-users or replay, not {protocol!r}")
        from watchnext.recommender.evaluate import run_evaluation

        report = run_evaluation(
            data, out, kinds=kinds, splits=splits, seed=seed, do_tune=tune,
            personalize_metrics_file=personalize_metrics, show_progress=sys.stderr.isatty(),
        )  # fmt: skip
    typer.echo(report)


events_app = typer.Typer(help="The local stack's recorded events.", no_args_is_help=True)
app.add_typer(events_app, name="events")


@events_app.command("compact")
def events_compact(
    older_than_days: Annotated[
        int, typer.Option(min=1, help="Move events recorded more than this many days ago.")
    ],
    data_dir: Annotated[Path, typer.Option(help="The local stack's data folder.")] = Path("data"),
    dataset: Annotated[
        Path, typer.Option(help="The prepared dataset to add them to (its interactions.csv).")
    ] = Path("data/ml100k"),
) -> None:
    """Move old events into the training data; they leave the local store once a model
    trained on it is served (retrain with `watchnext train`). Stop `watchnext demo` first."""
    import time

    with _recommender_errors():
        from watchnext.adapters.local.sqlite import Database
        from watchnext.adapters.local.stores import SqliteEventStore

        database = data_dir / "local" / "watchnext.db"
        if not database.exists():
            raise _fail(f"{database}: no local events (run `watchnext demo` first)")
        db = Database(database)
        try:
            done = SqliteEventStore(db).compact(dataset, time.time() - older_than_days * 86_400)
        finally:
            db.close()
    typer.echo(
        f"{done.events:,} events older than {older_than_days} days compacted into "
        f"{dataset / 'interactions.csv'} ({done.appended:,} new rows). Retrain "
        f"(`watchnext train --data {dataset}`) and restart: the store then forgets them."
    )


email_app = typer.Typer(help="The recommendations email.", no_args_is_help=True)
app.add_typer(email_app, name="email")


@email_app.command("preview")
def email_preview(
    user: Annotated[str, typer.Option(help="The viewer to render the email for.")],
    out: Annotated[Path, typer.Option(help="The HTML file to write (the text part goes beside).")],
    artifact: Annotated[
        Path, typer.Option(help="A trained model (watchnext train) to recommend with.")
    ] = Path("artifacts/als"),
    rated: Annotated[
        str | None, typer.Option(help="The title the viewer just rated (item id).")
    ] = None,
    n: Annotated[int, typer.Option(min=1, max=100, help="How many recommendations.")] = 10,
) -> None:
    """Render the recommendations email for USER locally, exactly from the SES template files."""
    with _recommender_errors():
        from datetime import UTC, datetime

        from watchnext.adapters.local.catalog import InMemoryCatalog
        from watchnext.domain.email import EmailJob, RatedItem
        from watchnext.email.render import HandlebarsRenderer
        from watchnext.email.templates import load_template, template_data
        from watchnext.recommender import artifact as artifacts
        from watchnext.service import ids_to_title, titled

        model = artifacts.load(artifact)
        history = model.history_of(user)
        rated_id = rated or (history[0] if history else None)
        if rated_id is None:
            raise _fail(f"{user!r} has rated nothing in {artifact}; pass --rated ITEM_ID")
        ranked = model.recommend(user, n)
        titles_needed = ids_to_title(ranked)
        job = EmailJob(
            job_id="preview",
            user_id=user,
            email_address="preview@example.com",
            rated=RatedItem(item_id=rated_id, title=model.titles.get(rated_id, rated_id), rating=5),
            recommendations=titled(ranked, InMemoryCatalog(model.titles).lookup(titles_needed)),
            recommendation_id=ranked.recommendation_id,
            reviewed_at=datetime.now(UTC),
        )
        email = HandlebarsRenderer(load_template()).render(
            template_data(job, "http://127.0.0.1:3000/unsubscribe?token=preview")
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(email.html, encoding="utf-8")
    out.with_suffix(".txt").write_text(
        f"Subject: {email.subject}\n\n{email.text}", encoding="utf-8"
    )
    typer.echo(f"{out} ({email.subject})")


@app.command()
def demo(
    data_dir: Annotated[Path, typer.Option(help="Datasets and the local stack's state.")] = Path(
        "data"
    ),
    artifact: Annotated[Path, typer.Option(help="The trained model to serve.")] = Path(
        "artifacts/als"
    ),
    dataset: Annotated[Path, typer.Option(help="The prepared dataset: titles, genres.")] = Path(
        "data/ml100k"
    ),
    api_port: Annotated[
        int, typer.Option(help="The review API (like `sam local start-api`).")
    ] = 3000,
    web_port: Annotated[int, typer.Option(help="The web app.")] = 8080,
    web_host: Annotated[
        list[str] | None,
        typer.Option(
            help="Another host name the web app answers to (repeatable); by default only "
            "localhost, 127.0.0.1 and ::1, so other sites cannot reach it by DNS rebinding."
        ),
    ] = None,
    smtp_port: Annotated[int, typer.Option(help="The local SMTP sink.")] = 1025,
    smtp_host: Annotated[str, typer.Option(help="Send through this SMTP server instead.")] = "",
    api_key: Annotated[
        str | None, typer.Option(help="Default: generated once, kept in DATA_DIR/local.")
    ] = None,
    check: Annotated[
        bool, typer.Option(help="Run one scripted review end to end, then exit 0 or 1.")
    ] = False,
    send_claim_lease_seconds: Annotated[
        float,
        typer.Option(
            min=1.0,
            help="After a crash mid-send, how long until that email is sent again (the "
            "queue's lease is 1.5 times this).",
        ),
    ] = SEND_CLAIM_LEASE_SECONDS,
) -> None:
    """Run WatchNext on this machine: SMTP sink, review API, mailer and web app; Ctrl-C stops."""
    import signal
    import threading

    with _recommender_errors():
        from watchnext.local_stack import LocalConfig, build_local_stack

        config = LocalConfig(
            data_dir=data_dir, artifact=artifact, api_port=api_port, smtp_port=smtp_port,
            smtp_host=smtp_host or "127.0.0.1", run_sink=not smtp_host, api_key=api_key,
            dataset=dataset, web_port=None if check else web_port,
            web_hosts=tuple(web_host or ()), send_claim_lease_seconds=send_claim_lease_seconds,
        )  # fmt: skip
        stack = build_local_stack(config)
    try:
        stack.start()
    except OSError as error:
        stack.stop()
        raise _fail(
            f"cannot listen: {error} (pick other ports with --api-port/--smtp-port)"
        ) from None
    replayed = stack.events.count()
    if config.web_port is not None:
        typer.echo(f"Web app: {config.web_url}")
    typer.echo(f"Review API: {config.api_url}  (OpenAPI: {config.api_url}/openapi.json)")
    typer.echo(f"API key: {stack.api_key}")
    typer.echo(
        f"SMTP: {config.smtp_host}:{config.smtp_port}"
        + ("  (sink: " + str(config.outbox_dir) + ")" if config.run_sink else "")
    )
    typer.echo(f"Events kept from earlier runs: {replayed:,}")
    if check:
        from watchnext.demo_check import run_check

        try:
            ok = run_check(config, stack.api_key)
        finally:
            stack.stop()
        raise typer.Exit(0 if ok else 1)
    stopped = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    typer.echo("Running; Ctrl-C stops.")
    stopped.wait()
    typer.echo("Stopping…")
    stack.stop()


pipeline_app = typer.Typer(
    help="The AWS training pipeline (Step Functions): start it, tear down, draw it.",
    no_args_is_help=True,
)
app.add_typer(pipeline_app, name="pipeline")
StackOption = Annotated[str, typer.Option(help="The CloudFormation stack (samconfig.toml's).")]
ArnOption = Annotated[
    str | None, typer.Option(help="The state machine ARN, instead of reading the stack's outputs.")
]
WaitOption = Annotated[bool, typer.Option(help="Follow the execution until it ends.")]


@contextmanager
def _pipeline_errors() -> Iterator[None]:
    from watchnext.pipeline.errors import PipelineError

    try:
        yield
    except PipelineError as error:
        raise _fail(str(error)) from None
    except Exception as error:
        if type(error).__module__.startswith("botocore"):
            raise _fail(f"AWS: {error}") from None
        raise


def _run_machine(
    machine: str, execution_input: dict[str, Any], stack: str, arn: str | None, follow: bool
) -> None:
    import boto3

    from watchnext.pipeline import control

    sfn = boto3.client("stepfunctions")
    arn = arn or control.state_machine_arn(boto3.client("cloudformation"), stack, machine)
    execution = control.start(sfn, arn, execution_input)
    typer.echo(execution)
    if not follow:
        return
    result = control.wait(sfn, execution, on_poll=lambda status: _say(f"{machine}: {status}"))
    if result.status != "SUCCEEDED":
        raise _fail(f"{result.status}: {result.error}: {result.cause}", code=1)
    typer.echo(json.dumps(result.output, indent=2))


@pipeline_app.command("start")
def pipeline_start(
    config: Annotated[
        Path | None, typer.Option(help="A config JSON file (data_pipeline/config.example.json).")
    ] = None,
    stack: StackOption = "watchnext",
    state_machine_arn: ArnOption = None,
    wait: WaitOption = False,
) -> None:
    """Check a config, then start a training run with it (defaults without --config)."""
    with _pipeline_errors():
        from watchnext.pipeline.config import PipelineConfig, load_config

        checked = load_config(config) if config else PipelineConfig()
        _run_machine("training", checked.as_input(), stack, state_machine_arn, wait)


@pipeline_app.command("teardown")
def pipeline_teardown(
    stack: StackOption = "watchnext",
    state_machine_arn: ArnOption = None,
    wait: WaitOption = True,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False,
) -> None:
    """Delete the campaign, filters, tracker, solutions, datasets and dataset group."""
    if not yes:
        typer.confirm(f"Delete the Personalize resources of stack {stack!r}?", abort=True)
    with _pipeline_errors():
        _run_machine("teardown", {}, stack, state_machine_arn, wait)


@pipeline_app.command("diagram")
def pipeline_diagram(
    machine: Annotated[str, typer.Argument(help="training or teardown")] = "training",
    phases_only: Annotated[
        bool, typer.Option("--overview", help="Only the phases and the moves between them.")
    ] = False,
) -> None:
    """Print a Mermaid diagram of a state machine, drawn from its definition."""
    with _pipeline_errors():
        from watchnext.pipeline import asl

        path = asl.definition_file(machine)
        names = {name: name for name in asl.placeholders(path)} | {"PipelineTimeoutSeconds": "0"}
        definition, grouping = asl.load_definition(path, names), asl.phases(path)
        drawn = (
            asl.overview(definition, grouping) if phases_only else asl.mermaid(definition, grouping)
        )
        typer.echo(drawn, nl=False)


def main() -> None:
    app()
