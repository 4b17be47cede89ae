"""The local stack under a bounded load on loopback: requests/s and latency over HTTP, then a
check that every accepted review is in the event store and every email in the sink."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from watchnext.adapters.local.outbox import outbox
from watchnext.client.loadtest import run_load
from watchnext.entrypoints.local_stack import build_local_stack
from watchnext.settings import Settings


def run(artifact: Path, requests: int = 1000, clients: int = 8) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="watchnext-load-") as scratch:
        config = Settings(
            data_dir=Path(scratch), artifact=artifact, api_port=0,
            smtp_port=0, web_port=None, api_key="bench",
        )  # fmt: skip
        stack = build_local_stack(config)
        stack.start()
        try:
            items = stack.api.service.recommender.item_ids[:500]  # type: ignore[attr-defined]
            result = run_load(
                stack.settings.api_url, "bench", items, requests=requests, clients=clients
            )
            load_end = time.monotonic()
            deadline = load_end + 900  # bounded: the mailer drains its durable queue meanwhile
            while stack.queue.pending() and time.monotonic() < deadline:
                time.sleep(0.2)
            drain_s = time.monotonic() - load_end
            stored, delivered = stack.events.count(), len(outbox(stack.state.outbox))
        finally:
            stack.stop()
    return {
        "clients": clients,
        **result.as_dict(),
        "events_stored": stored,
        "emails_delivered": delivered,
        "email_drain_s_after_load": round(drain_s, 1),
        "nothing_lost": result.errors == 0 and stored == requests and delivered == requests,
    }
