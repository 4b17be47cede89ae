"""`prepare --preset original` against the pandas re-creation of the notebook and the gzip
floor (`zcat FILE > /dev/null`), on a synthetic dump of the original's size, in one run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from watchnext.datasets.engine import dataset_csv
from watchnext.datasets.synth import SynthSpec, write_amazon_tsv

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "data" / "bench"
SPEEDUP_TARGET = 3.0
RSS_TARGET_MB = 1536
FLOOR_AIM = 2.0
RSS_MARK = "WATCHNEXT_PEAK_RSS_KB="


def synthetic_dump(rows: int, seed: int = 7) -> Path:
    """The cached synthetic dump for this spec, generated on first use."""
    spec = SynthSpec(rows=rows, seed=seed)
    path = CACHE / f"synthetic-{rows}-{seed}.tsv.gz"
    stamp = path.with_suffix(".spec.json")
    if not path.exists() or not stamp.exists() or json.loads(stamp.read_text()) != spec.__dict__:
        print(f"generating {path} (first run only)", file=sys.stderr)
        write_amazon_tsv(path, spec)
        stamp.write_text(json.dumps(spec.__dict__))
    return path


def measured(command: list[str]) -> dict[str, float]:
    """Wall time and peak RSS of one child process.

    GNU time reports the peak of the command alone; wait4's ru_maxrss would also count the
    pages the child inherited from this (large) benchmark process before it exec'd.
    """
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    timer = shutil.which("time") or "/usr/bin/time"
    wrapped = [timer, "-f", f"{RSS_MARK}%M", *command] if Path(timer).exists() else command
    started = time.perf_counter()
    process = subprocess.Popen(
        wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=env
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if status != 0:
        raise RuntimeError(f"{command[:3]} failed ({status}): {stderr[-800:]}")
    marks = [line for line in stderr.splitlines() if line.startswith(RSS_MARK)]
    peak_kb = int(marks[-1].removeprefix(RSS_MARK)) if marks else usage.ru_maxrss
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(peak_kb / 1024, 1)}


def same_rows(ours: Path, baseline: Path) -> dict[str, int]:
    def rel(path: Path) -> str:
        return (
            "(SELECT USER_ID u, ITEM_ID i, TIMESTAMP::BIGINT t, round(EVENT_VALUE::DOUBLE, 9) v, "
            f"EVENT_VERIFIED_PURCHASE p FROM {dataset_csv(path)})"
        )

    con = duckdb.connect()
    row = con.execute(
        f"SELECT (SELECT count(*) FROM {rel(ours)}), (SELECT count(*) FROM {rel(baseline)}), "
        f"(SELECT count(*) FROM ({rel(ours)} EXCEPT ALL {rel(baseline)})), "
        f"(SELECT count(*) FROM ({rel(baseline)} EXCEPT ALL {rel(ours)}))"
    ).fetchall()[0]
    con.close()
    return {"ours": row[0], "baseline": row[1], "only_ours": row[2], "only_baseline": row[3]}


def _prepare(dump: Path, out: Path, threads: int) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "watchnext",
        "prepare",
        str(dump),
        "--source",
        "amazon-tsv",
        "--preset",
        "original",
        "--out",
        str(out),
        "--no-report",
        "--threads",
        str(threads),
    ]
    return {**measured(command), "threads": threads}  # fmt: skip


def run(rows: int, out: Path) -> dict[str, Any]:
    """Prepare the dump into ``out`` (kept: the recommender benchmark trains on it), with
    DuckDB on one thread and on every core, beside zcat and pandas (both single-threaded)."""
    dump = synthetic_dump(rows)
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="watchnext-bench-") as scratch:
        baseline_csv = Path(scratch) / "baseline.csv"
        floor = {**measured(["zcat", str(dump)]), "threads": 1}
        one_thread = _prepare(dump, Path(scratch) / "one-thread", 1)
        ours = _prepare(dump, out, cores)
        baseline = {
            **measured([sys.executable, "-m", "benchmarks.baseline_pandas_original", str(dump),
                        str(baseline_csv)]),
            "threads": 1,  # pandas' CSV reader and groupby run on one core
        }  # fmt: skip
        comparison = same_rows(out / "interactions.csv", baseline_csv)
        same_on_one_thread = same_rows(
            Path(scratch) / "one-thread" / "interactions.csv", out / "interactions.csv"
        )
        counts = json.loads((out / "manifest.json").read_text())["counts"]
    speedup = baseline["wall_s"] / ours["wall_s"]
    return {
        "input": {"rows": rows, "gzip_mb": round(dump.stat().st_size / 2**20, 1)},
        "cores": cores,
        "gzip_floor_zcat": floor,
        "ours_one_thread": one_thread,
        "ours_prepare_original": ours,
        "baseline_pandas": baseline,
        "speedup_vs_pandas": round(speedup, 2),
        "speedup_vs_pandas_one_thread": round(baseline["wall_s"] / one_thread["wall_s"], 2),
        "ours_vs_gzip_floor": round(ours["wall_s"] / floor["wall_s"], 2),
        "ours_one_thread_vs_gzip_floor": round(one_thread["wall_s"] / floor["wall_s"], 2),
        "pandas_rss_vs_ours": round(baseline["peak_rss_mb"] / ours["peak_rss_mb"], 2),
        "rows": comparison,
        "identical_rows": comparison["only_ours"] == comparison["only_baseline"] == 0
        and comparison["ours"] == comparison["baseline"],
        "one_thread_identical": same_on_one_thread["only_ours"]
        == same_on_one_thread["only_baseline"]
        == 0,
        "prepared": counts,
        "meets_targets": speedup >= SPEEDUP_TARGET and ours["peak_rss_mb"] <= RSS_TARGET_MB,
        "targets": {
            "speedup_min": SPEEDUP_TARGET,
            "peak_rss_mb_max": RSS_TARGET_MB,
            "floor_aim": FLOOR_AIM,
        },
    }
