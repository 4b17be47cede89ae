"""Amazon Personalize behind WatchNext's `EventRecorder` and `Recommender` interfaces."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from watchnext.adapters.aws.errors import aws_errors_as_unavailable
from watchnext.adapters.aws.parameters import CAMPAIGN_ARN, TRACKING_ID, SsmParameters
from watchnext.domain.events import CLICK, MAX_IMPRESSION, InteractionEvent
from watchnext.domain.recommendation import RecommendationList, ScoredItem
from watchnext.domain.sentiment import DISLIKE, Feeling, Sentiment

if TYPE_CHECKING:
    from mypy_boto3_personalize_events import PersonalizeEventsClient
    from mypy_boto3_personalize_runtime import PersonalizeRuntimeClient


def session_id_for(user_id: str, now: float, window_seconds: int) -> str:
    """The same id for a user's events within one time window, without storing anything.

    Personalize groups events by session; the original design drew a random id per event,
    which made every review a session of its own.
    """
    window = int(now // window_seconds)
    return hashlib.sha256(f"{user_id}\x1f{window}".encode()).hexdigest()[:32]


class PersonalizeEventRecorder:
    """Sends each interaction to the event tracker with ``PutEvents``."""

    def __init__(
        self,
        client: PersonalizeEventsClient,
        parameters: SsmParameters,
        *,
        session_window_seconds: int,
        retry_after_seconds: int,
        sentiment: Sentiment,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._sentiment = sentiment
        self._parameters = parameters
        self._session_window_seconds = session_window_seconds
        self._retry_after_seconds = retry_after_seconds
        self._clock = clock

    def record(self, event: InteractionEvent) -> None:
        current = self._parameters.current()
        tracking_id = self._parameters.require(TRACKING_ID, current.tracking_id)
        personalize_event: dict[str, Any] = {
            "eventId": event.event_id,
            "eventType": self._event_type(event),
            "eventValue": event.event_value,
            "itemId": event.item_id,
            "sentAt": event.timestamp,
        }
        # Personalize takes only keys that are columns of the interactions schema.
        properties = {k: v for k, v in event.properties.items() if k in current.event_properties}
        if properties:
            personalize_event["properties"] = json.dumps(properties)
        if event.recommendation_id:
            personalize_event["recommendationId"] = event.recommendation_id
        if event.impression:
            personalize_event["impression"] = list(event.impression[:MAX_IMPRESSION])
        if event.source and current.metric_attribution_arn:
            # Only a metric attribution reads the source; without one, nothing is sent.
            source = str(event.source)
            if current.experiment is not None:
                from watchnext.domain.experiment import attribution_source

                source = attribution_source(event, current.experiment)
            personalize_event["metricAttribution"] = {"eventAttributionSource": source}
        with aws_errors_as_unavailable(
            "Personalize event tracker", retry_after_seconds=self._retry_after_seconds
        ):
            self._client.put_events(
                trackingId=tracking_id,
                userId=event.user_id,
                sessionId=session_id_for(
                    event.user_id, self._clock(), self._session_window_seconds
                ),
                eventList=[personalize_event],  # type: ignore[list-item]
            )

    def _event_type(self, event: InteractionEvent) -> str:
        """A rating below the dislike threshold goes as DISLIKE: a type no solution trains
        on (`PipelineConfig.solution_config_for`), whatever its value."""
        if event.event_type != CLICK and self._sentiment.of(event.event_value) == Feeling.DISLIKE:
            return DISLIKE
        return event.event_type


class PersonalizeRecommender:
    """Asks the campaign with ``GetRecommendations``, through the exclusion filter when set."""

    def __init__(
        self,
        client: PersonalizeRuntimeClient,
        parameters: SsmParameters,
        *,
        retry_after_seconds: int,
    ) -> None:
        self._client = client
        self._parameters = parameters
        self._retry_after_seconds = retry_after_seconds

    def recommend(self, user_id: str, n: int) -> RecommendationList:
        """The campaign's picks; while an experiment runs, the viewer's arm's campaign (A/B)
        or a team-draft mix of the two arms' campaigns (interleaving)."""
        current = self._parameters.current()
        experiment = current.experiment
        if experiment is None:
            campaign = self._parameters.require(CAMPAIGN_ARN, current.campaign_arn)
            return self._ask(campaign, user_id, n, current.filter_arn)
        from watchnext.domain.experiment import served_list

        def ask(campaign: str) -> RecommendationList:
            return self._ask(campaign, user_id, n, current.filter_arn)

        return served_list(experiment, user_id, n, ask)

    def _ask(
        self, campaign: str, user_id: str, n: int, filter_arn: str | None
    ) -> RecommendationList:
        request: dict[str, Any] = {"campaignArn": campaign, "userId": user_id, "numResults": n}
        if filter_arn:
            request["filterArn"] = filter_arn
        with aws_errors_as_unavailable(
            "Personalize campaign", retry_after_seconds=self._retry_after_seconds
        ):
            response = self._client.get_recommendations(**request)
        return RecommendationList(
            items=tuple(
                ScoredItem(
                    item_id=item["itemId"],
                    score=item.get("score"),
                    # User-Personalization-v2's own reasons, shown as given; other recipes
                    # give none, and then no pick claims a reason.
                    reasons=tuple(item.get("reason", ())),
                )
                for item in response.get("itemList", [])
            ),
            recommendation_id=response.get("recommendationId"),
        )
