"""`watchnext report engagement` and `watchnext simulate`: what the emails earn, locally."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watchnext.cli.errors import Command, fail, user_errors
from watchnext.cli.local_state import local_database
from watchnext.cli.options import DataDir

if TYPE_CHECKING:
    from watchnext.domain.engagement import EngagementReport

report_app = typer.Typer(help="Reports on the local stack.", no_args_is_help=True)

Confidence = Annotated[
    float,
    typer.Option(metavar="LEVEL", min=0.5, max=0.9999, help="Confidence of the stated intervals."),
]


def _report(data_dir: Path, confidence: float, since: float = 0.0) -> EngagementReport:
    from watchnext.adapters.local.stores import SqliteEngagementLog

    missing = "no local stack data (run `make demo` first, or pass --data-dir)"
    with local_database(data_dir, missing) as db:
        return SqliteEngagementLog(db).report(confidence, since)


@report_app.command("engagement", cls=Command)
def report_engagement(
    data_dir: DataDir = Path("data"),
    confidence: Confidence = 0.95,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    plot: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Also draw the rates and delays (PNG).")
    ] = None,
) -> None:
    """Emails sent, clicks, click-through rate by position and by model (with intervals), and
    how long after sending the clicks came."""
    with user_errors():
        report = _report(data_dir, confidence)
        if plot is not None:
            _plot(report, plot)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
        return
    typer.echo(_table(report))


def _table(report: EngagementReport) -> str:
    level = f"{report.confidence:.0%}"
    lines = [
        f"emails sent {report.emails_sent}, clicks {report.clicks}, "
        f"click-through {report.overall.value:.1%} of links shown",
        f"position  shown  clicks   rate   {level} interval (Wilson)",
    ]
    lines += [
        f"{p:>8} {r.shown:>6} {r.clicked:>7} {r.value:>6.1%}   {r.low:.1%} to {r.high:.1%}"
        for p, r in report.by_position
    ]
    lines += ["model                      shown  clicks   rate"]
    lines += [f"{m:<26} {r.shown:>5} {r.clicked:>7} {r.value:>6.1%}" for m, r in report.by_model]
    if report.by_arm:
        lines += [f"experiment/arm             shown  clicks   rate   {level} interval (Wilson)"]
        lines += [
            f"{a:<26} {r.shown:>5} {r.clicked:>7} {r.value:>6.1%}   {r.low:.1%} to {r.high:.1%}"
            for a, r in report.by_arm
        ]
    if report.median_delay_seconds is not None:
        lines.append(f"median time to click: {report.median_delay_seconds:.1f} s after sending")
    return "\n".join(lines)


def _plot(report: EngagementReport, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (rates, delays) = plt.subplots(1, 2, figsize=(11, 4))
    positions = [p for p, _ in report.by_position]
    values = [r.value for _, r in report.by_position]
    rates.bar(positions, values, yerr=report.position_error_bars(), color="#1f3a5f", capsize=3)
    rates.set(title="Click-through rate by position", xlabel="position", ylabel="clicks per email")
    delays.hist(report.delays_seconds, bins=30, color="#6b7280")
    delays.set(title="Time from sending to the click", xlabel="seconds", ylabel="clicks")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _demo_on(data_dir: Path, api_url: str | None) -> tuple[str, str]:
    """The URL and key of the demo whose state is in ``data_dir``: its key never goes to a
    server that is not that demo's."""
    from watchnext.adapters.local.running import running_demo
    from watchnext.adapters.local.state_folder import StateFolder

    state = StateFolder.of(data_dir)
    key_file = state.api_key
    running = running_demo(state.root)
    if api_url is None and running is None:
        raise fail(
            f"no demo is running on {state.root}: start one with `make demo`, or pass "
            "--data-dir of the one you run (a second demo: `--data-dir data/demo-3001`)"
        )
    if not key_file.exists():
        raise fail(f"{key_file}: no API key; start the stack with `make demo` first")
    return api_url or (running.api_url if running else ""), key_file.read_text().strip()


def simulate(
    viewers: Annotated[int, typer.Option(metavar="N", min=1, help="How many new viewers.")] = 200,
    top: Annotated[
        float, typer.Option(metavar="RATE", min=0, max=1, help="Click rate of the first pick.")
    ] = 0.35,
    decay: Annotated[
        float, typer.Option(metavar="FACTOR", min=0, max=1, help="Each next position's factor.")
    ] = 0.8,
    seed: Annotated[int, typer.Option(metavar="N", help="Seed of the viewers' choices.")] = 0,
    api_url: Annotated[
        str | None,
        typer.Option(
            metavar="URL", help="The running stack's API; default: the demo on DATA_DIR/local."
        ),
    ] = None,
    data_dir: DataDir = Path("data"),
    confidence: Confidence = 0.95,
) -> None:
    """Drive a running local stack (`make demo`) with viewers who click by a known model, then
    check the engagement report against it: the report must recover each position's rate
    within the interval it states."""
    with user_errors():
        from watchnext.client.simulate import simulate as run_simulation
        from watchnext.domain.engagement import ClickModel

        model = ClickModel(top=top, decay=decay)
        url, key = _demo_on(data_dir, api_url)
        started = time.time()
        from watchnext.adapters.local.state_folder import StateFolder

        outbox = StateFolder.of(data_dir).outbox
        result = run_simulation(url, key, outbox, viewers=viewers, model=model, seed=seed)
        report = _report(data_dir, confidence, since=started)
    typer.echo(f"{result.emails} emails, {sum(result.followed.values())} links followed")
    covered = 0
    for position, rate in report.by_position:
        truth = model.rate(position)
        covered += rate.covers(truth)
        mark = "ok" if rate.covers(truth) else "OUTSIDE"
        typer.echo(
            f"position {position:>2}: true {truth:.1%}, measured {rate.value:.1%} "
            f"({report.confidence:.0%}: {rate.low:.1%} to {rate.high:.1%}) {mark}"
        )
    typer.echo(f"{covered} of {len(report.by_position)} intervals cover the true rate")
