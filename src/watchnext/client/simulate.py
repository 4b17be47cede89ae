"""Viewers who click by a known model, driving a running local stack: each rates a title,
gets the email, and follows each pick's link with the model's probability for its position.
The engagement report must then recover the model's rates within the error it states."""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from watchnext.adapters.local.outbox import Outbox, StoredEmail
from watchnext.client.api import ReviewApiClient, review_body
from watchnext.domain.engagement import ClickModel
from watchnext.errors import WatchNextError

PICK_LINK = re.compile(r"https?://[^\s\"'<>]+/r/[A-Za-z0-9_.%-]+")


class SimulationError(WatchNextError):
    """The stack did not answer as a running local stack does."""


@dataclass
class SimulationResult:
    viewers: int
    emails: int = 0
    shown: Counter[int] = field(default_factory=Counter)
    followed: Counter[int] = field(default_factory=Counter)
    answers: Counter[int] = field(default_factory=Counter)
    """HTTP statuses of the followed links (302 each, when every click was recorded)."""


def simulate(
    api_url: str,
    api_key: str,
    outbox_dir: Path,
    *,
    viewers: int,
    model: ClickModel,
    seed: int = 0,
    timeout: float = 120.0,
) -> SimulationResult:
    """``viewers`` new viewers each rate one of their picks, then click their email's links."""
    rng = random.Random(seed)  # noqa: S311 - a simulation, not a secret
    run = f"sim{seed}-{time.time_ns() % 10**9}"
    client = ReviewApiClient(api_url, api_key, timeout=30.0)
    result = SimulationResult(viewers=viewers)
    try:
        addresses = {_review(client, rng, f"{run}-{n}") for n in range(viewers)}
        for email in _emails_to(Outbox(outbox_dir), addresses, timeout):
            result.emails += 1
            for position, link in enumerate(PICK_LINK.findall(email.parts()[0]), start=1):
                result.shown[position] += 1
                if rng.random() < model.rate(position):
                    result.followed[position] += 1
                    result.answers[client.follow(link)] += 1
    finally:
        client.close()
    return result


def _review(client: ReviewApiClient, rng: random.Random, user_id: str) -> str:
    picks = client.recommendations(user_id, n=20)
    if picks.status == 0:
        raise SimulationError(f"{picks.message}: is the demo running?")
    if not picks.ok or not picks.body.get("recommendations"):
        raise SimulationError(f"GET recommendations: {picks.message or 'no picks'}")
    chosen = rng.choice(picks.body["recommendations"])
    address = f"{user_id}@example.com"
    answer = client.review(
        review_body(
            user_id,
            chosen["item_id"],
            rng.randint(3, 5),
            address,
            verified_purchase=False,
            timestamp=datetime.now(UTC).isoformat(),  # a retried POST is the same review
            recommendation_id=picks.body["recommendation_id"],
            event_source="webapp",
        )
    )
    if not answer.ok:
        raise SimulationError(f"POST /reviews: {answer.message}")
    return address


def _emails_to(outbox: Outbox, addresses: set[str], timeout: float) -> list[StoredEmail]:
    deadline = time.monotonic() + timeout
    while True:
        arrived = [email for email in outbox.page() if email.to in addresses]
        if len({email.to for email in arrived}) >= len(addresses):
            return arrived
        if time.monotonic() > deadline:
            raise SimulationError(
                f"{len(arrived)} of {len(addresses)} emails arrived in {timeout:.0f} s; "
                "is the stack's mail worker running?"
            )
        time.sleep(0.2)
