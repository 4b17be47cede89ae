"""Online experiments on the local stack: `start`, `status`, `stop` and `promote`; and
`simulate`, the studies with a ground truth."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from watchnext.cli.errors import Command, fail, say, user_errors
from watchnext.cli.local_state import local_database
from watchnext.cli.options import DataDir
from watchnext.domain.experiment import DEFAULT_ALPHA, DEFAULT_MIN_EFFECT, Arm, Design, Experiment

if TYPE_CHECKING:
    from watchnext.adapters.aws.experiments import SsmExperiments
    from watchnext.adapters.local.experiments import SqliteExperiments
    from watchnext.service.experiments import Comparison, ExperimentStatus

app = typer.Typer(help="Online experiments between recommenders.", no_args_is_help=True)
NO_STACK = "no local stack has run here yet; start one with make demo"
OnAws = Annotated[
    bool,
    typer.Option(
        "--aws",
        help="On the deployed stack instead (as its ExperimentRole): arms are campaign ARNs, "
        "and the state is the SSM parameter <WATCHNEXT_PARAMETER_PATH>/experiment.",
    ),
]


@contextmanager
def _experiments(data_dir: Path) -> Iterator[SqliteExperiments]:
    from watchnext.adapters.local.experiments import SqliteExperiments

    with user_errors(), local_database(data_dir, NO_STACK) as db:
        yield SqliteExperiments(db)


def _on_aws(*, with_emails: bool = False) -> SsmExperiments:
    import boto3

    from watchnext.adapters.aws.experiment_emails import DynamoDbExperimentEmails
    from watchnext.adapters.aws.experiments import SsmExperiments
    from watchnext.settings import Settings

    settings = Settings()
    emails = None
    if with_emails:
        if settings.experiment_emails_table is None:
            raise fail(
                "set WATCHNEXT_EXPERIMENT_EMAILS_TABLE to the stack's ExperimentEmailsTableName "
                "output: the status is read from there"
            )
        emails = DynamoDbExperimentEmails(
            boto3.client("dynamodb"), settings.experiment_emails_table
        )
    return SsmExperiments(boto3.client("ssm"), settings.parameter_path, emails)


@app.command(cls=Command)
def start(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Its name: letters, digits, '.', '_', '-'.")
    ],
    arm: Annotated[
        list[str],
        typer.Option(
            metavar="NAME=ARTIFACT",
            help="An arm and the model artifact that serves it (with --aws, its campaign ARN); "
            "twice or more. The first is the control.",
        ),
    ],
    design: Annotated[
        str, typer.Option(metavar="DESIGN", help="ab (one arm per viewer) or interleaving.")
    ] = "ab",
    share: Annotated[
        list[float] | None,
        typer.Option(metavar="X", help="A/B: each arm's share of viewers, in --arm order."),
    ] = None,
    alpha: Annotated[
        float, typer.Option(metavar="X", help="The false-winner rate the test guarantees.")
    ] = DEFAULT_ALPHA,
    min_effect: Annotated[
        float,
        typer.Option(
            metavar="X",
            help="The smallest difference worth knowing (A/B: click-through; interleaving: "
            "share of lists won above 0.5).",
        ),
    ] = DEFAULT_MIN_EFFECT,
    data_dir: DataDir = Path("data"),
    aws: OnAws = False,
) -> None:
    """Start splitting viewers between recommenders; the running stack (or the deployed
    review function, within its parameter cache) follows without a restart."""
    if design not in {d.value for d in Design}:
        raise fail(f"--design is ab or interleaving, not {design!r}")
    shares = share or [1.0] * len(arm)
    if len(shares) != len(arm):
        raise fail(f"give one --share per --arm ({len(arm)}), or none for an even split")
    arms = tuple(
        Arm(*_arm(text, aws=aws), share=weight) for text, weight in zip(arm, shares, strict=True)
    )
    with user_errors():
        experiment = Experiment(
            name, arms, Design(design), datetime.now(UTC), alpha=alpha, min_effect=min_effect
        )
        if aws:
            _on_aws().start(experiment)
            typer.echo(f"experiment {name} started on AWS: {', '.join(a.name for a in arms)}")
            return
    with _experiments(data_dir) as experiments:
        _check_artifacts(arms)
        experiments.start(experiment)
    typer.echo(f"experiment {name} started: {', '.join(a.name for a in arms)} ({design})")


def _arm(text: str, *, aws: bool) -> tuple[str, str]:
    name, sep, recommender = text.partition("=")
    if not sep or not name or not recommender:
        what = "CAMPAIGN_ARN" if aws else "ARTIFACT"
        raise fail(f"--arm takes NAME={what}, got {text!r}")
    return name, recommender if aws else str(Path(recommender).resolve())


def _check_artifacts(arms: tuple[Any, ...]) -> None:
    """Every arm a trained artifact, all trained on one dataset and reading a rating alike:
    each arm then knows every viewer's history, and the email says the same of a rating."""
    from watchnext.recommender.artifact import read_meta

    metas = {arm.name: read_meta(Path(arm.recommender)) for arm in arms}
    if len({meta["data"]["checksum"] for meta in metas.values()}) > 1:
        raise fail("the arms' models were trained on different data: train each on one dataset")
    if len({json.dumps(meta["confidence"], sort_keys=True) for meta in metas.values()}) > 1:
        raise fail(
            "the arms' models read ratings differently (like_at, dislike_below): train them "
            "with the same --param like_at=N --param dislike_below=N"
        )


@app.command(cls=Command)
def status(
    name: Annotated[
        str | None, typer.Argument(metavar="[NAME]", help="The experiment (default: running).")
    ] = None,
    data_dir: DataDir = Path("data"),
    aws: OnAws = False,
) -> None:
    """Per arm: viewers, emails, clicks, click-through; the difference with its always-valid
    interval; and the verdict: winner, not yet, or no difference at this size."""
    if aws:
        with user_errors():
            typer.echo(_status_text(_on_aws(with_emails=True).status(name)))
        return
    with _experiments(data_dir) as experiments:
        typer.echo(_status_text(_status(experiments, name)))


def _status(experiments: SqliteExperiments, name: str | None) -> ExperimentStatus:
    if name is None:
        running = experiments.running()
        if running is None:
            raise fail("no experiment is running: name one (watchnext experiment status NAME)")
        name = running.name
    return experiments.status(name)


def _status_text(found: ExperimentStatus) -> str:
    experiment = found.experiment
    lines = [
        f"experiment {experiment.name} ({experiment.design.value}), alpha {experiment.alpha}",
        "arm            viewers   emails   clicks   click-through",
        *(
            f"{arm.name:<14} {arm.viewers:>7} {arm.emails:>8} {arm.clicks:>8}"
            f"   {arm.click_through:.3f}"
            for arm in found.arms
        ),
        *(_comparison_text(experiment, comparison) for comparison in found.comparisons),
        f"verdict: {found.verdict.value}" + (f" ({found.winner})" if found.winner else ""),
    ]
    return "\n".join(lines)


def _comparison_text(experiment: Experiment, comparison: Comparison) -> str:
    what = (
        f"share of decided lists won by {comparison.second}"
        if experiment.design.value == "interleaving"
        else f"click-through, {comparison.second} minus {comparison.first}"
    )
    low, high = comparison.interval
    return (
        f"{what}: {comparison.evidence.estimate:.3f}, always-valid {1 - comparison.alpha:.0%}"
        f" interval {_interval(low, high)}, p = {comparison.evidence.p_value:.3g}"
    )


def _interval(low: float, high: float) -> str:
    if low == float("-inf"):
        return "none yet (too few viewers or decided lists)"
    return f"{low:.3f} to {high:.3f}"


@app.command(cls=Command)
def stop(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The experiment to stop.")],
    data_dir: DataDir = Path("data"),
    aws: OnAws = False,
) -> None:
    """Stop splitting viewers: every viewer is served the served model again."""
    if aws:
        with user_errors():
            _on_aws().stop(name)
        typer.echo(f"experiment {name} stopped on AWS")
        return
    with _experiments(data_dir) as experiments:
        experiments.stop(name)
    typer.echo(f"experiment {name} stopped")


@app.command(cls=Command)
def promote(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The experiment to promote.")],
    arm: Annotated[
        str | None,
        typer.Option(metavar="ARM", help="Promote this arm whatever the verdict."),
    ] = None,
    data_dir: DataDir = Path("data"),
    aws: OnAws = False,
) -> None:
    """Serve the winner's model from the next review on (the experiment stops). On AWS the
    winner's campaign ARN is published as campaign-arn, which the review function reads."""
    if aws:
        with user_errors():
            on_aws = _on_aws(with_emails=arm is None)
            promoted = on_aws.promote(name, arm or _winner(on_aws.status(name)))
        typer.echo(f"{promoted.name} promoted on AWS: campaign-arn is now {promoted.recommender}")
        return
    with _experiments(data_dir) as experiments:
        found = _status(experiments, name)
        winner = found.experiment.arm_named(arm or _winner(found))
        experiments.promote(name, winner)
    typer.echo(f"{winner.name} promoted: the local stack now serves {winner.recommender}")


def _winner(found: ExperimentStatus) -> str:
    if found.winner is None:
        raise fail(
            f"experiment {found.experiment.name} has no winner ({found.verdict.value}): wait, "
            "or choose with --arm ARM"
        )
    return found.winner


@app.command(cls=Command)
def simulate(
    data: Annotated[
        Path, typer.Option(metavar="PATH", help="A prepared MovieLens dataset folder.")
    ] = Path("data/ml100k"),
    artifact: Annotated[
        Path,
        typer.Option(metavar="PATH", help="A trained ALS artifact: the studies' ALS settings."),
    ] = Path("artifacts/als"),
    out: Annotated[Path, typer.Option(metavar="PATH", help="Where to write the JSON.")] = Path(
        "reports/experiments.json"
    ),
    aa_runs: Annotated[int, typer.Option(metavar="N", min=1, help="A/A experiments.")] = 200,
    runs: Annotated[
        int, typer.Option(metavar="N", min=1, help="Experiments per design and pair.")
    ] = 100,
    viewers: Annotated[
        int, typer.Option(metavar="N", min=2, help="Most active viewers after the cut.")
    ] = 300,
    top: Annotated[
        float, typer.Option(metavar="P", help="Click rate at position 1 for a liked title.")
    ] = 0.35,
    decay: Annotated[float, typer.Option(metavar="X", help="Click-rate decay per position.")] = 0.8,
    seed: Annotated[int, typer.Option(metavar="N", help="Seed of the cut and the draws.")] = 42,
) -> None:
    """Many simulated experiments in-process, with viewers who click the titles they go on
    to rate 4 or more: A/A for the false-winner rate, then ALS live against popularity and
    against ALS static, A/B and interleaving."""
    with user_errors():
        from watchnext.domain.engagement import ClickModel
        from watchnext.recommender.artifact import trained_params
        from watchnext.recommender.data import load_interactions
        from watchnext.recommender.online import StudyPlan, run_studies

        plan = StudyPlan(viewers=viewers, aa_runs=aa_runs, runs=runs, seed=seed)
        clicks = ClickModel(top=top, decay=decay)
        params = trained_params(artifact)
        say(f"replaying {data} and running {2 * aa_runs + 4 * runs} experiments")
        results = run_studies(load_interactions(data), params, plan, clicks)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
        typer.echo(summary(results))


def summary(results: dict[str, Any]) -> str:
    """The studies as a few lines of text."""
    from scipy.stats import binomtest

    lines = [f"click-through by arm: {results['click_through_by_arm']}"]
    for null, name in (("a_a", "A/A"), ("viewers_disagree", "viewers who disagree")):
        for design, aa in results[null].items():
            wins = aa["verdicts"]["winner"]
            low, high = binomtest(wins, aa["runs"]).proportion_ci(0.95)
            lines.append(
                f"{name} {design}: {wins} false winners in {aa['runs']} (rate"
                f" {wins / aa['runs']:.3f}, 95% interval {low:.3f}-{high:.3f}; alpha {aa['alpha']})"
            )
    for pair, designs in results["true_difference"].items():
        for design, study in designs.items():
            right = study["winners"].get(study["arms"][1], 0)
            lines.append(
                f"{pair}, {design}: right winner {right}/{study['runs']},"
                f" median viewers {study['median_viewers_to_decide']}"
            )
    return "\n".join(lines)
