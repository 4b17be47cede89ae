"""In-memory fakes of WatchNext's interfaces; each records what it received."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from watchnext.domain.email import EmailJob
from watchnext.domain.recommendation import CatalogItem, RecommendationList, ScoredItem
from watchnext.errors import ServiceUnavailableError
from watchnext.ports import InteractionEvent


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
