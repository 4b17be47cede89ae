"""Online experiments: `watchnext experiment simulate` (the studies with a ground truth)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from watchnext.cli.errors import say, user_errors

app = typer.Typer(help="Online experiments between recommenders.", no_args_is_help=True)


@app.command()
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
    for design, aa in results["a_a"].items():
        wins = aa["verdicts"]["winner"]
        low, high = binomtest(wins, aa["runs"]).proportion_ci(0.95)
        lines.append(
            f"A/A {design}: {wins} false winners in {aa['runs']} (rate {wins / aa['runs']:.3f},"
            f" 95% interval {low:.3f}-{high:.3f}; alpha {aa['alpha']})"
        )
    for pair, designs in results["true_difference"].items():
        for design, study in designs.items():
            right = study["winners"].get(study["arms"][1], 0)
            lines.append(
                f"{pair}, {design}: right winner {right}/{study['runs']},"
                f" median viewers {study['median_viewers_to_decide']}"
            )
    return "\n".join(lines)
