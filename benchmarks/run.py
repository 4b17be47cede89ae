"""`make bench`: every benchmark, JSON to --out and a Markdown summary to --summary."""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import (
    call_pattern,
    handler,
    local_write_path,
    prepare_bench,
    recommender_bench,
    replay_bench,
    restart_bench,
    sentiment_http,
)

BASELINE = "3d5697c"
"""main when the local stack's speed work began (issue 26): after the crash-safety work."""


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
    mini, ours = cold["minimal_powertools"], cold["watchnext"]
    fair = cold["validated_powertools"]
    fair_target = cold["targets"]["to_validated_powertools"]
    restored, targets = cold["after_snapshot_restore"], cold["targets"]
    restore_total = restored["total_ms"]

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
        f"### Cold start (fresh processes, median of {cold['runs']} each, interleaved)",
        "",
        "Everything before the first response leaves: imports, settings, clients, the API, and"
        " the first request (Stubber answers, attached inside the timed window on both sides)."
        " The fair baseline is what a user would write instead: Logger,"
        " `APIGatewayRestResolver(enable_validation=True)` validating the same review with"
        " pydantic (`EmailStr` included), and the same six boto3 clients, making the same AWS"
        " calls. The same without validation, and a bare `import boto3`, are beside it.",
        "",
        "| | init ms | first request ms | total ms | ratio | target | |",
        "|---|---|---|---|---|---|---|",
        f"| bare `import boto3` | | | {cold['bare_import_boto3_ms']} | 1.00 | | |",
        f"| Powertools handler, no validation | {mini['init_ms']} | {mini['first_call_ms']}"
        f" | {mini['total_ms']} | {cold['minimal_ratio_to_boto3_import']}x boto3 | | |",
        f"| Powertools handler validating the review (fair baseline) | {fair['init_ms']}"
        f" | {fair['first_call_ms']} | {fair['total_ms']}"
        f" | {cold['validated_ratio_to_boto3_import']}x boto3 | | |",
        f"| **WatchNext review handler** | {ours['init_ms']} | {ours['first_call_ms']}"
        f" | {ours['total_ms']} | {cold['ratio_to_validated_powertools']}x fair,"
        f" {cold['ratio_to_minimal_powertools']}x no validation"
        f" | ≤ {targets['to_validated_powertools']}x fair"
        f" | {verdict(cold['ratio_to_validated_powertools'] <= fair_target)} |",
        f"| after a SnapStart restore (hooks, then the first request) | {restored['hooks_ms']}"
        f" | {restored['first_call_ms']} | {restore_total} | | ≤ {targets['restore_ms']:g} ms"
        f" | {verdict(restore_total <= targets['restore_ms'])} |",
        "",
    ]
    if "dislike_demotion" in h:
        d = h["dislike_demotion"]
        lines += [
            "After a dislike the AWS path asks for twice the picks and pushes down those that"
            " share the disliked title's genres. Our own code's extra cost, likes and dislikes"
            f" interleaved: p50 {d['like']['p50_ms']:.3f} ms after a like,"
            f" {d['dislike_with_demotion']['p50_ms']:.3f} ms after a dislike"
            f" ({d['extra_p50_ms']:+.3f} ms); on AWS add GetRecommendations returning 20 items"
            " instead of 10 and a catalog BatchGetItem of 21 keys instead of 11 (the same calls).",
            "",
        ]
    if "call_pattern" in results:
        lines += _call_pattern_markdown(results["call_pattern"])
    if "local_write_path" in results:
        lines += _load_markdown(results["local_write_path"])
    if "restart" in results:
        lines += _restart_markdown(results["restart"])
    if "prepare" in results:
        lines += _prepare_markdown(results["prepare"])
    if "recommender" in results:
        lines += _recommender_markdown(results["recommender"])
    if "replay" in results:
        lines += replay_bench.markdown(results["replay"])
    if "one_rating_over_http" in results:
        lines += sentiment_http.markdown(results["one_rating_over_http"])
    return "\n".join(lines)


def _call_pattern_markdown(c: dict[str, Any]) -> list[str]:
    ours, mailer, tp = c["ours"], c["ours_mailer"], c["ours_mailer_throughput"]
    plain, slept, same = (
        c["original_without_its_sleep"],
        c["original_with_its_sleep"],
        c["like_for_like"],
    )
    calls = same["all_calls_per_review"]
    return [
        "## AWS round trips per review, against the original Lambda's call pattern",
        "",
        f"Both at {c['simulated_latency_per_call_ms']:.0f} ms simulated per AWS call (real boto3"
        " clients, Stubber answers, a hook sleeps and counts each call the code makes); ratios"
        " are original / ours. Like for like first: the original without the 2 s sleep it added.",
        "",
        "| request path | requests | AWS calls | p50 | p99 |",
        "|---|---|---|---|---|",
        f"| original, without its sleep | {plain['requests']} | {plain['aws_calls_per_review']}"
        f" | {plain['p50_ms']:.0f} ms | {plain['p99_ms']:.0f} ms |",
        f"| WatchNext (the email handed to the mailer) | {ours['requests']}"
        f" | {ours['aws_calls_per_review']} | {ours['p50_ms']:.0f} ms | {ours['p99_ms']:.0f} ms |",
        f"| ratio | | {same['request_round_trip_ratio']}x | {same['latency_ratio_p50']}x"
        f" | {same['latency_ratio_p99']}x |",
        "",
        f"Every AWS call of a review, the email included: original {calls['original']} (it"
        f" emails inside the request), WatchNext {calls['ours']} ({ours['aws_calls_per_review']}"
        f" on the request path + {mailer['aws_calls_per_email']} in the mailer, measured on"
        f" {mailer['jobs']} jobs: p50 {mailer['p50_ms']:.0f} ms per email).",
        "",
        f"The deployed mailer's throughput at the same latency, {tp['jobs']} jobs: one job at a"
        f" time {tp['emails_per_second']['one_at_a_time']} emails/s; an SQS batch of"
        f" {tp['batch']} at a time (the claims, then the sends over a pool of"
        f" {tp['send_concurrency']}, each marked as it goes)"
        f" {tp['emails_per_second']['sqs_batches']} emails/s,"
        f" {tp['batches_over_one_at_a_time']}x.",
        "",
        f"With the original's {slept['sleep_ms']:.0f} ms sleep ({slept['requests']} requests,"
        f" {slept['concurrency']} at a time): p50 {slept['p50_ms']:.0f} ms, p99"
        f" {slept['p99_ms']:.0f} ms, {c['with_the_originals_sleep_latency_ratio_p50']}x ours at"
        " p50. That ratio is the sleep's, not the call pattern's.",
        "",
    ]


def _load_markdown(side: dict[str, Any]) -> list[str]:
    runs, ratios = side["runs"], side["ratios"]

    def row(mode: str, who: str, keys: tuple[str, ...]) -> str:
        return (
            f"| {who} | "
            + " | ".join(", ".join(str(run[key]) for run in runs[mode][who]) for key in keys)
            + " |"
        )

    load_keys = ("requests_per_second", "p50_ms", "p99_ms", "email_drain_s_after_load")
    mailer_keys = ("mailer_drain_s", "emails_per_second")
    return [
        "## The local write path against the commit before the speed work",
        "",
        f"Side by side in this run, alternating, each in a fresh process: this checkout and"
        f" `{side['baseline_commit']}` (a git worktree with a model trained by its own code),"
        f" {side['rounds']} rounds each. Durability on both sides: {side['durability']}.",
        "",
        "1,000 distinct `POST /reviews` from 8 keep-alive clients over loopback, the mailer"
        " running (each round's figure, in order):",
        "",
        "| side | requests/s | p50 ms | p99 ms | mailer drain after the load, s |",
        "|---|---|---|---|---|",
        row("load", "baseline", load_keys),
        row("load", "ours", load_keys),
        "",
        "1,000 reviews accepted with the mailer stopped, then the mailer timed until the sink"
        " holds all 1,000:",
        "",
        "| side | drain s | emails/s |",
        "|---|---|---|",
        row("mailer", "baseline", mailer_keys),
        row("mailer", "ours", mailer_keys),
        "",
        f"Medians, ours against the baseline: requests/s {ratios['requests_per_second']}x"
        f" (target 2x); p50 latency, the baseline's over ours,"
        f" {ratios['p50_latency_baseline_over_ours']}x (above 1: ours is lower); the"
        f" mailer drains {ratios['mailer_drain_baseline_over_ours']}x faster (target 10x); the"
        f" last email of the load lands {ratios['last_email_after_load_start_baseline_over_ours']}x"
        " sooner. Every review stored and every email delivered, on both sides: "
        + ("yes." if side["nothing_lost"] else "**no**."),
        "",
        *_cpu_markdown(side),
    ]


def _cpu_markdown(side: dict[str, Any]) -> list[str]:
    """What a request and an email cost in CPU, and the most the machine's cores allow."""
    runs = side["runs"]
    if "cpu_ms_per_request" not in runs["load"]["ours"][0]:
        return []  # results from before the benchmark counted CPU

    def median(mode: str, who: str, key: str) -> float:
        return round(float(statistics.median(run[key] for run in runs[mode][who])), 2)

    cores = side["cores"]
    wanted = 2 * median("load", "baseline", "requests_per_second")
    ours_cpu = median("load", "ours", "cpu_ms_per_request")
    return [
        f"CPU counted during each phase (every thread of the process, the 8 load clients"
        f" included; this machine has {cores} cores), medians:",
        "",
        "| side | CPU ms per request | cores busy under load | CPU ms per email | cores busy"
        " draining |",
        "|---|---|---|---|---|",
        *(
            f"| {who} | {median('load', who, 'cpu_ms_per_request')}"
            f" | {median('load', who, 'cores_busy_during_load')}"
            f" | {median('mailer', who, 'cpu_ms_per_email')}"
            f" | {median('mailer', who, 'cores_busy_during_drain')} |"
            for who in ("baseline", "ours")
        ),
        "",
        f"Twice the baseline's requests/s is {wanted:.0f}. At ours' {ours_cpu} ms of CPU a"
        f" request, all {cores} cores kept busy would serve at most"
        f" {cores * 1000 / ours_cpu:.0f} requests/s; at the baseline's own"
        f" {median('load', 'baseline', 'cpu_ms_per_request')} ms, at most"
        f" {cores * 1000 / median('load', 'baseline', 'cpu_ms_per_request'):.0f}.",
        "",
    ]


def _restart_markdown(r: dict[str, Any]) -> list[str]:
    rows = [
        f"| {p['events']:,} | {p['restart_to_first_answer_s']}"
        f" | {p['first_recommendation_for_a_returning_viewer_ms']} |"
        for p in r["curve"]
    ]
    return [
        "## Restart against the size of the event store",
        "",
        "From starting a fresh process (interpreter, imports, model load, database open, the"
        " stack) to its first answered request; then the first recommendation for a viewer"
        " with stored events, whose live row is rebuilt from the store on that request"
        " (nothing is replayed at start).",
        "",
        "| stored events | restart to first answer, s | returning viewer's first picks, ms |",
        "|---|---|---|",
        *rows,
        "",
        f"Target: 1M events restarted within {r['target_1m_restart_s']:g} s: "
        + ("met." if r["meets_target"] else "**missed**."),
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
    floor, pandas = p["gzip_floor_zcat"], p["baseline_pandas"]
    one, ours = p["ours_one_thread"], p["ours_prepare_original"]
    c = p["prepared"]
    return [
        "## Dataset preparation (`prepare --preset original`)",
        "",
        f"Synthetic legacy TSV, {p['input']['rows']:,} rows, {p['input']['gzip_mb']} MB gzipped"
        f" (see README, Synthetic data). One run each, same machine ({p['cores']} cores), same"
        " run. zcat and pandas use one thread; ours runs once on one thread and once on every"
        " core (`--threads`).",
        "",
        "| run | threads | wall s | peak RSS MB | against the gzip floor | pandas / this |",
        "|---|---|---|---|---|---|",
        f"| gzip floor: `zcat FILE > /dev/null` | {floor['threads']} | {floor['wall_s']}"
        f" | {floor['peak_rss_mb']} | 1.00 | |",
        f"| **ours** (DuckDB, streaming), one thread | {one['threads']} | {one['wall_s']}"
        f" | {one['peak_rss_mb']} | {p['ours_one_thread_vs_gzip_floor']}x"
        f" | {p['speedup_vs_pandas_one_thread']}x |",
        f"| **ours**, every core | {ours['threads']} | {ours['wall_s']} | {ours['peak_rss_mb']}"
        f" | {p['ours_vs_gzip_floor']}x | {p['speedup_vs_pandas']}x |",
        f"| baseline: the notebook in pandas 3 | {pandas['threads']} | {pandas['wall_s']}"
        f" | {pandas['peak_rss_mb']} | | 1.00 |",
        "",
        f"Targets: at least {p['targets']['speedup_min']}x faster than pandas and at most"
        f" {p['targets']['peak_rss_mb_max']} MB peak: "
        + ("met." if p["meets_targets"] else "**missed**."),
        f"Same rows as the baseline: {p['identical_rows']} ({p['rows']['ours']:,} rows each side,"
        f" {p['rows']['only_ours']} only in ours,"
        f" {p['rows']['only_baseline']} only in the baseline); one thread and every core wrote"
        f" the same rows: {p['one_thread_identical']}.",
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
    parser.add_argument(
        "--baseline", default=BASELINE,
        help="The commit the local write path is measured against, side by side.",
    )  # fmt: skip
    parser.add_argument(
        "--summary-only", action="store_true",
        help="Measure nothing: write the summary again from the results in --out.",
    )  # fmt: skip
    args = parser.parse_args()
    if args.summary_only:
        args.summary.write_text(markdown(json.loads(args.out.read_text())))
        return
    results = {
        "commit": _commit(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "handler": handler.run(quick=args.quick),
        "call_pattern": call_pattern.run(requests=20 if args.quick else call_pattern.REQUESTS),
    }
    if args.artifact.joinpath("meta.json").exists():
        results["local_write_path"] = local_write_path.side_by_side(
            args.artifact, args.replay_dataset, args.baseline, prepare_bench.CACHE,
            rounds=1 if args.quick else 2,
        )  # fmt: skip
        results["one_rating_over_http"] = sentiment_http.run(args.artifact)
        results["restart"] = restart_bench.run(args.artifact)
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
