"""In-memory fakes of WatchNext's interfaces; each records what it received."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime

from watchnext.domain.email import EmailJob, EmailLinks, Recipient, address_key
from watchnext.domain.events import InteractionEvent
from watchnext.domain.recommendation import CatalogItem, RecommendationList, ScoredItem
from watchnext.errors import ServiceUnavailableError
from watchnext.service.delivery import send_each
from watchnext.service.ports import EmailDone


@dataclass
class FakeEventRecorder:
    recorded: list[InteractionEvent] = field(default_factory=list)
    unavailable: str | None = None

    def record(self, event: InteractionEvent) -> None:
        if self.unavailable:
            raise ServiceUnavailableError(self.unavailable)
        self.recorded.append(event)


@dataclass
class FakeRecommender:
    """Recommends ``ranking`` in order, minus what the user has already interacted with."""

    ranking: list[str] = field(default_factory=lambda: ["Arrival", "Her", "Lucy", "Up"])
    recorder: FakeEventRecorder | None = None
    asked: list[tuple[str, int]] = field(default_factory=list)
    unavailable: str | None = None

    def recommend(self, user_id: str, n: int) -> RecommendationList:
        self.asked.append((user_id, n))
        if self.unavailable:
            raise ServiceUnavailableError(self.unavailable, retry_after_seconds=7)
        seen = {
            e.item_id
            for e in (self.recorder.recorded if self.recorder else [])
            if e.user_id == user_id
        }
        items = [item for item in self.ranking if item not in seen][:n]
        return RecommendationList(
            items=tuple(ScoredItem(item, 1.0 / (rank + 1)) for rank, item in enumerate(items)),
            recommendation_id=f"rec-{len(self.asked)}",
        )


@dataclass
class FakeCatalog:
    titles: dict[str, str] = field(default_factory=dict)
    looked_up: list[list[str]] = field(default_factory=list)

    def lookup(self, item_ids: Iterable[str]) -> Mapping[str, CatalogItem]:
        ids = list(item_ids)
        self.looked_up.append(ids)
        return {i: CatalogItem(i, self.titles[i]) for i in ids if i in self.titles}


@dataclass
class FakeEmailQueue:
    sent: list[EmailJob] = field(default_factory=list)

    def enqueue(self, job: EmailJob) -> None:
        self.sent.append(job)


@dataclass
class FakeMetrics:
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, list[float]] = field(default_factory=dict)

    def count(self, name: str, value: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + value

    def milliseconds(self, name: str, value: float) -> None:
        self.timings.setdefault(name, []).append(value)


@dataclass
class FakeMailer:
    sent: list[tuple[EmailJob, EmailLinks]] = field(default_factory=list)
    failures_left: int = 0

    def send(self, job: EmailJob, links: EmailLinks) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("mail server down")
        self.sent.append((job, links))

    def send_all(self, emails: Sequence[tuple[EmailJob, EmailLinks]], done: EmailDone) -> None:
        send_each(self.send, emails, done)


@dataclass
class InMemoryEmailState:
    opted_out: set[str] = field(default_factory=set)
    claimed: dict[str, float | None] = field(default_factory=dict)  # lease end; None: sent
    latest: dict[str, tuple[float, str]] = field(default_factory=dict)
    clicks: dict[str, float] = field(default_factory=dict)  # click id → link expiry
    sends: dict[tuple[str, int], int] = field(default_factory=dict)  # (address, window) → count
    clock: Callable[[], float] = time.time

    def batch(self) -> AbstractContextManager[object]:
        return nullcontext()

    def is_opted_out(self, address: str, user_id: str) -> bool:
        return any(key in self.opted_out for key in Recipient.keys_for(address, user_id))

    def opt_out(self, recipient: Recipient) -> None:
        self.opted_out.add(recipient.key)

    def opt_in(self, recipient: Recipient) -> None:
        self.opted_out.discard(recipient.key)

    def claim(self, job_id: str, lease_seconds: float) -> bool:
        if job_id in self.claimed:
            lease_end = self.claimed[job_id]
            if lease_end is None or lease_end >= self.clock():
                return False
        self.claimed[job_id] = self.clock() + lease_seconds
        return True

    def was_sent(self, job_id: str) -> bool:
        return job_id in self.claimed and self.claimed[job_id] is None

    def mark_sent(self, job_id: str) -> None:
        self.claimed[job_id] = None

    def release(self, job_id: str) -> None:
        self.claimed.pop(job_id, None)

    def first_use(self, click_id: str, expires_at: float) -> bool:
        if self.clicks.get(click_id, 0.0) > self.clock():
            return False
        self.clicks[click_id] = expires_at
        return True

    def forget_use(self, click_id: str) -> None:
        self.clicks.pop(click_id, None)

    def note_latest(self, user_id: str, job_id: str, reviewed_at: datetime) -> str:
        current = self.latest.get(user_id)
        if current is None or current[0] <= reviewed_at.timestamp():
            self.latest[user_id] = (reviewed_at.timestamp(), job_id)
        return self.latest[user_id][1]

    def take_send_slot(self, address: str, limit: int, window_seconds: int, now: float) -> bool:
        key = (address_key(address), int(now // window_seconds))
        if self.sends.get(key, 0) >= limit:
            return False
        self.sends[key] = self.sends.get(key, 0) + 1
        return True


def email_job(
    job_id: str = "job-1",
    user_id: str = "37197598",
    *,
    titles: tuple[str, ...] = ("Arrival (2016)", "Her (2013)"),
    rated: str = "Lucy (2014)",
    reviewed_at: datetime | None = None,
    email_address: str = "viewer@example.com",
) -> EmailJob:
    from datetime import UTC

    from watchnext.domain.email import RatedItem
    from watchnext.domain.recommendation import Recommendation

    return EmailJob(
        job_id=job_id,
        user_id=user_id,
        email_address=email_address,
        rated=RatedItem(item_id="Lucy", title=rated, rating=5),
        recommendations=tuple(
            Recommendation(item_id=f"item-{i}", title=t, score=1.0 / (i + 1))
            for i, t in enumerate(titles)
        ),
        recommendation_id="rec-1",
        reviewed_at=reviewed_at or datetime(2026, 11, 1, 18, 30, tzinfo=UTC),
    )
