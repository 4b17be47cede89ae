"""The cheapest adapters there are, so a benchmark of the review API measures our own code:
nothing is recorded, the ranking is fixed, and the queue keeps jobs in a list."""

from __future__ import annotations

from dataclasses import dataclass, field

from watchnext.domain.email import EmailJob
from watchnext.domain.events import InteractionEvent
from watchnext.domain.recommendation import RecommendationList, ScoredItem


class DiscardingRecorder:
    def record(self, event: InteractionEvent) -> None:
        pass


@dataclass(frozen=True)
class FixedRecommender:
    ranking: tuple[str, ...]

    def recommend(self, user_id: str, n: int) -> RecommendationList:
        items = tuple(ScoredItem(item, 1.0 / (rank + 1)) for rank, item in enumerate(self.ranking))
        return RecommendationList(items=items[:n], recommendation_id="fixed")


@dataclass
class ListQueue:
    jobs: list[EmailJob] = field(default_factory=list)

    def enqueue(self, job: EmailJob) -> None:
        self.jobs.append(job)
