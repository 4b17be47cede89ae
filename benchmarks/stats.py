"""Latency summaries shared by the benchmarks."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def summary_ms(samples_seconds: Sequence[float]) -> dict[str, float]:
    """p50, p90, p99, mean and max of durations given in seconds, reported in milliseconds."""
    ms = sorted(s * 1e3 for s in samples_seconds)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {
        "n": len(ms),
        "p50_ms": round(cuts[49], 4),
        "p90_ms": round(cuts[89], 4),
        "p99_ms": round(cuts[98], 4),
        "mean_ms": round(statistics.fmean(ms), 4),
        "max_ms": round(ms[-1], 4),
    }
