"""The evaluation report: JSON, a Markdown table in Personalize's metric names, a PNG chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from watchnext.recommender.metrics import EVERY_HELD_OUT, METRIC_NAMES

SHORT = {
    "coverage": "coverage",
    "mean_reciprocal_rank_at_25": "MRR@25",
    "normalized_discounted_cumulative_gain_at_5": "NDCG@5",
    "normalized_discounted_cumulative_gain_at_10": "NDCG@10",
    "normalized_discounted_cumulative_gain_at_25": "NDCG@25",
    "precision_at_5": "P@5",
    "precision_at_10": "P@10",
    "precision_at_25": "P@25",
}
CHARTED = (
    "normalized_discounted_cumulative_gain_at_10",
    "precision_at_10",
    "mean_reciprocal_rank_at_25",
)


def _cell(summary: dict[str, Any] | None) -> str:
    if not summary:
        return "-"
    if "std" in summary:
        return f"{summary['mean']:.4f} ± {summary['std']:.4f}"
    return f"{summary['mean']:.4f}"


def write_evaluation(out: Path, results: dict[str, Any]) -> Path:
    """Write metrics.json, EVALUATION.md and metrics.png into ``out``; returns the Markdown."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    rows = results["models"]
    baseline = rows.get("popularity", {}).get("metrics", {})
    lines = [
        f"# Offline evaluation: {results['dataset']}",
        "",
        f"Protocol: Amazon Personalize's ({results['protocol']}). {results['splits']} random user"
        " splits; each cell is mean ± standard deviation over the splits.",
        "",
        "| model | params | " + " | ".join(f"`{name}`" for name in METRIC_NAMES) + " |",
        "|---|---|" + "---|" * len(METRIC_NAMES),
    ]
    for label, row in rows.items():
        params = ", ".join(f"{k}={v}" for k, v in row.get("params", {}).items()) or "-"
        cells = " | ".join(_cell(row["metrics"].get(name)) for name in METRIC_NAMES)
        lines.append(f"| {label} | {params} | {cells} |")
    key = "normalized_discounted_cumulative_gain_at_10"
    if baseline.get(key, {}).get("mean"):
        lines += ["", "NDCG@10 against the popularity baseline:", ""]
        for label, row in rows.items():
            if label == "popularity" or key not in row["metrics"]:
                continue
            summary = row["metrics"][key]
            ratio = summary["mean"] / baseline[key]["mean"]
            per_split = ""
            if "splits" in summary and "splits" in baseline[key]:
                ratios = [
                    m / b
                    for m, b in zip(summary["splits"], baseline[key]["splits"], strict=True)
                    if b
                ]
                per_split = f" (per split {min(ratios):.2f}x to {max(ratios):.2f}x)"
            lines.append(f"- {label}: {ratio:.2f}x{per_split}")
        lines += ["", "NDCG@10 counting every held-out title, liked or not (as before):", ""]
        lines += [
            f"- {label}: {_cell(row['metrics'].get(EVERY_HELD_OUT))}"
            for label, row in rows.items()
            if EVERY_HELD_OUT in row["metrics"]
        ]
    if results.get("tuning"):
        lines += ["", "## Tuning (grid search on separate validation splits)", ""]
        for kind, tuning in results["tuning"].items():
            lines.append(f"- {kind}: best {tuning['best']} of {len(tuning['trials'])} candidates")
    lines += ["", "![metrics](metrics.png)", ""]
    report = out / "EVALUATION.md"
    report.write_text("\n".join(lines))
    _chart(out / "metrics.png", rows)
    return report


def _chart(path: Path, rows: dict[str, Any]) -> None:
    labels = list(rows)
    bar_chart(
        path,
        labels,
        {
            SHORT[m]: [rows[label]["metrics"].get(m, {}).get("mean", 0.0) for label in labels]
            for m in CHARTED
        },
        ylabel="score (mean ± std over splits)",
        title="Offline metrics, Personalize's protocol",
        errors={
            SHORT[m]: [rows[label]["metrics"].get(m, {}).get("std", 0.0) for label in labels]
            for m in CHARTED
        },
    )


def bar_chart(
    path: Path,
    labels: list[str],
    series: dict[str, list[float]],
    *,
    ylabel: str,
    title: str,
    errors: dict[str, list[float]] | None = None,
) -> None:
    """Grouped bars: one group per label, one bar per series, written as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    width = 0.8 / len(series)
    positions = np.arange(len(labels))
    plt.figure(figsize=(1.7 * len(labels) + 3, 4))
    for i, (name, values) in enumerate(series.items()):
        spread = (errors or {}).get(name)
        plt.bar(positions + i * width, values, width, yerr=spread, capsize=3, label=name)
    plt.xticks(positions + width * (len(series) - 1) / 2, labels, rotation=15)
    plt.ylabel(ylabel)
    plt.legend()
    plt.title(title)
    plt.tight_layout()
    plt.savefig(path, dpi=110)
    plt.close()
