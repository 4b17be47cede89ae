"""A bounded load test of the local API on loopback: a fixed number of reviews from a fixed
number of concurrent clients (keep-alive HTTP), then a check that nothing was lost."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from watchnext.client.api import ReviewApiClient, review_body

START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: int) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else 0.0
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "requests_per_second": round(self.requests_per_second, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p99_ms": round(self.percentile(99), 2),
        }


def load_review(n: int, items: list[str]) -> dict[str, Any]:
    """The n-th distinct review: its own user, title and second, so each is a new event."""
    viewer = f"load-{n % 997}"
    return review_body(
        viewer,
        items[n % len(items)],
        1 + n % 5,
        f"{viewer}@example.com",
        timestamp=(START + timedelta(seconds=n)).isoformat(),
    )


def run_load(
    api_url: str,
    api_key: str,
    items: list[str],
    *,
    requests: int,
    clients: int,
    timeout: float = 10.0,
) -> LoadResult:
    """POST ``requests`` reviews from ``clients`` threads; bounded in count and by ``timeout``."""
    api = ReviewApiClient(api_url, api_key, timeout=timeout)  # a connection per thread
    counter = iter(range(requests))
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]

    def client() -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            body = load_review(n, items)
            started = time.perf_counter()
            ok = api.review(body).status == 200
            elapsed = (time.perf_counter() - started) * 1e3
            with lock:
                latencies.append(elapsed)
                errors[0] += 0 if ok else 1
        api.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(requests, errors[0], time.perf_counter() - started, latencies)
