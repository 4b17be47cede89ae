"""The review use case, top to bottom: record → recommend → attach titles → hand off the email.

Collaborators are passed in (see `watchnext.bootstrap`), so the same code runs on AWS,
on a laptop and in tests.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from watchnext.domain.email import UNKNOWN_TITLE, EmailJob, RatedItem
from watchnext.domain.events import interaction_from
from watchnext.domain.recommendation import (
    CatalogItem,
    Recommendation,
    RecommendationList,
    demoted,
    grouped_by_reason,
)
from watchnext.domain.responses import EmailNotQueued, ReviewAccepted, UserRecommendations
from watchnext.domain.review import Review
from watchnext.domain.sentiment import Feeling, Sentiment
from watchnext.service.ports import (
    Catalog,
    EmailQueue,
    EventRecorder,
    MetricsSink,
    NullMetrics,
    OptOuts,
    Recommender,
)

DISLIKE_OVERFETCH = 2
MAX_RESULTS = 500
"""GetRecommendations' numResults limit."""


@dataclass
class ReviewService:
    recorder: EventRecorder
    recommender: Recommender
    catalog: Catalog
    email_queue: EmailQueue
    num_results: int = 10
    metrics: MetricsSink = field(default_factory=NullMetrics)
    opt_outs: OptOuts | None = None
    sentiment: Sentiment = field(default_factory=Sentiment)
    """What a rating says; the email's copy follows it (the local stack passes its model's)."""
    dislike_penalty: float = 0.0
    """For a recommender that cannot be told of a dislike (Personalize): after a dislike,
    ask for ``DISLIKE_OVERFETCH`` times the picks and push down those whose genres overlap
    the disliked title's (`demoted`). 0: the recommender handles dislikes itself (local)."""

    def submit_review(self, review: Review) -> ReviewAccepted:
        """Record the review, fetch recommendations that reflect it, and queue the email."""
        event = interaction_from(review)
        self.recorder.record(event)
        feeling = self.sentiment.of(review.event_rating)
        demote = feeling == Feeling.DISLIKE and self.dislike_penalty > 0
        asked = min(MAX_RESULTS, self.num_results * DISLIKE_OVERFETCH) if demote else None
        ranked = self._recommend(review.user_id, asked or self.num_results)
        catalog = self.catalog.lookup([review.item_id, *ids_to_title(ranked)])
        if demote:
            disliked = catalog.get(review.item_id)
            ranked = demoted(ranked, disliked, catalog, self.num_results, self.dislike_penalty)
        recommendations = titled(ranked, catalog)
        not_queued = self._reason_not_to_email(review, recommendations)
        if not_queued is None:
            rated = RatedItem(
                item_id=review.item_id,
                title=_title(review.item_id, catalog, unknown=UNKNOWN_TITLE),
                rating=review.event_rating,
                known=review.item_id in catalog,
                feeling=feeling,
            )
            # Every field was validated on the way in (Review, adapters): skip validating the
            # address a second time on the hot path. The mailer validates what it dequeues.
            self.email_queue.enqueue(
                EmailJob.model_construct(
                    job_id=event.event_id,
                    user_id=review.user_id,
                    email_address=review.email_address,
                    rated=rated,
                    recommendations=grouped_by_reason(recommendations),
                    recommendation_id=ranked.recommendation_id,
                    reviewed_at=review.timestamp,
                    model_id=ranked.model_id,
                    experiment=ranked.experiment,
                    arms={item.item_id: item.arm for item in ranked.items if item.arm},
                )
            )
            self.metrics.count("EmailsQueued")
        return ReviewAccepted(
            user_id=review.user_id,
            recommendation_id=ranked.recommendation_id,
            recommendations=recommendations,
            item_known=review.item_id in catalog,
            email_queued=not_queued is None,
            email_not_queued_reason=not_queued,
        )

    def _reason_not_to_email(
        self, review: Review, recommendations: tuple[Recommendation, ...]
    ) -> EmailNotQueued | None:
        if not recommendations:
            return EmailNotQueued.NO_RECOMMENDATIONS
        if self.opt_outs is not None and self.opt_outs.is_opted_out(
            review.email_address, review.user_id
        ):
            return EmailNotQueued.OPTED_OUT
        return None

    def recommendations_for(self, user_id: str, n: int | None = None) -> UserRecommendations:
        """The user's current recommendations with titles, recording nothing."""
        return with_titles(user_id, self._recommend(user_id, n or self.num_results), self.catalog)

    def _recommend(self, user_id: str, n: int) -> RecommendationList:
        started = time.perf_counter()
        ranked = self.recommender.recommend(user_id, n)
        self.metrics.milliseconds("RecommendationLatency", (time.perf_counter() - started) * 1e3)
        return ranked


def _title(item_id: str, catalog: Mapping[str, CatalogItem], unknown: str | None = None) -> str:
    entry = catalog.get(item_id)
    return entry.title if entry else (unknown or item_id)


def with_titles(user_id: str, ranked: RecommendationList, catalog: Catalog) -> UserRecommendations:
    """A user's ranked picks with their titles, and the titles that explain them."""
    return UserRecommendations(
        user_id=user_id,
        recommendation_id=ranked.recommendation_id,
        recommendations=titled(ranked, catalog.lookup(ids_to_title(ranked))),
    )


def ids_to_title(ranked: RecommendationList) -> list[str]:
    """The picks, and the history titles that explain them."""
    because = [item.because for item in ranked.items if item.because]
    return list(dict.fromkeys([*ranked.item_ids, *because]))


def titled(
    ranked: RecommendationList, catalog: Mapping[str, CatalogItem]
) -> tuple[Recommendation, ...]:
    return tuple(
        Recommendation(
            item_id=item.item_id,
            title=_title(item.item_id, catalog),
            score=item.score,
            because_item_id=item.because,
            because_title=_title(item.because, catalog) if item.because else None,
            reasons=item.reasons,
        )
        for item in ranked.items
    )
