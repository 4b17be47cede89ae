"""The small interfaces the review use case needs; AWS, local and fake adapters implement them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from watchnext.domain.email import EmailJob
from watchnext.domain.recommendation import CatalogItem, RecommendationList


@dataclass(frozen=True, slots=True)
class InteractionEvent:
    """One interaction as a recommender records it (Personalize's event, our SQLite row)."""

    event_id: str
    user_id: str
    item_id: str
    event_type: str
    event_value: float
    timestamp: datetime
    properties: Mapping[str, str]


class EventRecorder(Protocol):
    def record(self, event: InteractionEvent) -> None:
        """Store the event so that the next recommendation for its user reflects it."""


class Recommender(Protocol):
    def recommend(self, user_id: str, n: int) -> RecommendationList:
        """The user's top ``n`` items, best first, excluding items the user already rated."""


class Catalog(Protocol):
    def lookup(self, item_ids: Iterable[str]) -> Mapping[str, CatalogItem]:
        """The catalog entries that exist for these ids; unknown ids are simply absent."""


class EmailQueue(Protocol):
    def enqueue(self, job: EmailJob) -> None:
        """Hand the job to the mailer durably, or raise."""


class OptOuts(Protocol):
    def is_opted_out(self, address: str, user_id: str) -> bool:
        """True if the address opted out, or the user did by a link from before opt-outs
        were kept by address."""
