"""The local stack's restart against the size of its event store: with 10k, 100k and 1M
stored events, the time from starting a fresh process to its first answered request, and the
first recommendation for a viewer with stored events.

The events are written straight into the database (as a long-running demo would have left
them: reviews of the model's own titles by viewers of 20 events each). Then a new interpreter
imports WatchNext and builds the stack as `watchnext demo` does, and the clock stops when its
first request is answered: interpreter start, imports, model load, database open, whatever
the stack reads at start, and the request.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from watchnext.adapters.local.sqlite import Database
from watchnext.adapters.local.state_folder import StateFolder
from watchnext.client.api import ReviewApiClient
from watchnext.entrypoints.local_stack import build_local_stack
from watchnext.recommender import artifact as artifacts
from watchnext.settings import Settings

SIZES = (10_000, 100_000, 1_000_000)
EVENTS_PER_VIEWER = 20
TARGET_1M_S = 30.0


def _fill(database: Path, items: list[str], events: int) -> None:
    Database(database).close()  # the schema
    rows = (
        (
            f"e{n}", f"viewer-{n // EVENTS_PER_VIEWER}", items[(n * 7919) % len(items)],
            "RATING", float(1 + n % 5), f"2026-11-{1 + n % 28:02d}T12:00:00+00:00", "{}",
            float(n), None, "[]", None,
        )
        for n in range(events)
    )  # fmt: skip
    with sqlite3.connect(database) as connection:
        connection.executemany(
            "INSERT INTO events (event_id, user_id, item_id, event_type, event_value, "
            "timestamp, properties, recorded_at, recommendation_id, impression, source) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def restart(artifact: Path, events: int) -> dict[str, Any]:
    items = list(artifacts.load(artifact).item_ids)
    with tempfile.TemporaryDirectory(prefix="watchnext-restart-") as scratch:
        _fill(StateFolder.of(Path(scratch)).database, items, events)
        started = time.perf_counter()
        with subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", scratch, str(artifact)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        ) as child:  # fmt: skip
            assert child.stdout is not None
            first = child.stdout.readline()  # printed the moment the first answer came
            while first and first.strip() != "answered":  # a log line before it
                first = child.stdout.readline()
            first_answer_s = time.perf_counter() - started
            rest = child.stdout.read()
        if child.returncode or first.strip() != "answered":
            raise RuntimeError(f"the restarted stack did not answer: {first!r} {rest[-500:]!r}")
        answered: dict[str, Any] = json.loads(rest.strip().splitlines()[-1])
    return {
        "events": events,
        "restart_to_first_answer_s": round(first_answer_s, 2),
        **answered,
    }


def serve_once(data_dir: Path, artifact: Path) -> dict[str, Any]:
    """In the fresh process: build and start the stack, answer a newcomer (saying so on
    stdout at once), then a returning viewer; stop."""
    settings = Settings(
        data_dir=data_dir, artifact=artifact, api_port=0, smtp_port=0, web_port=None,
        api_key="b",
    )  # fmt: skip
    stack = build_local_stack(settings)
    stack.start()
    try:
        client = ReviewApiClient(stack.settings.api_url, "b")
        answered = client.recommendations("viewer-new", n=10)
        print("answered", flush=True)
        asked = time.perf_counter()
        returning = client.recommendations("viewer-3", n=10)
        returning_ms = (time.perf_counter() - asked) * 1e3
        ok = answered.ok and returning.ok and len(returning.body["recommendations"]) == 10
        client.close()
    finally:
        stack.stop()
    return {
        "first_recommendation_for_a_returning_viewer_ms": round(returning_ms, 1),
        "answered": ok,
    }


def run(artifact: Path, sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    curve = [restart(artifact, size) for size in sizes]
    largest = curve[-1]
    return {
        "curve": curve,
        "target_1m_restart_s": TARGET_1M_S,
        "meets_target": largest["events"] < 1_000_000
        or largest["restart_to_first_answer_s"] <= TARGET_1M_S,
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        print(json.dumps(serve_once(Path(sys.argv[2]), Path(sys.argv[3]))))
    else:
        print(json.dumps(run(Path("artifacts/als"), (10_000,)), indent=2))
