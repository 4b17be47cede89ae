"""The local stack's write path against a baseline commit, side by side in one run.

Each measurement runs in a fresh process on either this checkout or a git worktree of the
baseline commit (its own code, and a model trained by its own code), alternating, so both
see the same machine at the same time. This file is run by path with the version's ``src``
on PYTHONPATH, so it imports only what both versions have.

- ``load``: 1,000 distinct reviews from 8 keep-alive clients over HTTP with the mailer
  running, then the time until the last email is in the sink.
- ``mailer``: 1,000 reviews accepted with the mailer stopped, then the mailer started and
  timed until the sink holds every email.

Durability, both sides: SQLite WAL with ``synchronous=FULL`` (a commit survives power loss),
and the SMTP sink fsyncs each message before its 250.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REQUESTS, CLIENTS = 1000, 8
DURABILITY = "SQLite WAL, synchronous=FULL; the sink fsyncs each message before its 250"


def _stack(scratch: Path, artifact: Path) -> Any:
    options = dict(
        data_dir=scratch, artifact=artifact, api_port=0, smtp_port=0, web_port=None, api_key="b"
    )
    try:
        from watchnext.entrypoints.local_stack import build_local_stack
        from watchnext.settings import Settings

        return build_local_stack(Settings(**options))  # type: ignore[arg-type]
    except ImportError:  # a version from before one settings object
        from watchnext.local_stack import build_local_stack as build  # type: ignore

        from watchnext.bootstrap.local import LocalConfig  # type: ignore[attr-defined]

        return build(LocalConfig(**options))


def _served_model(stack: Any) -> Any:
    """The stack's model: ``stack.model`` since experiments, the service's before."""
    return getattr(stack, "model", None) or stack.api.service.recommender


def _api_url(stack: Any) -> str:
    return str((getattr(stack, "settings", None) or stack.config).api_url)


def _run_load(url: str, items: list[str], requests: int) -> Any:
    try:
        from watchnext.client.loadtest import run_load
    except ImportError:
        from watchnext.loadtest import run_load  # type: ignore[import-not-found,no-redef]
    return run_load(url, "b", items, requests=requests, clients=CLIENTS)


def _delivered(stack: Any) -> int:
    return int(stack.sink.outbox.count())


def _wait_for_mail(stack: Any, expected: int, limit_s: float = 900) -> float:
    start = time.monotonic()
    while _delivered(stack) < expected and time.monotonic() - start < limit_s:
        time.sleep(0.05)
    return time.monotonic() - start


def measure(mode: str, artifact: Path, requests: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="watchnext-write-path-") as scratch:
        stack = _stack(Path(scratch), artifact)
        if mode == "mailer":
            stack.worker.start = lambda: None  # accept everything first
        stack.start()
        try:
            items = _served_model(stack).item_ids[:500]
            started, cpu_started = time.monotonic(), time.process_time()
            load = _run_load(_api_url(stack), items, requests)
            load_s = time.monotonic() - started
            load_cpu_s = time.process_time() - cpu_started
            if mode == "mailer":
                worker = type(stack.worker)(stack.queue, stack.worker.delivery)
                stack.worker = worker
                worker.start()
            cpu_started = time.process_time()
            drain_s = _wait_for_mail(stack, requests)
            drain_cpu_s = time.process_time() - cpu_started
            result = {
                "requests": requests,
                "errors": load.errors,
                "requests_per_second": load.as_dict()["requests_per_second"],
                "p50_ms": load.as_dict()["p50_ms"],
                "p99_ms": load.as_dict()["p99_ms"],
                # Every thread of this process, the load clients included: the CPU a
                # request costs, and how many of the machine's cores the process kept busy.
                "cpu_ms_per_request": round(load_cpu_s / requests * 1e3, 2),
                "cores_busy_during_load": round(load_cpu_s / load_s, 2),
                "events_stored": stack.events.count(),
                "emails_delivered": _delivered(stack),
            }
            if mode == "load":
                result["email_drain_s_after_load"] = round(drain_s, 2)
                result["last_email_after_s"] = round(load_s + drain_s, 2)
            else:
                result["mailer_drain_s"] = round(drain_s, 2)
                result["emails_per_second"] = round(_delivered(stack) / drain_s, 1)
                result["cpu_ms_per_email"] = round(drain_cpu_s / requests * 1e3, 2)
                result["cores_busy_during_drain"] = round(drain_cpu_s / drain_s, 2)
        finally:
            stack.stop()
    return result


# The side-by-side driver (runs in this checkout's process).


def _worktree(commit: str, cache: Path) -> Path:
    tree = cache / f"baseline-{commit}"
    if not (tree / "src" / "watchnext").exists():
        subprocess.run(["git", "worktree", "prune"], check=True)
        subprocess.run(
            ["git", "worktree", "add", "--force", "--detach", str(tree), commit],
            check=True,
            capture_output=True,
        )
    return tree


def _trained(tree: Path, dataset: Path, cache: Path, commit: str) -> Path:
    artifact = cache / f"baseline-{commit}-als"
    if not (artifact / "meta.json").exists():
        subprocess.run(
            [sys.executable, "-m", "watchnext", "train", "--data", str(dataset.resolve()),
             "--model", "als", "--out", str(artifact)],
            check=True, cwd=tree, env=_env(tree), capture_output=True,
        )  # fmt: skip
    return artifact


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{root / 'src'}:{root}", "OPENBLAS_NUM_THREADS": "1"}


def _one(root: Path, mode: str, artifact: Path, requests: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure", mode,
         "--artifact", str(artifact), "--requests", str(requests)],
        check=True, cwd=root, env=_env(root), capture_output=True, text=True,
    )  # fmt: skip
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def side_by_side(
    artifact: Path, dataset: Path, baseline: str, cache: Path, rounds: int = 2,
    requests: int = REQUESTS,
) -> dict[str, Any]:  # fmt: skip
    """Each mode ``rounds`` times on each side, alternating (baseline first in each round)."""
    ours = Path(__file__).resolve().parents[1]
    tree = _worktree(baseline, cache)
    sides = {"baseline": (tree, _trained(tree, dataset, cache, baseline)), "ours": (ours, artifact)}
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        mode: {side: [] for side in sides} for mode in ("load", "mailer")
    }
    for mode in runs:
        for _ in range(rounds):
            for side, (root, model) in sides.items():
                runs[mode][side].append(_one(root, mode, model, requests))
    return {
        "baseline_commit": baseline,
        "durability": DURABILITY,
        "cores": os.cpu_count(),
        "rounds": rounds,
        "runs": runs,
        "ratios": _ratios(runs),
        "nothing_lost": all(
            run["events_stored"] == requests and run["emails_delivered"] == requests
            for run in _every(runs)
        ),
    }


def _every(runs: dict[str, dict[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    return [run for sides in runs.values() for side in sides.values() for run in side]


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(run[key] for run in runs))


def _ratios(runs: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, float]:
    load, mailer = runs["load"], runs["mailer"]
    return {
        "requests_per_second": round(
            _median(load["ours"], "requests_per_second")
            / _median(load["baseline"], "requests_per_second"), 2
        ),
        "p50_latency_baseline_over_ours": round(
            _median(load["baseline"], "p50_ms") / _median(load["ours"], "p50_ms"), 2
        ),
        "mailer_drain_baseline_over_ours": round(
            _median(mailer["baseline"], "mailer_drain_s")
            / _median(mailer["ours"], "mailer_drain_s"), 2
        ),
        "last_email_after_load_start_baseline_over_ours": round(
            _median(load["baseline"], "last_email_after_s")
            / _median(load["ours"], "last_email_after_s"), 2
        ),
    }  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--measure", choices=("load", "mailer"), required=True)
    parser.add_argument("--artifact", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    args = parser.parse_args()
    print(json.dumps(measure(args.measure, args.artifact, args.requests)))
