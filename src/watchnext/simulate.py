"""Viewers who click by a known model, driving a running local stack: each rates a title,
gets the email, and follows each pick's link with the model's probability for its position.
The engagement report must then recover the model's rates within the error it states."""

from __future__ import annotations

import http.client
import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from watchnext.adapters.local.outbox import Outbox, StoredEmail
from watchnext.errors import WatchNextError

PICK_LINK = re.compile(r"https?://[^\s\"'<>]+/r/[A-Za-z0-9_.%-]+")


class SimulationError(WatchNextError):
    """The stack did not answer as a running local stack does."""


@dataclass(frozen=True)
class ClickModel:
    """A viewer follows the link at position p with probability ``top * decay ** (p - 1)``,
    each link independently."""

    top: float = 0.35
    decay: float = 0.8

    def __post_init__(self) -> None:
        if not (0 <= self.top <= 1 and 0 <= self.decay <= 1):
            raise SimulationError("the click model's top rate and decay must be between 0 and 1")

    def rate(self, position: int) -> float:
        return self.top * self.decay ** (position - 1)


@dataclass
class SimulationResult:
    viewers: int
    emails: int = 0
    shown: Counter[int] = field(default_factory=Counter)
    followed: Counter[int] = field(default_factory=Counter)
    answers: Counter[int] = field(default_factory=Counter)
    """HTTP statuses of the followed links (302 each, when every click was recorded)."""


class _Http:
    def __init__(self, base_url: str, api_key: str, timeout: float) -> None:
        parts = urlsplit(base_url)
        self.prefix = parts.path.rstrip("/")
        self.api_key = api_key
        self._connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        headers = {"x-api-key": self.api_key, "Content-Type": "application/json"}
        payload = json.dumps(body).encode() if body is not None else None
        self._connection.request(method, self.prefix + path, body=payload, headers=headers)
        response = self._connection.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw) if raw else {}
        except ValueError:
            return response.status, {}

    def follow(self, url: str) -> int:
        """GET a pick's link without following its redirect."""
        parts = urlsplit(url)
        self._connection.request("GET", parts.path, headers={})
        response = self._connection.getresponse()
        response.read()
        return response.status

    def close(self) -> None:
        self._connection.close()


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
    client = _Http(api_url, api_key, timeout=30.0)
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


def _review(client: _Http, rng: random.Random, user_id: str) -> str:
    status, picks = client.call("GET", f"/users/{quote(user_id, safe='')}/recommendations?n=20")
    if status != 200 or not picks.get("recommendations"):
        raise SimulationError(f"GET recommendations answered {status}: {picks.get('message')}")
    chosen = rng.choice(picks["recommendations"])
    address = f"{user_id}@example.com"
    status, answer = client.call(
        "POST",
        "/reviews",
        {
            "user_id": user_id, "item_id": chosen["item_id"], "event_rating": rng.randint(3, 5),
            "event_verified_purchase": "N", "event_type": "RATING", "email_address": address,
            "recommendation_id": picks["recommendation_id"], "event_source": "webapp",
        },
    )  # fmt: skip
    if status != 200:
        raise SimulationError(f"POST /reviews answered {status}: {answer.get('message')}")
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
