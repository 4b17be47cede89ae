"""`make bench`: every benchmark, JSON to --out and a Markdown summary to --summary."""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import (
    call_pattern,
    handler,
    load_bench,
    prepare_bench,
    recommender_bench,
    replay_bench,
)


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def markdown(results: dict[str, Any]) -> str:
    h = results["handler"]
    fakes, stub, cold = h["warm_own_code_fakes"], h["warm_with_stubber"], h["cold_init"]

    def verdict(ok: bool) -> str:
        return "meets target" if ok else "MISSES target"

    lines = [
        "# Benchmark summary",
        "",
        f"Commit `{results['commit']}`, {results['machine']}; raw numbers in `bench/results.json`"
        " (not committed). Regenerate with `make bench`.",
        "",
        "## Review handler (`POST /reviews`, in-process)",
        "",
        "Warm figures: the median of three rounds of 2,000 reviews (each round's p99 is in"
        " results.json).",
        "",
        "| measurement | p50 | p99 | target | |",
        "|---|---|---|---|---|",
        f"| warm, our code only (fakes behind the interfaces) | {fakes['p50_ms']:.3f} ms"
        f" | {fakes['p99_ms']:.3f} ms | ≤ {fakes['target_p99_ms']} ms p99"
        f" | {verdict(fakes['meets_target'])} |",
        f"| warm, every boto3 call answered by Stubber ({stub['aws_calls_per_review']} calls)"
        f" | {stub['p50_ms']:.3f} ms | {stub['p99_ms']:.3f} ms | ≤ {stub['target_p99_ms']} ms p99"
        f" | {verdict(stub['meets_target'])} |",
        "",
        "| cold init (fresh process, median of"
        f" {cold['runs']}) | ms | ratio to bare `import boto3` | target | |",
        "|---|---|---|---|---|",
        f"| bare `import boto3` (baseline, same run) | {cold['baseline_import_boto3_ms']} | 1.00"
        " | | |",
        f"| handler import | {cold['handler_import_ms']} | | | |",
        f"| first request (clients built, Stubber) | {cold['handler_first_call_ms']} | | | |",
        f"| import + first request | {cold['handler_init_ms']} | {cold['ratio_to_boto3_import']}"
        f" | ≤ {cold['target_ratio']}x | {verdict(cold['meets_target'])} |",
        f"| whole process, wall clock | | {cold['process_wall_ratio']} | | |",
        "",
        "Where the handler's import goes (each step on top of the previous ones, median ms):",
        "",
        "| step | ms |",
        "|---|---|",
        *[f"| {step} | {ms} |" for step, ms in cold["import_breakdown_ms"].items()],
        "",
    ]
    if "call_pattern" in results:
        lines += _call_pattern_markdown(results["call_pattern"])
    if "local_api_load" in results:
        lines += _load_markdown(results["local_api_load"], fakes)
    if "prepare" in results:
        lines += _prepare_markdown(results["prepare"])
    if "recommender" in results:
        lines += _recommender_markdown(results["recommender"])
    if "replay" in results:
        lines += replay_bench.markdown(results["replay"])
    return "\n".join(lines)


def _call_pattern_markdown(c: dict[str, Any]) -> list[str]:
    ours, original = c["ours"], c["original"]
    return [
        "## AWS round trips per review, against the original Lambda's call pattern",
        "",
        f"Both at {c['simulated_latency_per_call_ms']:.0f} ms simulated per AWS call (real boto3"
        " clients, Stubber answers, a hook sleeps and counts); ratios are original / ours.",
        "",
        "| | synchronous AWS calls | p50 | p99 |",
        "|---|---|---|---|",
        f"| original (+ its {original['sleep_ms']:.0f} ms sleep)"
        f" | {original['aws_calls_per_review']}"
        f" | {original['p50_ms']:.0f} ms | {original['p99_ms']:.0f} ms |",
        f"| WatchNext (email handed to the mailer: {ours['mailer_calls_off_the_request_path']}"
        f" calls off the request path) | {ours['aws_calls_per_review']} | {ours['p50_ms']:.0f} ms"
        f" | {ours['p99_ms']:.0f} ms |",
        f"| ratio | {c['round_trip_ratio']}x | {c['latency_ratio_p50']}x"
        f" ({c['original_latency_without_its_sleep_ratio_p50']}x without the sleep) | |",
        "",
    ]


def _load_markdown(load: dict[str, Any], fakes: dict[str, Any]) -> list[str]:
    return [
        "## Local API under load (loopback, `watchnext demo`'s stack)",
        "",
        f"{load['requests']:,} distinct `POST /reviews` from {load['clients']} keep-alive clients:"
        f" {load['requests_per_second']} requests/s, p50 {load['p50_ms']} ms,"
        f" p99 {load['p99_ms']} ms,"
        f" {load['errors']} errors. Over HTTP, with SQLite writes and the live ALS model, p50 is"
        f" {load['p50_ms'] / fakes['p50_ms']:.1f}x the in-process handler's p50 over fakes"
        " (same run).",
        f"Afterwards: {load['events_stored']:,} reviews in the event store and, once the mailer"
        f" drained its queue ({load['email_drain_s_after_load']} s after the load ended; it sends"
        f" one SMTP connection per email), {load['emails_delivered']:,} emails in the SMTP sink"
        + (" — nothing lost." if load["nothing_lost"] else " — **something was lost**."),
        "",
    ]


def _recommender_markdown(r: dict[str, Any]) -> list[str]:
    d, als, pop = r["dataset"], r["record_recommend_als"], r["record_recommend_popularity"]
    return [
        "## Local recommender at the original's scale",
        "",
        f"The prepared synthetic dataset above: {d['users']:,} users, {d['items']:,} items,"
        f" {d['interactions']:,} interactions. Loading took {r['load_s']} s; ALS"
        f" ({r['als_params']}) trained in {r['als_train_s']} s on this machine.",
        "",
        "| `record` + `recommend(n=10)`, half known users, half new | p50 ms | p99 ms |",
        "|---|---|---|",
        f"| popularity (baseline, same run) | {pop['p50_ms']:.3f} | {pop['p99_ms']:.3f} |",
        f"| ALS, user recalculated from the live row | {als['p50_ms']:.3f} | {als['p99_ms']:.3f} |",
        "",
        f"ALS p99 is {r['als_p99_vs_popularity_p99']}x popularity's; target p99 at most"
        f" {r['target_p99_ms']} ms: " + ("met." if r["meets_target"] else "**missed**."),
        "",
    ]


def _prepare_markdown(p: dict[str, Any]) -> list[str]:
    floor, ours, pandas = p["gzip_floor_zcat"], p["ours_prepare_original"], p["baseline_pandas"]
    c = p["prepared"]
    return [
        "## Dataset preparation (`prepare --preset original`)",
        "",
        f"Synthetic legacy TSV, {p['input']['rows']:,} rows, {p['input']['gzip_mb']} MB gzipped"
        " (see README, Synthetic data). One run each, same machine, same run.",
        "",
        "| run | wall s | peak RSS MB | ratio |",
        "|---|---|---|---|",
        f"| gzip floor: `zcat FILE > /dev/null` | {floor['wall_s']} | {floor['peak_rss_mb']}"
        " | 1.00 |",
        f"| **ours** (DuckDB, streaming) | {ours['wall_s']} | {ours['peak_rss_mb']}"
        f" | {p['ours_vs_gzip_floor']}x the floor |",
        f"| baseline: the notebook in pandas 3 | {pandas['wall_s']} | {pandas['peak_rss_mb']}"
        f" | ours is {p['speedup_vs_pandas']}x faster, {p['pandas_rss_vs_ours']}x less memory |",
        "",
        f"Targets: at least {p['targets']['speedup_min']}x faster than pandas and at most"
        f" {p['targets']['peak_rss_mb_max']} MB peak: "
        + ("met." if p["meets_targets"] else "**missed**."),
        f"Same rows as the baseline: {p['identical_rows']} ({p['rows']['ours']:,} rows each side,"
        f" {p['rows']['only_ours']} only in ours,"
        f" {p['rows']['only_baseline']} only in the baseline).",
        f"Prepared: {c['interactions']:,} interactions, {c['users']:,} users, {c['items']:,} items;"
        f" {c['malformed_rows_skipped']:,} malformed lines skipped.",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("bench/results.json"))
    parser.add_argument("--summary", type=Path, default=Path("bench/SUMMARY.md"))
    parser.add_argument("--quick", action="store_true", help="Fewer iterations (smoke run).")
    parser.add_argument(
        "--artifact", type=Path, default=Path("artifacts/als"),
        help="The trained model the local-API load test serves (skipped when missing).",
    )  # fmt: skip
    parser.add_argument(
        "--replay-dataset", type=Path, default=Path("data/ml100k"),
        help="A prepared MovieLens dataset for the replay benchmark (skipped when missing).",
    )  # fmt: skip
    parser.add_argument(
        "--prepare-rows", type=int, default=4_000_000,
        help="Rows of the synthetic dump for the preparation benchmark (0 skips it).",
    )  # fmt: skip
    args = parser.parse_args()
    results = {
        "commit": _commit(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "handler": handler.run(quick=args.quick),
        "call_pattern": call_pattern.run(reviews=10 if args.quick else 30),
    }
    if args.artifact.joinpath("meta.json").exists():
        results["local_api_load"] = load_bench.run(args.artifact)
    if args.replay_dataset.joinpath("interactions.csv").exists():
        results["replay"] = replay_bench.run(args.replay_dataset)
    if args.prepare_rows:
        prepared = prepare_bench.CACHE / f"prepared-original-{args.prepare_rows}"
        results["prepare"] = prepare_bench.run(args.prepare_rows, prepared)
        results["recommender"] = recommender_bench.run(prepared)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    args.summary.write_text(markdown(results))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
