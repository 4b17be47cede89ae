"""Model commands: `train` and `evaluate`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from watchnext.cli.errors import fail, user_errors

if TYPE_CHECKING:
    from watchnext.recommender.data import Interactions
    from watchnext.recommender.models import ModelKind


def _params(pairs: list[str]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise fail(f"--param takes name=value, got {pair!r}")
        parsed[name] = value.lower() == "true" if value.lower() in ("true", "false") else value
    return parsed


def _model_kind(name: str) -> str:
    from watchnext.recommender.algorithms import model_kinds

    if name not in model_kinds():
        raise fail(f"unknown model {name!r}; choose from {', '.join(model_kinds())}")
    return name


def train(
    data: Annotated[Path, typer.Option(metavar="PATH", help="A prepared dataset folder.")],
    model: Annotated[
        str, typer.Option(metavar="MODEL", help="als, ease, bpr, itemknn or popularity.")
    ] = "als",
    param: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME=VALUE",
            help="name=value, repeatable: model parameters; alpha, like_at, dislike_below, "
            "binary; decay, blend, last, dislike_penalty.",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(metavar="PATH", help="Artifact folder; default artifacts/MODEL.")
    ] = None,
    seed: Annotated[int, typer.Option(metavar="N", help="random_state for the model.")] = 42,
    choose_serving: Annotated[
        bool,
        typer.Option(
            help="Choose recency, the sentiment rule and the dislike penalty on a replay of "
            "the data's newest events first (parameters given with --param are kept)."
        ),
    ] = True,
) -> None:
    """Train a local model on a prepared dataset and save a versioned artifact."""
    kind = _model_kind(model)
    with user_errors():
        from watchnext.recommender import artifact
        from watchnext.recommender.data import load_interactions
        from watchnext.recommender.models import LocalRecommender, split_params

        given = _params(param or [])
        split_params(kind, given)  # a wrong name fails before the data is read
        interactions = load_interactions(data)
        chosen, serving = _chosen_serving(interactions, kind, given, seed, choose_serving)
        trained = LocalRecommender.fit(
            interactions,
            kind,
            given | chosen,
            random_state=seed,
            show_progress=sys.stderr.isatty(),
        )
        target = out or Path("artifacts") / kind
        folder = artifact.save(
            trained, target, data_checksum=interactions.checksum, serving=serving
        )
    users, items = interactions.shape
    typer.echo(
        f"{folder}: {model} on {users:,} users, {items:,} items "
        f"({trained.train.nnz:,} interactions)"
    )


def _chosen_serving(
    data: Interactions, kind: ModelKind, given: dict[str, Any], seed: int, choose: bool
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    if not choose:
        return {}, None
    from tqdm import tqdm

    from watchnext.recommender.replay import ReplayPlan, choose_for_training, serving_trials

    with tqdm(
        total=serving_trials(),
        desc="choosing serving settings",
        unit="trial",
        disable=not sys.stderr.isatty(),
    ) as bar:
        chosen, record = choose_for_training(data, kind, given, ReplayPlan(seed=seed), bar.update)
    if chosen:
        typer.echo("serving: " + ", ".join(f"{k} {v}" for k, v in chosen.items()), err=True)
    return chosen, record


def evaluate(
    data: Annotated[Path, typer.Option(metavar="PATH", help="A prepared dataset folder.")],
    out: Annotated[Path, typer.Option(metavar="PATH", help="Where to write the report.")],
    models: Annotated[
        str, typer.Option(metavar="MODELS", help="Comma-separated models.")
    ] = "popularity,als,ease,bpr,itemknn",
    splits: Annotated[
        int, typer.Option(metavar="N", min=1, help="Random user splits to average over.")
    ] = 5,
    seed: Annotated[int, typer.Option(metavar="N", help="First split's seed.")] = 42,
    tune: Annotated[
        bool, typer.Option(help="Grid-search each model first (like Personalize HPO).")
    ] = False,
    personalize_metrics: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH", help="A saved GetSolutionMetrics response to show beside ours."
        ),
    ] = None,
    protocol: Annotated[
        str,
        typer.Option(
            metavar="PROTOCOL", help="random-users (Personalize's offline metrics) or replay."
        ),
    ] = "random-users",
    test_share: Annotated[
        float,
        typer.Option(
            metavar="X", min=0.01, max=0.5, help="replay: the share of events after the cut."
        ),
    ] = 0.1,
    viewers: Annotated[
        int,
        typer.Option(
            metavar="N", min=1, help="replay: how many of the most active viewers to replay."
        ),
    ] = 80,
) -> None:
    """Evaluate local models: Personalize's offline protocol (random users), or a replay of
    later events in time order through record and recommend (--protocol replay)."""
    kinds = [_model_kind(k.strip()) for k in models.split(",") if k.strip()]
    with user_errors():
        if protocol == "replay":
            from watchnext.recommender.data import load_interactions
            from watchnext.recommender.replay import ReplayPlan, run_replay, write_replay

            plan = ReplayPlan(test_share=test_share, viewers=viewers, seed=seed)
            from watchnext.recommender.algorithms import algorithm_class

            learned = [k for k in kinds if algorithm_class(k).learns] or ["als"]
            results = run_replay(load_interactions(data), learned, plan)
            typer.echo(write_replay(out, results, data.name))
            return
        if protocol != "random-users":
            raise fail(f"--protocol is random-users or replay, not {protocol!r}")
        from watchnext.recommender.evaluate import run_evaluation

        report = run_evaluation(
            data,
            out,
            kinds=kinds,
            splits=splits,
            seed=seed,
            do_tune=tune,
            personalize_metrics_file=personalize_metrics,
            show_progress=sys.stderr.isatty(),
        )
    typer.echo(report)
